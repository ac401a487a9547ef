//! The HTTP front: find the site a request is for, apply queued faults, run the route, log it.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::errors::{WcError, html_response, json_response};
use super::faults::Fault;
use super::params::Query;
use super::routes::{self, Reply, ReplyBody, Req};
use super::store::{LoggedRequest, Store};
use super::{Shared, admin};

impl Reply {
    fn into_http(self) -> Response {
        match self.body {
            ReplyBody::Json(v) => json_response(self.status, &v, &self.headers),
            ReplyBody::Html {
                title,
                text,
                retry_after,
            } => html_response(self.status, &title, &text, retry_after.as_deref()),
        }
    }
}

/// `uri` is echoed the way firewall pages often print the blocked request (query included).
fn before_commit(fault: &Fault, uri: &Uri) -> Reply {
    match fault {
        Fault::TooManyRequests { retry_after } => Reply::html(
            429,
            "Too Many Requests",
            &format!(
                "You have sent too many requests in a given amount of time. Blocked request: {uri}"
            ),
            retry_after.clone(),
        ),
        Fault::ServiceUnavailable { retry_after } => Reply::html(
            503,
            "Service Temporarily Unavailable",
            "The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.",
            retry_after.clone(),
        ),
        Fault::ServerError { status } => {
            let mut e = WcError::critical();
            e.status = *status;
            Reply::error(e)
        }
        _ => Reply::error(WcError::critical()),
    }
}

/// Turn every successful create in `body` into the duplicate-SKU error WooCommerce sometimes
/// answers although the record was saved (issue #28095).
fn invalid_sku_after_commit(store: &Store, status: u16, body: Value) -> (u16, Value) {
    let refusal = |created: &Value| {
        let id = created.get("id").and_then(Value::as_u64).unwrap_or(0);
        let sku = created.get("sku").and_then(Value::as_str).unwrap_or("");
        WcError::new(400, "product_invalid_sku", "Invalid or duplicated SKU.")
            .with("resource_id", json!(id))
            .with("unique_sku", json!(store.unique_sku(sku, 0)))
    };
    if status == 201 {
        return (400, refusal(&body).body());
    }
    let mut body = body;
    if let Some(Value::Array(items)) = body.get_mut("create") {
        for item in items.iter_mut() {
            if item.get("id").and_then(Value::as_u64).unwrap_or(0) > 0 {
                let e = refusal(item);
                *item = json!({"id": 0, "error": {"code": e.code, "message": e.message, "data": e.data_value()}});
            }
        }
    }
    (status, body)
}

fn after_commit(store: &Store, fault: Option<Fault>, reply: Reply) -> (Reply, Option<Duration>) {
    match fault {
        Some(Fault::TimeoutAfterCommit { stall_ms }) => {
            (reply, Some(Duration::from_millis(stall_ms)))
        }
        Some(Fault::ErrorAfterCommit { status }) => (
            Reply::html(
                status,
                if status == 504 {
                    "Gateway Time-out"
                } else {
                    "Bad Gateway"
                },
                "The upstream server did not answer in time.",
                None,
            ),
            None,
        ),
        Some(Fault::InvalidSkuAfterCommit) => match reply.body {
            ReplyBody::Json(v) if reply.status < 300 => {
                let (status, body) = invalid_sku_after_commit(store, reply.status, v);
                (
                    Reply {
                        status,
                        body: ReplyBody::Json(body),
                        headers: reply.headers,
                    },
                    None,
                )
            }
            body => (
                Reply {
                    status: reply.status,
                    body,
                    headers: reply.headers,
                },
                None,
            ),
        },
        _ => (reply, None),
    }
}

fn not_found_page() -> Response {
    html_response(
        404,
        "Page not found",
        "It looks like nothing was found at this location.",
        None,
    )
}

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    if let Some(rest) = path.strip_prefix("/_sim/") {
        return admin::handle(&shared, &method, rest, &body);
    }
    let Some((handle, prefix, below)) = shared.resolve(&path, &headers) else {
        return not_found_page();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let Some(api) = below.strip_prefix("/wp-json/wc/v3/") else {
        if below.starts_with("/wp-json") {
            return WcError::no_route().into_response();
        }
        return not_found_page();
    };
    let query = Query::parse(uri.query());
    let req = Req {
        method: &method,
        segments: api.split('/').filter(|s| !s.is_empty()).collect(),
        query: &query,
        headers: &headers,
        body: &body,
        site_url: format!("http://{host}{prefix}"),
        now: shared.now(),
    };
    let is_write = !matches!(method, Method::GET | Method::HEAD);
    let received_at = chrono::Utc::now();
    let (reply, stall) = handle.with_store(|store| {
        if is_write {
            store.writes += 1;
        }
        let fault = store.faults.take(is_write, &below);
        let reply = match &fault {
            Some(f) if f.is_before_commit() => before_commit(f, &uri),
            _ => routes::dispatch(store, &req),
        };
        let (reply, stall) = after_commit(store, fault, reply);
        store.log.push(LoggedRequest {
            method: method.to_string(),
            path: below.clone(),
            query: uri.query().unwrap_or("").to_owned(),
            body: String::from_utf8_lossy(&body).into_owned(),
            status: reply.status,
            received_at,
        });
        (reply, stall)
    });
    if let Some(d) = stall {
        tokio::time::sleep(d).await;
    }
    reply.into_http()
}
