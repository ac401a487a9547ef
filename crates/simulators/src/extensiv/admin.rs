//! Test control over HTTP, under `/_sim` (a path the real API never uses):
//!
//! | method & path | body | effect |
//! |---|---|---|
//! | `GET /_sim/requests` | | the request log |
//! | `DELETE /_sim/requests` | | clear it |
//! | `GET /_sim/stats` | | counters |
//! | `POST /_sim/tenants` | | a new warehouse; answers its credentials |
//! | `POST /_sim/clock/advance` | `{"seconds": 3600}` | move a manual clock |
//! | `POST /_sim/token-lifetime` | `{"seconds": 60}` | lifetime of new tokens |
//! | `POST /_sim/customers/{id}/faults` | a fault, e.g. `{"kind":"throttle","count":3}` | see `FaultRequest` |
//! | `POST /_sim/customers/{id}/items` | an item | add it; answers `{"itemId": n}` |
//! | `PATCH /_sim/customers/{id}/items/{itemId}` | `{"patch": {...}, "silent": false}` | out-of-band edit |

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::FaultRequest;
use super::handle::ExtensivSim;
use super::state::Shared;

fn sim(st: Shared) -> ExtensivSim {
    ExtensivSim { state: st }
}

pub(crate) fn router() -> axum::Router<Shared> {
    axum::Router::new()
        .route("/requests", get(requests).delete(clear_requests))
        .route("/stats", get(stats))
        .route("/tenants", post(add_tenant))
        .route("/clock/advance", post(advance_clock))
        .route("/token-lifetime", post(token_lifetime))
        .route("/customers/{customer_id}/faults", post(fault))
        .route("/customers/{customer_id}/items", post(insert_item))
        .route("/customers/{customer_id}/items/{item_id}", patch(edit_item))
}

async fn requests(State(st): State<Shared>) -> Response {
    Json(sim(st).requests()).into_response()
}

async fn clear_requests(State(st): State<Shared>) -> StatusCode {
    sim(st).clear_requests();
    StatusCode::NO_CONTENT
}

async fn stats(State(st): State<Shared>) -> Response {
    Json(sim(st).stats()).into_response()
}

async fn add_tenant(State(st): State<Shared>) -> Response {
    (StatusCode::CREATED, Json(sim(st).add_tenant())).into_response()
}

#[derive(Deserialize)]
struct Seconds {
    seconds: i64,
}

async fn advance_clock(State(st): State<Shared>, Json(body): Json<Seconds>) -> StatusCode {
    st.clock.advance(chrono::Duration::seconds(body.seconds));
    StatusCode::NO_CONTENT
}

async fn token_lifetime(State(st): State<Shared>, Json(body): Json<Seconds>) -> StatusCode {
    let secs = u64::try_from(body.seconds.max(0)).unwrap_or(0);
    sim(st).set_token_lifetime(std::time::Duration::from_secs(secs));
    StatusCode::NO_CONTENT
}

async fn fault(
    State(st): State<Shared>,
    Path(customer_id): Path<u64>,
    Json(request): Json<FaultRequest>,
) -> StatusCode {
    if sim(st).fault(customer_id, request) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn insert_item(
    State(st): State<Shared>,
    Path(customer_id): Path<u64>,
    Json(item): Json<Value>,
) -> Response {
    match sim(st).insert_item(customer_id, item) {
        Ok(id) => (StatusCode::CREATED, Json(json!({"itemId": id}))).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response(),
    }
}

#[derive(Deserialize)]
struct Edit {
    patch: Value,
    #[serde(default)]
    silent: bool,
}

async fn edit_item(
    State(st): State<Shared>,
    Path((customer_id, item_id)): Path<(u64, u64)>,
    Json(edit): Json<Edit>,
) -> StatusCode {
    let s = sim(st);
    let done = if edit.silent {
        s.edit_item_silently(customer_id, item_id, edit.patch)
    } else {
        s.edit_item(customer_id, item_id, edit.patch)
    };
    if done {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}
