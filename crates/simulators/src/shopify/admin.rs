//! `/_sim/...`: control endpoints the real API never serves, for driving a standalone
//! simulator from outside Rust (the demo, manual testing).
//!
//! - `GET  /_sim/shops`                          shop domains
//! - `GET  /_sim/shops/{domain}/faults`          current [`Faults`]
//! - `POST /_sim/shops/{domain}/faults`          replace them (JSON [`Faults`])
//! - `POST /_sim/shops/{domain}/revoke`          revoke the shop's tokens (401 from now on)
//! - `POST /_sim/shops/{domain}/restore`         undo `revoke`
//! - `POST /_sim/shops/{domain}/bucket`          `{"maximum_available": 1000, "restore_rate": 50}`
//! - `POST /_sim/shops/{domain}/products`        seed `[SeedProduct]`
//! - `POST /_sim/shops/{domain}/edit`            out-of-band edit, see [`Edit`]
//! - `GET  /_sim/shops/{domain}/requests`        request log
//! - `GET  /_sim/shops/{domain}/stats`           counters
//! - `POST /_sim/clock/advance`                  `{"seconds": 60}` (manual clock only)

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use super::{Faults, SeedProduct, ShopifySim};

pub fn routes() -> Router<ShopifySim> {
    Router::new()
        .route("/_sim/shops", get(shops))
        .route(
            "/_sim/shops/{domain}/faults",
            get(get_faults).post(set_faults),
        )
        .route("/_sim/shops/{domain}/revoke", post(revoke))
        .route("/_sim/shops/{domain}/restore", post(restore))
        .route("/_sim/shops/{domain}/bucket", post(bucket))
        .route("/_sim/shops/{domain}/products", post(seed))
        .route("/_sim/shops/{domain}/edit", post(edit))
        .route("/_sim/shops/{domain}/requests", get(requests))
        .route("/_sim/shops/{domain}/stats", get(stats))
        .route("/_sim/clock/advance", post(advance))
}

fn not_found(domain: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("no shop {domain}")})),
    )
        .into_response()
}

fn exists(sim: &ShopifySim, domain: &str) -> bool {
    sim.shop_domains()
        .iter()
        .any(|d| d == &domain.to_ascii_lowercase())
}

async fn shops(State(sim): State<ShopifySim>) -> Response {
    Json(sim.shop_domains()).into_response()
}

async fn get_faults(State(sim): State<ShopifySim>, Path(domain): Path<String>) -> Response {
    if !exists(&sim, &domain) {
        return not_found(&domain);
    }
    let mut out = Faults::default();
    sim.shop(&domain).faults(|f| out = f.clone());
    Json(out).into_response()
}

async fn set_faults(
    State(sim): State<ShopifySim>,
    Path(domain): Path<String>,
    Json(faults): Json<Faults>,
) -> Response {
    if !exists(&sim, &domain) {
        return not_found(&domain);
    }
    sim.shop(&domain).set_faults(faults);
    StatusCode::NO_CONTENT.into_response()
}

async fn revoke(State(sim): State<ShopifySim>, Path(domain): Path<String>) -> Response {
    if !exists(&sim, &domain) {
        return not_found(&domain);
    }
    sim.shop(&domain).revoke_token();
    StatusCode::NO_CONTENT.into_response()
}

async fn restore(State(sim): State<ShopifySim>, Path(domain): Path<String>) -> Response {
    if !exists(&sim, &domain) {
        return not_found(&domain);
    }
    sim.shop(&domain).restore_token();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct BucketBody {
    maximum_available: f64,
    restore_rate: f64,
}

async fn bucket(
    State(sim): State<ShopifySim>,
    Path(domain): Path<String>,
    Json(b): Json<BucketBody>,
) -> Response {
    if !exists(&sim, &domain) {
        return not_found(&domain);
    }
    sim.shop(&domain)
        .set_bucket(b.maximum_available, b.restore_rate);
    StatusCode::NO_CONTENT.into_response()
}

async fn seed(
    State(sim): State<ShopifySim>,
    Path(domain): Path<String>,
    Json(products): Json<Vec<SeedProduct>>,
) -> Response {
    if !exists(&sim, &domain) {
        return not_found(&domain);
    }
    match sim.shop(&domain).seed(&products) {
        Ok(ids) => Json(ids).into_response(),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": e}))).into_response(),
    }
}

/// An out-of-band edit: of one product (`product_id`) or of every variant with `sku`.
#[derive(Debug, Deserialize)]
pub struct Edit {
    pub product_id: Option<String>,
    pub sku: Option<String>,
    /// Move `updatedAt` to now (merchant edits do; inventory moves do not).
    #[serde(default = "yes")]
    pub bump_updated_at: bool,
    pub title: Option<String>,
    pub vendor: Option<String>,
    pub status: Option<String>,
    pub description_html: Option<String>,
    pub price: Option<Decimal>,
    pub compare_at_price: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub barcode: Option<String>,
    pub new_sku: Option<String>,
}

fn yes() -> bool {
    true
}

async fn edit(
    State(sim): State<ShopifySim>,
    Path(domain): Path<String>,
    Json(e): Json<Edit>,
) -> Response {
    if !exists(&sim, &domain) {
        return not_found(&domain);
    }
    let shop = sim.shop(&domain);
    let changed = if let Some(pid) = &e.product_id {
        usize::from(shop.edit_product(pid, e.bump_updated_at, |p| {
            if let Some(t) = &e.title {
                p.title = t.clone();
            }
            if let Some(v) = &e.vendor {
                p.vendor = v.clone();
            }
            if let Some(s) = &e.status {
                p.status = s.to_ascii_uppercase();
            }
            if let Some(d) = &e.description_html {
                p.description_html = d.clone();
            }
        }))
    } else if let Some(sku) = &e.sku {
        shop.edit_variant_by_sku(sku, e.bump_updated_at, |v| {
            if let Some(p) = e.price {
                v.price = p;
            }
            if let Some(p) = e.compare_at_price {
                v.compare_at_price = Some(p);
            }
            if let Some(c) = e.cost {
                v.cost = Some(c);
            }
            if let Some(b) = &e.barcode {
                v.barcode = Some(b.clone());
            }
            if let Some(s) = &e.new_sku {
                v.sku = s.clone();
            }
        })
    } else {
        0
    };
    Json(json!({ "changed": changed })).into_response()
}

async fn requests(State(sim): State<ShopifySim>, Path(domain): Path<String>) -> Response {
    if !exists(&sim, &domain) {
        return not_found(&domain);
    }
    Json(sim.shop(&domain).requests()).into_response()
}

async fn stats(State(sim): State<ShopifySim>, Path(domain): Path<String>) -> Response {
    if !exists(&sim, &domain) {
        return not_found(&domain);
    }
    Json(sim.shop(&domain).stats()).into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance(State(sim): State<ShopifySim>, Json(a): Json<Advance>) -> Response {
    sim.clock().advance(chrono::Duration::seconds(a.seconds));
    Json(json!({ "now": sim.clock().now().to_rfc3339() })).into_response()
}
