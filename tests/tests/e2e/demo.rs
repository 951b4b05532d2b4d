//! The demo councils reproduce their published figures, computed by the API
//! from stored results.

use std::collections::HashMap;

use serde_json::{Value, json};
use tests::{engines, spawn, token};

const RESULTS: &str = r#"query($slug: String!, $period: Period!) {
  authority(slug: $slug) { plans { measures { code result(period: $period) { status direction } } } }
}"#;

/// Counts statuses and directions over every measure's result, client-side.
async fn counts(
    app: &tests::TestApp,
    slug: &str,
    period: &str,
) -> (HashMap<String, u32>, HashMap<String, u32>) {
    let data = app
        .data(RESULTS, json!({ "slug": slug, "period": period }))
        .await
        .unwrap();
    let mut statuses = HashMap::new();
    let mut directions = HashMap::new();
    for plan in data["authority"]["plans"].as_array().unwrap() {
        for m in plan["measures"].as_array().unwrap() {
            let r = &m["result"];
            *statuses
                .entry(r["status"].as_str().unwrap().to_owned())
                .or_default() += 1;
            *directions
                .entry(r["direction"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    (statuses, directions)
}

fn n(map: &HashMap<String, u32>, key: &str) -> u32 {
    map.get(key).copied().unwrap_or(0)
}

#[tokio::test]
async fn the_five_demo_councils_report_and_64_more_are_compared() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let data = app
            .data(
                "{ authorities { slug region onsCode plans { id } } }",
                Value::Null,
            )
            .await
            .unwrap();
        let all = data["authorities"].as_array().unwrap();
        let reporting: Vec<&str> = all
            .iter()
            .filter(|a| !a["plans"].as_array().unwrap().is_empty())
            .map(|a| a["slug"].as_str().unwrap())
            .collect();
        assert_eq!(
            reporting,
            ["croydon", "havering", "kent", "rotherham", "windsor-maidenhead"],
            "{engine:?}"
        );
        assert_eq!(
            all.len(),
            tests::DEMO_AUTHORITIES,
            "the councils of the demo benchmark"
        );
        assert!(
            all.iter()
                .all(|a| a["region"].is_string() && a["onsCode"].is_string())
        );
    }
}

/// The demo's benchmark: DEFRA's household waste recycling rates for
/// 2022-23 (`api/demo/benchmarks/README.md`), Croydon's linked measure
/// placed among the London boroughs.
#[tokio::test]
async fn the_demo_benchmark_places_croydon_among_london_boroughs() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let d = app
            .data(
                r#"{ authority(slug: "croydon") { plans { measures { code metric { code }
                     benchmark(period: "2023-24 Q1", group: "london-borough") { period count median
                       position(authority: "croydon") { value rank quartile source } } } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        let linked: Vec<&Value> = data_measures(&d)
            .into_iter()
            .filter(|m| !m["metric"].is_null())
            .collect();
        assert_eq!(linked.len(), 1, "{engine:?}");
        assert_eq!(linked[0]["code"], "O4.2");
        // Asked at a quarter, the annual metric answers for its year, which
        // has no figures yet; 2022-23 has DEFRA's.
        assert_eq!(linked[0]["benchmark"]["period"], "2023-24");
        assert_eq!(linked[0]["benchmark"]["count"], 0);
        let d = app
            .data(
                r#"{ metric(code: "NI192") { benchmark(period: "2022-23", group: "london-borough") { count median
                     lowerQuartile upperQuartile position(authority: "croydon") { value rank quartile source measure { code } } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        // The 19 London boroughs' rates, sorted: 17.7 23.0 27.3 29.2 30.0
        // 30.8 32.8 33.4 34.2 36.2 36.6 37.1 37.1 43.0 43.3 43.8 46.5 48.4
        // 48.7; median x₉ = 36.2. Croydon's 37.1 ties Hillingdon's for 7th
        // (higher is better: 48.7 48.4 46.5 43.8 43.3 43.0 then 37.1, 37.1),
        // between the median and the upper quartile (h = 13.5: 43.0 + 0.5 ×
        // 0.3 = 43.15): second quarter. Lower quartile h = 4.5: 30.4. The
        // README quotes these figures.
        assert_eq!(
            d["metric"]["benchmark"],
            json!({ "count": 19, "median": 36.2, "lowerQuartile": 30.4, "upperQuartile": 43.15, "position": { "value": 37.1, "rank": 7, "quartile": 2,
                    "source": "REFERENCE", "measure": { "code": "O4.2" } } }),
            "{engine:?}"
        );
    }
}

fn data_measures(d: &Value) -> Vec<&Value> {
    d["authority"]["plans"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["measures"].as_array().unwrap())
        .collect()
}

#[tokio::test]
async fn kent_qpr_2023_24_q1_counts_from_every_result() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (s, d) = counts(&app, "kent", "2023-24 Q1").await;
        assert_eq!(s.values().sum::<u32>(), 38, "{engine:?}");
        assert_eq!(
            (n(&s, "GREEN"), n(&s, "AMBER"), n(&s, "RED")),
            (16, 11, 11),
            "{engine:?}"
        );
        assert_eq!(
            (n(&d, "IMPROVING"), n(&d, "STABLE"), n(&d, "DECLINING")),
            (4, 24, 10),
            "{engine:?}"
        );
        let (_, d) = counts(&app, "kent", "2022-23 Q4").await;
        assert_eq!(
            (n(&d, "IMPROVING"), n(&d, "STABLE"), n(&d, "DECLINING")),
            (2, 24, 11),
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn rotherham_council_plan_q2_and_q1_counts_from_every_result() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (s, d) = counts(&app, "rotherham", "2019-20 Q2").await;
        assert_eq!(s.values().sum::<u32>(), 69);
        let rated = n(&s, "GREEN") + n(&s, "AMBER") + n(&s, "RED");
        assert_eq!((n(&s, "GREEN"), rated, n(&s, "RED")), (28, 54, 18), "{engine:?}");
        let judged = n(&d, "IMPROVING") + n(&d, "STABLE") + n(&d, "DECLINING");
        assert_eq!((n(&d, "IMPROVING"), judged), (30, 54), "{engine:?}");
        let pct = |a: u32, b: u32| (f64::from(a) * 100.0 / f64::from(b)).round();
        assert_eq!(pct(28, rated), 52.0);
        assert_eq!(pct(n(&d, "IMPROVING"), judged), 56.0);

        let (s, d) = counts(&app, "rotherham", "2019-20 Q1").await;
        let rated = n(&s, "GREEN") + n(&s, "AMBER") + n(&s, "RED");
        let judged = n(&d, "IMPROVING") + n(&d, "STABLE") + n(&d, "DECLINING");
        assert_eq!(pct(n(&s, "GREEN"), rated), 55.0, "{engine:?}");
        assert_eq!(pct(n(&d, "IMPROVING"), judged), 53.0, "{engine:?}");
    }
}

#[tokio::test]
async fn breakdowns_give_the_published_figures() {
    let q = r#"{
      kent: authority(slug: "kent") { plans { breakdown(period: "2023-24 Q1") {
        total green amber red noTarget noData improving stable declining notComparable percentGreen percentImproving } } }
      rq2: authority(slug: "rotherham") { plans { breakdown(period: "2019-20 Q2") { red percentGreen percentImproving } } }
      rq1: authority(slug: "rotherham") { plans { breakdown(period: "2019-20 Q1") { percentGreen percentImproving } } }
      rbwm: authority(slug: "windsor-maidenhead") { panels { name breakdown(period: "2020-21 Q2") { red } } }
    }"#;
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let d = app.data(q, Value::Null).await.unwrap();
        let k = &d["kent"]["plans"][0]["breakdown"];
        assert_eq!(
            [
                &k["total"],
                &k["green"],
                &k["amber"],
                &k["red"],
                &k["improving"],
                &k["stable"],
                &k["declining"]
            ],
            [
                &json!(38),
                &json!(16),
                &json!(11),
                &json!(11),
                &json!(4),
                &json!(24),
                &json!(10)
            ],
            "{engine:?}"
        );
        let r2 = &d["rq2"]["plans"][0]["breakdown"];
        assert_eq!(r2["red"], 18);
        assert_eq!(r2["percentGreen"].as_f64().unwrap().round(), 52.0);
        assert_eq!(r2["percentImproving"].as_f64().unwrap().round(), 56.0);
        let r1 = &d["rq1"]["plans"][0]["breakdown"];
        assert_eq!(r1["percentGreen"].as_f64().unwrap().round(), 55.0);
        assert_eq!(r1["percentImproving"].as_f64().unwrap().round(), 53.0);
        let panel = &d["rbwm"]["panels"][0];
        assert_eq!(
            panel["name"],
            "Adults, Children and Health Overview and Scrutiny Panel"
        );
        assert_eq!(panel["breakdown"]["red"], 3, "{engine:?}");
    }
}

const HAVERING: &str = r#"{ authority(slug: "havering") { plans { id
  breakdown(period: "2013-14 Q4") { total green amber red noTarget noData }
  measures { code result(period: "2013-14 Q4") { value target previousValue status } } } } }"#;

/// Havering's breakdown and each measure's result at 2013-14 Q4.
async fn havering(app: &tests::TestApp) -> (Value, HashMap<String, Value>) {
    let d = app.data(HAVERING, Value::Null).await.unwrap();
    let plan = &d["authority"]["plans"][0];
    let results = plan["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["code"].as_str().unwrap().to_owned(), m["result"].clone()))
        .collect();
    (plan.clone(), results)
}

/// Havering's Quarter 4 2013/14 report (`api/demo/havering/`): 50
/// indicators, 46 rated, 38 green, 2 amber, 6 red, by its own rule. The
/// same figures rated by a tolerance band give other counts: the rule, not
/// the data, decides.
#[tokio::test]
async fn havering_q4_2013_14_rates_by_improvement_on_the_same_quarter_last_year() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (plan, results) = havering(&app).await;
        let b = &plan["breakdown"];
        assert_eq!(
            b,
            &json!({ "total": 50, "green": 38, "amber": 2, "red": 6, "noTarget": 2, "noData": 2 }),
            "{engine:?}"
        );
        let status = |code: &str| results[code]["status"].as_str().unwrap().to_owned();
        let figures = |code: &str| {
            let r = &results[code];
            (
                r["value"].as_f64(),
                r["target"].as_f64(),
                r["previousValue"].as_f64(),
            )
        };
        // Short of target by less than 10%, worse than last year: green.
        assert_eq!(figures("ENV1"), (Some(33.1), Some(36.0), Some(34.9)));
        assert_eq!(status("ENV1"), "GREEN", "{engine:?}");
        // Exactly 10% off, in each polarity: green.
        assert_eq!(figures("IND6"), (Some(36.0), Some(40.0), Some(37.0)));
        assert_eq!(status("IND6"), "GREEN");
        assert_eq!(figures("TC9"), (Some(2.2), Some(2.0), Some(1.9)));
        assert_eq!(status("TC9"), "GREEN");
        // More than 10% off: amber improved (lower is better) or maintained,
        // red worse than the same quarter last year, better though it is
        // than the quarter before.
        assert_eq!(figures("LRN2"), (Some(9.1), Some(7.0), Some(9.8)));
        assert_eq!(status("LRN2"), "AMBER", "{engine:?}");
        assert_eq!(figures("VAL5"), (Some(76.0), Some(90.0), Some(76.0)));
        assert_eq!(status("VAL5"), "AMBER", "maintained");
        assert_eq!(figures("VAL8"), (Some(26.3), Some(20.0), Some(24.1)));
        assert_eq!(status("VAL8"), "RED");
        // Not rated: tracking, no target yet, no figure yet.
        assert_eq!(
            ["ENV9", "TC10", "IND11", "VAL10"].map(status),
            ["NO_TARGET", "NO_TARGET", "NO_DATA", "NO_DATA"]
        );

        // The same figures under Rotherham's rule: the eight greens short of
        // target turn amber, the two ambers red.
        let admin = token("admin", &["havering:ADMIN"]);
        app.data_as(
            &admin,
            r#"mutation($id: ID!) { updatePlan(input: { id: $id, ragRule: { method: TOLERANCE } }) { id } }"#,
            json!({ "id": plan["id"] }),
        )
        .await
        .unwrap();
        let (plan, results) = havering(&app).await;
        assert_eq!(
            plan["breakdown"],
            json!({ "total": 50, "green": 30, "amber": 8, "red": 8, "noTarget": 2, "noData": 2 }),
            "{engine:?}"
        );
        let status = |code: &str| results[code]["status"].as_str().unwrap().to_owned();
        assert_eq!(
            ["ENV1", "IND6", "TC9", "LRN2", "VAL5", "VAL8"].map(status),
            ["AMBER", "AMBER", "AMBER", "RED", "RED", "RED"],
            "{engine:?}"
        );
    }
}
