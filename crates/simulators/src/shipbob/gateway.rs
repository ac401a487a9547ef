//! The API front door: every `/{version}/...` request passes authentication, the rate
//! limiter, the channel check and fault injection here, is logged, and is then routed to the
//! product endpoints.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use serde_json::Value;

use super::faults::Fault;
use super::paging;
use super::requests;
use super::state::{LOG_CAPACITY, LoggedRequest, SimState};
use super::store::{OpError, Product, ProductInput, VariantInput, sku_key};
use super::views;

/// API versions whose product endpoints this simulator serves (same shapes in all three).
pub const VERSIONS: [&str; 3] = ["2025-07", "2026-01", "2026-07"];

pub struct Incoming<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// What to answer, and how long to hold the answer back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
    pub stall: Option<Duration>,
}

impl Reply {
    fn new(status: u16, body: Option<Value>) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
            stall: None,
        }
    }
}

fn op_error(e: OpError, seq: u64) -> Reply {
    match e {
        OpError::NotFound => Reply::new(404, Some(views::not_found(seq))),
        OpError::Invalid(errs) => Reply::new(400, Some(views::validation_problem(400, &errs, seq))),
        OpError::Duplicate(errs) => {
            Reply::new(422, Some(views::validation_problem(422, &errs, seq)))
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub fn process(state: &mut SimState, req: &Incoming<'_>) -> Reply {
    let seq = state.next_seq();
    let body_for_log = (!req.body.is_empty()).then(|| {
        serde_json::from_slice(req.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(req.body).into_owned()))
    });
    let channel_header = req
        .headers
        .get("shipbob_channel_id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if state.log.len() >= LOG_CAPACITY {
        state.log.drain(..LOG_CAPACITY / 10);
    }
    state.log.push(LoggedRequest {
        seq,
        user_id: None,
        method: req.method.to_string(),
        path: req.path.to_owned(),
        query: req.query.map(str::to_owned),
        shipbob_channel_id: channel_header.clone(),
        body: body_for_log,
        status: 0,
    });
    let idx = state.log.len() - 1;
    let (user_id, reply) = admit_and_route(state, req, seq, channel_header.as_deref());
    if let Some(entry) = state.log.get_mut(idx) {
        entry.user_id = user_id;
        entry.status = reply.status;
    }
    reply
}

fn admit_and_route(
    state: &mut SimState,
    req: &Incoming<'_>,
    seq: u64,
    channel_header: Option<&str>,
) -> (Option<u64>, Reply) {
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let Some((&version, rest)) = segments.split_first() else {
        return (None, Reply::new(404, None));
    };
    if !VERSIONS.contains(&version) {
        return (None, Reply::new(404, None));
    }
    // Unknown, missing and revoked tokens all get a bare 401 with a Bearer challenge.
    let now = state.clock.now();
    let rate = state.rate;
    let token = bearer(req.headers)
        .and_then(|t| state.tokens.get_mut(t))
        .filter(|t| !t.revoked);
    let Some(token) = token else {
        let mut r = Reply::new(401, None);
        r.headers.push((
            "www-authenticate",
            "Bearer error=\"invalid_token\"".to_owned(),
        ));
        return (None, r);
    };
    let user_id = token.user_id;
    let remaining = match token.window.admit(now, rate) {
        Ok(r) => r,
        Err(secs) => return (Some(user_id), throttled(secs)),
    };
    let is_write = req.method != Method::GET;
    // Decide under a short borrow of the account; routing needs the whole state.
    let (channel_ok, fault) = {
        let Some(account) = state.accounts.get_mut(&user_id) else {
            return (Some(user_id), Reply::new(401, None));
        };
        let channel_ok =
            channel_header.is_none_or(|c| c.trim().parse::<u64>().ok() == Some(account.channel_id));
        let fault = if channel_ok {
            if is_write {
                account.write_calls += 1;
            }
            account.faults.take(is_write)
        } else {
            None
        };
        (channel_ok, fault)
    };
    let mut reply = if !channel_ok {
        Reply::new(
            403,
            Some(serde_json::json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.4",
                "title": "Forbidden",
                "status": 403,
                "detail": "The channel in shipbob_channel_id does not exist or does not belong to this user.",
                "traceId": views::trace_id(seq),
            })),
        )
    } else {
        match fault {
            Some(Fault::Throttle { retry_after_secs }) => throttled(retry_after_secs),
            Some(Fault::ServerError {
                status,
                after_commit,
            }) => {
                if after_commit {
                    let _ = route(state, user_id, version, rest, req, seq);
                }
                Reply::new(status, Some(views::server_error(status, seq)))
            }
            Some(Fault::StallAfterCommit { stall_ms }) => {
                let mut r = route(state, user_id, version, rest, req, seq);
                r.stall = Some(Duration::from_millis(stall_ms));
                r
            }
            None => route(state, user_id, version, rest, req, seq),
        }
    };
    if reply.status != 429 {
        reply
            .headers
            .push(("x-remaining-calls", remaining.to_string()));
    }
    (Some(user_id), reply)
}

fn throttled(secs: u64) -> Reply {
    let mut r = Reply::new(429, Some(views::rate_limited(secs)));
    r.headers.push(("x-retry-after", secs.to_string()));
    r.headers.push(("x-remaining-calls", "0".to_owned()));
    r
}

fn route(
    state: &mut SimState,
    user_id: u64,
    version: &str,
    rest: &[&str],
    req: &Incoming<'_>,
    seq: u64,
) -> Reply {
    let id = |s: &str| s.parse::<u64>().ok();
    match (req.method, rest) {
        (&Method::GET, ["product"]) => list(state, user_id, version, req, seq),
        (&Method::POST, ["product"]) => create(state, user_id, req, seq),
        (&Method::GET, ["product", pid]) => {
            match id(pid).and_then(|pid| render_product(state, user_id, pid)) {
                Some(v) => Reply::new(200, Some(v)),
                None => Reply::new(404, Some(views::not_found(seq))),
            }
        }
        (&Method::PATCH, ["product", pid]) => match id(pid) {
            Some(pid) => patch(state, user_id, pid, req, seq, false),
            None => Reply::new(404, Some(views::not_found(seq))),
        },
        (&Method::GET, ["product", pid, "variants"]) => {
            match id(pid).and_then(|pid| render_product(state, user_id, pid)) {
                Some(v) => Reply::new(
                    200,
                    Some(v.get("variants").cloned().unwrap_or(Value::Array(vec![]))),
                ),
                None => Reply::new(404, Some(views::not_found(seq))),
            }
        }
        (&Method::POST, ["product", pid, "variants"]) => match id(pid) {
            Some(pid) => add_variants(state, user_id, pid, req, seq),
            None => Reply::new(404, Some(views::not_found(seq))),
        },
        (&Method::PATCH, ["product", pid, "variants"]) => match id(pid) {
            Some(pid) => patch(state, user_id, pid, req, seq, true),
            None => Reply::new(404, Some(views::not_found(seq))),
        },
        (_, ["product", ..]) => Reply::new(405, None),
        _ => Reply::new(404, None),
    }
}

fn render_product(state: &SimState, user_id: u64, pid: u64) -> Option<Value> {
    let account = state.accounts.get(&user_id)?;
    account
        .catalog
        .products
        .get(&pid)
        .map(|p| views::product(p, user_id))
}

fn list(state: &SimState, user_id: u64, version: &str, req: &Incoming<'_>, seq: u64) -> Reply {
    let uri = format!("/?{}", req.query.unwrap_or_default());
    let pairs = uri
        .parse::<axum::http::Uri>()
        .ok()
        .and_then(|u| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&u).ok())
        .map(|q| q.0);
    let Some(pairs) = pairs else {
        return op_error(
            OpError::Invalid(vec![(
                "query".to_owned(),
                "The query string is not valid.".to_owned(),
            )]),
            seq,
        );
    };
    let q = match paging::parse(pairs) {
        Ok(q) => q,
        Err(errs) => return op_error(OpError::Invalid(errs), seq),
    };
    let Some(account) = state.accounts.get(&user_id) else {
        return Reply::new(401, None);
    };
    let base = format!("/{version}/product");
    let render = |p: &Product| views::product(p, user_id);
    // A SKU filter names at most one product: look it up instead of walking the catalog.
    let body = match &q.sku {
        Some(sku) => {
            let one: BTreeMap<u64, Product> = account
                .catalog
                .find_sku(sku)
                .map(|(p, _)| (p.id, p.clone()))
                .into_iter()
                .collect();
            paging::page(&one, &q, &base, render)
        }
        None => paging::page(&account.catalog.products, &q, &base, render),
    };
    Reply::new(200, Some(body))
}

/// A write naming a SKU marked bad is refused, as ShipBob refuses an item it cannot accept.
fn bad_sku(
    state: &SimState,
    user_id: u64,
    variants: &[VariantInput],
    existing: Option<u64>,
) -> Option<OpError> {
    let account = state.accounts.get(&user_id)?;
    let bad = &account.faults.bad_skus;
    for (i, v) in variants.iter().enumerate() {
        let sku = v.sku.clone().or_else(|| {
            let pid = existing?;
            let p = account.catalog.products.get(&pid)?;
            p.variants
                .iter()
                .find(|pv| Some(pv.id) == v.id)
                .map(|pv| pv.sku.clone())
        });
        let Some(sku) = sku else { continue };
        if let Some((_, message)) = bad.iter().find(|(k, _)| *k == sku_key(&sku)) {
            return Some(OpError::Invalid(vec![(
                format!("Variants[{i}]"),
                message.clone(),
            )]));
        }
    }
    None
}

fn create(state: &mut SimState, user_id: u64, req: &Incoming<'_>, seq: u64) -> Reply {
    let input = match requests::parse_json(req.body).and_then(|v| requests::product_input(&v)) {
        Ok(i) => i,
        Err(e) => return op_error(e, seq),
    };
    if let Some(e) = bad_sku(state, user_id, &input.variants, None) {
        return op_error(e, seq);
    }
    let now = state.clock.now();
    let SimState { accounts, ids, .. } = state;
    let Some(account) = accounts.get_mut(&user_id) else {
        return Reply::new(401, None);
    };
    match account.catalog.create_product(ids, input, now) {
        Ok(pid) => match render_product(state, user_id, pid) {
            Some(v) => Reply::new(201, Some(v)),
            None => Reply::new(500, Some(views::server_error(500, seq))),
        },
        Err(e) => op_error(e, seq),
    }
}

fn add_variants(
    state: &mut SimState,
    user_id: u64,
    pid: u64,
    req: &Incoming<'_>,
    seq: u64,
) -> Reply {
    let variants = match requests::parse_json(req.body).and_then(|v| requests::variant_list(&v)) {
        Ok(v) => v,
        Err(e) => return op_error(e, seq),
    };
    if let Some(e) = bad_sku(state, user_id, &variants, None) {
        return op_error(e, seq);
    }
    let now = state.clock.now();
    let SimState { accounts, ids, .. } = state;
    let Some(account) = accounts.get_mut(&user_id) else {
        return Reply::new(401, None);
    };
    match account.catalog.add_variants(ids, pid, variants, now) {
        Ok(()) => match render_product(state, user_id, pid) {
            Some(v) => Reply::new(201, Some(v)),
            None => Reply::new(500, Some(views::server_error(500, seq))),
        },
        Err(e) => op_error(e, seq),
    }
}

/// `PATCH /product/{id}` (an object with optional `variants`) or `PATCH /product/{id}/variants`
/// (an array of variants with ids).
fn patch(
    state: &mut SimState,
    user_id: u64,
    pid: u64,
    req: &Incoming<'_>,
    seq: u64,
    variants_only: bool,
) -> Reply {
    let parsed = requests::parse_json(req.body).and_then(|v| {
        if variants_only {
            requests::variant_list(&v).map(|variants| ProductInput {
                name: None,
                variants,
            })
        } else {
            requests::product_input(&v)
        }
    });
    let input = match parsed {
        Ok(i) => i,
        Err(e) => return op_error(e, seq),
    };
    if let Some(e) = bad_sku(state, user_id, &input.variants, Some(pid)) {
        return op_error(e, seq);
    }
    let now = state.clock.now();
    let Some(account) = state.accounts.get_mut(&user_id) else {
        return Reply::new(401, None);
    };
    match account.catalog.patch_product(pid, input, now) {
        Ok(()) => match render_product(state, user_id, pid) {
            Some(v) if variants_only => Reply::new(200, v.get("variants").cloned()),
            Some(v) => Reply::new(200, Some(v)),
            None => Reply::new(500, Some(views::server_error(500, seq))),
        },
        Err(e) => op_error(e, seq),
    }
}
