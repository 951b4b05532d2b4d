//! The analysts' twin of `Query.results`: `GET /feeds/results.csv` and
//! `/feeds/results.json`, taking the same filter as query parameters
//! (`?authority=kent&metric=NI192&from=2021-22`). Always the public's view
//! (published results only, token or not), so that one answer serves
//! everyone. It pages the GraphQL feed by its cursor and streams each page
//! as it comes, so memory stays bounded by one page however long the feed.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::stream;
use schema::Session;
use schema::error::ApiError;
use serde_json::{Value, json};

use crate::graphql::{held, refuse};
use crate::sheets::{csv_text, query};
use crate::state::State;

/// One page of the feed: the largest a connection gives.
const PAGE: &str = r#"query($f: ResultFilter!, $after: String) {
  results(filter: $f, first: 500, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { period value target status direction
      measure { code title unit metric { code } plan { title authority { slug } } } } } } }"#;

const COLUMNS: [&str; 11] = [
    "authority",
    "plan",
    "measure",
    "title",
    "metric",
    "period",
    "value",
    "target",
    "status",
    "direction",
    "unit",
];

/// The parameters the filter takes, as `ResultFilter` names them.
const FILTER: [&str; 10] = [
    "authority",
    "plan",
    "node",
    "measure",
    "metric",
    "partner",
    "kind",
    "from",
    "to",
    "status",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

/// `GET /feeds/results.{csv|json}`.
pub async fn results(
    state: web::Data<State>,
    req: HttpRequest,
    file: web::Path<String>,
    params: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let format = match file.as_str() {
        "results.csv" => Format::Csv,
        "results.json" => Format::Json,
        other => return refuse(&ApiError::NotFound(format!("feed {other}"))),
    };
    let params: BTreeMap<String, String> = params.into_inner().into_iter().collect();
    if let Some(k) = params.keys().find(|k| !FILTER.contains(&k.as_str())) {
        return refuse(&ApiError::BadRequest(format!(
            "unknown parameter `{k}`: the filter takes {}",
            FILTER.join(", ")
        )));
    }
    let tag = match etag(&state, format, &params).await {
        Ok(t) => t,
        Err(e) => return refuse(&e),
    };
    if held(&req, &tag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
            .finish();
    }
    let filter = Value::Object(params.into_iter().map(|(k, v)| (k, Value::String(v))).collect());
    // The first page is read before answering, so that a bad parameter is
    // a 400 rather than a broken stream.
    let first = match page(&state, &req, &filter, None).await {
        Ok(p) => p,
        Err(e) => return refuse(&e),
    };
    let head = match format {
        Format::Csv => csv_line(COLUMNS.iter().map(|c| (*c).to_owned())),
        Format::Json => "[".to_owned(),
    };
    let body = stream::unfold(Some((Some(first), head, true)), move |at| {
        let (state, req, filter) = (state.clone(), req.clone(), filter.clone());
        async move {
            let (next, mut out, mut leading) = at?;
            let Some(p) = next else {
                return Some((Ok::<_, actix_web::Error>(Bytes::from(out)), None));
            };
            for node in p["results"]["edges"].as_array().into_iter().flatten() {
                let row = row(&node["node"]);
                match format {
                    Format::Csv => out.push_str(&csv_line(row.into_iter())),
                    Format::Json => {
                        if !leading {
                            out.push(',');
                        }
                        let object: serde_json::Map<String, Value> = COLUMNS
                            .iter()
                            .map(|c| (*c).to_owned())
                            .zip(row.into_iter().map(Value::String))
                            .collect();
                        out.push_str(&Value::Object(object).to_string());
                    }
                }
                leading = false;
            }
            let info = &p["results"]["pageInfo"];
            let next = if info["hasNextPage"] == true {
                match page(&state, &req, &filter, info["endCursor"].as_str()).await {
                    Ok(p) => Some(p),
                    // Headers are sent: the body ends short, as the client
                    // sees from the missing end of the JSON (or the log).
                    Err(e) => {
                        tracing::warn!(error = %e, "the results feed ended early");
                        return Some((Ok(Bytes::from(out)), None));
                    }
                }
            } else {
                None
            };
            if next.is_none() && format == Format::Json {
                out.push(']');
                return Some((Ok(Bytes::from(out)), None));
            }
            Some((Ok(Bytes::from(out)), Some((next, String::new(), leading))))
        }
    });
    let media = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Json => "application/json",
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::ETAG, tag))
        .streaming(body)
}

const CACHE_CONTROL: &str = "public, max-age=60";

/// The feed's entity tag, known before a row is read: the body is decided
/// by the data version (as the response cache names it), the day (what is
/// due, hence a status, depends on it), the format and the filter, its
/// parameters in one order. A write during a stream changes the version,
/// so a tag never names a body it did not produce.
async fn etag(state: &State, format: Format, params: &BTreeMap<String, String>) -> Result<String, ApiError> {
    let version = schema::store::data_version(&state.db).await?;
    let named = json!({
        "format": format!("{format:?}"),
        "data": version.data,
        "directory": version.directory,
        "day": chrono::Utc::now().date_naive().to_string(),
        "filter": params,
    });
    Ok(crate::cache::etag(named.to_string().as_bytes()))
}

/// One page of the public's feed after `after`.
async fn page(
    state: &State,
    req: &HttpRequest,
    filter: &Value,
    after: Option<&str>,
) -> Result<Value, ApiError> {
    query(
        state,
        req,
        Session::anonymous(),
        PAGE,
        json!({ "f": filter, "after": after }),
    )
    .await
}

/// A result's columns, as text.
fn row(n: &Value) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let m = &n["measure"];
    vec![
        text(&m["plan"]["authority"]["slug"]),
        text(&m["plan"]["title"]),
        text(&m["code"]),
        text(&m["title"]),
        text(&m["metric"]["code"]),
        text(&n["period"]),
        text(&n["value"]),
        text(&n["target"]),
        text(&n["status"]),
        text(&n["direction"]),
        text(&m["unit"]),
    ]
}

/// Columns holding numbers, written as they are: a negative value is no
/// formula.
const NUMBERS: [usize; 2] = [6, 7];

/// One CSV record, its text made inert for spreadsheets.
fn csv_line(cells: impl Iterator<Item = String>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let cells: Vec<String> = cells
        .enumerate()
        .map(|(i, c)| if NUMBERS.contains(&i) { c } else { csv_text(&c) })
        .collect();
    // Writing to a Vec cannot fail but for the CSV rules themselves, which
    // any text satisfies once quoted.
    if w.write_record(&cells).is_err() {
        return String::new();
    }
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}
