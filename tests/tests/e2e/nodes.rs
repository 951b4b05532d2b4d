//! Global object identification: every object with an id is found again
//! by `node`/`nodes`, by the same rules as its typed fields; ID arguments
//! take the global id and, for now, the per-table number.

use serde_json::{Value, json};
use tests::{engines, spawn, token};

const SUBMIT: &str = r#"mutation($m: ID!, $p: Period!, $v: Float!) {
  submitResult(input: { measureId: $m, period: $p, value: $v }) { id value } }"#;

const EVERYTHING: &str = r#"{
  authority(slug: "kent") { __typename id databaseId
    neighbours { __typename id }
    partners { __typename id databaseId }
    members { __typename id databaseId }
    auditLog(first: 3) { entries { __typename id databaseId } }
    panels { __typename id databaseId meetings { __typename id databaseId agenda { __typename id databaseId } } }
    plans { __typename id databaseId nodes { __typename id databaseId }
      measures { __typename id databaseId metric { __typename id databaseId }
        result(period: "2023-24 Q1") { __typename id commentary { __typename id databaseId } }
        actionPlans { __typename id databaseId actions { __typename id databaseId } } } } }
  identityProviders { __typename id databaseId }
  metrics { __typename id databaseId }
  comparisonGroups { __typename id }
}"#;

/// Every object in `v` with a `__typename` and an `id`.
fn objects(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(o) => {
            if let (Some(t), Some(id)) = (o.get("__typename"), o.get("id")) {
                out.push(json!({ "__typename": t, "id": id, "databaseId": o.get("databaseId") }));
            }
            o.values().for_each(|c| objects(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| objects(c, out)),
        _ => {}
    }
}

const FIND: &str = r#"query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
  ... on Authority { databaseId } ... on Partner { databaseId } ... on Plan { databaseId }
  ... on PlanNode { databaseId } ... on Measure { databaseId } ... on Commentary { databaseId }
  ... on ActionPlan { databaseId } ... on Action { databaseId } ... on Panel { databaseId }
  ... on Meeting { databaseId } ... on AgendaItem { databaseId } ... on Metric { databaseId }
  ... on AuditEntry { databaseId } ... on IdentityProvider { databaseId } ... on Membership { databaseId } } }"#;

#[tokio::test]
async fn every_node_round_trips() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let all = token("all", &["kent:ADMIN", "PLATFORM_ADMIN"]);
        let officer = token("officer", &["kent:OFFICER"]);
        let (_, cs01) = app.measure("kent", "CS01").await.unwrap();
        let note = r#"mutation($m: ID!) { addCommentary(input: { measureId: $m, period: "2023-24 Q1", kind: SERVICE, body: "Note" }) { id } }"#;
        app.data_as(&officer, note, json!({ "m": cs01 })).await.unwrap();
        let plan = r#"mutation($m: ID!) { createActionPlan(input: { measureId: $m, title: "Fix", actions: [{ description: "Do", owner: "Me" }] }) { id } }"#;
        app.data_as(&officer, plan, json!({ "m": cs01 })).await.unwrap();
        let kent = app
            .data(r#"{ authority(slug: "kent") { id } }"#, Value::Null)
            .await
            .unwrap();
        let partner = r#"mutation($a: ID!) { createPartner(input: { authorityId: $a, slug: "nhs", name: "NHS" }) { id } }"#;
        app.data_as(&all, partner, json!({ "a": kent["authority"]["id"] }))
            .await
            .unwrap();
        let grant = r#"mutation { grantRole(input: { authority: "kent", role: "MEMBER", email: "m@kent.example" }) { id } }"#;
        app.data_as(&all, grant, Value::Null).await.unwrap();

        let d = app.data_as(&all, EVERYTHING, Value::Null).await.unwrap();
        let mut found = Vec::new();
        objects(&d, &mut found);
        let mut kinds: Vec<&str> = found.iter().filter_map(|o| o["__typename"].as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        for t in [
            "Authority",
            "Partner",
            "Plan",
            "PlanNode",
            "Measure",
            "MeasureResult",
            "Commentary",
            "ActionPlan",
            "Action",
            "Panel",
            "Metric",
            "ComparisonGroup",
            "AuditEntry",
            "Membership",
        ] {
            assert!(kinds.contains(&t), "[{engine:?}] no {t} to look up in {kinds:?}");
        }
        for chunk in found.chunks(100) {
            let ids: Vec<&Value> = chunk.iter().map(|o| &o["id"]).collect();
            let back = app.data_as(&all, FIND, json!({ "ids": ids })).await.unwrap();
            for (want, got) in chunk.iter().zip(back["nodes"].as_array().unwrap()) {
                assert_eq!(got["__typename"], want["__typename"], "[{engine:?}] {want}");
                assert_eq!(got["id"], want["id"], "[{engine:?}] {want}");
                if !want["databaseId"].is_null() {
                    assert_eq!(got["databaseId"], want["databaseId"], "[{engine:?}] {want}");
                }
            }
        }
        let one = &found[0];
        let q = "query($id: ID!) { node(id: $id) { __typename id } }";
        let d = app.data(q, json!({ "id": one["id"] })).await.unwrap();
        assert_eq!(
            d["node"]["id"], one["id"],
            "[{engine:?}] node finds what nodes does"
        );
    }
}

#[tokio::test]
async fn an_unpublished_result_is_null_to_those_it_is_hidden_from() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (_, cs01) = app.measure("kent", "CS01").await.unwrap();
        let v = json!({ "m": cs01, "p": "2023-24 Q2", "v": 88.5 });
        let d = app
            .data_as(&token("officer", &["kent:OFFICER"]), SUBMIT, v)
            .await
            .unwrap();
        let id = d["submitResult"]["id"].clone();
        let q = "query($id: ID!) { node(id: $id) { id ... on MeasureResult { value published } } }";
        let anonymous = app.data(q, json!({ "id": id })).await.unwrap();
        assert_eq!(anonymous["node"], Value::Null, "[{engine:?}] the public");
        let croydon = token("v", &["croydon:VIEWER"]);
        let other = app.data_as(&croydon, q, json!({ "id": id })).await.unwrap();
        assert_eq!(other["node"], Value::Null, "[{engine:?}] another council");
        let kent = token("v", &["kent:VIEWER"]);
        let own = app.data_as(&kent, q, json!({ "id": id })).await.unwrap();
        assert_eq!(
            own["node"],
            json!({ "id": id, "value": 88.5, "published": false }),
            "[{engine:?}] its own council"
        );
    }
}

#[tokio::test]
async fn id_arguments_take_both_forms() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let d = app
            .data(
                r#"{ authority(slug: "kent") { plans { id databaseId } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        let plan = &d["authority"]["plans"][0];
        let q = "query($id: ID!) { plan(id: $id) { id } }";
        for arg in [plan["id"].clone(), json!(plan["databaseId"].to_string())] {
            let d = app.data(q, json!({ "id": arg })).await.unwrap();
            assert_eq!(d["plan"]["id"], plan["id"], "[{engine:?}] plan(id: {arg})");
        }
        // Another type's id names no plan.
        let (_, cs01) = app.measure("kent", "CS01").await.unwrap();
        let d = app.data(q, json!({ "id": cs01 })).await.unwrap();
        assert_eq!(d["plan"], Value::Null, "[{engine:?}]");
        let v = json!({ "m": cs01, "p": "2023-24 Q3", "v": 70 });
        let officer = token("officer", &["kent:OFFICER"]);
        app.data_as(&officer, SUBMIT, v).await.unwrap();
        let d = app
            .data(
                r#"{ authority(slug: "kent") { plans { measures { code databaseId } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        let number = d["authority"]["plans"][0]["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"] == "CS01")
            .unwrap()["databaseId"]
            .to_string();
        let v = json!({ "m": number, "p": "2023-24 Q3", "v": 71 });
        let d = app.data_as(&officer, SUBMIT, v).await.unwrap();
        assert_eq!(
            d["submitResult"]["value"],
            json!(71.0),
            "[{engine:?}] a bare number, until 2027-06-30"
        );
    }
}

#[tokio::test]
async fn malformed_ids_are_coded_and_unknown_ones_null() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let q = "query($id: ID!) { node(id: $id) { id } }";
        for bad in ["12", "not an id", "Tm9wZToxMg"] {
            let codes = app.error_codes(q, json!({ "id": bad })).await.unwrap();
            assert_eq!(codes, ["BAD_USER_INPUT"], "[{engine:?}] {bad}");
        }
        // base64url of "Plan:999999": well formed, no such plan.
        let d = app.data(q, json!({ "id": "UGxhbjo5OTk5OTk" })).await.unwrap();
        assert_eq!(d["node"], Value::Null, "[{engine:?}]");
        let many: Vec<String> = (0..101).map(|_| "UGxhbjo5OTk5OTk".to_owned()).collect();
        let codes = app
            .error_codes(
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                json!({ "ids": many }),
            )
            .await
            .unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"], "[{engine:?}] more than 100 ids");
    }
}
