//! ShipBob simulator: the dated product API (`/2025-07`, `/2026-01`, `/2026-07`) as ShipBob
//! documents it, for tests, benchmarks and `techoms demo`.
//!
//! What it models:
//! - Personal access tokens (`Authorization: Bearer`), several merchants in one server, each
//!   seeing only its own products; unknown or revoked tokens get a bare `401` with a Bearer
//!   challenge. A `shipbob_channel_id` header, when sent, must name the merchant's API channel
//!   (else `403`); the dated product endpoints do not require it.
//! - Products as containers of variants; the variant carries the SKU, unique per merchant
//!   (compared trimmed and case-insensitively). `POST /product`, `GET /product/{id}`,
//!   `PATCH /product/{id}` (merge patch, variants by `id`), `GET|POST|PATCH
//!   /product/{id}/variants`. A create or SKU change that collides answers `422` with
//!   validation problem details; other refusals answer `400` problem details.
//! - `GET /product` with `SKU`, `Search`, `LastUpdatedTimestamp` (inclusive, on the product's
//!   `updated_on`, which API writes to a variant move), `ProductId`, `VariantId`, `Barcode`,
//!   `VariantStatus`, `PageSize` (1–250, default 50), `SortBy=Id`, `SortOrder`, and paging by
//!   cursor: the body is `{first, items, last, next, prev}` and `next` is a relative link to
//!   follow as is.
//! - Weight in ounces and dimensions in inches; responses wrap them with their unit
//!   (`weight: {weight, unit: "oz"}`, `dimension: {length, width, height, unit: "in"}`),
//!   requests take plain numbers.
//! - The rate limit: a sliding window per token (150 requests per 60 s by default,
//!   configurable), `x-remaining-calls` on every answer, and on `429` the documented body
//!   `{"statusCode":429,"message":"Rate limit is exceeded. Try again in N seconds."}` with
//!   `x-retry-after: N`.
//! - Faults per merchant ([`FaultRule`]): N× 429, N× 5xx (optionally after committing), a
//!   write committed and then answered too late for the client, SKUs every write refuses, edits
//!   made in ShipBob's app with or without a timestamp bump, token revocation. A request log
//!   (never holding the token) and a count of write calls per merchant.
//!
//! Not modelled: the 1.0/2.0 APIs, bundles, taxonomies, channel metadata writes, inventory,
//! orders and webhooks.
//!
//! Admin endpoints (JSON) under `/_sim`: `GET|DELETE /_sim/requests`; `GET|POST
//! /_sim/accounts` (`{"name"}`); `POST|DELETE /_sim/accounts/{user_id}/faults` (a
//! [`FaultRule`], e.g. `{"scope":"writes","times":2,"fault":{"kind":"server_error",
//! "status":503,"after_commit":true}}`); `POST /_sim/accounts/{user_id}/bad_skus`
//! (`{"sku","message"}`); `POST /_sim/accounts/{user_id}/tokens`; `POST
//! /_sim/accounts/{user_id}/revoke` (`{"token"}` or `{}` for all); `GET|POST
//! /_sim/accounts/{user_id}/products` (out-of-band create, a `POST /product` body); `POST
//! /_sim/accounts/{user_id}/edit` (`{"sku","bump_timestamps","changes":{…}}`); `PUT
//! /_sim/rate_limit` (`{"requests","window_seconds"}`); `POST /_sim/clock/advance`
//! (`{"seconds"}`, manual clock only).
//!
//! Seed file format (`SimOptions::seed_file`):
//!
//! ```json
//! { "accounts": [ { "name": "Demo merchant",
//!     "products": [ { "name": "Light Roast Coffee", "type_id": 1,
//!       "variants": [ { "sku": "LRC-12", "name": "Light Roast Coffee 12oz",
//!         "weight": 12.5, "dimension": { "length": 6, "width": 4, "height": 2 },
//!         "barcodes": [ { "value": "0123456789012" } ], "status_id": 0 } ] } ] } ] }
//! ```
//!
//! Each product has the shape of a `POST /{version}/product` body.

mod faults;
mod gateway;
mod handle;
mod paging;
mod persist;
mod ratelimit;
mod requests;
mod routes;
mod seed;
mod state;
mod store;
mod views;

pub use faults::{Fault, FaultRule, Scope};
pub use gateway::VERSIONS;
pub use handle::{Merchant, ShipBobSim};
pub use state::LoggedRequest;

use crate::clock::SimClock;
use crate::server::SimOptions;

/// Run the simulator on `listener` until the process ends, seeded from `opts`, printing the
/// credentials a client needs.
pub async fn serve_standalone(
    listener: tokio::net::TcpListener,
    opts: SimOptions,
) -> std::io::Result<()> {
    let sim = ShipBobSim::new(SimClock::system());
    let mut merchants = Vec::new();
    if let Some(path) = &opts.seed_file {
        merchants.extend(seed::from_file(&sim, path)?);
    }
    if let Some(n) = opts.generate {
        merchants.push(seed::generate(&sim, n, opts.seed));
    }
    if merchants.is_empty() {
        merchants.push(sim.add_merchant("Demo merchant"));
    }
    let addr = listener.local_addr()?;
    println!("shipbob simulator listening on http://{addr}");
    for m in &merchants {
        println!(
            "merchant {:?}: user_id={} access_token={} shipbob_channel_id={} products={}",
            m.name,
            m.user_id,
            m.token,
            m.channel_id,
            sim.product_count(m.user_id)
        );
    }
    axum::serve(listener, sim.router()).await
}

#[cfg(test)]
mod tests;
