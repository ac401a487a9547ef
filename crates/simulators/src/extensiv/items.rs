//! The items endpoints of a customer:
//! `GET /customers/{id}/items{?pgsiz,pgnum,rql,sort}` (HAL list, default page size 10, at most
//! 100), `GET /customers/{id}/items/{itemId}` (with `ETag`), `POST /customers/{id}/items` (one
//! item; 201 with `ETag` and `Location`), `PUT /customers/{id}/items/{itemId}` (the full item,
//! `If-Match` required: 428 when missing, 412 when stale).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::gate;
use super::http::{
    ITEM_REL, decode_query, empty, encode_component, hal, hal_with_etag, header_str,
    query_parameter,
};
use super::item::{etag, if_match_ok, with_links};
use super::rql;
use super::state::{Inner, Shared, sku_key};
use super::store::{self, Refusal};

const DEFAULT_PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 100;

fn not_found() -> Response {
    empty(StatusCode::NOT_FOUND)
}

/// The customer id when the customer exists and belongs to the caller's warehouse.
fn customer_in(g: &Inner, tenant: &str, raw: &str) -> Option<u64> {
    let id = raw.parse::<u64>().ok()?;
    g.customers
        .get(&id)
        .filter(|c| c.tenant == tenant)
        .map(|_| id)
}

struct ListParams {
    size: usize,
    page: usize,
    rql: Option<(String, rql::Node)>,
    sort: Option<(String, Vec<(rql::Property, bool)>)>,
}

fn list_params(query: Option<&str>) -> Result<ListParams, Box<Response>> {
    let pairs = query.map(decode_query).unwrap_or_default();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let size = match get("pgsiz") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(Box::new(query_parameter(
                    "pgsiz",
                    "NotParsable",
                    &format!("pgsiz must be a number from 1 to {MAX_PAGE_SIZE}"),
                )));
            }
        },
    };
    let page = match get("pgnum") {
        None => 1,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(Box::new(query_parameter(
                    "pgnum",
                    "NotParsable",
                    "pgnum must be a positive number",
                )));
            }
        },
    };
    let rql = match get("rql") {
        None => None,
        Some(text) => match rql::parse(&text) {
            Ok(node) => Some((text, node)),
            Err(e) => return Err(Box::new(query_parameter("rql", "NotParsable", &e.0))),
        },
    };
    let sort = match get("sort") {
        None => None,
        Some(text) => match rql::parse_sort(&text) {
            Ok(keys) => Some((text, keys)),
            Err(e) => return Err(Box::new(query_parameter("sort", "NotParsable", &e.0))),
        },
    };
    Ok(ListParams {
        size,
        page,
        rql,
        sort,
    })
}

fn page_href(customer_id: u64, p: &ListParams, page: usize) -> String {
    let mut q = format!("pgsiz={}&pgnum={page}", p.size);
    if let Some((text, _)) = &p.rql {
        q.push_str(&format!("&rql={}", encode_component(text)));
    }
    if let Some((text, _)) = &p.sort {
        q.push_str(&format!("&sort={}", encode_component(text)));
    }
    format!("/customers/{customer_id}/items?{q}")
}

pub async fn list(
    State(st): State<Shared>,
    Path(customer): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let tenant = match gate(&st, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let params = match list_params(query.as_deref()) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let g = st.lock();
    let Some(customer_id) = customer_in(&g, &tenant, &customer) else {
        return not_found();
    };
    let Some(customer) = g.customers.get(&customer_id) else {
        return not_found();
    };
    // Items are kept in itemId order, which is also the order without a `sort`.
    let mut matched: Vec<&Value> = customer
        .items
        .values()
        .map(|s| &s.value)
        .filter(|v| params.rql.as_ref().is_none_or(|(_, n)| rql::matches(n, v)))
        .collect();
    if let Some((_, keys)) = &params.sort {
        matched.sort_by(|a, b| {
            keys.iter()
                .map(|(p, desc)| {
                    let o = rql::order_items(p, a, b);
                    if *desc { o.reverse() } else { o }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    let total = matched.len();
    let start = (params.page - 1).saturating_mul(params.size);
    let page: Vec<Value> = matched
        .iter()
        .skip(start)
        .take(params.size)
        .map(|v| with_links(v, customer_id))
        .collect();
    let mut links = serde_json::Map::new();
    links.insert(
        "self".into(),
        json!({"href": page_href(customer_id, &params, params.page)}),
    );
    if start + params.size < total {
        links.insert(
            "next".into(),
            json!({"href": page_href(customer_id, &params, params.page + 1)}),
        );
    }
    if params.page > 1 {
        links.insert(
            "prev".into(),
            json!({"href": page_href(customer_id, &params, params.page - 1)}),
        );
    }
    hal(
        StatusCode::OK,
        &json!({
            "totalResults": total,
            "_links": links,
            "_embedded": {ITEM_REL: page},
        }),
    )
}

pub async fn get_one(
    State(st): State<Shared>,
    Path((customer, item)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let tenant = match gate(&st, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let g = st.lock();
    let Some(customer_id) = customer_in(&g, &tenant, &customer) else {
        return not_found();
    };
    let stored = item
        .parse::<u64>()
        .ok()
        .and_then(|id| g.customers.get(&customer_id)?.items.get(&id));
    match stored {
        Some(s) => hal_with_etag(
            StatusCode::OK,
            &with_links(&s.value, customer_id),
            &etag(s.rowversion),
        ),
        None => not_found(),
    }
}

/// The response to a committed write, and how long to stall before sending it (the
/// "timeout after commit" fault).
struct Committed {
    response: Response,
    stall: Option<Duration>,
}

fn take_stall(g: &mut Inner, tenant: &str) -> Option<Duration> {
    let f = &mut g.tenants.get_mut(tenant)?.faults;
    if f.timeout_after_commit_next == 0 {
        return None;
    }
    f.timeout_after_commit_next -= 1;
    Some(f.stall)
}

/// Run what is scheduled before the next write of this SKU, then check the "bad item" fault.
fn before_write(
    g: &mut Inner,
    tenant: &str,
    customer_id: u64,
    sku: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Refusal> {
    let key = sku_key(sku);
    let Some(t) = g.tenants.get_mut(tenant) else {
        return Ok(());
    };
    let action = t.faults.before_next_write.remove(&key);
    let rejected = t.faults.rejected_skus.get(&key).cloned();
    if let Some(action) = action {
        store::apply_oob(g, customer_id, sku, &action, now);
    }
    match rejected {
        Some(hint) => Err(Refusal::NotSupported {
            property: "Sku",
            value: Value::String(sku.to_string()),
            hint,
        }),
        None => Ok(()),
    }
}

async fn finish(c: Committed) -> Response {
    if let Some(d) = c.stall {
        tokio::time::sleep(d).await;
    }
    c.response
}

pub async fn create(
    State(st): State<Shared>,
    Path(customer): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tenant = match gate(&st, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let now = st.now();
    let committed = {
        let mut guard = st.lock();
        let g = &mut *guard;
        let Some(customer_id) = customer_in(g, &tenant, &customer) else {
            return not_found();
        };
        g.stats.item_writes += 1;
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            return Refusal::Required("Body").response();
        };
        let sku = match store::body_sku(&body) {
            Ok(s) => s,
            Err(r) => return r.response(),
        };
        if let Err(r) = before_write(g, &tenant, customer_id, &sku, now) {
            return r.response();
        }
        let item_id = match store::create(g, customer_id, &body, now) {
            Ok(id) => id,
            Err(r) => return r.response(),
        };
        let Some(stored) = g
            .customers
            .get(&customer_id)
            .and_then(|c| c.items.get(&item_id))
        else {
            return not_found();
        };
        let mut response = hal_with_etag(
            StatusCode::CREATED,
            &with_links(&stored.value, customer_id),
            &etag(stored.rowversion),
        );
        if let Ok(loc) = HeaderValue::from_str(&format!("/customers/{customer_id}/items/{item_id}"))
        {
            response.headers_mut().insert(header::LOCATION, loc);
        }
        Committed {
            response,
            stall: take_stall(g, &tenant),
        }
    };
    finish(committed).await
}

pub async fn update(
    State(st): State<Shared>,
    Path((customer, item)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tenant = match gate(&st, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let now = st.now();
    let committed = {
        let mut guard = st.lock();
        let g = &mut *guard;
        let Some(customer_id) = customer_in(g, &tenant, &customer) else {
            return not_found();
        };
        let Some(item_id) = item.parse::<u64>().ok().filter(|id| {
            g.customers
                .get(&customer_id)
                .is_some_and(|c| c.items.contains_key(id))
        }) else {
            return not_found();
        };
        g.stats.item_writes += 1;
        let Some(if_match) = header_str(&headers, "if-match").map(str::to_string) else {
            return empty(StatusCode::PRECONDITION_REQUIRED);
        };
        let current_sku = g
            .customers
            .get(&customer_id)
            .and_then(|c| c.items.get(&item_id))
            .and_then(|s| {
                s.value
                    .get("sku")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let scheduled = sku_key(&current_sku);
        if let Some(action) = g
            .tenants
            .get_mut(&tenant)
            .and_then(|t| t.faults.before_next_write.remove(&scheduled))
        {
            store::apply_oob(g, customer_id, &current_sku, &action, now);
        }
        let rowversion = g
            .customers
            .get(&customer_id)
            .and_then(|c| c.items.get(&item_id))
            .map(|s| s.rowversion)
            .unwrap_or_default();
        if !if_match_ok(&if_match, rowversion) {
            g.stats.conflicts += 1;
            return empty(StatusCode::PRECONDITION_FAILED);
        }
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            return Refusal::Required("Body").response();
        };
        let sku = match store::body_sku(&body) {
            Ok(s) => s,
            Err(r) => return r.response(),
        };
        if let Err(r) = before_write(g, &tenant, customer_id, &sku, now) {
            return r.response();
        }
        if let Err(r) = store::replace(g, customer_id, item_id, &body, now) {
            return r.response();
        }
        let Some(stored) = g
            .customers
            .get(&customer_id)
            .and_then(|c| c.items.get(&item_id))
        else {
            return not_found();
        };
        let response = hal_with_etag(
            StatusCode::OK,
            &with_links(&stored.value, customer_id),
            &etag(stored.rowversion),
        );
        Committed {
            response,
            stall: take_stall(g, &tenant),
        }
    };
    finish(committed).await
}
