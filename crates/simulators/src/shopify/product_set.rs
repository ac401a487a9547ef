//! The `productSet` mutation: create or update a product with its options, variants and files
//! in one call. Scalar fields left out stay as they are; list fields that are given (variants,
//! productOptions, files) replace what is there, so a variant left out of `variants` is
//! deleted. Any user error refuses the whole input: nothing is written and `product` is null.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::model::{
    Media, Product, ProductOption, Variant, WEIGHT_UNITS, parse_gid, truncate_secs,
};
use super::shop::{Operation, Shop, UserError};

#[derive(Debug, Clone, Default)]
pub struct SetResult {
    pub product_id: Option<u64>,
    pub errors: Vec<UserError>,
    pub operation: Option<u64>,
    pub committed: bool,
}

fn err(field: &[&str], message: impl Into<String>, code: &str) -> UserError {
    UserError {
        field: Some(field.iter().map(|s| (*s).to_owned()).collect()),
        message: message.into(),
        code: Some(code.to_owned()),
    }
}

fn verr(i: usize, leaf: &str, message: impl Into<String>, code: &str) -> UserError {
    err(&["input", "variants", &i.to_string(), leaf], message, code)
}

/// A decimal from a JSON string or number (Shopify's `Money`/`Decimal` inputs accept both).
pub fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        Value::Number(n) => {
            let s = n.to_string();
            Decimal::from_str(&s)
                .ok()
                .or_else(|| Decimal::from_scientific(&s).ok())
        }
        _ => None,
    }
}

fn s<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

struct VariantPlan {
    existing: Option<u64>,
    input: Map<String, Value>,
    option_values: Vec<String>,
}

pub fn product_set(shop: &mut Shop, args: &Map<String, Value>, now: DateTime<Utc>) -> SetResult {
    let now = truncate_secs(now);
    let empty = Map::new();
    let input = args
        .get("input")
        .or_else(|| args.get("product"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let synchronous = args
        .get("synchronous")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let identifier = args.get("identifier").and_then(Value::as_object);
    let mut errors = Vec::new();

    // Which product: identifier.id / identifier.handle / input.id, else a new one.
    let mut target: Option<u64> = None;
    let mut new_handle: Option<String> = None;
    if let Some(ident) = identifier {
        if let Some(id) = s(ident, "id") {
            match parse_gid("Product", id).filter(|n| shop.products.contains_key(n)) {
                Some(n) => target = Some(n),
                None => errors.push(err(
                    &["identifier", "id"],
                    "Product does not exist",
                    "PRODUCT_DOES_NOT_EXIST",
                )),
            }
        } else if let Some(h) = s(ident, "handle") {
            match shop.products.values().find(|p| p.handle == h) {
                Some(p) => target = Some(p.id),
                None => new_handle = Some(h.to_owned()),
            }
        } else if ident.contains_key("customId") {
            errors.push(err(
                &["identifier", "customId"],
                "The simulator does not support customId identifiers",
                "INVALID_INPUT",
            ));
        }
    } else if let Some(id) = s(input, "id") {
        match parse_gid("Product", id).filter(|n| shop.products.contains_key(n)) {
            Some(n) => target = Some(n),
            None => errors.push(err(
                &["input", "id"],
                "Product does not exist",
                "PRODUCT_DOES_NOT_EXIST",
            )),
        }
    }
    if !errors.is_empty() {
        return SetResult {
            errors,
            ..Default::default()
        };
    }
    let existing = target.and_then(|id| shop.products.get(&id));

    let title = s(input, "title");
    if existing.is_none() && title.is_none_or(|t| t.trim().is_empty()) {
        errors.push(err(&["input", "title"], "Title can't be blank", "BLANK"));
    }
    if let Some(st) = s(input, "status")
        && !["ACTIVE", "DRAFT", "ARCHIVED"].contains(&st)
    {
        errors.push(err(
            &["input", "status"],
            format!("Status is not included in the list: {st}"),
            "INVALID_INPUT",
        ));
    }

    let options_in = input.get("productOptions").and_then(Value::as_array);
    let variants_in = input.get("variants").and_then(Value::as_array);
    if options_in.is_some() != variants_in.is_some() {
        errors.push(err(
            &["input"],
            "productOptions and variants must be provided together",
            "INVALID_INPUT",
        ));
    }

    // Options: name and values, in the order given.
    let mut options: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(opts) = options_in {
        if opts.len() > 3 {
            errors.push(err(
                &["input", "productOptions"],
                "Product options input can only have 3 options",
                "OPTIONS_OVER_LIMIT",
            ));
        }
        for (i, o) in opts.iter().enumerate() {
            let o = o.as_object().unwrap_or(&empty);
            let name = s(o, "name").unwrap_or("").trim().to_owned();
            if name.is_empty() {
                errors.push(err(
                    &["input", "productOptions", &i.to_string(), "name"],
                    "Option name can't be blank",
                    "INVALID_INPUT",
                ));
            }
            let values: Vec<String> = o
                .get("values")
                .and_then(Value::as_array)
                .map(|vs| {
                    vs.iter()
                        .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if values.is_empty() {
                errors.push(err(
                    &["input", "productOptions", &i.to_string(), "values"],
                    "Option values can't be blank",
                    "INVALID_INPUT",
                ));
            }
            options.push((name, values));
        }
    }

    let mut plans: Vec<VariantPlan> = Vec::new();
    if let Some(vs) = variants_in {
        if vs.len() > shop.settings.max_variants {
            errors.push(err(
                &["input", "variants"],
                format!(
                    "Product can have a maximum of {} variants",
                    shop.settings.max_variants
                ),
                "EXCEEDED_VARIANT_LIMIT",
            ));
        }
        let mut combos = BTreeSet::new();
        for (i, v) in vs.iter().enumerate() {
            let v = v.as_object().cloned().unwrap_or_default();
            let existing_id = match s(&v, "id") {
                None => None,
                Some(id) => {
                    let n = parse_gid("ProductVariant", id);
                    let belongs =
                        n.is_some_and(|n| existing.is_some_and(|p| p.variant(n).is_some()));
                    if !belongs {
                        errors.push(verr(
                            i,
                            "id",
                            "Product variant does not exist",
                            "PRODUCT_VARIANT_DOES_NOT_EXIST",
                        ));
                    }
                    n
                }
            };
            let given: Vec<(String, String)> = v
                .get("optionValues")
                .and_then(Value::as_array)
                .map(|ovs| {
                    ovs.iter()
                        .map(|ov| {
                            (
                                ov.get("optionName")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_owned(),
                                ov.get("name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut values = Vec::new();
            for (name, allowed) in &options {
                match given.iter().find(|(n, _)| n == name) {
                    Some((_, val)) if allowed.contains(val) => values.push(val.clone()),
                    Some((_, val)) => errors.push(verr(
                        i,
                        "optionValues",
                        format!("Option value '{val}' does not exist for option '{name}'"),
                        "OPTION_VALUE_DOES_NOT_EXIST",
                    )),
                    None => errors.push(verr(
                        i,
                        "optionValues",
                        format!("Variant is missing a value for option '{name}'"),
                        "NEED_TO_ADD_OPTION_VALUES",
                    )),
                }
            }
            if given.len() > options.len() {
                errors.push(verr(
                    i,
                    "optionValues",
                    "Variant options are more than the product options",
                    "OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS",
                ));
            }
            if values.len() == options.len() && !combos.insert(values.clone()) {
                errors.push(verr(
                    i,
                    "optionValues",
                    format!("The variant '{}' already exists.", values.join(" / ")),
                    "DUPLICATE_VARIANT",
                ));
            }
            for key in ["price", "compareAtPrice"] {
                if let Some(p) = v.get(key).filter(|p| !p.is_null()) {
                    match decimal(p) {
                        Some(d) if d >= Decimal::ZERO => {}
                        Some(_) => errors.push(verr(
                            i,
                            key,
                            "Price must be greater than or equal to 0",
                            "GREATER_THAN_OR_EQUAL_TO",
                        )),
                        None => {
                            errors.push(verr(i, key, format!("Invalid {key}"), "INVALID_INPUT"))
                        }
                    }
                }
            }
            if let Some(inv) = v.get("inventoryItem").and_then(Value::as_object) {
                if let Some(c) = inv.get("cost").filter(|c| !c.is_null())
                    && decimal(c).is_none_or(|d| d < Decimal::ZERO)
                {
                    errors.push(verr(
                        i,
                        "inventoryItem",
                        "Cost must be greater than or equal to 0",
                        "INVALID_INPUT",
                    ));
                }
                if let Some(w) = inv.get("measurement").and_then(|m| m.get("weight")) {
                    let unit = w.get("unit").and_then(Value::as_str).unwrap_or("");
                    let value = w.get("value").and_then(decimal);
                    if !WEIGHT_UNITS.contains(&unit) || value.is_none_or(|d| d < Decimal::ZERO) {
                        errors.push(verr(
                            i,
                            "inventoryItem",
                            "Weight must be a non-negative value with a valid unit",
                            "INVALID_INPUT",
                        ));
                    }
                }
            }
            let sku = s(&v, "sku").or_else(|| {
                v.get("inventoryItem")
                    .and_then(|i| i.get("sku"))
                    .and_then(Value::as_str)
            });
            if let Some(msg) = sku.and_then(|k| shop.faults.bad_skus.get(k)) {
                errors.push(verr(i, "sku", msg.clone(), "INVALID_VARIANT"));
            }
            plans.push(VariantPlan {
                existing: existing_id,
                input: v,
                option_values: values,
            });
        }
    }
    if !errors.is_empty() {
        return SetResult {
            errors,
            ..Default::default()
        };
    }

    // Apply.
    let lag = shop.lag();
    let id = match target {
        Some(id) => id,
        None => {
            let id = shop.ids.next("Product");
            let title = title.unwrap_or("").to_owned();
            let handle = shop.unique_handle(
                new_handle
                    .as_deref()
                    .or(s(input, "handle"))
                    .unwrap_or(&title),
                None,
            );
            let default_option = ProductOption {
                id: shop.ids.next("ProductOption"),
                name: "Title".to_owned(),
                values: vec!["Default Title".to_owned()],
            };
            let default_variant = Variant {
                id: shop.ids.next("ProductVariant"),
                inventory_item_id: shop.ids.next("InventoryItem"),
                sku: String::new(),
                barcode: None,
                price: Decimal::ZERO,
                compare_at_price: None,
                cost: None,
                weight: None,
                option_values: vec!["Default Title".to_owned()],
                tracked: false,
                requires_shipping: true,
                created_at: now,
                updated_at: now,
            };
            shop.products.insert(
                id,
                Product {
                    id,
                    title,
                    handle,
                    description_html: String::new(),
                    vendor: String::new(),
                    product_type: String::new(),
                    tags: Vec::new(),
                    status: "ACTIVE".to_owned(),
                    options: vec![default_option],
                    variants: vec![default_variant],
                    media: Vec::new(),
                    created_at: now,
                    updated_at: now,
                    search: Vec::new(),
                },
            );
            id
        }
    };

    let mut new_option_ids = Vec::new();
    for _ in &options {
        new_option_ids.push(shop.ids.next("ProductOption"));
    }
    let mut new_ids = Vec::new();
    for plan in &plans {
        if plan.existing.is_none() {
            new_ids.push((
                shop.ids.next("ProductVariant"),
                shop.ids.next("InventoryItem"),
            ));
        }
    }
    let mut new_media_ids = Vec::new();
    if let Some(files) = input.get("files").and_then(Value::as_array) {
        for _ in files {
            new_media_ids.push(shop.ids.next("MediaImage"));
        }
    }
    let handle_change = s(input, "handle").map(|h| shop.unique_handle(h, Some(id)));
    let Some(p) = shop.products.get_mut(&id) else {
        return SetResult::default();
    };

    if let Some(t) = title {
        p.title = t.to_owned();
    }
    if let Some(h) = handle_change {
        p.handle = h;
    }
    if let Some(d) = s(input, "descriptionHtml") {
        p.description_html = d.to_owned();
    }
    if let Some(v) = s(input, "vendor") {
        p.vendor = v.to_owned();
    }
    if let Some(t) = s(input, "productType") {
        p.product_type = t.to_owned();
    }
    if let Some(st) = s(input, "status") {
        p.status = st.to_owned();
    }
    match input.get("tags") {
        Some(Value::Array(tags)) => {
            p.tags = tags
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        Some(Value::String(t)) => {
            p.tags = t
                .split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect();
        }
        _ => {}
    }
    if options_in.is_some() {
        p.options = options
            .iter()
            .zip(new_option_ids)
            .map(|((name, values), oid)| {
                let keep = p.options.iter().find(|o| &o.name == name).map(|o| o.id);
                ProductOption {
                    id: keep.unwrap_or(oid),
                    name: name.clone(),
                    values: values.clone(),
                }
            })
            .collect();
    }
    if variants_in.is_some() {
        let mut fresh = new_ids.into_iter();
        let mut next = Vec::with_capacity(plans.len());
        for plan in plans {
            let mut v = match plan.existing.and_then(|vid| p.variant(vid).cloned()) {
                Some(v) => v,
                None => {
                    let (vid, iid) = fresh.next().unwrap_or((0, 0));
                    Variant {
                        id: vid,
                        inventory_item_id: iid,
                        sku: String::new(),
                        barcode: None,
                        price: Decimal::ZERO,
                        compare_at_price: None,
                        cost: None,
                        weight: None,
                        option_values: Vec::new(),
                        tracked: false,
                        requires_shipping: true,
                        created_at: now,
                        updated_at: now,
                    }
                }
            };
            let before = v.clone();
            apply_variant(&mut v, &plan.input, plan.option_values);
            if v != before {
                v.updated_at = now;
            }
            next.push(v);
        }
        p.variants = next;
    }
    if let Some(files) = input.get("files").and_then(Value::as_array) {
        let mut media = Vec::new();
        for (f, mid) in files.iter().zip(new_media_ids) {
            let keep = f
                .get("id")
                .and_then(Value::as_str)
                .and_then(|g| parse_gid("MediaImage", g))
                .and_then(|n| p.media.iter().find(|m| m.id == n).cloned());
            media.push(keep.unwrap_or_else(|| {
                Media {
                    id: mid,
                    url: f
                        .get("originalSource")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    alt: f
                        .get("alt")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                }
            }));
        }
        p.media = media;
    }
    p.updated_at = now;
    p.reindex(now, lag);

    let operation = if synchronous {
        None
    } else {
        let op = shop.ids.next("ProductSetOperation");
        shop.operations.insert(
            op,
            Operation {
                product_id: Some(id),
                errors: Vec::new(),
            },
        );
        Some(op)
    };
    SetResult {
        product_id: synchronous.then_some(id),
        errors: Vec::new(),
        operation,
        committed: true,
    }
}

fn apply_variant(v: &mut Variant, input: &Map<String, Value>, option_values: Vec<String>) {
    v.option_values = option_values;
    if let Some(sku) = s(input, "sku") {
        v.sku = sku.to_owned();
    }
    match input.get("barcode") {
        Some(Value::Null) => v.barcode = None,
        Some(Value::String(b)) => v.barcode = Some(b.clone()),
        _ => {}
    }
    if let Some(p) = input.get("price").and_then(decimal) {
        v.price = p;
    }
    match input.get("compareAtPrice") {
        Some(Value::Null) => v.compare_at_price = None,
        Some(x) => v.compare_at_price = decimal(x).or(v.compare_at_price),
        None => {}
    }
    if let Some(inv) = input.get("inventoryItem").and_then(Value::as_object) {
        if let Some(sku) = s(inv, "sku") {
            v.sku = sku.to_owned();
        }
        match inv.get("cost") {
            Some(Value::Null) => v.cost = None,
            Some(c) => v.cost = decimal(c).or(v.cost),
            None => {}
        }
        if let Some(t) = inv.get("tracked").and_then(Value::as_bool) {
            v.tracked = t;
        }
        if let Some(r) = inv.get("requiresShipping").and_then(Value::as_bool) {
            v.requires_shipping = r;
        }
        if let Some(w) = inv.get("measurement").and_then(|m| m.get("weight")) {
            match (
                w.get("value").and_then(decimal),
                w.get("unit").and_then(Value::as_str),
            ) {
                (Some(value), Some(unit)) => v.weight = Some((value, unit.to_owned())),
                _ if w.is_null() => v.weight = None,
                _ => {}
            }
        }
    }
}
