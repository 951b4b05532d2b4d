//! Issue 25, item 3: documented to the last field. The introspection a
//! dashboard developer's tooling (GraphiQL's docs pane, codegen) reads
//! carries a description on every type, field, argument, enum value and
//! input field, deprecated ones included.

use serde_json::{Value, json};
use tests::{engines, spawn};

/// GraphiQL's introspection query, asking for deprecated members too, so
/// what is checked is what the docs pane shows.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind
  name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}
"#;

/// The spec's own scalars and directives: their descriptions are the
/// library's (or the spec's) to write, not ours, and a client knows them.
const BUILT_IN: [&str; 10] = [
    "String",
    "Int",
    "Float",
    "Boolean",
    "ID",
    "include",
    "skip",
    "deprecated",
    "specifiedBy",
    "oneOf",
];

#[tokio::test]
async fn every_member_of_the_schema_has_a_description() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let data = app.data(INTROSPECTION, Value::Null).await.unwrap();
        let schema = &data["__schema"];
        assert_eq!(
            schema["subscriptionType"]["name"], "Subscription",
            "{engine:?}: the Subscription root is checked like the others"
        );
        let missing = undocumented(schema);
        assert!(
            missing.is_empty(),
            "{engine:?}: {} members have no description (write a `///` doc comment, \
             or `#[graphql(desc = \"...\")]` on an argument):\n  {}",
            missing.len(),
            missing.join("\n  ")
        );
    }
}

/// `Type`, `Type.field`, `Type.field(arg)`, `Enum.VALUE`, `Input.field`
/// and `@directive(arg)` paths whose description is absent or blank.
fn undocumented(schema: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    let mut check = |path: String, item: &Value| {
        if item["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
            missing.push(path);
        }
    };
    // `__`-prefixed types are introspection's own, described by the library.
    let ours = |item: &&Value| {
        let name = str_of(item, "name");
        !name.starts_with("__") && !BUILT_IN.contains(&name)
    };
    for ty in list(schema, "types").iter().filter(ours) {
        let name = str_of(ty, "name");
        check(name.to_owned(), ty);
        for field in list(ty, "fields") {
            let field_path = format!("{name}.{}", str_of(field, "name"));
            for arg in list(field, "args") {
                check(format!("{field_path}({})", str_of(arg, "name")), arg);
            }
            check(field_path, field);
        }
        for input in list(ty, "inputFields") {
            check(format!("{name}.{}", str_of(input, "name")), input);
        }
        for value in list(ty, "enumValues") {
            check(format!("{name}.{}", str_of(value, "name")), value);
        }
    }
    for directive in list(schema, "directives").iter().filter(ours) {
        let name = str_of(directive, "name");
        check(format!("@{name}"), directive);
        for arg in list(directive, "args") {
            check(format!("@{name}({})", str_of(arg, "name")), arg);
        }
    }
    missing.sort();
    missing
}

fn list<'a>(item: &'a Value, key: &str) -> &'a [Value] {
    item[key].as_array().map_or(&[], Vec::as_slice)
}

fn str_of<'a>(item: &'a Value, key: &str) -> &'a str {
    item[key].as_str().unwrap_or_default()
}

#[test]
fn a_blank_or_absent_description_is_reported_with_its_path() {
    let schema = json!({
        "types": [
            { "name": "__Type", "fields": [{ "name": "kind", "args": [] }] },
            { "name": "String" },
            {
                "name": "Query",
                "description": "The root.",
                "fields": [{
                    "name": "plan",
                    "description": "  ",
                    "args": [{ "name": "id", "description": "The plan." }, { "name": "at" }]
                }]
            },
            { "name": "Status", "description": "A rating.", "enumValues": [{ "name": "RED" }] },
            { "name": "PlanInput", "description": "", "inputFields": [{ "name": "title", "description": "Its title." }] }
        ],
        "directives": [
            { "name": "skip", "args": [{ "name": "if" }] },
            { "name": "cost", "description": "What it costs.", "args": [{ "name": "weight" }] }
        ]
    });
    assert_eq!(
        undocumented(&schema),
        [
            "@cost(weight)",
            "PlanInput",
            "Query.plan",
            "Query.plan(at)",
            "Status.RED"
        ]
    );
}
