//! Products and variations as `wc/v3` returns them: strings for money, weights and dimensions,
//! naive ISO dates with `_gmt` twins, `variations` as an id list, `_links`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::store::{Post, PostType, Store, sanitize_title};

/// Per-request rendering context.
pub struct RenderCtx {
    /// The site root as the client reached it, e.g. `http://127.0.0.1:4000/shop`.
    pub site_url: String,
    /// `context=edit`: raw descriptions instead of `wpautop`-formatted ones.
    pub edit: bool,
    /// `_fields=`: only these top-level members (plus `id`), when set.
    pub fields: Option<Vec<String>>,
}

impl RenderCtx {
    pub fn api(&self, route: &str) -> String {
        format!("{}/wp-json/wc/v3/{route}", self.site_url)
    }

    fn finish(&self, obj: Map<String, Value>) -> Value {
        match &self.fields {
            None => Value::Object(obj),
            Some(fields) => Value::Object(
                obj.into_iter()
                    .filter(|(k, _)| k == "id" || fields.iter().any(|f| f == k))
                    .collect(),
            ),
        }
    }
}

pub fn date_gmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

pub fn date_local(store: &Store, t: DateTime<Utc>) -> String {
    store.local(t).format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A small `wpautop`: paragraphs separated by blank lines become `<p>` blocks unless they
/// already start with a block-level tag. Enough to show why readers want `context=edit`.
pub fn wpautop(text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    const BLOCKS: [&str; 12] = [
        "<p",
        "<div",
        "<ul",
        "<ol",
        "<h1",
        "<h2",
        "<h3",
        "<h4",
        "<table",
        "<blockquote",
        "<pre",
        "<section",
    ];
    let mut out = String::new();
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lower = para.to_ascii_lowercase();
        if BLOCKS.iter().any(|b| lower.starts_with(b)) {
            out.push_str(para);
        } else {
            out.push_str("<p>");
            out.push_str(&para.replace('\n', "<br />\n"));
            out.push_str("</p>");
        }
        out.push('\n');
    }
    out
}

fn description(ctx: &RenderCtx, raw: &str) -> Value {
    if ctx.edit {
        json!(raw)
    } else {
        json!(wpautop(raw))
    }
}

fn image(store: &Store, ctx: &RenderCtx, id: u64) -> Option<Value> {
    let a = store.attachments.get(&id)?;
    Some(json!({
        "id": a.id,
        "date_created": date_local(store, a.date),
        "date_created_gmt": date_gmt(a.date),
        "date_modified": date_local(store, a.date),
        "date_modified_gmt": date_gmt(a.date),
        "src": format!("{}{}", ctx.site_url, a.src),
        "name": a.name,
        "alt": a.alt,
    }))
}

fn terms(list: &[super::store::Term], ids: &[u64]) -> Value {
    Value::Array(
        ids.iter()
            .filter_map(|id| list.iter().find(|t| t.id == *id))
            .map(|t| json!({"id": t.id, "name": t.name, "slug": t.slug}))
            .collect(),
    )
}

fn meta(p: &Post) -> Value {
    Value::Array(
        p.meta_data
            .iter()
            .map(|m| json!({"id": m.id, "key": m.key, "value": m.value}))
            .collect(),
    )
}

fn links(ctx: &RenderCtx, route: &str, id: u64, up: Option<String>) -> Value {
    let mut l = json!({
        "self": [{"href": ctx.api(&format!("{route}/{id}"))}],
        "collection": [{"href": ctx.api(route)}],
    });
    if let (Some(up), Some(obj)) = (up, l.as_object_mut()) {
        obj.insert("up".into(), json!([{"href": up}]));
    }
    l
}

/// The variable parent's `price`: the cheapest variation's active price.
fn variable_price(store: &Store, parent: u64) -> String {
    let mut best: Option<(rust_decimal::Decimal, String)> = None;
    for id in store.children_of(parent) {
        let Some(v) = store.posts.get(&id) else {
            continue;
        };
        let s = v.active_price();
        if let Ok(d) = s.parse::<rust_decimal::Decimal>()
            && best.as_ref().is_none_or(|(b, _)| d < *b)
        {
            best = Some((d, s.to_owned()));
        }
    }
    best.map(|(_, s)| s).unwrap_or_default()
}

/// A product (or, through the products endpoint, a variation) in the products schema.
pub fn product(store: &Store, ctx: &RenderCtx, p: &Post) -> Value {
    if p.post_type == PostType::Variation {
        return variation_as_product(store, ctx, p);
    }
    let variable = p.product_type == "variable";
    let price = if variable {
        variable_price(store, p.id)
    } else {
        p.active_price().to_owned()
    };
    let images: Vec<Value> = p
        .image_ids
        .iter()
        .filter_map(|id| image(store, ctx, *id))
        .collect();
    let attributes: Vec<Value> = p
        .attributes
        .iter()
        .map(|a| {
            json!({
                "id": 0,
                "name": a.name,
                "slug": a.name,
                "position": a.position,
                "visible": a.visible,
                "variation": a.variation,
                "options": a.options,
            })
        })
        .collect();
    let mut o = Map::new();
    let mut put = |k: &str, v: Value| {
        o.insert(k.to_owned(), v);
    };
    put("id", json!(p.id));
    put("name", json!(p.name));
    put("slug", json!(p.slug));
    put(
        "permalink",
        json!(format!("{}/product/{}/", ctx.site_url, p.slug)),
    );
    put("date_created", json!(date_local(store, p.date_created)));
    put("date_created_gmt", json!(date_gmt(p.date_created)));
    put("date_modified", json!(date_local(store, p.date_modified)));
    put("date_modified_gmt", json!(date_gmt(p.date_modified)));
    put("type", json!(p.product_type));
    put("status", json!(p.status));
    put("featured", json!(false));
    put("catalog_visibility", json!("visible"));
    put("description", description(ctx, &p.description));
    put("short_description", description(ctx, &p.short_description));
    put("sku", json!(p.sku));
    put("global_unique_id", json!(p.global_unique_id));
    put("price", json!(price));
    put(
        "regular_price",
        json!(if variable {
            ""
        } else {
            p.regular_price.as_str()
        }),
    );
    put(
        "sale_price",
        json!(if variable { "" } else { p.sale_price.as_str() }),
    );
    put("date_on_sale_from", Value::Null);
    put("date_on_sale_from_gmt", Value::Null);
    put("date_on_sale_to", Value::Null);
    put("date_on_sale_to_gmt", Value::Null);
    put("on_sale", json!(!variable && !p.sale_price.is_empty()));
    put("purchasable", json!(!price.is_empty()));
    put("total_sales", json!(0));
    put("virtual", json!(false));
    put("downloadable", json!(false));
    put("downloads", json!([]));
    put("download_limit", json!(-1));
    put("download_expiry", json!(-1));
    put("external_url", json!(""));
    put("button_text", json!(""));
    put("tax_status", json!("taxable"));
    put("tax_class", json!(""));
    put("manage_stock", json!(p.manage_stock));
    put("stock_quantity", json!(p.stock_quantity));
    put("backorders", json!("no"));
    put("backorders_allowed", json!(false));
    put("backordered", json!(false));
    put("low_stock_amount", Value::Null);
    put("sold_individually", json!(false));
    put("weight", json!(p.weight));
    put(
        "dimensions",
        json!({"length": p.length, "width": p.width, "height": p.height}),
    );
    put("shipping_required", json!(true));
    put("shipping_taxable", json!(true));
    put("shipping_class", json!(""));
    put("shipping_class_id", json!(0));
    put("reviews_allowed", json!(true));
    put("average_rating", json!("0.00"));
    put("rating_count", json!(0));
    put("upsell_ids", json!([]));
    put("cross_sell_ids", json!([]));
    put("parent_id", json!(p.parent_id));
    put("purchase_note", json!(""));
    put("categories", terms(&store.categories, &p.category_ids));
    put("tags", terms(&store.tags, &p.tag_ids));
    put("images", Value::Array(images));
    put("attributes", Value::Array(attributes));
    put("default_attributes", json!([]));
    put(
        "variations",
        json!(if variable {
            store.children_of(p.id)
        } else {
            Vec::new()
        }),
    );
    put("grouped_products", json!([]));
    put("menu_order", json!(p.menu_order));
    put("related_ids", json!([]));
    put("meta_data", meta(p));
    put("stock_status", json!(p.stock_status));
    put("has_options", json!(variable));
    put("post_password", json!(""));
    put("_links", links(ctx, "products", p.id, None));
    ctx.finish(o)
}

/// The attributes of a variation: one entry per parent variation attribute it sets, named
/// with the parent's attribute label. "Any" (empty) values are left out, as WooCommerce does.
fn variation_attributes(store: &Store, v: &Post) -> Value {
    let parent = store.posts.get(&v.parent_id);
    let mut out = Vec::new();
    for va in &v.variation_attributes {
        if va.option.is_empty() {
            continue;
        }
        let name = parent
            .and_then(|p| {
                p.attributes
                    .iter()
                    .find(|a| sanitize_title(&a.name) == va.slug)
            })
            .map(|a| a.name.clone())
            .unwrap_or_else(|| va.slug.clone());
        out.push(json!({"id": 0, "name": name, "option": va.option}));
    }
    Value::Array(out)
}

fn variation_fields(store: &Store, ctx: &RenderCtx, v: &Post) -> Map<String, Value> {
    let parent_slug = store
        .posts
        .get(&v.parent_id)
        .map(|p| p.slug.clone())
        .unwrap_or_default();
    let mut o = Map::new();
    let mut put = |k: &str, val: Value| {
        o.insert(k.to_owned(), val);
    };
    put("id", json!(v.id));
    put("date_created", json!(date_local(store, v.date_created)));
    put("date_created_gmt", json!(date_gmt(v.date_created)));
    put("date_modified", json!(date_local(store, v.date_modified)));
    put("date_modified_gmt", json!(date_gmt(v.date_modified)));
    put("description", description(ctx, &v.description));
    put(
        "permalink",
        json!(format!(
            "{}/product/{parent_slug}/?variation_id={}",
            ctx.site_url, v.id
        )),
    );
    put("sku", json!(v.sku));
    put("global_unique_id", json!(v.global_unique_id));
    put("price", json!(v.active_price()));
    put("regular_price", json!(v.regular_price));
    put("sale_price", json!(v.sale_price));
    put("date_on_sale_from", Value::Null);
    put("date_on_sale_from_gmt", Value::Null);
    put("date_on_sale_to", Value::Null);
    put("date_on_sale_to_gmt", Value::Null);
    put("on_sale", json!(!v.sale_price.is_empty()));
    put("status", json!(v.status));
    put("purchasable", json!(!v.active_price().is_empty()));
    put("virtual", json!(false));
    put("downloadable", json!(false));
    put("downloads", json!([]));
    put("download_limit", json!(-1));
    put("download_expiry", json!(-1));
    put("tax_status", json!("taxable"));
    put("tax_class", json!(""));
    put("manage_stock", json!(v.manage_stock));
    put("stock_quantity", json!(v.stock_quantity));
    put("stock_status", json!(v.stock_status));
    put("backorders", json!("no"));
    put("backorders_allowed", json!(false));
    put("backordered", json!(false));
    put("low_stock_amount", Value::Null);
    put("weight", json!(v.weight));
    put(
        "dimensions",
        json!({"length": v.length, "width": v.width, "height": v.height}),
    );
    put("shipping_class", json!(""));
    put("shipping_class_id", json!(0));
    put(
        "image",
        v.image_ids
            .first()
            .and_then(|id| image(store, ctx, *id))
            .unwrap_or(Value::Null),
    );
    put("attributes", variation_attributes(store, v));
    put("menu_order", json!(v.menu_order));
    put("meta_data", meta(v));
    o
}

/// A variation as `/products/{id}/variations` returns it. `with_parent` adds `parent_id`
/// (the store-wide `/variations` endpoint does).
pub fn variation(store: &Store, ctx: &RenderCtx, v: &Post, with_parent: bool) -> Value {
    let mut o = variation_fields(store, ctx, v);
    if with_parent {
        o.insert("parent_id".into(), json!(v.parent_id));
    }
    let route = format!("products/{}/variations", v.parent_id);
    o.insert(
        "_links".into(),
        links(
            ctx,
            &route,
            v.id,
            Some(ctx.api(&format!("products/{}", v.parent_id))),
        ),
    );
    ctx.finish(o)
}

/// A variation found through `/products?sku=` or `/products/{id}`: the products controller
/// renders it in the product schema, with `type: variation` and its `parent_id`.
fn variation_as_product(store: &Store, ctx: &RenderCtx, v: &Post) -> Value {
    let mut o = variation_fields(store, ctx, v);
    let name = store
        .posts
        .get(&v.parent_id)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    o.insert("name".into(), json!(name));
    o.insert("type".into(), json!("variation"));
    o.insert("parent_id".into(), json!(v.parent_id));
    o.insert("slug".into(), json!(""));
    o.insert("variations".into(), json!([]));
    let images: Vec<Value> = v
        .image_ids
        .iter()
        .filter_map(|id| image(store, ctx, *id))
        .collect();
    o.insert("images".into(), Value::Array(images));
    o.remove("image");
    o.insert("_links".into(), links(ctx, "products", v.id, None));
    ctx.finish(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wpautop_wraps_plain_paragraphs_only() {
        assert_eq!(wpautop("Hello\n\nWorld"), "<p>Hello</p>\n<p>World</p>\n");
        assert_eq!(wpautop("<ul><li>a</li></ul>"), "<ul><li>a</li></ul>\n");
        assert_eq!(wpautop(""), "");
    }
}
