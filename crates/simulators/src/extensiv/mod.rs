//! A stateful simulator of the Extensiv 3PL Warehouse Manager REST API (formerly 3PL
//! Central, `https://secure-wms.com`), limited to what a catalog connector uses: the token
//! endpoint and a customer's items.
//!
//! What it models, from the public Rels documentation and client code:
//! - `POST /AuthServer/api/Token`: Basic `client_id:client_secret`, JSON body
//!   `{"grant_type":"client_credentials","tpl":"{…}","user_login_id":"…"}` (or `user_login`).
//!   Answers `{access_token, token_type:"Bearer", expires_in, refresh_token:null, scope:null}`.
//!   Tokens expire after a configurable lifetime (default 3600 s) measured on the injectable
//!   [`SimClock`](crate::SimClock); an expired, unknown or revoked token gets a 401 with an empty
//!   body on every API call.
//! - Tenancy: every warehouse (TPL key) has one API client and one or more customers; a token
//!   reaches only its own warehouse's customers (others are 404).
//! - `GET /customers/{id}/items` with `pgsiz` (default 10, 1..=100, else 400
//!   QueryParameterException), `pgnum` (1-based), `rql` (a real parser: `==`, `!=`, `=gt=`,
//!   `=ge=`, `=lt=`, `=le=`, `=in=`, `=out=`, `=hv=`, `;`, `,`, parentheses, wildcards,
//!   double-decoded values) and `sort` (`prop,-prop`); HAL body
//!   `{totalResults, _links{self,next,prev}, _embedded{"http://api.3plCentral.com/rels/customers/item":[…]}}`.
//! - `GET /customers/{id}/items/{itemId}` with an `ETag` (the item's row version).
//! - `POST /customers/{id}/items`: one item; `sku`, `description` and
//!   `options.inventoryUnit.unitIdentifier` required; SKUs unique per customer (trimmed,
//!   case-insensitive); 201 with `ETag` and `Location`. Refusals are 400
//!   ModelValidationException bodies (`$type`, `ModelType`, `Properties[{Name,Value}]`,
//!   `ErrorCode` Required/Duplicate/ValueNotSupported, `Hint`).
//! - `PUT /customers/{id}/items/{itemId}`: replaces every writable member (what the body omits
//!   is gone), keeps `itemId`/`readOnly`; `If-Match` required (428 without it, 412 when stale);
//!   bumps the row version and `readOnly.lastModifiedDate`.
//! - Timestamps are served without a zone (`2024-05-01T10:00:00.123`), in UTC.
//!
//! Fault injection per warehouse, from Rust ([`ExtensivSim`]) or over HTTP (see [`admin`]):
//! N× 429 (optionally with `Retry-After`), a request-rate limit, N× 5xx (plain-text body),
//! timeout after commit, a SKU every write of which is refused, out-of-band edits and creates
//! (just before the next write of a SKU, or at any time, with or without a `lastModifiedDate`
//! bump), token expiry (now or after N more calls) and credential revocation. A request log
//! and counters (token requests, item writes, creates, updates, 412s, 429s, 401s) are readable
//! from Rust and at `/_sim/requests`, `/_sim/stats`.
//!
//! Not modelled: inventory, orders, receivers, item deletion/deactivation endpoints, roles
//! (403), kits, aliases, `/billboard`.
//!
//! ## Seed file (standalone)
//! JSON, either `{"items": [ … ]}` or a bare array; each item as the API serves it, e.g.
//! `{"sku":"MUG-1","description":"Blue mug","upc":"0123","price":9.99,"cost":3.1,
//! "options":{"packageUnit":{"imperial":{"length":4,"width":4,"height":5,"weight":0.9}}}}`.
//! `options.inventoryUnit` defaults to "Each" when `options` is absent. Items go to the
//! customer of the one warehouse the standalone server creates.

pub mod admin;
mod auth;
pub mod faults;
mod handle;
mod http;
mod item;
mod items;
mod persist;
pub mod rql;
mod seed;
mod state;
mod store;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

pub use faults::{FaultRequest, OobAction};
pub use handle::ExtensivSim;
pub use http::ITEM_REL;
pub use state::{LoggedRequest, SimStats, TenantCredentials};

use crate::clock::SimClock;
use crate::server::SimOptions;
use state::{LoggedRequest as Entry, Shared};

/// Largest request body the simulator accepts.
const MAX_BODY: usize = 8 * 1024 * 1024;

const LOGGED_HEADERS: &[&str] = &["authorization", "if-match", "content-type", "accept"];

pub(crate) fn router(state: Shared) -> axum::Router {
    axum::Router::new()
        .route("/AuthServer/api/Token", post(auth::token))
        .route(
            "/customers/{customer_id}/items",
            get(items::list).post(items::create),
        )
        .route(
            "/customers/{customer_id}/items/{item_id}",
            get(items::get_one).put(items::update),
        )
        .nest("/_sim", admin::router())
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

/// Record every API request (not the `/_sim` ones) before it is handled, so a request whose
/// client gave up still appears; its status is filled in when the answer is ready.
async fn log_request(State(st): State<Shared>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/_sim") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return http::empty(axum::http::StatusCode::PAYLOAD_TOO_LARGE),
    };
    let headers = LOGGED_HEADERS
        .iter()
        .filter_map(|name| {
            http::header_str(&parts.headers, name).map(|v| ((*name).to_string(), v.to_string()))
        })
        .collect();
    let seq = st.lock().push_log(Entry {
        seq: 0,
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        at_ms: u64::try_from(st.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        status: 0,
    });
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    st.lock().set_log_status(seq, resp.status().as_u16());
    resp
}

/// Serve a simulator until the process ends: one warehouse with one customer, seeded from
/// `opts.seed_file` or with `opts.generate` generated items; its credentials are printed.
pub async fn serve_standalone(
    listener: tokio::net::TcpListener,
    opts: SimOptions,
) -> std::io::Result<()> {
    let sim = ExtensivSim::new(SimClock::system());
    let creds = sim.add_tenant();
    let seeded = if let Some(path) = &opts.seed_file {
        seed::load_file(&sim, creds.customer_id, path)?
    } else if let Some(n) = opts.generate {
        seed::generate(&sim, creds.customer_id, n, opts.seed)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        n
    } else {
        0
    };
    let addr = listener.local_addr()?;
    println!("Extensiv 3PL Warehouse Manager simulator on http://{addr} ({seeded} items)");
    println!("  base_url       http://{addr}");
    println!("  client_id      {}", creds.client_id);
    println!("  client_secret  {}", creds.client_secret);
    println!("  tpl_key        {}", creds.tpl_key);
    println!("  user_login_id  {}", creds.user_login_id);
    println!("  customer_id    {}", creds.customer_id);
    println!("  facility_id    {}", creds.facility_id);
    axum::serve(listener, sim.router()).await
}

#[cfg(test)]
mod tests;
