//! The `wc/v3` routes a catalog connector uses, dispatched the way the WordPress REST server
//! does: authentication error, key scope, route match, permission callback, handler.

use axum::http::{HeaderMap, Method};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::auth::{self, Action, Auth};
use super::collection::{self, Source};
use super::errors::WcError;
use super::mutate;
use super::params::{ListKind, Query, parse_collection};
use super::render::{self, RenderCtx};
use super::store::{PostType, Store};

/// A reply before it becomes an HTTP response (so the request log can record its status).
pub struct Reply {
    pub status: u16,
    pub body: ReplyBody,
    pub headers: Vec<(&'static str, String)>,
}

pub enum ReplyBody {
    Json(Value),
    Html {
        title: String,
        text: String,
        retry_after: Option<String>,
    },
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: ReplyBody::Json(body),
            headers: Vec::new(),
        }
    }

    pub fn error(e: WcError) -> Self {
        Self::json(e.status, e.body())
    }

    pub fn html(status: u16, title: &str, text: &str, retry_after: Option<String>) -> Self {
        Self {
            status,
            body: ReplyBody::Html {
                title: title.to_owned(),
                text: text.to_owned(),
                retry_after,
            },
            headers: Vec::new(),
        }
    }
}

/// Everything a route handler needs about the request.
pub struct Req<'a> {
    pub method: &'a Method,
    /// Segments below `/wp-json/wc/v3/`.
    pub segments: Vec<&'a str>,
    pub query: &'a Query,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub site_url: String,
    pub now: DateTime<Utc>,
}

enum Route {
    Products,
    ProductsBatch,
    Product(u64),
    Variations(u64),
    VariationsBatch(u64),
    Variation(u64, u64),
    AllVariations,
    Settings,
    Setting(String),
}

fn match_route(store: &Store, segs: &[&str]) -> Option<Route> {
    let id = |s: &str| s.parse::<u64>().ok();
    Some(match segs {
        ["products"] => Route::Products,
        ["products", "batch"] => Route::ProductsBatch,
        ["products", p] => Route::Product(id(p)?),
        ["products", p, "variations"] => Route::Variations(id(p)?),
        ["products", p, "variations", "batch"] => Route::VariationsBatch(id(p)?),
        ["products", p, "variations", v] => Route::Variation(id(p)?, id(v)?),
        ["variations"] if store.settings.global_variations_route => Route::AllVariations,
        ["settings", "products"] => Route::Settings,
        ["settings", "products", s] => Route::Setting((*s).to_owned()),
        _ => return None,
    })
}

fn action(route: &Route, method: &Method) -> Option<Action> {
    let m = method.clone();
    let read = m == Method::GET || m == Method::HEAD;
    let editable = m == Method::POST || m == Method::PUT || m == Method::PATCH;
    Some(match route {
        Route::Products | Route::Variations(_) if read => Action::List,
        Route::Products | Route::Variations(_) if m == Method::POST => Action::Create,
        Route::ProductsBatch | Route::VariationsBatch(_) if editable => Action::Batch,
        Route::Product(_) | Route::Variation(..) if read => Action::View,
        Route::Product(_) | Route::Variation(..) if editable => Action::Edit,
        Route::Product(_) | Route::Variation(..) if m == Method::DELETE => Action::Delete,
        Route::AllVariations | Route::Settings if read => Action::List,
        Route::Setting(_) if read => Action::View,
        _ => return None,
    })
}

pub fn dispatch(store: &mut Store, req: &Req<'_>) -> Reply {
    let key = match auth::authenticate(store, req.query, req.headers) {
        Auth::Failed(e) => return Reply::error(e),
        Auth::Key(perms) => {
            if let Err(e) = auth::check_key_scope(perms, req.method) {
                return Reply::error(e);
            }
            true
        }
        Auth::Anonymous => false,
    };
    let Some(route) = match_route(store, &req.segments) else {
        return Reply::error(WcError::no_route());
    };
    let Some(action) = action(&route, req.method) else {
        return Reply::error(WcError::no_route());
    };
    if !key {
        return Reply::error(auth::anonymous_refusal(action));
    }
    let result = match route {
        Route::Products => match action {
            Action::List => list(store, req, Source::Products, ListKind::Products),
            _ => create_product(store, req),
        },
        Route::ProductsBatch => batch(store, req, None),
        Route::Product(id) => item(store, req, action, PostType::Product, id, 0),
        Route::Variations(parent) => match action {
            Action::List => list(
                store,
                req,
                Source::VariationsOf(parent),
                ListKind::Variations,
            ),
            _ => create_variation(store, req, parent),
        },
        Route::VariationsBatch(parent) => batch(store, req, Some(parent)),
        Route::Variation(parent, id) => item(store, req, action, PostType::Variation, id, parent),
        Route::AllVariations => list(store, req, Source::AllVariations, ListKind::Variations),
        Route::Settings => Ok(Reply::json(
            200,
            super::settings::all(store, &ctx(req, false)),
        )),
        Route::Setting(id) => {
            super::settings::one(store, &ctx(req, false), &id).map(|v| Reply::json(200, v))
        }
    };
    result.unwrap_or_else(Reply::error)
}

fn ctx(req: &Req<'_>, edit: bool) -> RenderCtx {
    RenderCtx {
        site_url: req.site_url.clone(),
        edit,
        fields: None,
    }
}

fn body_object(req: &Req<'_>) -> Result<Map<String, Value>, WcError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Ok(Map::new()),
        Err(_) => Err(WcError::invalid_json()),
    }
}

fn list(store: &Store, req: &Req<'_>, source: Source, kind: ListKind) -> Result<Reply, WcError> {
    let c = parse_collection(req.query, kind)?;
    if let Source::VariationsOf(parent) = source
        && !store
            .posts
            .get(&parent)
            .is_some_and(|p| p.post_type == PostType::Product)
    {
        return Err(WcError::invalid_id("product", 404));
    }
    let listed = collection::list(store, &c, source);
    let rc = RenderCtx {
        site_url: req.site_url.clone(),
        edit: c.edit,
        fields: c.fields.clone(),
    };
    let items: Vec<Value> = listed
        .ids
        .iter()
        .filter_map(|id| store.posts.get(id))
        .map(|p| match source {
            Source::Products => render::product(store, &rc, p),
            Source::VariationsOf(_) => render::variation(store, &rc, p, false),
            Source::AllVariations => render::variation(store, &rc, p, true),
        })
        .collect();
    let route = req.segments.join("/");
    let mut reply = Reply::json(200, Value::Array(items));
    reply.headers = collection::headers(&listed, &rc.api(&route), req.query);
    Ok(reply)
}

fn render_post(store: &Store, rc: &RenderCtx, id: u64) -> Value {
    match store.posts.get(&id) {
        Some(p) if p.post_type == PostType::Variation => render::variation(store, rc, p, false),
        Some(p) => render::product(store, rc, p),
        None => Value::Null,
    }
}

fn create_product(store: &mut Store, req: &Req<'_>) -> Result<Reply, WcError> {
    let body = body_object(req)?;
    let id = mutate::create_product(store, &body, req.now)?;
    Ok(Reply::json(201, render_post(store, &ctx(req, true), id)))
}

fn create_variation(store: &mut Store, req: &Req<'_>, parent: u64) -> Result<Reply, WcError> {
    let body = body_object(req)?;
    let id = mutate::create_variation(store, parent, &body, req.now)?;
    Ok(Reply::json(201, render_post(store, &ctx(req, true), id)))
}

fn item(
    store: &mut Store,
    req: &Req<'_>,
    action: Action,
    post_type: PostType,
    id: u64,
    parent: u64,
) -> Result<Reply, WcError> {
    let type_name = match post_type {
        PostType::Product => "product",
        PostType::Variation => "product_variation",
    };
    match action {
        Action::View => {
            let found = store.posts.get(&id).filter(|p| match post_type {
                // The products controller also serves variation ids.
                PostType::Product => true,
                PostType::Variation => p.post_type == PostType::Variation && p.parent_id == parent,
            });
            let Some(p) = found else {
                return Err(WcError::invalid_id(type_name, 404));
            };
            let edit = req.query.get("context") == Some("edit");
            let rc = ctx(req, edit);
            Ok(Reply::json(
                200,
                match post_type {
                    PostType::Product => render::product(store, &rc, p),
                    PostType::Variation => render::variation(store, &rc, p, false),
                },
            ))
        }
        Action::Edit => {
            let body = body_object(req)?;
            match post_type {
                PostType::Product => mutate::update_product(store, id, &body, req.now)?,
                PostType::Variation => mutate::update_variation(store, parent, id, &body, req.now)?,
            };
            Ok(Reply::json(200, render_post(store, &ctx(req, true), id)))
        }
        Action::Delete => {
            let force = matches!(req.query.get("force"), Some("true" | "1"));
            let rc = ctx(req, true);
            let before = render_post(store, &rc, id);
            mutate::delete(store, id, force, post_type, req.now)?;
            Ok(Reply::json(200, before))
        }
        _ => Err(WcError::no_route()),
    }
}

/// `WC_REST_Controller::batch_items`: one 200 answer with a result or an error per item.
fn batch(store: &mut Store, req: &Req<'_>, parent: Option<u64>) -> Result<Reply, WcError> {
    let body = body_object(req)?;
    let part = |k: &str| match body.get(k) {
        Some(Value::Array(v)) => v.clone(),
        _ => Vec::new(),
    };
    let (creates, updates, deletes) = (part("create"), part("update"), part("delete"));
    let limit = store.settings.batch_limit;
    if creates.len() + updates.len() + deletes.len() > limit {
        return Err(WcError::new(
            413,
            "woocommerce_rest_request_entity_too_large",
            &format!("Unable to accept more than {limit} items for this request."),
        ));
    }
    if let Some(p) = parent
        && !store
            .posts
            .get(&p)
            .is_some_and(|x| x.post_type == PostType::Product)
    {
        return Err(WcError::invalid_id("product", 404));
    }
    let rc = ctx(req, true);
    let item_error = |id: u64, e: WcError| json!({"id": id, "error": {"code": e.code, "message": e.message, "data": e.data_value()}});
    let mut out = Map::new();
    if !creates.is_empty() {
        let mut results = Vec::new();
        for c in &creates {
            let obj = c.as_object().cloned().unwrap_or_default();
            let r = match parent {
                None => mutate::create_product(store, &obj, req.now),
                Some(p) => mutate::create_variation(store, p, &obj, req.now),
            };
            results.push(match r {
                Ok(id) => render_post(store, &rc, id),
                Err(e) => item_error(0, e),
            });
        }
        out.insert("create".into(), Value::Array(results));
    }
    if !updates.is_empty() {
        let mut results = Vec::new();
        for u in &updates {
            let obj = u.as_object().cloned().unwrap_or_default();
            let id = obj.get("id").and_then(Value::as_u64).unwrap_or(0);
            let r = match parent {
                None => mutate::update_product(store, id, &obj, req.now),
                Some(p) => mutate::update_variation(store, p, id, &obj, req.now),
            };
            results.push(match r {
                Ok(id) => render_post(store, &rc, id),
                Err(e) => item_error(id, e),
            });
        }
        out.insert("update".into(), Value::Array(results));
    }
    if !deletes.is_empty() {
        let mut results = Vec::new();
        let post_type = if parent.is_some() {
            PostType::Variation
        } else {
            PostType::Product
        };
        for d in &deletes {
            let id = d
                .as_u64()
                .or_else(|| d.as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(0);
            if id == 0 {
                continue;
            }
            let before = render_post(store, &rc, id);
            results.push(match mutate::delete(store, id, true, post_type, req.now) {
                Ok(_) => before,
                Err(e) => item_error(id, e),
            });
        }
        out.insert("delete".into(), Value::Array(results));
    }
    Ok(Reply::json(200, Value::Object(out)))
}
