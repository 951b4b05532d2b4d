//! The role table of docs/contract.md, every mutation against every role, in the
//! role's own authority and in another: allowed and succeeding, or refused
//! with nothing changed. The mutations come from the schema itself, so one
//! added without a row here fails this test.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

/// The ids a mutation may need, in one authority.
struct Ids {
    authority: Value,
    slug: &'static str,
    plan: Value,
    node: Value,
    /// A partnership measure led by the partner of the PARTNER role.
    measure: Value,
    /// Its code, for a results sheet.
    code: String,
    partner: Value,
    panel: Value,
    commentary: Value,
    action: Value,
    period: &'static str,
    /// The current versions of the commentary and the action: an allowed
    /// edit moves them on, and the next one must name the new version.
    commentary_version: i64,
    action_version: i64,
    /// Roles held at the authority, one for each revokeRole to revoke.
    memberships: Vec<Value>,
    revoked: std::cell::Cell<usize>,
}

static N: AtomicU32 = AtomicU32::new(0);

fn fresh(prefix: &str) -> String {
    format!("{prefix}{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A request for each mutation, aimed at the authority of `ids`.
fn request(mutation: &str, ids: &Ids) -> Option<(String, Value)> {
    let m = |q: &str, v: Value| {
        Some((
            format!("mutation($v: {q}) {{ {mutation}(input: $v) {{ __typename }} }}"),
            v,
        ))
    };
    let by_id = |id: &Value| {
        Some((
            format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ __typename }} }}"),
            json!({ "id": id }),
        ))
    };
    match mutation {
        "createAuthority" => m(
            "CreateAuthorityInput!",
            json!({ "v": { "slug": fresh("m-"), "name": "New", "kind": "OTHER" } }),
        ),
        "updateAuthority" => m(
            "UpdateAuthorityInput!",
            json!({ "v": { "id": ids.authority, "name": "Renamed" } }),
        ),
        "createPartner" => m(
            "CreatePartnerInput!",
            json!({ "v": { "authorityId": ids.authority, "slug": fresh("p-"), "name": "P" } }),
        ),
        "updatePartner" => m(
            "UpdatePartnerInput!",
            json!({ "v": { "id": ids.partner, "name": "Renamed" } }),
        ),
        "createPlan" => m(
            "CreatePlanInput!",
            json!({ "v": { "authorityId": ids.authority, "title": "P", "kind": "OTHER", "ragRule": { "method": "TOLERANCE" } } }),
        ),
        "updatePlan" => m(
            "UpdatePlanInput!",
            json!({ "v": { "id": ids.plan, "title": "Renamed" } }),
        ),
        "archivePlan" => by_id(&ids.plan),
        "createPlanNode" => m(
            "CreatePlanNodeInput!",
            json!({ "v": { "planId": ids.plan, "code": fresh("N"), "title": "N" } }),
        ),
        "updatePlanNode" => m(
            "UpdatePlanNodeInput!",
            json!({ "v": { "id": ids.node, "title": "Renamed" } }),
        ),
        "createMeasure" => m(
            "CreateMeasureInput!",
            json!({ "v": { "nodeId": ids.node, "code": fresh("M"), "title": "M", "unit": "COUNT",
                           "polarity": "HIGHER_IS_BETTER", "kind": "COUNCIL" } }),
        ),
        "updateMeasure" => m(
            "UpdateMeasureInput!",
            json!({ "v": { "id": ids.measure, "title": "Renamed" } }),
        ),
        "archiveMeasure" => by_id(&ids.measure),
        "changeMeasureDefinition" => m(
            "ChangeMeasureDefinitionInput!",
            json!({ "v": { "measureId": ids.measure, "effectiveFrom": ids.period, "description": "New data source" } }),
        ),
        "setTarget" => m(
            "SetTargetInput!",
            json!({ "v": { "measureId": ids.measure, "period": "2023-24", "target": 10 } }),
        ),
        "submitResult" => m(
            "SubmitResultInput!",
            json!({ "v": { "measureId": ids.measure, "period": ids.period, "value": 1 } }),
        ),
        "submitResults" => m(
            "[SubmitResultInput!]!",
            json!({ "v": [{ "measureId": ids.measure, "period": ids.period, "value": 2 }] }),
        ),
        "publishPeriod" => Some((
            "mutation($p: ID!) { publishPeriod(planId: $p, period: \"2023-24 Q1\") { __typename } }"
                .to_owned(),
            json!({ "p": ids.plan }),
        )),
        // Sent as a multipart upload: `file` is the sheet's text.
        "importResults" => Some((
            "mutation($p: ID!, $q: Period, $file: Upload!) { importResults(planId: $p, period: $q, file: $file) { applied } }"
                .to_owned(),
            json!({ "p": ids.plan, "q": ids.period, "file": format!("code,value\n{},4\n", ids.code) }),
        )),
        "setDeadline" => Some((
            "mutation($p: ID!) { setDeadline(planId: $p, period: \"2023-24 Q1\", dueOn: \"2023-07-31\") { __typename } }"
                .to_owned(),
            json!({ "p": ids.plan }),
        )),
        "addCommentary" => m(
            "AddCommentaryInput!",
            json!({ "v": { "measureId": ids.measure, "period": ids.period, "body": "Why?", "kind": "SCRUTINY" } }),
        ),
        "editCommentary" => m(
            "EditCommentaryInput!",
            json!({ "v": { "id": ids.commentary, "body": "Edited", "expectedVersion": ids.commentary_version } }),
        ),
        "createActionPlan" => m(
            "CreateActionPlanInput!",
            json!({ "v": { "measureId": ids.measure, "title": "Plan" } }),
        ),
        "updateAction" => m(
            "UpdateActionInput!",
            json!({ "v": { "id": ids.action, "status": "IN_PROGRESS", "expectedVersion": ids.action_version } }),
        ),
        "createPanel" => m(
            "CreatePanelInput!",
            json!({ "v": { "authorityId": ids.authority, "name": "Board", "kind": "BOARD" } }),
        ),
        "updatePanel" => m(
            "UpdatePanelInput!",
            json!({ "v": { "id": ids.panel, "name": "Renamed" } }),
        ),
        "createMeeting" => m(
            "CreateMeetingInput!",
            json!({ "v": { "panelId": ids.panel, "heldOn": "2024-05-15", "title": "Meeting" } }),
        ),
        "createMetric" => m(
            "CreateMetricInput!",
            json!({ "v": { "code": fresh("X"), "title": "X", "unit": "COUNT", "polarity": "NONE" } }),
        ),
        // Answers a count, not an object.
        "setMetricValues" => Some((
            "mutation($v: [MetricValueInput!]!) { setMetricValues(input: $v) }".to_owned(),
            json!({ "v": [{ "metricCode": "NI192", "authority": ids.slug, "period": "2023-24", "value": 1 }] }),
        )),
        "registerIdentityProvider" => m(
            "RegisterIdentityProviderInput!",
            json!({ "v": { "issuer": format!("https://login.example/{}", fresh("t")), "audience": "api://councilperf",
                           "authorities": [ids.slug] } }),
        ),
        "grantRole" => m(
            "GrantRoleInput!",
            json!({ "v": { "authority": ids.slug, "role": "VIEWER", "email": format!("{}@example.org", fresh("p")) } }),
        ),
        // Answers a Boolean.
        "revokeRole" => {
            let n = ids.revoked.get();
            ids.revoked.set(n + 1);
            Some((
                "mutation($id: ID!) { revokeRole(id: $id) }".to_owned(),
                json!({ "id": ids.memberships[n] }),
            ))
        }
        "createComparisonGroup" => m(
            "CreateComparisonGroupInput!",
            json!({ "v": { "slug": fresh("g-"), "name": "G", "kind": "CUSTOM", "owner": ids.slug, "members": [ids.slug] } }),
        ),
        _ => None,
    }
}

/// Roles allowed each mutation within their own authority (PLATFORM_ADMIN
/// is allowed everything everywhere; in another authority no one else is).
fn allowed_in_own_authority(mutation: &str) -> Option<&'static [&'static str]> {
    const STRUCTURE: &[&str] = &["ADMIN"];
    Some(match mutation {
        // National: the platform's alone.
        "createAuthority" | "createMetric" | "setMetricValues" | "registerIdentityProvider" => &[],
        "grantRole" | "revokeRole" => &["ADMIN"],
        "updateAuthority"
        | "createPartner"
        | "updatePartner"
        | "createPlan"
        | "updatePlan"
        | "archivePlan"
        | "createPlanNode"
        | "updatePlanNode"
        | "createMeasure"
        | "updateMeasure"
        | "archiveMeasure"
        | "changeMeasureDefinition"
        | "publishPeriod"
        | "setDeadline"
        | "createPanel"
        | "updatePanel"
        | "createMeeting"
        | "createComparisonGroup" => STRUCTURE,
        "setTarget" | "createActionPlan" | "updateAction" => &["OFFICER", "ADMIN"],
        // The measure is a partnership measure the PARTNER's partner leads.
        "submitResult" | "submitResults" | "importResults" => &["PARTNER", "OFFICER", "ADMIN"],
        // Scrutiny commentary: members may add it.
        "addCommentary" => &["MEMBER", "OFFICER", "ADMIN"],
        // Service commentary written by an officer.
        "editCommentary" => &["OFFICER", "ADMIN"],
        _ => return None,
    })
}

async fn ids(app: &TestApp, slug: &'static str, partner_measure: Option<&str>, period: &'static str) -> Ids {
    let d = app
        .data(
            "query($s: String!) { authority(slug: $s) { id partners { id } panels { id } plans { id nodes { id } measures { id code } } } }",
            json!({ "s": slug }),
        )
        .await
        .unwrap();
    let a = &d["authority"];
    let plan = &a["plans"][0];
    let found = plan["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| partner_measure.is_none_or(|c| m["code"] == c))
        .unwrap()
        .clone();
    let (measure, code) = (found["id"].clone(), found["code"].as_str().unwrap().to_owned());
    let officer = token("officer", &[&format!("{slug}:OFFICER")]);
    let c = app
        .data_as(
            &officer,
            "mutation($m: ID!, $p: Period!) { addCommentary(input: { measureId: $m, period: $p, kind: SERVICE, body: \"Note\" }) { id } }",
            json!({ "m": measure, "p": period }),
        )
        .await
        .unwrap();
    let ap = app
        .data_as(
            &officer,
            "mutation($m: ID!) { createActionPlan(input: { measureId: $m, title: \"Fix\", actions: [{ description: \"Do\", owner: \"Me\" }] }) { actions { id } } }",
            json!({ "m": measure }),
        )
        .await
        .unwrap();
    let partner = match a["partners"][0]["id"].clone() {
        Value::Null => {
            let admin = token("admin", &[&format!("{slug}:ADMIN")]);
            let p = app
                .data_as(
                    &admin,
                    "mutation($a: ID!) { createPartner(input: { authorityId: $a, slug: \"nhs\", name: \"NHS\" }) { id } }",
                    json!({ "a": a["id"] }),
                )
                .await
                .unwrap();
            p["createPartner"]["id"].clone()
        }
        id => id,
    };
    let admin = token("admin", &[&format!("{slug}:ADMIN")]);
    let mut memberships = Vec::new();
    for i in 0..8 {
        let g = app
            .data_as(
                &admin,
                "mutation($v: GrantRoleInput!) { grantRole(input: $v) { id } }",
                json!({ "v": { "authority": slug, "role": "MEMBER", "email": format!("member{i}@{slug}.example") } }),
            )
            .await
            .unwrap();
        memberships.push(g["grantRole"]["id"].clone());
    }
    Ids {
        memberships,
        revoked: std::cell::Cell::new(0),
        authority: a["id"].clone(),
        slug,
        plan: plan["id"].clone(),
        node: plan["nodes"][0]["id"].clone(),
        measure,
        code,
        partner,
        panel: a["panels"][0]["id"].clone(),
        commentary: c["addCommentary"]["id"].clone(),
        action: ap["createActionPlan"]["actions"][0]["id"].clone(),
        period,
        commentary_version: 1,
        action_version: 1,
    }
}

/// The version a row of `table` is at now.
async fn version(app: &TestApp, table: &str, id: &Value) -> i64 {
    let id = tests::row_id(id);
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT version FROM {table} WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap();
    i64::from(row.try_get::<i32>("", "version").unwrap())
}

/// The code of the first error, if any, and the errors.
async fn code(app: &TestApp, token: Option<&str>, query: &str, vars: Value) -> (Option<String>, Value) {
    let body: Value = match vars["file"].as_str() {
        Some(file) => {
            crate::sheets::multipart(app, token, query, vars.clone(), "r.csv", file.as_bytes()).await
        }
        None => app.send(query, vars, token).await.unwrap().json().await.unwrap(),
    };
    let code = body.get("errors").map(|e| {
        e[0]["extensions"]["code"]
            .as_str()
            .unwrap_or("<no code>")
            .to_owned()
    });
    (code, body["errors"].clone())
}

#[tokio::test]
async fn every_role_against_every_mutation() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let own = ids(&app, "croydon", Some("O4.3"), "2023-24 Q4").await;
        let other = ids(&app, "kent", None, "2023-24 Q2").await;
        let d = app
            .data("{ __schema { mutationType { fields { name } } } }", Value::Null)
            .await
            .unwrap();
        let mutations: BTreeSet<String> = d["__schema"]["mutationType"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect();
        for m in &mutations {
            assert!(
                allowed_in_own_authority(m).is_some() && request(m, &own).is_some(),
                "mutation {m} has no row in the role matrix"
            );
        }
        let roles: [(&str, Option<String>); 7] = [
            ("ANONYMOUS", None),
            ("VIEWER", Some(token("v", &["croydon:VIEWER"]))),
            ("MEMBER", Some(token("m", &["croydon:MEMBER"]))),
            (
                "PARTNER",
                Some(token("p", &["croydon:PARTNER:metropolitan-police"])),
            ),
            ("OFFICER", Some(token("o", &["croydon:OFFICER"]))),
            ("ADMIN", Some(token("a", &["croydon:ADMIN"]))),
            ("PLATFORM_ADMIN", Some(token("root", &["PLATFORM_ADMIN"]))),
        ];
        // Archiving last, so the other mutations meet live rows.
        let mut order: Vec<&String> = mutations.iter().collect();
        order.sort_by_key(|m| m.starts_with("archive"));
        let (mut own, mut other) = (own, other);
        for m in &order {
            for (role, tok) in &roles {
                for place in ["own", "other"] {
                    let target = if place == "own" { &mut own } else { &mut other };
                    target.commentary_version = version(&app, "commentary", &target.commentary).await;
                    target.action_version = version(&app, "actions", &target.action).await;
                    let allowed = *role == "PLATFORM_ADMIN"
                        || (place == "own" && allowed_in_own_authority(m).unwrap_or_default().contains(role));
                    let Some((query, vars)) = request(m, target) else {
                        unreachable!()
                    };
                    let before = if allowed {
                        Vec::new()
                    } else {
                        app.row_counts().await.unwrap()
                    };
                    let (got, errors) = code(&app, tok.as_deref(), &query, vars).await;
                    if allowed {
                        assert_eq!(
                            got, None,
                            "{engine:?}: {role} should be allowed {m} in its {place} authority and succeed: {errors}"
                        );
                    } else {
                        let want = if tok.is_none() {
                            "UNAUTHENTICATED"
                        } else {
                            "FORBIDDEN"
                        };
                        assert_eq!(
                            got.as_deref(),
                            Some(want),
                            "{engine:?}: {role} {m} in {place} authority"
                        );
                        assert_eq!(
                            app.row_counts().await.unwrap(),
                            before,
                            "{role} {m} in {place}: a refusal changed rows"
                        );
                    }
                }
            }
        }
    }
}
