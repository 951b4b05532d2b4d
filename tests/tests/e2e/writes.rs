//! A reporting cycle through the mutations, validation that writes nothing,
//! and concurrent writers.

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

use crate::fixtures::sized;

async fn run(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.data_as(token, query, variables).await.unwrap()
}

async fn codes_as(app: &TestApp, token: &str, query: &str, variables: Value) -> Vec<String> {
    app.error_codes_as(token, query, variables).await.unwrap()
}

const SUBMIT: &str = r#"mutation($input: SubmitResultInput!) {
  submitResult(input: $input) { value status published restated history { value version } } }"#;

const BREAKDOWN: &str = r#"query($p: Period!) { authority(slug: "newtown") { plans { breakdown(period: $p) { green amber red noData } } } }"#;

#[tokio::test]
async fn a_full_reporting_cycle() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let root = token("root", &["PLATFORM_ADMIN"]);
        let admin = token("admin", &["newtown:ADMIN"]);
        let officer = token("officer", &["newtown:OFFICER"]);
        let police = token("sergeant", &["newtown:PARTNER:police"]);

        let d = run(&app, &root, r#"mutation { createAuthority(input: { slug: "newtown", name: "Newtown", kind: DISTRICT }) { id } }"#, Value::Null).await;
        let aid = d["createAuthority"]["id"].clone();
        let d = run(&app, &admin, r#"mutation($a: ID!) { createPartner(input: { authorityId: $a, slug: "police", name: "Newtown Police" }) { id } }"#, json!({ "a": aid })).await;
        let partner = d["createPartner"]["id"].clone();
        let d = run(
            &app,
            &admin,
            r#"mutation($a: ID!) { createPlan(input: { authorityId: $a, title: "Corporate Plan", kind: CORPORATE_PLAN,
                 ragRule: { method: TOLERANCE }, from: "2024-25", to: "2025-26" }) { id ragRule { amberTolerancePercent } directionRule { method } } }"#,
            json!({ "a": aid }),
        )
        .await;
        assert_eq!(d["createPlan"]["ragRule"]["amberTolerancePercent"], 10.0);
        assert_eq!(d["createPlan"]["directionRule"]["method"], "PREVIOUS_PERIOD");
        let plan = d["createPlan"]["id"].clone();
        let d = run(&app, &admin, r#"mutation($p: ID!) { createPlanNode(input: { planId: $p, code: "O1", title: "Safer streets" }) { id } }"#, json!({ "p": plan })).await;
        let node = d["createPlanNode"]["id"].clone();
        let create_measure = r#"mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { id frequency partner { slug } } }"#;
        let d = run(
            &app,
            &admin,
            create_measure,
            json!({ "input": { "nodeId": node, "code": "M1", "title": "Streets cleaned on time",
            "unit": "PERCENT", "polarity": "HIGHER_IS_BETTER", "kind": "COUNCIL" } }),
        )
        .await;
        assert_eq!(d["createMeasure"]["frequency"], "QUARTERLY");
        let m1 = d["createMeasure"]["id"].clone();
        let d = run(
            &app,
            &admin,
            create_measure,
            json!({ "input": { "nodeId": node, "code": "M2", "title": "Burglaries",
            "unit": "COUNT", "polarity": "LOWER_IS_BETTER", "kind": "PARTNERSHIP", "partnerId": partner } }),
        )
        .await;
        assert_eq!(d["createMeasure"]["partner"]["slug"], "police");
        let m2 = d["createMeasure"]["id"].clone();

        let set_target =
            r#"mutation($input: SetTargetInput!) { setTarget(input: $input) { target floor status } }"#;
        let d = run(
            &app,
            &officer,
            set_target,
            json!({ "input": { "measureId": m1, "period": "2024-25", "target": 80 } }),
        )
        .await;
        assert_eq!(d["setTarget"]["status"], "NO_DATA");
        run(
            &app,
            &officer,
            set_target,
            json!({ "input": { "measureId": m2, "period": "2024-25 Q1", "target": 50 } }),
        )
        .await;

        let d = run(
            &app,
            &officer,
            SUBMIT,
            json!({ "input": { "measureId": m1, "period": "2024-25 Q1", "value": 85 } }),
        )
        .await;
        assert_eq!(
            d["submitResult"]["status"], "GREEN",
            "the yearly target applies to the quarter"
        );
        assert_eq!(d["submitResult"]["published"], false);
        // The partner submits its own measure, and only that.
        let d = run(
            &app,
            &police,
            SUBMIT,
            json!({ "input": { "measureId": m2, "period": "2024-25 Q1", "value": 45 } }),
        )
        .await;
        assert_eq!(d["submitResult"]["status"], "GREEN");
        let codes = codes_as(
            &app,
            &police,
            SUBMIT,
            json!({ "input": { "measureId": m1, "period": "2024-25 Q1", "value": 1 } }),
        )
        .await;
        assert_eq!(codes, ["FORBIDDEN"]);

        // Unpublished: anonymous sees no data.
        let d = app.data(BREAKDOWN, json!({ "p": "2024-25 Q1" })).await.unwrap();
        assert_eq!(
            d["authority"]["plans"][0]["breakdown"],
            json!({ "green": 0, "amber": 0, "red": 0, "noData": 2 })
        );
        let publish =
            r#"mutation($p: ID!) { publishPeriod(planId: $p, period: "2024-25 Q1") { publishedPeriods } }"#;
        for _ in 0..2 {
            let d = run(&app, &admin, publish, json!({ "p": plan })).await;
            assert_eq!(
                d["publishPeriod"]["publishedPeriods"],
                json!(["2024-25 Q1"]),
                "publishing twice is harmless"
            );
        }
        let d = app.data(BREAKDOWN, json!({ "p": "2024-25 Q1" })).await.unwrap();
        assert_eq!(
            d["authority"]["plans"][0]["breakdown"],
            json!({ "green": 2, "amber": 0, "red": 0, "noData": 0 }),
            "{engine:?}"
        );

        // A restatement after publication keeps the history.
        let d = run(&app, &officer, SUBMIT, json!({ "input": { "measureId": m1, "period": "2024-25 Q1", "value": 70, "note": "late returns" } })).await;
        assert_eq!(
            d["submitResult"],
            json!({ "value": 70.0, "status": "RED", "published": true, "restated": true, "history": [{ "value": 85.0, "version": 1 }] })
        );
        let d = app.data(BREAKDOWN, json!({ "p": "2024-25 Q1" })).await.unwrap();
        assert_eq!(
            d["authority"]["plans"][0]["breakdown"]["red"], 1,
            "anonymous sees the restated value"
        );

        // Drafts replaced before publication stay private.
        for v in [60, 65] {
            run(
                &app,
                &officer,
                SUBMIT,
                json!({ "input": { "measureId": m1, "period": "2024-25 Q2", "value": v } }),
            )
            .await;
        }
        let publish_q2 = r#"mutation($p: ID!) { publishPeriod(planId: $p, period: "2024-25 Q2") { id } }"#;
        run(&app, &admin, publish_q2, json!({ "p": plan })).await;
        let q2 = r#"query($m: ID!) { measure(id: $m) { result(period: "2024-25 Q2") { value history { value } } } }"#;
        let d = app.data(q2, json!({ "m": m1 })).await.unwrap();
        assert_eq!(
            d["measure"]["result"],
            json!({ "value": 65.0, "history": [] }),
            "no draft reaches the public"
        );
        let d = run(&app, &officer, q2, json!({ "m": m1 })).await;
        assert_eq!(
            d["measure"]["result"]["history"],
            json!([{ "value": 60.0 }]),
            "officers see drafts"
        );

        // Commentary and action plans.
        let d = run(&app, &officer, r#"mutation($m: ID!) { addCommentary(input: { measureId: $m, period: "2024-25 Q1", kind: SERVICE, body: "Staff shortages" }) { id version author } }"#, json!({ "m": m1 })).await;
        let cid = d["addCommentary"]["id"].clone();
        assert_eq!(d["addCommentary"]["version"], 1);
        let edit = r#"mutation($id: ID!, $v: Int!) { editCommentary(input: { id: $id, body: "Staff shortages, now resolved", expectedVersion: $v }) { version body history { version body } } }"#;
        let d = run(&app, &officer, edit, json!({ "id": cid, "v": 1 })).await;
        assert_eq!(d["editCommentary"]["version"], 2);
        assert_eq!(
            d["editCommentary"]["history"],
            json!([{ "version": 1, "body": "Staff shortages" }]),
            "history kept"
        );
        assert_eq!(
            codes_as(&app, &officer, edit, json!({ "id": cid, "v": 1 })).await,
            ["CONFLICT"]
        );
        let d = run(&app, &officer, r#"mutation($m: ID!) { createActionPlan(input: { measureId: $m, title: "Recovery", actions: [
            { description: "Recruit two crews", owner: "Head of Streets", dueOn: "2020-01-31" },
            { description: "Review rounds", owner: "Streets manager" } ] }) { id open actions { id status overdue version } } }"#, json!({ "m": m1 })).await;
        let ap = &d["createActionPlan"];
        assert_eq!(ap["open"], true);
        assert_eq!(ap["actions"][0]["overdue"], true, "past due and not done");
        assert_eq!(ap["actions"][1]["overdue"], false, "no due date");
        let action = ap["actions"][0]["id"].clone();
        let update = r#"mutation($id: ID!, $v: Int!) { updateAction(input: { id: $id, status: DONE, expectedVersion: $v }) { status overdue version } }"#;
        let d = run(&app, &officer, update, json!({ "id": action, "v": 1 })).await;
        assert_eq!(
            d["updateAction"],
            json!({ "status": "DONE", "overdue": false, "version": 2 })
        );
        assert_eq!(
            codes_as(&app, &officer, update, json!({ "id": action, "v": 1 })).await,
            ["CONFLICT"]
        );
        let d = app
            .data(r#"query($p: Period!) { authority(slug: "newtown") { plans { exceptions(period: $p) { measure { code } missingCommentary commentary { body } actionPlans { title } } } } }"#, json!({ "p": "2024-25 Q1" }))
            .await
            .unwrap();
        assert_eq!(
            d["authority"]["plans"][0]["exceptions"],
            json!([{ "measure": { "code": "M1" }, "missingCommentary": false,
                     "commentary": [{ "body": "Staff shortages, now resolved" }], "actionPlans": [{ "title": "Recovery" }] }])
        );

        // The audit log, page by page, for admins only.
        let audit = r#"query($after: String) { authority(slug: "newtown") { auditLog(first: 5, after: $after) {
            entries { operation entity actor before after } hasNextPage endCursor } } }"#;
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let d = run(&app, &admin, audit, json!({ "after": after })).await;
            let page = &d["authority"]["auditLog"];
            seen.extend(page["entries"].as_array().unwrap().iter().cloned());
            if page["hasNextPage"] != true {
                break;
            }
            after = page["endCursor"].clone();
        }
        let ops: Vec<&str> = seen.iter().map(|e| e["operation"].as_str().unwrap()).collect();
        for op in [
            "createAuthority",
            "createPartner",
            "createPlan",
            "createMeasure",
            "setTarget",
            "submitResult",
            "publishPeriod",
            "addCommentary",
            "editCommentary",
            "createActionPlan",
            "updateAction",
        ] {
            assert!(ops.contains(&op), "{op} is audited: {ops:?}");
        }
        assert_eq!(
            ops.iter().filter(|o| **o == "publishPeriod").count(),
            2,
            "Q1 once (publishing it again wrote nothing), then Q2"
        );
        let restated = seen
            .iter()
            .find(|e| e["operation"] == "submitResult" && e["before"].is_string())
            .unwrap();
        assert!(restated["before"].as_str().unwrap().contains("\"value\":\"85\""));
        assert!(restated["after"].as_str().unwrap().contains("\"value\":\"70\""));
        assert_eq!(restated["actor"], "officer");
        assert_eq!(
            codes_as(&app, &officer, audit, json!({ "after": null })).await,
            ["FORBIDDEN"]
        );
    }
}

/// A Kent officer's and admin's ids for the validation table.
struct Kent {
    officer: String,
    admin: String,
    authority: Value,
    plan: Value,
    node_code: Value,
    quarterly: Value,
    lower_is_better: Value,
}

async fn kent(app: &TestApp) -> Kent {
    let d = app
        .data(
            r#"{ authority(slug: "kent") { id plans { id nodes { code } measures { id code polarity } } } }"#,
            Value::Null,
        )
        .await
        .unwrap();
    let plan = &d["authority"]["plans"][0];
    let measure = |pred: &dyn Fn(&Value) -> bool| {
        plan["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| pred(m))
            .unwrap()["id"]
            .clone()
    };
    Kent {
        officer: token("officer", &["kent:OFFICER"]),
        admin: token("admin", &["kent:ADMIN"]),
        authority: d["authority"]["id"].clone(),
        plan: plan["id"].clone(),
        node_code: plan["nodes"][0]["code"].clone(),
        quarterly: measure(&|m| m["code"] == "CS01"),
        lower_is_better: measure(&|m| m["polarity"] == "LOWER_IS_BETTER"),
    }
}

#[tokio::test]
async fn invalid_input_is_refused_and_writes_nothing() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let k = kent(&app).await;
        let root = token("root", &["PLATFORM_ADMIN"]);
        let long = "x".repeat(301);
        let submit = r#"mutation($input: SubmitResultInput!) { submitResult(input: $input) { value } }"#;
        let submit_many =
            r#"mutation($input: [SubmitResultInput!]!) { submitResults(input: $input) { value } }"#;
        let target = r#"mutation($input: SetTargetInput!) { setTarget(input: $input) { target } }"#;
        let plan = r#"mutation($input: CreatePlanInput!) { createPlan(input: $input) { id } }"#;
        let node = r#"mutation($input: CreatePlanNodeInput!) { createPlanNode(input: $input) { id } }"#;
        let cases: Vec<(&str, &str, &str, Value, &str)> = vec![
            (
                "empty title",
                &k.admin,
                plan,
                json!({ "input": { "authorityId": k.authority, "title": "  ", "kind": "OTHER", "ragRule": { "method": "FLOOR" } } }),
                "BAD_USER_INPUT",
            ),
            (
                "over-long title",
                &k.admin,
                node,
                json!({ "input": { "planId": k.plan, "code": "N9", "title": long } }),
                "BAD_USER_INPUT",
            ),
            (
                "number out of range",
                &k.officer,
                submit,
                json!({ "input": { "measureId": k.quarterly, "period": "2023-24 Q2", "value": 1e300 } }),
                "BAD_USER_INPUT",
            ),
            (
                "tolerance over 100",
                &k.admin,
                plan,
                json!({ "input": { "authorityId": k.authority, "title": "P", "kind": "OTHER", "ragRule": { "method": "TOLERANCE", "amberTolerancePercent": 150 } } }),
                "BAD_USER_INPUT",
            ),
            (
                "unknown measure",
                &k.officer,
                submit,
                json!({ "input": { "measureId": "999999", "period": "2023-24 Q2", "value": 1 } }),
                "BAD_USER_INPUT",
            ),
            (
                "junk id",
                &k.officer,
                submit,
                json!({ "input": { "measureId": "abc", "period": "2023-24 Q2", "value": 1 } }),
                "BAD_USER_INPUT",
            ),
            (
                "malformed period",
                &k.officer,
                submit,
                json!({ "input": { "measureId": k.quarterly, "period": "2023-24 Q9", "value": 1 } }),
                "BAD_USER_INPUT",
            ),
            (
                "period outside the plan",
                &k.officer,
                submit,
                json!({ "input": { "measureId": k.quarterly, "period": "2030-31 Q1", "value": 1 } }),
                "BAD_USER_INPUT",
            ),
            (
                "wrong frequency",
                &k.officer,
                submit,
                json!({ "input": { "measureId": k.quarterly, "period": "2023-08", "value": 1 } }),
                "BAD_USER_INPUT",
            ),
            (
                "target finer than the measure",
                &k.officer,
                target,
                json!({ "input": { "measureId": k.quarterly, "period": "2023-08", "target": 1 } }),
                "BAD_USER_INPUT",
            ),
            (
                "floor above target, higher is better",
                &k.officer,
                target,
                json!({ "input": { "measureId": k.quarterly, "period": "2023-24", "target": 90, "floor": 95 } }),
                "BAD_USER_INPUT",
            ),
            (
                "floor below target, lower is better",
                &k.officer,
                target,
                json!({ "input": { "measureId": k.lower_is_better, "period": "2023-24", "target": 10, "floor": 5 } }),
                "BAD_USER_INPUT",
            ),
            (
                "a bad row in a batch",
                &k.officer,
                submit_many,
                json!({ "input": [
                { "measureId": k.quarterly, "period": "2023-24 Q2", "value": 1 },
                { "measureId": k.quarterly, "period": "2023-24 Q3", "value": 1, "note": "\u{0007}" } ] }),
                "BAD_USER_INPUT",
            ),
            (
                "duplicate authority slug",
                &root,
                r#"mutation { createAuthority(input: { slug: "kent", name: "Kent again", kind: COUNTY }) { id } }"#,
                Value::Null,
                "CONFLICT",
            ),
            (
                "bad slug",
                &root,
                r#"mutation { createAuthority(input: { slug: "Kent County", name: "K", kind: COUNTY }) { id } }"#,
                Value::Null,
                "BAD_USER_INPUT",
            ),
            (
                "duplicate node code",
                &k.admin,
                node,
                json!({ "input": { "planId": k.plan, "code": k.node_code, "title": "Again" } }),
                "CONFLICT",
            ),
        ];
        for (what, tok, query, vars, want) in cases {
            let before = app.row_counts().await.unwrap();
            let codes = codes_as(&app, tok, query, vars).await;
            assert_eq!(codes, [want], "{what} on {engine:?}");
            assert_eq!(app.row_counts().await.unwrap(), before, "{what} changed a row");
        }
        // The error names the failing row of a batch.
        let body: Value = app
            .send(
                submit_many,
                json!({ "input": [
                { "measureId": k.quarterly, "period": "2023-24 Q2", "value": 1 },
                { "measureId": k.quarterly, "period": "2023-24 Q3", "value": 1e300 } ] }),
                Some(&k.officer),
            )
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("row 1:"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn concurrent_editors_of_one_commentary_one_wins() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let k = kent(&app).await;
        let d = run(&app, &k.officer, r#"mutation($m: ID!) { addCommentary(input: { measureId: $m, period: "2023-24 Q1", kind: SERVICE, body: "First draft" }) { id } }"#, json!({ "m": k.quarterly })).await;
        let id = d["addCommentary"]["id"].clone();
        let edit = r#"mutation($id: ID!, $b: String!) { editCommentary(input: { id: $id, body: $b, expectedVersion: 1 }) { version } }"#;
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let (app_addr, t, id) = (app.address.clone(), k.officer.clone(), id.clone());
                tokio::spawn(async move {
                    let body: Value = reqwest::Client::new()
                        .post(format!("{app_addr}/graphql"))
                        .bearer_auth(t)
                        .json(&json!({ "query": edit, "variables": { "id": id, "b": format!("Edit {i}") } }))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    body["errors"][0]["extensions"]["code"]
                        .as_str()
                        .map(str::to_owned)
                })
            })
            .collect();
        let mut wins = 0;
        let mut conflicts = 0;
        for t in tasks {
            match t.await.unwrap().as_deref() {
                None => wins += 1,
                Some("CONFLICT") => conflicts += 1,
                Some(other) => panic!("{engine:?}: unexpected {other}"),
            }
        }
        assert_eq!((wins, conflicts), (1, 31), "{engine:?}");
    }
}

#[tokio::test]
async fn concurrent_submitters_lose_nothing() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        api::import::import(&app.db, &sized("busytown", 320))
            .await
            .unwrap();
        let d = app
            .data(
                r#"{ authority(slug: "busytown") { plans { measures { id } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        let ids: Vec<Value> = d["authority"]["plans"][0]["measures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect();
        let quarters: Vec<String> = (2020..2023)
            .flat_map(|y| (1..=4).map(move |q| format!("{y}-{:02} Q{q}", (y + 1) % 100)))
            .take(10)
            .collect();
        let before = app.row_counts().await.unwrap();
        let officer = token("officer", &["busytown:OFFICER"]);
        let submit_many =
            r#"mutation($input: [SubmitResultInput!]!) { submitResults(input: $input) { value } }"#;
        let tasks: Vec<_> = (0..32)
            .map(|c| {
                // Client c owns measures 10c..10c+9, ten quarters each: 100 results.
                let rows: Vec<Value> = ids[c * 10..c * 10 + 10]
                    .iter()
                    .flat_map(|id| {
                        quarters
                            .iter()
                            .map(move |q| json!({ "measureId": id, "period": q, "value": c }))
                    })
                    .collect();
                let (addr, t) = (app.address.clone(), officer.clone());
                tokio::spawn(async move {
                    for chunk in rows.chunks(10) {
                        let body: Value = reqwest::Client::new()
                            .post(format!("{addr}/graphql"))
                            .bearer_auth(&t)
                            .json(&json!({ "query": submit_many, "variables": { "input": chunk } }))
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        assert!(body.get("errors").is_none(), "{body}");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let after = app.row_counts().await.unwrap();
        let results = |counts: &[(String, i64)]| counts.iter().find(|(t, _)| t == "results").unwrap().1;
        assert_eq!(results(&after) - results(&before), 3200, "{engine:?}");
    }
}

#[tokio::test]
async fn an_archived_measure_keeps_its_results_and_leaves_the_counts() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let k = kent(&app).await;
        let d = run(
            &app,
            &k.admin,
            r#"mutation($id: ID!) { archiveMeasure(id: $id) { code result(period: "2023-24 Q1") { value status } } }"#,
            json!({ "id": k.quarterly }),
        )
        .await;
        assert_eq!(
            d["archiveMeasure"],
            json!({ "code": "CS01", "result": { "value": 97.9, "status": "GREEN" } })
        );
        let d = app
            .data(r#"{ authority(slug: "kent") { plans { measures { code } breakdown(period: "2023-24 Q1") { total green } } } }"#, Value::Null)
            .await
            .unwrap();
        let plan = &d["authority"]["plans"][0];
        assert_eq!(plan["measures"].as_array().unwrap().len(), 37, "{engine:?}");
        assert_eq!(plan["breakdown"], json!({ "total": 37, "green": 15 }));
    }
}

/// Loaders keep what a request read; a later mutation in the same request
/// must not be answered from rows read before it.
#[tokio::test]
async fn a_mutation_sees_the_writes_before_it_in_the_same_request() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let k = kent(&app).await;
        let d = run(
            &app,
            &k.admin,
            r#"mutation($m: ID!) {
                 first: updateMeasure(input: { id: $m, title: "First title" }) { plan { measures { id title } } }
                 second: updateMeasure(input: { id: $m, title: "Second title" }) { plan { measures { id title } } } }"#,
            json!({ "m": k.quarterly }),
        )
        .await;
        let title_in = |alias: &str| {
            d[alias]["plan"]["measures"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == k.quarterly)
                .unwrap()["title"]
                .clone()
        };
        assert_eq!(title_in("first"), "First title", "{engine:?}");
        assert_eq!(title_in("second"), "Second title", "{engine:?}");
    }
}
