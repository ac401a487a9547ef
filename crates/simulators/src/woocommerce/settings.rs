//! `GET /settings/products[/{id}]`: the "Products" settings group, where the store's weight
//! and dimension units live.

use serde_json::{Value, json};

use super::errors::WcError;
use super::render::RenderCtx;
use super::store::Store;

fn options(keys: &[&str]) -> Value {
    Value::Object(keys.iter().map(|k| ((*k).to_owned(), json!(k))).collect())
}

struct Def {
    id: &'static str,
    label: &'static str,
    description: &'static str,
    kind: &'static str,
    default: &'static str,
    options: Option<&'static [&'static str]>,
}

const DEFS: [Def; 4] = [
    Def {
        id: "woocommerce_placeholder_image",
        label: "Placeholder image",
        description: "This is the attachment ID, or image URL, used for placeholder images in the product catalog.",
        kind: "text",
        default: "",
        options: None,
    },
    Def {
        id: "woocommerce_weight_unit",
        label: "Weight unit",
        description: "This controls what unit you will define weights in.",
        kind: "select",
        default: "kg",
        options: Some(&["kg", "g", "lbs", "oz"]),
    },
    Def {
        id: "woocommerce_dimension_unit",
        label: "Dimensions unit",
        description: "This controls what unit you will define lengths in.",
        kind: "select",
        default: "cm",
        options: Some(&["m", "cm", "mm", "in", "yd"]),
    },
    Def {
        id: "woocommerce_enable_reviews",
        label: "Enable product reviews",
        description: "Enable product reviews",
        kind: "checkbox",
        default: "yes",
        options: None,
    },
];

fn value(store: &Store, id: &str) -> Value {
    match id {
        "woocommerce_weight_unit" => json!(store.settings.weight_unit),
        "woocommerce_dimension_unit" => json!(store.settings.dimension_unit),
        "woocommerce_placeholder_image" => json!("7"),
        _ => json!("yes"),
    }
}

fn render(store: &Store, rc: &RenderCtx, d: &Def) -> Value {
    let mut s = json!({
        "id": d.id,
        "label": d.label,
        "description": d.description,
        "type": d.kind,
        "default": d.default,
        "tip": d.description,
        "value": value(store, d.id),
        "_links": {
            "self": [{"href": rc.api(&format!("settings/products/{}", d.id))}],
            "collection": [{"href": rc.api("settings/products")}],
        },
    });
    if let (Some(o), Some(obj)) = (d.options, s.as_object_mut()) {
        obj.insert("options".into(), options(o));
    }
    s
}

fn settings(store: &Store, rc: &RenderCtx) -> Vec<Value> {
    DEFS.iter().map(|d| render(store, rc, d)).collect()
}

pub fn all(store: &Store, rc: &RenderCtx) -> Value {
    Value::Array(settings(store, rc))
}

pub fn one(store: &Store, rc: &RenderCtx, id: &str) -> Result<Value, WcError> {
    settings(store, rc)
        .into_iter()
        .find(|s| s["id"] == id)
        .ok_or_else(|| WcError::new(404, "rest_setting_setting_invalid", "Invalid setting."))
}
