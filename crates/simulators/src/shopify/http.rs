//! The HTTP face of the simulator: `POST /admin/api/{version}/graphql.json` exactly as the
//! Admin API answers it (auth, versions, THROTTLED, cost extensions, injected faults).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::ShopifySim;
use super::cost::requested_cost;
use super::exec::{Exec, Obj};
use super::faults::Faults;
use super::gql::{GqlError, OpKind, Prepared};
use super::product_set::product_set;
use super::shop::{LoggedRequest, Shop};

/// Quarterly versions the simulator serves; anything else is served by the oldest, as Shopify
/// falls forward from an unsupported version.
pub const SUPPORTED_VERSIONS: [&str; 7] = [
    "2025-01", "2025-04", "2025-07", "2025-10", "2026-01", "2026-04", "unstable",
];

pub const INVALID_TOKEN_BODY: &str =
    r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#;

const RATE_LIMIT_DOC: &str = "https://shopify.dev/api/usage/rate-limits";

fn json_response(status: StatusCode, body: String, version: &str) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(version) {
        h.insert("x-shopify-api-version", v);
    }
    r
}

fn cost_ext(requested: u64, actual: Option<u64>, status: Value) -> Value {
    json!({
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": status,
        }
    })
}

struct Outcome {
    status: StatusCode,
    body: String,
    throttled: bool,
    operation: Option<String>,
    stall: Option<Duration>,
    retry_after: Option<&'static str>,
}

impl Outcome {
    fn ok(body: Value, throttled: bool, operation: Option<String>) -> Self {
        Self {
            status: StatusCode::OK,
            body: body.to_string(),
            throttled,
            operation,
            stall: None,
            retry_after: None,
        }
    }
}

pub async fn graphql(
    State(sim): State<ShopifySim>,
    Path(version): Path<String>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let served = if SUPPORTED_VERSIONS.contains(&version.as_str()) {
        version.clone()
    } else {
        SUPPORTED_VERSIONS[0].to_owned()
    };
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());
    let body_text = String::from_utf8_lossy(&body).into_owned();
    let path = format!("/admin/api/{version}/graphql.json");
    let now = sim.clock().now();

    let outcome = {
        let mut state = sim.lock();
        let Some(shop) = state.find_shop_mut(host.as_deref(), &token) else {
            return json_response(
                StatusCode::UNAUTHORIZED,
                INVALID_TOKEN_BODY.to_owned(),
                &served,
            );
        };
        let outcome = handle(shop, &body_text, headers.get("content-type"), now);
        shop.log.push(LoggedRequest {
            method: "POST".into(),
            path: path.clone(),
            query: raw_query,
            body: body_text,
            status: outcome.status.as_u16(),
            throttled: outcome.throttled,
            operation: outcome.operation.clone(),
        });
        outcome
    };
    if let Some(d) = outcome.stall {
        tokio::time::sleep(d).await;
    }
    let mut r = json_response(outcome.status, outcome.body, &served);
    if let Some(ra) = outcome.retry_after {
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static(ra));
    }
    r
}

fn error_body(errors: &[GqlError], ext: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert(
        "errors".into(),
        Value::Array(errors.iter().map(GqlError::to_json).collect()),
    );
    if let Some(e) = ext {
        m.insert("extensions".into(), e);
    }
    Value::Object(m)
}

fn handle(
    shop: &mut Shop,
    body: &str,
    content_type: Option<&HeaderValue>,
    now: chrono::DateTime<chrono::Utc>,
) -> Outcome {
    shop.stats.requests += 1;
    if shop.revoked {
        shop.stats.unauthorized += 1;
        return Outcome {
            status: StatusCode::UNAUTHORIZED,
            body: INVALID_TOKEN_BODY.to_owned(),
            throttled: false,
            operation: None,
            stall: None,
            retry_after: None,
        };
    }
    if Faults::take(&mut shop.faults.too_many_requests) {
        shop.stats.too_many_requests += 1;
        return Outcome {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: json!({"errors": "Exceeded the rate limit for this shop. Reduce request rates to resume uninterrupted service."}).to_string(),
            throttled: false,
            operation: None,
            stall: None,
            retry_after: Some("1.0"),
        };
    }
    if Faults::take(&mut shop.faults.server_errors) {
        return server_error(shop);
    }

    // The body: JSON {query, variables, operationName}, or a bare document with
    // `Content-Type: application/graphql`.
    let is_graphql = content_type
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/graphql"));
    let (query, variables, op_name) = if is_graphql {
        (body.to_owned(), None, None)
    } else {
        match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(m)) if m.get("query").is_some_and(Value::is_string) => (
                m.get("query")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                m.get("variables").cloned(),
                m.get("operationName")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            ),
            _ => {
                return Outcome {
                    status: StatusCode::BAD_REQUEST,
                    body: json!({"errors": {"query": "Required parameter missing or invalid"}})
                        .to_string(),
                    throttled: false,
                    operation: None,
                    stall: None,
                    retry_after: None,
                };
            }
        }
    };
    let prep = match Prepared::parse(&query, op_name.as_deref(), variables.as_ref()) {
        Ok(p) => p,
        Err(e) => return Outcome::ok(error_body(&[e], None), false, None),
    };
    let op = Some(match prep.kind {
        OpKind::Query => "query".to_owned(),
        OpKind::Mutation => "mutation".to_owned(),
    });
    if prep.kind == OpKind::Mutation {
        shop.stats.mutation_requests += 1;
        if Faults::take(&mut shop.faults.server_errors_on_mutations) {
            return server_error(shop);
        }
    }
    if let Err(e) = prep.check_fragments() {
        return Outcome::ok(error_body(&[e], None), false, op);
    }
    let requested = match requested_cost(&prep) {
        Ok(c) => c,
        Err(errs) => return Outcome::ok(error_body(&errs, None), false, op),
    };
    if requested > shop.settings.max_query_cost {
        let e = GqlError::new(format!(
            "Query cost is {requested}, which exceeds the single query max cost limit ({}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n",
            shop.settings.max_query_cost
        ))
        .code("MAX_COST_EXCEEDED")
        .ext("cost", json!(requested))
        .ext("maxCost", json!(shop.settings.max_query_cost));
        let status = shop.bucket.status();
        return Outcome::ok(
            error_body(&[e], Some(cost_ext(requested, None, status))),
            false,
            op,
        );
    }
    let injected = Faults::take(&mut shop.faults.throttled);
    if injected || !shop.bucket.try_take(requested as f64) {
        shop.stats.throttled_responses += 1;
        let e = GqlError::new("Throttled")
            .code("THROTTLED")
            .ext("documentation", json!(RATE_LIMIT_DOC));
        let status = shop.bucket.status();
        return Outcome::ok(
            error_body(&[e], Some(cost_ext(requested, None, status))),
            true,
            op,
        );
    }

    let (data, errors, actual) = match prep.kind {
        OpKind::Query => {
            let mut ex = Exec::new(&prep, shop, now);
            let mut path = Vec::new();
            let fields: Vec<_> = prep.collect(prep.root_selection(), "QueryRoot");
            let mut map = Map::new();
            let mut cost = 0;
            for (key, group) in fields {
                path.push(json!(key));
                let (v, c) = ex.object_field(&Obj::Query, "QueryRoot", &group, &mut path);
                path.pop();
                cost += c;
                map.insert(key, v);
            }
            (Value::Object(map), ex.errors, cost)
        }
        OpKind::Mutation => {
            let mut map = Map::new();
            let mut errors = Vec::new();
            let mut cost = 0;
            for (key, group) in prep.collect(prep.root_selection(), "Mutation") {
                let f = group[0];
                let args: Map<String, Value> = f
                    .arguments
                    .iter()
                    .map(|(k, v)| (k.clone(), prep.value(v)))
                    .collect();
                let res = product_set(shop, &args, now);
                if res.committed {
                    shop.stats.committed_writes += 1;
                }
                let payload = Obj::SetPayload {
                    product: res.product_id.and_then(|id| shop.products.get(&id)),
                    errors: res.errors,
                    operation: res.operation,
                };
                let mut ex = Exec::new(&prep, shop, now);
                let mut path = vec![json!(key)];
                let (v, c) = ex.object(&payload, &group, &mut path);
                errors.extend(ex.errors);
                cost += super::cost::MUTATION_COST + c;
                map.insert(key, v);
            }
            (Value::Object(map), errors, cost)
        }
    };
    let refund = (requested as f64 - actual as f64).max(0.0);
    shop.bucket.refund(refund);
    shop.stats.points_consumed += actual.min(requested) as f64;
    shop.stats.points_requested += requested as f64;
    let status = shop.bucket.status();
    let mut body = Map::new();
    body.insert("data".into(), data);
    if !errors.is_empty() {
        body.insert(
            "errors".into(),
            Value::Array(errors.iter().map(GqlError::to_json).collect()),
        );
    }
    body.insert(
        "extensions".into(),
        cost_ext(requested, Some(actual.min(requested)), status),
    );
    let mut outcome = Outcome::ok(Value::Object(body), false, op);
    if prep.kind == OpKind::Mutation && Faults::take(&mut shop.faults.timeouts_after_commit) {
        outcome.stall = Some(Duration::from_millis(
            shop.faults.stall_ms.unwrap_or(30_000),
        ));
    }
    outcome
}

fn server_error(shop: &mut Shop) -> Outcome {
    shop.stats.server_errors += 1;
    let status = StatusCode::from_u16(shop.faults.server_error_status.unwrap_or(503))
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    Outcome {
        status,
        body: json!({"errors": status.canonical_reason().unwrap_or("Internal Server Error")})
            .to_string(),
        throttled: false,
        operation: None,
        stall: None,
        retry_after: None,
    }
}
