//! Creating, updating and deleting products and variations from REST bodies, with the checks
//! WooCommerce's setters make (SKU and GTIN uniqueness, image ids) and the way it stores values.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::errors::WcError;
use super::store::{Attribute, Meta, Post, PostType, Store, VariationAttribute, sanitize_title};

type Body = Map<String, Value>;

/// `isset()` + string conversion: numbers become their decimal text, null is "not set".
fn text(body: &Body, key: &str) -> Option<String> {
    match body.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1".into() } else { String::new() }),
        _ => None,
    }
}

fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0) != 0,
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "yes"),
        _ => false,
    }
}

/// `wc_clean`: trimmed, tags stripped.
fn clean(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

fn valid_status(s: &str) -> String {
    match s {
        "publish" | "draft" | "pending" | "private" | "future" | "trash" => s.to_owned(),
        _ => "draft".into(),
    }
}

fn set_sku(store: &Store, post: &mut Post, body: &Body) -> Result<(), WcError> {
    let Some(raw) = text(body, "sku") else {
        return Ok(());
    };
    let sku = clean(&raw);
    if !sku.is_empty()
        && let Some(owner) = store.sku_owner(&sku, post.id)
    {
        return Err(
            WcError::new(400, "product_invalid_sku", "Invalid or duplicated SKU.")
                .with("resource_id", json!(owner))
                .with("unique_sku", json!(store.unique_sku(&sku, post.id))),
        );
    }
    post.sku = sku;
    Ok(())
}

fn set_gtin(store: &Store, post: &mut Post, body: &Body) -> Result<(), WcError> {
    let Some(raw) = text(body, "global_unique_id") else {
        return Ok(());
    };
    let gtin: String = clean(&raw)
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, 'X' | 'x' | '-'))
        .collect();
    let body_ok = gtin.char_indices().all(|(i, c)| {
        c.is_ascii_digit() || c == '-' || ((c == 'X' || c == 'x') && i == gtin.len() - 1)
    });
    if !gtin.is_empty() && !body_ok {
        return Err(WcError::new(
            400,
            "product_invalid_global_unique_id_format",
            "Invalid GTIN, UPC, EAN, or ISBN. The letter X is only valid as the final ISBN-10 check digit.",
        ));
    }
    if let Some(owner) = store.gtin_owner(&gtin, post.id) {
        return Err(WcError::new(
            400,
            "product_invalid_global_unique_id",
            "Invalid or duplicated GTIN, UPC, EAN or ISBN.",
        )
        .with("resource_id", json!(owner)));
    }
    post.global_unique_id = gtin;
    Ok(())
}

fn set_shipping(post: &mut Post, body: &Body) {
    if let Some(w) = text(body, "weight") {
        post.weight = w.trim().to_owned();
    }
    if let Some(Value::Object(d)) = body.get("dimensions") {
        for (key, slot) in [
            ("length", &mut post.length),
            ("width", &mut post.width),
            ("height", &mut post.height),
        ] {
            if let Some(v) = text(d, key) {
                *slot = v.trim().to_owned();
            }
        }
    }
}

fn set_prices(post: &mut Post, body: &Body) {
    if post.product_type == "variable" || post.product_type == "grouped" {
        post.regular_price.clear();
        post.sale_price.clear();
        return;
    }
    if let Some(p) = text(body, "regular_price") {
        post.regular_price = p.trim().to_owned();
    }
    if let Some(p) = text(body, "sale_price") {
        post.sale_price = p.trim().to_owned();
    }
}

fn set_stock(post: &mut Post, body: &Body) {
    if body.contains_key("manage_stock") {
        post.manage_stock = flag(body.get("manage_stock"));
    }
    if let Some(s) = text(body, "stock_status")
        && matches!(s.as_str(), "instock" | "outofstock" | "onbackorder")
    {
        post.stock_status = s;
    }
    if post.manage_stock {
        if let Some(q) = body.get("stock_quantity").and_then(Value::as_i64) {
            post.stock_quantity = Some(q);
        }
    } else {
        post.stock_quantity = None;
    }
}

fn set_meta(store: &mut Store, post: &mut Post, body: &Body) {
    let Some(Value::Array(items)) = body.get("meta_data") else {
        return;
    };
    for item in items {
        let Some(key) = item.get("key").and_then(Value::as_str) else {
            continue;
        };
        let value = item.get("value").cloned().unwrap_or(Value::Null);
        if let Some(m) = post.meta_data.iter_mut().find(|m| m.key == key) {
            m.value = value;
        } else {
            let id = store.next_meta_id();
            post.meta_data.push(Meta {
                id,
                key: key.to_owned(),
                value,
            });
        }
    }
}

fn set_attributes(post: &mut Post, body: &Body) {
    let Some(Value::Array(items)) = body.get("attributes") else {
        return;
    };
    let mut attrs: Vec<Attribute> = Vec::new();
    for a in items {
        // Global (taxonomy) attributes are addressed by id; they are not modelled.
        if a.get("id").and_then(Value::as_u64).unwrap_or(0) > 0 {
            continue;
        }
        let Some(name) = a
            .get("name")
            .and_then(Value::as_str)
            .map(clean)
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        let options: Vec<String> = match a.get("options") {
            Some(Value::Array(v)) => v
                .iter()
                .filter_map(|o| match o {
                    Value::String(s) => Some(s.trim().to_owned()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(Value::String(s)) => s.split('|').map(|x| x.trim().to_owned()).collect(),
            _ => continue,
        };
        let attr = Attribute {
            position: a.get("position").and_then(Value::as_u64).unwrap_or(0) as u32,
            visible: flag(a.get("visible")),
            variation: flag(a.get("variation")),
            options,
            name,
        };
        // Keyed by sanitized name: a repeated name replaces the earlier one.
        attrs.retain(|x| sanitize_title(&x.name) != sanitize_title(&attr.name));
        attrs.push(attr);
    }
    attrs.sort_by_key(|a| a.position);
    post.attributes = attrs;
}

/// Images to attach once the post is saved: existing attachment ids, or URLs to sideload.
enum ImageRef {
    Id(u64),
    Src(String),
}

fn image_refs(store: &Store, items: &[Value], code_prefix: &str) -> Result<Vec<ImageRef>, WcError> {
    let mut out = Vec::new();
    for img in items {
        if img.is_null() || img.as_object().is_some_and(Map::is_empty) {
            continue;
        }
        let id = img.get("id").and_then(Value::as_u64).unwrap_or(0);
        if id > 0 {
            if !store.attachments.contains_key(&id) {
                return Err(WcError::new(
                    400,
                    &format!("woocommerce_{code_prefix}_invalid_image_id"),
                    &format!("#{id} is an invalid image ID."),
                ));
            }
            out.push(ImageRef::Id(id));
        } else if let Some(src) = img.get("src").and_then(Value::as_str) {
            if !(src.starts_with("http://") || src.starts_with("https://")) {
                return Err(WcError::new(
                    400,
                    &format!("woocommerce_{code_prefix}_image_upload_error"),
                    &format!("Invalid URL {src}."),
                ));
            }
            out.push(ImageRef::Src(src.to_owned()));
        }
    }
    Ok(out)
}

fn attach(store: &mut Store, refs: Vec<ImageRef>, now: DateTime<Utc>) -> Vec<u64> {
    refs.into_iter()
        .map(|r| match r {
            ImageRef::Id(id) => id,
            ImageRef::Src(src) => store.sideload(&src, now),
        })
        .collect()
}

fn term_ids(list: &[super::store::Term], v: Option<&Value>) -> Option<Vec<u64>> {
    let Value::Array(items) = v? else { return None };
    Some(
        items
            .iter()
            .filter_map(|t| t.get("id").and_then(Value::as_u64))
            .filter(|id| list.iter().any(|t| t.id == *id))
            .collect(),
    )
}

fn unique_slug(store: &Store, base: &str, except: u64) -> String {
    let base = if base.is_empty() {
        "product".to_owned()
    } else {
        base.to_owned()
    };
    let taken = |s: &str| {
        store
            .posts
            .values()
            .any(|p| p.id != except && p.post_type == PostType::Product && p.slug == s)
    };
    let mut slug = base.clone();
    let mut n = 1;
    while taken(&slug) {
        n += 1;
        slug = format!("{base}-{n}");
    }
    slug
}

fn refuse_bad_item(store: &Store, sku: &str) -> Result<(), WcError> {
    match store.faults.bad_item(sku) {
        Some(b) => Err(WcError::new(400, &b.code, &b.message)),
        None => Ok(()),
    }
}

/// Apply a products-endpoint body to `post` (a clone; nothing is stored on error).
fn apply_product(
    store: &mut Store,
    post: &mut Post,
    body: &Body,
) -> Result<Option<Vec<ImageRef>>, WcError> {
    if let Some(t) = text(body, "type") {
        post.product_type = match t.as_str() {
            "simple" | "variable" | "grouped" | "external" => t,
            _ => "simple".into(),
        };
    }
    if let Some(n) = text(body, "name") {
        post.name = n;
    }
    if let Some(d) = text(body, "description") {
        post.description = d;
    }
    if let Some(d) = text(body, "short_description") {
        post.short_description = d;
    }
    if let Some(s) = text(body, "status") {
        post.status = valid_status(&s);
    }
    if let Some(s) = text(body, "slug") {
        post.slug = sanitize_title(&s);
    }
    if let Some(m) = body.get("menu_order").and_then(Value::as_i64) {
        post.menu_order = m;
    }
    set_shipping(post, body);
    set_sku(store, post, body)?;
    set_gtin(store, post, body)?;
    set_attributes(post, body);
    set_prices(post, body);
    if let Some(p) = body.get("parent_id").and_then(Value::as_u64) {
        post.parent_id = p;
    }
    set_stock(post, body);
    if let Some(ids) = term_ids(&store.categories, body.get("categories")) {
        post.category_ids = ids;
    }
    if let Some(ids) = term_ids(&store.tags, body.get("tags")) {
        post.tag_ids = ids;
    }
    set_meta(store, post, body);
    let images = match body.get("images") {
        Some(Value::Array(items)) => Some(image_refs(store, items, "product")?),
        _ => None,
    };
    refuse_bad_item(store, &post.sku)?;
    Ok(images)
}

pub fn create_product(store: &mut Store, body: &Body, now: DateTime<Utc>) -> Result<u64, WcError> {
    if body.get("id").and_then(Value::as_u64).unwrap_or(0) > 0 {
        return Err(WcError::new(
            400,
            "woocommerce_rest_product_exists",
            "Cannot create existing product.",
        ));
    }
    let mut post = Post::new(0, PostType::Product, now);
    if body.get("status").is_none() {
        post.status = "publish".into();
    }
    let images = apply_product(store, &mut post, body)?;
    post.id = store.next_id();
    if post.slug.is_empty() {
        post.slug = unique_slug(store, &sanitize_title(&post.name), post.id);
    }
    if post.category_ids.is_empty() {
        post.category_ids = vec![super::store::UNCATEGORIZED_ID];
    }
    if let Some(refs) = images {
        post.image_ids = attach(store, refs, now);
    }
    let id = post.id;
    store.posts.insert(id, post);
    Ok(id)
}

pub fn update_product(
    store: &mut Store,
    id: u64,
    body: &Body,
    now: DateTime<Utc>,
) -> Result<u64, WcError> {
    let Some(existing) = store
        .posts
        .get(&id)
        .filter(|p| p.post_type == PostType::Product)
    else {
        return Err(WcError::invalid_id("product", 400));
    };
    let mut post = existing.clone();
    let images = apply_product(store, &mut post, body)?;
    if let Some(refs) = images {
        post.image_ids = attach(store, refs, now);
    }
    post.date_modified = now;
    store.posts.insert(id, post);
    Ok(id)
}

fn apply_variation(
    store: &mut Store,
    post: &mut Post,
    body: &Body,
) -> Result<Option<Vec<ImageRef>>, WcError> {
    if let Some(s) = text(body, "status") {
        post.status = valid_status(&s);
    }
    set_sku(store, post, body)?;
    set_gtin(store, post, body)?;
    let image = match body.get("image") {
        Some(Value::Object(_)) => Some(image_refs(
            store,
            std::slice::from_ref(&body["image"]),
            "variation",
        )?),
        Some(_) => Some(Vec::new()),
        None => None,
    };
    set_shipping(post, body);
    set_stock(post, body);
    if let Some(p) = text(body, "regular_price") {
        post.regular_price = p.trim().to_owned();
    }
    if let Some(p) = text(body, "sale_price") {
        post.sale_price = p.trim().to_owned();
    }
    if let Some(d) = text(body, "description") {
        post.description = d;
    }
    if let Some(Value::Array(items)) = body.get("attributes") {
        let Some(parent) = store.posts.get(&post.parent_id) else {
            return Err(WcError::new(
                404,
                "woocommerce_rest_product_variation_invalid_parent",
                "Cannot set attributes due to invalid parent product.",
            ));
        };
        let mut attrs = Vec::new();
        for a in items {
            let Some(name) = a.get("name").and_then(Value::as_str) else {
                continue;
            };
            let slug = sanitize_title(name);
            let Some(pa) = parent
                .attributes
                .iter()
                .find(|pa| pa.variation && sanitize_title(&pa.name) == slug)
            else {
                continue;
            };
            let option = a
                .get("option")
                .and_then(Value::as_str)
                .map(clean)
                .unwrap_or_default();
            attrs.push(VariationAttribute {
                slug: sanitize_title(&pa.name),
                option,
            });
        }
        post.variation_attributes = attrs;
    }
    if let Some(m) = body.get("menu_order").and_then(Value::as_i64)
        && m != 0
    {
        post.menu_order = m;
    }
    set_meta(store, post, body);
    refuse_bad_item(store, &post.sku)?;
    Ok(image)
}

fn variable_parent(store: &Store, parent: u64) -> Result<(), WcError> {
    match store.posts.get(&parent) {
        Some(p) if p.post_type == PostType::Product && !p.is_trashed() => Ok(()),
        _ => Err(WcError::invalid_id("product", 404)),
    }
}

pub fn create_variation(
    store: &mut Store,
    parent: u64,
    body: &Body,
    now: DateTime<Utc>,
) -> Result<u64, WcError> {
    variable_parent(store, parent)?;
    if body.get("id").and_then(Value::as_u64).unwrap_or(0) > 0 {
        return Err(WcError::new(
            400,
            "woocommerce_rest_product_variation_exists",
            "Cannot create existing product_variation.",
        ));
    }
    let mut post = Post::new(0, PostType::Variation, now);
    post.parent_id = parent;
    post.menu_order = store.children_of(parent).len() as i64 + 1;
    let image = apply_variation(store, &mut post, body)?;
    post.id = store.next_id();
    if let Some(refs) = image {
        post.image_ids = attach(store, refs, now);
    }
    let id = post.id;
    store.posts.insert(id, post);
    Ok(id)
}

pub fn update_variation(
    store: &mut Store,
    parent: u64,
    id: u64,
    body: &Body,
    now: DateTime<Utc>,
) -> Result<u64, WcError> {
    let Some(existing) = store
        .posts
        .get(&id)
        .filter(|p| p.post_type == PostType::Variation && p.parent_id == parent)
    else {
        return Err(WcError::invalid_id("product_variation", 400));
    };
    let mut post = existing.clone();
    let image = apply_variation(store, &mut post, body)?;
    if let Some(refs) = image {
        post.image_ids = attach(store, refs, now);
    }
    // Only the variation's own post is touched: the parent's date_modified does not move.
    post.date_modified = now;
    store.posts.insert(id, post);
    Ok(id)
}

/// Delete (force) or trash a post; deleting a variable product deletes its variations.
pub fn delete(
    store: &mut Store,
    id: u64,
    force: bool,
    post_type: PostType,
    now: DateTime<Utc>,
) -> Result<Post, WcError> {
    let type_name = match post_type {
        PostType::Product => "product",
        PostType::Variation => "product_variation",
    };
    let Some(post) = store
        .posts
        .get(&id)
        .filter(|p| p.post_type == post_type)
        .cloned()
    else {
        return Err(WcError::invalid_id(type_name, 404));
    };
    if force {
        store.posts.remove(&id);
        if post_type == PostType::Product {
            store
                .posts
                .retain(|_, p| !(p.post_type == PostType::Variation && p.parent_id == id));
        }
    } else {
        if post.is_trashed() {
            return Err(WcError::new(
                410,
                "woocommerce_rest_already_trashed",
                &format!("The {type_name} has already been deleted."),
            ));
        }
        if let Some(p) = store.posts.get_mut(&id) {
            p.status = "trash".into();
            p.date_modified = now;
        }
    }
    Ok(post)
}
