//! The HTTP surface: the ShipBob API (everything under `/{version}/`) and the simulator's own
//! admin endpoints under `/_sim/`, a prefix the real API never uses.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::FaultRule;
use super::gateway::{Incoming, Reply};
use super::handle::ShipBobSim;

pub fn router(sim: ShipBobSim) -> Router {
    let admin = Router::new()
        .route("/requests", get(requests).delete(clear_requests))
        .route("/accounts", get(accounts).post(add_account))
        .route(
            "/accounts/{user_id}/faults",
            post(add_fault).delete(clear_faults),
        )
        .route("/accounts/{user_id}/bad_skus", post(bad_sku))
        .route("/accounts/{user_id}/tokens", post(new_token))
        .route("/accounts/{user_id}/revoke", post(revoke))
        .route(
            "/accounts/{user_id}/products",
            get(products).post(create_product),
        )
        .route("/accounts/{user_id}/edit", post(edit))
        .route("/rate_limit", put(rate_limit))
        .route("/clock/advance", post(advance_clock));
    Router::new()
        .nest("/_sim", admin)
        .fallback(api)
        .with_state(sim)
}

async fn api(
    State(sim): State<ShipBobSim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = sim.process(&Incoming {
        method: &method,
        path: uri.path(),
        query: uri.query(),
        headers: &headers,
        body: &body,
    });
    if let Some(stall) = reply.stall {
        tokio::time::sleep(stall).await;
    }
    into_response(reply)
}

fn into_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match reply.body {
        Some(body) => (status, Json(body)).into_response(),
        None => status.into_response(),
    };
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(HeaderName::from_static(name), v);
        }
    }
    resp
}

async fn requests(State(sim): State<ShipBobSim>) -> Json<Value> {
    Json(json!(sim.requests()))
}

async fn clear_requests(State(sim): State<ShipBobSim>) -> StatusCode {
    sim.clear_requests();
    StatusCode::NO_CONTENT
}

fn merchant_json(m: &super::handle::Merchant, sim: &ShipBobSim) -> Value {
    json!({
        "user_id": m.user_id,
        "name": m.name,
        "access_token": m.token,
        "shipbob_channel_id": m.channel_id,
        "products": sim.product_count(m.user_id),
        "variants": sim.variant_count(m.user_id),
        "write_calls": sim.write_calls(m.user_id),
    })
}

async fn accounts(State(sim): State<ShipBobSim>) -> Json<Value> {
    Json(Value::Array(
        sim.merchants()
            .iter()
            .map(|m| merchant_json(m, &sim))
            .collect(),
    ))
}

#[derive(Deserialize)]
struct NewAccount {
    name: String,
}

async fn add_account(
    State(sim): State<ShipBobSim>,
    Json(req): Json<NewAccount>,
) -> (StatusCode, Json<Value>) {
    let m = sim.add_merchant(&req.name);
    (StatusCode::CREATED, Json(merchant_json(&m, &sim)))
}

async fn add_fault(
    State(sim): State<ShipBobSim>,
    Path(user_id): Path<u64>,
    Json(rule): Json<FaultRule>,
) -> StatusCode {
    sim.inject(user_id, rule);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(sim): State<ShipBobSim>, Path(user_id): Path<u64>) -> StatusCode {
    sim.clear_faults(user_id);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct BadSku {
    sku: String,
    message: String,
}

async fn bad_sku(
    State(sim): State<ShipBobSim>,
    Path(user_id): Path<u64>,
    Json(req): Json<BadSku>,
) -> StatusCode {
    sim.refuse_sku(user_id, &req.sku, &req.message);
    StatusCode::NO_CONTENT
}

async fn new_token(State(sim): State<ShipBobSim>, Path(user_id): Path<u64>) -> Response {
    match sim.issue_token(user_id) {
        Some(t) => (StatusCode::CREATED, Json(json!({ "access_token": t }))).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize, Default)]
struct Revoke {
    /// One token; all of the merchant's tokens when absent.
    token: Option<String>,
}

async fn revoke(
    State(sim): State<ShipBobSim>,
    Path(user_id): Path<u64>,
    body: Bytes,
) -> StatusCode {
    let req: Revoke = serde_json::from_slice(&body).unwrap_or_default();
    match req.token {
        Some(t) => {
            if !sim.revoke_token(&t) {
                return StatusCode::NOT_FOUND;
            }
        }
        None => sim.revoke_all(user_id),
    }
    StatusCode::NO_CONTENT
}

async fn products(State(sim): State<ShipBobSim>, Path(user_id): Path<u64>) -> Json<Value> {
    Json(Value::Array(sim.products(user_id)))
}

async fn create_product(
    State(sim): State<ShipBobSim>,
    Path(user_id): Path<u64>,
    Json(body): Json<Value>,
) -> Response {
    match sim.create_product(user_id, &body) {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(e)).into_response(),
    }
}

#[derive(Deserialize)]
struct Edit {
    sku: String,
    #[serde(default = "yes")]
    bump_timestamps: bool,
    changes: Value,
}

fn yes() -> bool {
    true
}

async fn edit(
    State(sim): State<ShipBobSim>,
    Path(user_id): Path<u64>,
    Json(req): Json<Edit>,
) -> Response {
    match sim.edit_variant(user_id, &req.sku, &req.changes, req.bump_timestamps) {
        Ok(v) => Json(v).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(e)).into_response(),
    }
}

#[derive(Deserialize)]
struct RateLimitReq {
    requests: u32,
    window_seconds: f64,
}

async fn rate_limit(State(sim): State<ShipBobSim>, Json(req): Json<RateLimitReq>) -> StatusCode {
    if !(req.window_seconds.is_finite() && req.window_seconds > 0.0) || req.requests == 0 {
        return StatusCode::BAD_REQUEST;
    }
    sim.set_rate_limit(
        req.requests,
        std::time::Duration::from_secs_f64(req.window_seconds),
    );
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(State(sim): State<ShipBobSim>, Json(req): Json<Advance>) -> StatusCode {
    sim.clock().advance(chrono::Duration::seconds(req.seconds));
    StatusCode::NO_CONTENT
}
