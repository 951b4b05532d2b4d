//! Benchmarking across councils through the API: thirteen councils' values
//! for a year, three of them from their own reports, read back over four
//! kinds of group with the figures worked by hand.

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

async fn run(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.data_as(token, query, variables).await.unwrap()
}

/// The thirteen: slug, kind, region, the value that should count.
/// `entity`'s unit tests work the same thirteen values by hand.
const COUNCILS: [(&str, &str, &str, &str); 13] = [
    ("adur", "DISTRICT", "South East", "41.2"),
    ("barnet", "LONDON_BOROUGH", "London", "35.7"),
    ("croydon", "LONDON_BOROUGH", "London", "52.0"),
    ("dorset", "UNITARY", "South West", "44.8"),
    ("ealing", "LONDON_BOROUGH", "London", "29.3"),
    ("fenland", "DISTRICT", "East of England", "47.5"),
    ("gedling", "DISTRICT", "East Midlands", "38.1"),
    ("halton", "UNITARY", "North West", "44.8"),
    ("islington", "LONDON_BOROUGH", "London", "56.3"),
    ("kent", "COUNTY", "South East", "33.9"),
    ("luton", "UNITARY", "East of England", "50.6"),
    ("maidstone", "DISTRICT", "South East", "41.2"),
    ("newham", "LONDON_BOROUGH", "London", "45.0"),
];

fn name(slug: &str) -> String {
    let mut n = slug.to_owned();
    n[..1].make_ascii_uppercase();
    n
}

const CREATE_AUTHORITY: &str =
    r#"mutation($input: CreateAuthorityInput!) { createAuthority(input: $input) { id region onsCode } }"#;
const CREATE_METRIC: &str =
    r#"mutation($input: CreateMetricInput!) { createMetric(input: $input) { code frequency } }"#;
const SET_VALUES: &str = r#"mutation($input: [MetricValueInput!]!) { setMetricValues(input: $input) }"#;
const CREATE_GROUP: &str = r#"mutation($input: CreateComparisonGroupInput!) { createComparisonGroup(input: $input) { slug kind owner { slug } members { slug } } }"#;

const BENCHMARK: &str = r#"query($m: String!, $p: Period!, $g: String!) { metric(code: $m) { benchmark(period: $p, group: $g) {
  period group { slug kind } count mean median lowerQuartile upperQuartile min max
  values { authority { slug } value rank quartile source measure { code } }
  position(authority: "kent") { rank quartile } } } }"#;

/// A council that reports the metric itself: a plan with one annual
/// measure linked to it and one result for 2022-23, published or not.
async fn own_report(app: &TestApp, slug: &str, authority: &Value, value: f64, publish: bool) {
    let admin = token("admin", &[&format!("{slug}:ADMIN")]);
    let d = run(
        app,
        &admin,
        r#"mutation($a: ID!) { createPlan(input: { authorityId: $a, title: "Council Plan", kind: COUNCIL_PLAN, ragRule: { method: TOLERANCE } }) { id } }"#,
        json!({ "a": authority }),
    )
    .await;
    let plan = d["createPlan"]["id"].clone();
    let d = run(
        app,
        &admin,
        r#"mutation($p: ID!) { createPlanNode(input: { planId: $p, code: "ENV", title: "Environment" }) { id } }"#,
        json!({ "p": plan }),
    )
    .await;
    let d = run(
        app,
        &admin,
        r#"mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { id metric { code } } }"#,
        json!({ "input": { "nodeId": d["createPlanNode"]["id"], "code": "W1", "title": "Missed bins",
            "unit": "RATE", "polarity": "LOWER_IS_BETTER", "kind": "COUNCIL", "frequency": "ANNUAL", "metricCode": "MISSED" } }),
    )
    .await;
    assert_eq!(d["createMeasure"]["metric"]["code"], "MISSED");
    let measure = d["createMeasure"]["id"].clone();
    run(
        app,
        &admin,
        r#"mutation($m: ID!, $v: Float!) { submitResult(input: { measureId: $m, period: "2022-23", value: $v }) { value } }"#,
        json!({ "m": measure, "v": value }),
    )
    .await;
    if publish {
        run(
            app,
            &admin,
            r#"mutation($p: ID!) { publishPeriod(planId: $p, period: "2022-23") { id } }"#,
            json!({ "p": plan }),
        )
        .await;
    }
}

/// Thirteen councils, a lower-is-better metric, and values for 2022-23:
/// croydon and kent report their own (croydon's reference value, loaded
/// too, gives way to its published result); newham's own result is not
/// published, so its reference value counts; the rest are reference values.
async fn thirteen(app: &TestApp) {
    let root = token("root", &["PLATFORM_ADMIN"]);
    let mut ids = std::collections::HashMap::new();
    for (i, (slug, kind, region, _)) in COUNCILS.iter().enumerate() {
        let d = run(
            app,
            &root,
            CREATE_AUTHORITY,
            json!({ "input": { "slug": slug, "name": name(slug), "kind": kind, "region": region,
                "onsCode": format!("E0600{i:04}") } }),
        )
        .await;
        assert_eq!(d["createAuthority"]["region"], *region);
        ids.insert(*slug, d["createAuthority"]["id"].clone());
    }
    run(
        app,
        &root,
        CREATE_METRIC,
        json!({ "input": { "code": "MISSED", "title": "Missed bin collections per 100,000", "unit": "RATE",
            "polarity": "LOWER_IS_BETTER", "source": "Made up for this test" } }),
    )
    .await;
    own_report(app, "croydon", &ids["croydon"], 52.0, true).await;
    own_report(app, "kent", &ids["kent"], 33.9, true).await;
    own_report(app, "newham", &ids["newham"], 10.0, false).await;
    let reference: Vec<Value> = COUNCILS
        .iter()
        .filter(|c| !matches!(c.0, "croydon" | "kent"))
        .map(|(slug, _, _, v)| json!({ "metricCode": "MISSED", "authority": slug, "period": "2022-23", "value": v.parse::<f64>().unwrap() }))
        .chain([json!({ "metricCode": "MISSED", "authority": "croydon", "period": "2022-23", "value": 99 })])
        .collect();
    let d = run(app, &root, SET_VALUES, json!({ "input": reference })).await;
    assert_eq!(d["setMetricValues"], 12);
    let admin = token("kent-admin", &["kent:ADMIN"]);
    let d = run(
        app,
        &admin,
        CREATE_GROUP,
        json!({ "input": { "slug": "kent-neighbours", "name": "Kent's nearest neighbours", "kind": "NEAREST_NEIGHBOURS",
            "owner": "kent", "members": ["adur", "gedling", "fenland", "maidstone", "halton"] } }),
    )
    .await;
    assert_eq!(d["createComparisonGroup"]["owner"]["slug"], "kent");
    assert_eq!(
        d["createComparisonGroup"]["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["slug"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["adur", "fenland", "gedling", "halton", "maidstone"],
        "members by name"
    );
}

/// (slug, value, rank, quartile, source) best first.
type Row<'a> = (&'a str, f64, Option<i64>, Option<i64>, &'a str);

fn rows(b: &Value) -> Vec<Row<'_>> {
    b["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["authority"]["slug"].as_str().unwrap(),
                v["value"].as_f64().unwrap(),
                v["rank"].as_i64(),
                v["quartile"].as_i64(),
                v["source"].as_str().unwrap(),
            )
        })
        .collect()
}

/// count, mean, lower quartile, median, upper quartile, min, max.
fn stats(b: &Value) -> (i64, f64, f64, f64, f64, f64, f64) {
    let f = |k: &str| b[k].as_f64().unwrap();
    (
        b["count"].as_i64().unwrap(),
        f("mean"),
        f("lowerQuartile"),
        f("median"),
        f("upperQuartile"),
        f("min"),
        f("max"),
    )
}

async fn benchmark(app: &TestApp, viewer: Option<&str>, group: &str) -> Value {
    let vars = json!({ "m": "MISSED", "p": "2022-23", "g": group });
    let d = match viewer {
        Some(t) => run(app, t, BENCHMARK, vars).await,
        None => app.data(BENCHMARK, vars).await.unwrap(),
    };
    d["metric"]["benchmark"].clone()
}

const R: &str = "REFERENCE";
const O: &str = "REPORTED";

#[tokio::test]
async fn thirteen_councils_benchmarked_over_four_kinds_of_group() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        thirteen(&app).await;

        // All thirteen. Sorted: 29.3 33.9 35.7 38.1 41.2 41.2 44.8 44.8 45.0
        // 47.5 50.6 52.0 56.3; h = 12p lands on values: lower quartile x₃ =
        // 38.1, median x₆ = 44.8, upper quartile x₉ = 47.5; mean 560.4 / 13
        // (exact to 28 digits, then the nearest float).
        // Lower is better: ≤ 38.1 first quarter, ≤ 44.8 second, ≤ 47.5
        // third; equal values share the better rank (5, 5, 7, 7, 9).
        let all = benchmark(&app, None, "all").await;
        assert_eq!(all["group"], json!({ "slug": "all", "kind": "ALL" }));
        assert_eq!(all["period"], "2022-23");
        assert_eq!(
            stats(&all),
            (13, 43.107_692_307_692_31, 38.1, 44.8, 47.5, 29.3, 56.3)
        );
        assert_eq!(
            rows(&all),
            [
                ("ealing", 29.3, Some(1), Some(1), R),
                ("kent", 33.9, Some(2), Some(1), O),
                ("barnet", 35.7, Some(3), Some(1), R),
                ("gedling", 38.1, Some(4), Some(1), R),
                ("adur", 41.2, Some(5), Some(2), R),
                ("maidstone", 41.2, Some(5), Some(2), R),
                ("dorset", 44.8, Some(7), Some(2), R),
                ("halton", 44.8, Some(7), Some(2), R),
                ("newham", 45.0, Some(9), Some(3), R),
                ("fenland", 47.5, Some(10), Some(3), R),
                ("luton", 50.6, Some(11), Some(4), R),
                ("croydon", 52.0, Some(12), Some(4), O),
                ("islington", 56.3, Some(13), Some(4), R),
            ],
            "{engine:?}"
        );
        assert_eq!(all["position"], json!({ "rank": 2, "quartile": 1 }));
        assert_eq!(all["values"][1]["measure"]["code"], "W1", "kent's own measure");
        assert_eq!(
            all["values"][8]["measure"]["code"], "W1",
            "newham's measure stands beside its reference value"
        );
        assert_eq!(
            all["values"][0]["measure"],
            Value::Null,
            "ealing reports no measure"
        );

        // A built-in kind group: the five London boroughs. Sorted 29.3 35.7
        // 45.0 52.0 56.3; h = 4p: quartiles x₁ 35.7, x₂ 45.0, x₃ 52.0;
        // mean 218.3 / 5 = 43.66.
        let london = benchmark(&app, None, "london-borough").await;
        assert_eq!(
            london["group"],
            json!({ "slug": "london-borough", "kind": "AUTHORITY_KIND" })
        );
        assert_eq!(stats(&london), (5, 43.66, 35.7, 45.0, 52.0, 29.3, 56.3));
        assert_eq!(
            rows(&london),
            [
                ("ealing", 29.3, Some(1), Some(1), R),
                ("barnet", 35.7, Some(2), Some(1), R),
                ("newham", 45.0, Some(3), Some(2), R),
                ("croydon", 52.0, Some(4), Some(3), O),
                ("islington", 56.3, Some(5), Some(4), R),
            ]
        );
        assert_eq!(london["position"], Value::Null, "kent is not a London borough");

        // A region: the South East's three. Sorted 33.9 41.2 41.2; h = 2p:
        // lower quartile h = 0.5: 33.9 + 0.5 × 7.3 = 37.55; median x₁ = 41.2;
        // upper quartile h = 1.5: 41.2 + 0.5 × 0 = 41.2; mean 116.3 / 3.
        // Adur and Maidstone tie and share the better rank, 2.
        let south_east = benchmark(&app, None, "region-south-east").await;
        assert_eq!(
            south_east["group"],
            json!({ "slug": "region-south-east", "kind": "REGION" })
        );
        assert_eq!(
            stats(&south_east),
            (3, 38.766_666_666_666_666, 37.55, 41.2, 41.2, 33.9, 41.2)
        );
        assert_eq!(
            rows(&south_east),
            [
                ("kent", 33.9, Some(1), Some(1), O),
                ("adur", 41.2, Some(2), Some(2), R),
                ("maidstone", 41.2, Some(2), Some(2), R),
            ]
        );

        // Kent's nearest neighbours, with Kent. Sorted 33.9 38.1 41.2 41.2
        // 44.8 47.5; h = 5p: lower quartile h = 1.25: 38.1 + 0.25 × 3.1 =
        // 38.875; median h = 2.5: 41.2; upper quartile h = 3.75: 41.2 + 0.75
        // × 3.6 = 43.9; mean 246.7 / 6. Halton's 44.8 is above the upper
        // quartile: the fourth quarter.
        let neighbours = benchmark(&app, None, "kent-neighbours").await;
        assert_eq!(
            neighbours["group"],
            json!({ "slug": "kent-neighbours", "kind": "NEAREST_NEIGHBOURS" })
        );
        assert_eq!(
            stats(&neighbours),
            (6, 41.116_666_666_666_67, 38.875, 41.2, 43.9, 33.9, 47.5)
        );
        assert_eq!(
            rows(&neighbours),
            [
                ("kent", 33.9, Some(1), Some(1), O),
                ("gedling", 38.1, Some(2), Some(1), R),
                ("adur", 41.2, Some(3), Some(2), R),
                ("maidstone", 41.2, Some(3), Some(2), R),
                ("halton", 44.8, Some(5), Some(4), R),
                ("fenland", 47.5, Some(6), Some(4), R),
            ]
        );
        let d = app
            .data(
                r#"{ authority(slug: "kent") { region onsCode neighbours { slug owner { slug } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(
            d["authority"],
            json!({ "region": "South East", "onsCode": "E06000009",
                "neighbours": { "slug": "kent-neighbours", "owner": { "slug": "kent" } } })
        );
    }
}

#[tokio::test]
async fn an_unpublished_result_never_enters_a_benchmark_whoever_asks() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        thirteen(&app).await;
        // Newham's own 10.0 is unpublished: its officers see it on their
        // measure, but in a benchmark they see what the public sees.
        let officer = token("officer", &["newham:OFFICER"]);
        let root = token("root", &["PLATFORM_ADMIN"]);
        for viewer in [None, Some(officer.as_str()), Some(root.as_str())] {
            let b = benchmark(&app, viewer, "london-borough").await;
            let newham: Vec<_> = rows(&b).into_iter().filter(|r| r.0 == "newham").collect();
            assert_eq!(newham, [("newham", 45.0, Some(3), Some(2), R)], "{viewer:?}");
            assert_eq!(b["min"], 29.3, "10.0 is nowhere: {viewer:?}");
        }
        let d = run(
            &app,
            &officer,
            r#"{ authority(slug: "newham") { plans { measures { code result(period: "2022-23") { value published }
                benchmark(period: "2022-23") { position(authority: "newham") { value source } } } } } }"#,
            Value::Null,
        )
        .await;
        let m = &d["authority"]["plans"][0]["measures"][0];
        assert_eq!(m["result"], json!({ "value": 10.0, "published": false }));
        assert_eq!(
            m["benchmark"]["position"],
            json!({ "value": 45.0, "source": "REFERENCE" })
        );

        // Publishing makes it Newham's value, and the best.
        let admin = token("admin", &["newham:ADMIN"]);
        let d = run(
            &app,
            &admin,
            r#"{ authority(slug: "newham") { plans { id } } }"#,
            Value::Null,
        )
        .await;
        run(
            &app,
            &admin,
            r#"mutation($p: ID!) { publishPeriod(planId: $p, period: "2022-23") { id } }"#,
            json!({ "p": d["authority"]["plans"][0]["id"] }),
        )
        .await;
        let b = benchmark(&app, None, "london-borough").await;
        assert_eq!(rows(&b)[0], ("newham", 10.0, Some(1), Some(1), O));
    }
}

#[tokio::test]
async fn who_may_make_groups_and_load_reference_values() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        thirteen(&app).await;
        let before = app.row_counts().await.unwrap();
        let kent_admin = token("kent-admin", &["kent:ADMIN"]);
        let kent_officer = token("kent-officer", &["kent:OFFICER"]);
        let group = |slug: &str, owner: &str, kind: &str| json!({ "input": { "slug": slug, "name": "Neighbours", "kind": kind, "owner": owner, "members": ["adur"] } });
        let refused = [
            (
                &kent_admin,
                group("croydon-neighbours", "croydon", "NEAREST_NEIGHBOURS"),
                "FORBIDDEN",
            ),
            (&kent_officer, group("kent-others", "kent", "CUSTOM"), "FORBIDDEN"),
            (
                &kent_admin,
                group("kent-again", "kent", "NEAREST_NEIGHBOURS"),
                "CONFLICT",
            ),
            (
                &kent_admin,
                group("london-borough", "kent", "CUSTOM"),
                "BAD_USER_INPUT",
            ),
            (
                &kent_admin,
                group("region-kent", "kent", "CUSTOM"),
                "BAD_USER_INPUT",
            ),
            (
                &kent_admin,
                group("kent-region", "kent", "REGION"),
                "BAD_USER_INPUT",
            ),
        ];
        for (who, vars, code) in refused {
            let codes = app.error_codes_as(who, CREATE_GROUP, vars.clone()).await.unwrap();
            assert_eq!(codes, [code], "{vars}");
        }
        let codes = app
            .error_codes(CREATE_GROUP, group("anyone", "kent", "CUSTOM"))
            .await
            .unwrap();
        assert_eq!(codes, ["UNAUTHENTICATED"]);
        let custom = json!({ "input": { "slug": "kent-others", "name": "Kent and friends", "kind": "CUSTOM", "members": ["adur"] } });
        let codes = app
            .error_codes_as(&kent_admin, CREATE_GROUP, custom)
            .await
            .unwrap();
        assert_eq!(
            codes,
            ["FORBIDDEN"],
            "a group owned by no council is the platform's"
        );

        // Only a platform admin loads reference values or defines metrics,
        // and a batch with one bad row writes nothing.
        let one = json!({ "input": [{ "metricCode": "MISSED", "authority": "kent", "period": "2022-23", "value": 1 }] });
        assert_eq!(
            app.error_codes_as(&kent_admin, SET_VALUES, one.clone())
                .await
                .unwrap(),
            ["FORBIDDEN"]
        );
        assert_eq!(
            app.error_codes(SET_VALUES, one).await.unwrap(),
            ["UNAUTHENTICATED"]
        );
        let metric = json!({ "input": { "code": "X", "title": "X", "unit": "RATE", "polarity": "NONE" } });
        assert_eq!(
            app.error_codes_as(&kent_admin, CREATE_METRIC, metric)
                .await
                .unwrap(),
            ["FORBIDDEN"]
        );
        let root = token("root", &["PLATFORM_ADMIN"]);
        let bad_batches = [
            json!([{ "metricCode": "MISSED", "authority": "adur", "period": "2023-24", "value": 1 },
                   { "metricCode": "MISSED", "authority": "nowhere", "period": "2023-24", "value": 1 }]),
            json!([{ "metricCode": "MISSED", "authority": "adur", "period": "2023-24 Q1", "value": 1 }]),
            json!([{ "metricCode": "NOPE", "authority": "adur", "period": "2023-24", "value": 1 }]),
            json!([{ "metricCode": "MISSED", "authority": "adur", "period": "2023-24", "value": 1 },
                   { "metricCode": "MISSED", "authority": "adur", "period": "2023-24", "value": 2 }]),
            json!((0..1001).map(|_| json!({ "metricCode": "MISSED", "authority": "adur", "period": "2023-24", "value": 1 })).collect::<Vec<_>>()),
        ];
        for batch in bad_batches {
            let codes = app
                .error_codes_as(&root, SET_VALUES, json!({ "input": batch }))
                .await
                .unwrap();
            assert_eq!(codes, ["BAD_USER_INPUT"]);
        }
        // Linking a measure of another unit is refused too.
        let d = run(
            &app,
            &kent_admin,
            r#"{ authority(slug: "kent") { plans { measures { id } } } }"#,
            Value::Null,
        )
        .await;
        let link =
            json!({ "input": { "id": d["authority"]["plans"][0]["measures"][0]["id"], "unit": "PERCENT" } });
        let codes = app
            .error_codes_as(
                &kent_admin,
                r#"mutation($input: UpdateMeasureInput!) { updateMeasure(input: $input) { id } }"#,
                link,
            )
            .await
            .unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"], "a RATE metric's measure stays a RATE");
        assert_eq!(
            app.row_counts().await.unwrap(),
            before,
            "nothing refused was written"
        );

        // What was allowed is in the audit log.
        let d = run(
            &app,
            &kent_admin,
            r#"{ authority(slug: "kent") { auditLog(first: 100) { entries { operation entity } } } }"#,
            Value::Null,
        )
        .await;
        let ops: Vec<(String, String)> = d["authority"]["auditLog"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["operation"].as_str().unwrap().to_owned(),
                    e["entity"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(ops.contains(&("createComparisonGroup".to_owned(), "comparisonGroup".to_owned())));
        let d = run(
            &app,
            &root,
            r#"{ authority(slug: "adur") { auditLog(first: 100) { entries { operation entity actor } } } }"#,
            Value::Null,
        )
        .await;
        assert!(
            d["authority"]["auditLog"]["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["operation"] == "setMetricValues"
                    && e["entity"] == "metricValue"
                    && e["actor"] == "root"),
            "a reference value is in its authority's log"
        );
    }
}

#[tokio::test]
async fn what_cannot_be_a_code_or_slug_names_nothing() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        thirteen(&app).await;
        let d = app
            .data(
                r#"query($c: String!, $s: String!) { metric(code: $c) { code } comparisonGroup(slug: $s) { slug } }"#,
                json!({ "c": "MISSED\u{0}", "s": "kent-neighbours\u{0}" }),
            )
            .await
            .unwrap();
        assert_eq!(
            d,
            json!({ "metric": null, "comparisonGroup": null }),
            "{engine:?}"
        );
        let codes = app
            .error_codes(
                r#"{ metric(code: "MISSED") { benchmark(period: "2022-23", group: "nowhere") { count } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"], "an unknown group");
        let d = app
            .data(
                r#"{ metric(code: "MISSED") { benchmark(period: "2022-23 Q1") { period count } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(
            d["metric"]["benchmark"],
            json!({ "period": "2022-23", "count": 13 }),
            "a quarter of an annual metric is its year"
        );
    }
}

/// A provisional figure never counts in a benchmark (LG Inform's club
/// publishes none): Kent's restated result drops out while provisional, so
/// its row goes (Kent has no reference value), and counts again once final.
#[tokio::test]
async fn a_provisional_figure_stays_out_of_the_benchmark() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        thirteen(&app).await;
        let admin = token("admin", &["kent:ADMIN"]);
        let d = run(
            &app,
            &admin,
            r#"{ authority(slug: "kent") { plans { measures { id } } } }"#,
            Value::Null,
        )
        .await;
        let measure = d["authority"]["plans"][0]["measures"][0]["id"].clone();
        let submit = r#"mutation($m: ID!, $q: DataQuality!) {
          submitResult(input: { measureId: $m, period: "2022-23", value: 30.5, quality: $q }) { quality restated } }"#;
        let d = run(&app, &admin, submit, json!({ "m": measure, "q": "PROVISIONAL" })).await;
        assert_eq!(
            d["submitResult"],
            json!({ "quality": "PROVISIONAL", "restated": true })
        );
        let all = benchmark(&app, None, "all").await;
        let kent: Vec<Row<'_>> = rows(&all).into_iter().filter(|r| r.0 == "kent").collect();
        assert_eq!(kent, [], "{engine:?}: a provisional figure in the benchmark");
        assert_eq!(all["count"], 12);
        let d = run(&app, &admin, submit, json!({ "m": measure, "q": "FINAL" })).await;
        assert_eq!(d["submitResult"]["quality"], "FINAL");
        let all = benchmark(&app, None, "all").await;
        let kent: Vec<Row<'_>> = rows(&all).into_iter().filter(|r| r.0 == "kent").collect();
        assert_eq!(kent, [("kent", 30.5, Some(2), Some(1), O)], "{engine:?}");
        assert_eq!(all["count"], 13);
    }
}
