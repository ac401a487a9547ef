//! Control endpoints under `/_sim/{site}/…` (a path WordPress never serves), for driving a
//! standalone simulator from outside Rust. The site `_` names the store served at the root.
//!
//! - `POST /_sim/{site}/faults` `{"fault": {...}, "scope": "any|reads|writes", "times": n}`
//! - `DELETE /_sim/{site}/faults` clears queued faults and bad items
//! - `POST /_sim/{site}/bad_items` `{"sku", "code", "message"}`
//! - `POST /_sim/{site}/keys` `{"permissions": "read_write"}` → the new key pair
//! - `POST /_sim/{site}/revoke` `{"consumer_key": "ck_…"}`
//! - `POST /_sim/{site}/edit` `{"id", "bump_modified", "fields": {REST product/variation fields}}`
//! - `POST /_sim/{site}/settings` `{"weight_unit", "dimension_unit", …}`
//! - `GET /_sim/{site}/log`, `GET /_sim/{site}/writes`

use axum::http::Method;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use super::errors::json_response;
use super::faults::{BadItem, Fault, FaultScope};
use super::store::{KeyPermissions, StoreSettings};

#[derive(Deserialize)]
struct FaultRequest {
    fault: Fault,
    #[serde(default)]
    scope: FaultScope,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
struct KeyRequest {
    #[serde(default)]
    permissions: KeyPermissions,
}

#[derive(Deserialize)]
struct RevokeRequest {
    consumer_key: String,
}

#[derive(Deserialize)]
struct EditRequest {
    id: u64,
    #[serde(default)]
    bump_modified: bool,
    fields: Value,
}

fn bad(msg: &str) -> Response {
    json_response(400, &json!({"error": msg}), &[])
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

pub fn handle(shared: &Shared, method: &Method, rest: &str, body: &[u8]) -> Response {
    let Some((site, action)) = rest.split_once('/') else {
        return bad("expected /_sim/{site}/{action}");
    };
    let site = if site == "_" { "" } else { site };
    let Some(store) = shared.store(site) else {
        return json_response(404, &json!({"error": format!("no site {site:?}")}), &[]);
    };
    let result: Result<Value, String> = match (method.clone(), action) {
        (Method::POST, "faults") => parse::<FaultRequest>(body).map(|r| {
            store.push_fault(r.scope, r.fault, r.times);
            json!({"queued": r.times})
        }),
        (Method::DELETE, "faults") => {
            store.clear_faults();
            Ok(json!({"cleared": true}))
        }
        (Method::POST, "bad_items") => parse::<BadItem>(body).map(|b| {
            store.with_store(|s| s.faults.bad_items.push(b));
            json!({"ok": true})
        }),
        (Method::POST, "keys") => {
            parse::<KeyRequest>(body).map(|r| json!(store.issue_key(r.permissions)))
        }
        (Method::POST, "revoke") => parse::<RevokeRequest>(body)
            .map(|r| json!({"revoked": store.revoke_key(&r.consumer_key)})),
        (Method::POST, "edit") => parse::<EditRequest>(body).and_then(|r| {
            store
                .edit_fields(r.id, r.bump_modified, &r.fields)
                .map(|()| json!({"ok": true}))
        }),
        (Method::POST, "settings") => parse::<StoreSettings>(body).map(|s| {
            store.with_store(|st| st.settings = s);
            json!({"ok": true})
        }),
        (Method::GET, "log") => Ok(json!(store.log())),
        (Method::GET, "writes") => Ok(json!({"writes": store.write_count()})),
        _ => return json_response(404, &json!({"error": "unknown action"}), &[]),
    };
    match result {
        Ok(v) => json_response(200, &v, &[]),
        Err(e) => bad(&e),
    }
}
