//! Writing products. A techOMS product maps to one ShipBob product (the dated API's container)
//! holding one ShipBob variant per techOMS variant; the SKU is the identity throughout.
//!
//! - Bound variants are updated with one merge patch per ShipBob product
//!   (`PATCH /{v}/product/{id}` with `variants: [{id, …}]`). If ShipBob refuses the patch, each
//!   variant is retried alone so that one bad item fails only itself; a refused variant whose
//!   SKU now lives elsewhere (merged or moved in ShipBob) is found by SKU and updated there.
//! - A new variant of a product that already has a ShipBob product is added to it
//!   (`POST /{v}/product/{id}/variants`, one variant per call so a refusal stays with its
//!   item); otherwise a new ShipBob product is created for it (`POST /{v}/product`) and the
//!   product's other new variants join that one.
//! - A create refused because the SKU exists (ShipBob answers 422) adopts the existing variant.
//!   A create that ends ambiguously (timeout, 5xx, dropped connection) is never repeated
//!   blindly: the SKU is looked up first and, if the first attempt made it, adopted.
//! - An adopted variant is patched only if it differs from what we would write.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::http::{Http, Repeat};
use super::mapping::{self, has_sku};
use super::read::lookup_sku;
use super::wire;
use crate::error::ChannelError;
use crate::model::{ExportProduct, ExportVariant, RemoteIds, WriteOutcome, WriteResult};

/// Create attempts per variant when each one ends ambiguously and the lookup finds nothing.
const MAX_CREATE_ATTEMPTS: u32 = 3;
const CREATE_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

pub async fn write_products(
    http: &Http,
    products: &[ExportProduct],
) -> Result<Vec<WriteResult>, ChannelError> {
    let mut out = Vec::new();
    for p in products {
        out.extend(write_product(http, p).await?);
    }
    Ok(out)
}

fn result(v: &ExportVariant, outcome: WriteOutcome) -> WriteResult {
    WriteResult {
        key: v.key.clone(),
        sku: v.sku.clone(),
        outcome,
    }
}

fn parse_ids(r: &RemoteIds) -> Option<(u64, u64)> {
    Some((
        r.product_id.trim().parse().ok()?,
        r.variant_id.trim().parse().ok()?,
    ))
}

async fn write_product(http: &Http, p: &ExportProduct) -> Result<Vec<WriteResult>, ChannelError> {
    let own_product = p
        .remote_id
        .as_deref()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let mut container = own_product.or_else(|| {
        p.variants
            .iter()
            .find_map(|v| v.remote.as_ref().and_then(parse_ids))
            .map(|(pid, _)| pid)
    });
    let mut results = Vec::new();
    let mut groups: BTreeMap<u64, Vec<(&ExportVariant, u64)>> = BTreeMap::new();
    let mut to_create = Vec::new();
    for v in p.variants.iter().filter(|v| v.changed) {
        if v.sku.trim().is_empty() {
            results.push(result(
                v,
                WriteOutcome::Failed {
                    message: "the variant has no SKU; ShipBob needs one".into(),
                },
            ));
            continue;
        }
        match v.remote.as_ref().and_then(parse_ids) {
            Some((pid, vid)) => groups.entry(pid).or_default().push((v, vid)),
            None => to_create.push(v),
        }
    }
    for (pid, items) in groups {
        let include_name = own_product == Some(pid);
        for (v, outcome) in patch_group(http, p, pid, &items, include_name).await? {
            match outcome {
                Some(o) => results.push(result(v, o)),
                // The ShipBob product is gone: what it held is created (or found) anew.
                None => {
                    if container == Some(pid) {
                        container = None;
                    }
                    to_create.push(v);
                }
            }
        }
    }
    for v in to_create {
        let outcome = create(http, p, v, &mut container).await?;
        results.push(result(v, outcome));
    }
    Ok(results)
}

fn product_target(http: &Http, pid: u64) -> String {
    format!("{}/{pid}", http.product_path())
}

/// Ids of variant `vid` in a product ShipBob returned, or what we knew.
fn ids_in(product: Option<&wire::Product>, pid: u64, vid: u64, v: &ExportVariant) -> RemoteIds {
    product
        .and_then(|p| {
            p.variants()
                .iter()
                .find(|x| x.id == vid)
                .map(|x| mapping::ids(p, x))
        })
        .unwrap_or_else(|| RemoteIds {
            product_id: pid.to_string(),
            variant_id: vid.to_string(),
            inventory_item_id: v.remote.as_ref().and_then(|r| r.inventory_item_id.clone()),
        })
}

/// Patch the bound variants of one ShipBob product. `None` for a variant means the product no
/// longer exists.
async fn patch_group<'a>(
    http: &Http,
    p: &ExportProduct,
    pid: u64,
    items: &[(&'a ExportVariant, u64)],
    include_name: bool,
) -> Result<Vec<(&'a ExportVariant, Option<WriteOutcome>)>, ChannelError> {
    let answer = send_patch(http, p, pid, items, include_name).await?;
    if answer.is_success() {
        let product: Option<wire::Product> = answer.json("updated product").ok();
        return Ok(items
            .iter()
            .map(|(v, vid)| {
                let ids = ids_in(product.as_ref(), pid, *vid, v);
                (
                    *v,
                    Some(WriteOutcome::Updated {
                        ids,
                        adopted: false,
                    }),
                )
            })
            .collect());
    }
    if answer.status == 404 {
        return Ok(items.iter().map(|(v, _)| (*v, None)).collect());
    }
    let mut out = Vec::new();
    if items.len() > 1 {
        // Find the item ShipBob refuses: each alone.
        for item in items {
            let answer = send_patch(http, p, pid, std::slice::from_ref(item), include_name).await?;
            let (v, vid) = *item;
            let outcome = if answer.is_success() {
                let product: Option<wire::Product> = answer.json("updated product").ok();
                Some(WriteOutcome::Updated {
                    ids: ids_in(product.as_ref(), pid, vid, v),
                    adopted: false,
                })
            } else if answer.status == 404 {
                None
            } else {
                Some(recover(http, p, v, (pid, vid), answer.error_text()).await?)
            };
            out.push((v, outcome));
        }
    } else if let Some(&(v, vid)) = items.first() {
        out.push((
            v,
            Some(recover(http, p, v, (pid, vid), answer.error_text()).await?),
        ));
    }
    Ok(out)
}

async fn send_patch(
    http: &Http,
    p: &ExportProduct,
    pid: u64,
    items: &[(&ExportVariant, u64)],
    include_name: bool,
) -> Result<super::http::Answer, ChannelError> {
    let variants: Vec<Value> = items
        .iter()
        .map(|(v, vid)| mapping::variant_body(p, v, Some(*vid)))
        .collect();
    let mut body = json!({ "variants": variants });
    if include_name && !p.title.trim().is_empty() {
        body["name"] = json!(p.title.trim());
    }
    http.send(
        Method::PATCH,
        &product_target(http, pid),
        Some(&body),
        Repeat::Safe,
    )
    .await
}

/// A patch of one variant was refused. If the SKU now lives at other ids (the merchant merged
/// or moved variants in ShipBob), update it there; otherwise the refusal stands.
async fn recover(
    http: &Http,
    p: &ExportProduct,
    v: &ExportVariant,
    bound: (u64, u64),
    message: String,
) -> Result<WriteOutcome, ChannelError> {
    match lookup_sku(http, &v.sku).await? {
        Some((fp, fv)) if (fp.id, fv.id) != bound => adopt(http, p, v, &fp, &fv).await,
        _ => Ok(WriteOutcome::Failed { message }),
    }
}

/// Take over an existing ShipBob variant with this SKU, bringing it up to date if needed.
async fn adopt(
    http: &Http,
    p: &ExportProduct,
    v: &ExportVariant,
    product: &wire::Product,
    variant: &wire::Variant,
) -> Result<WriteOutcome, ChannelError> {
    let ids = mapping::ids(product, variant);
    if mapping::in_sync(p, v, variant) {
        return Ok(WriteOutcome::Updated { ids, adopted: true });
    }
    let body = json!({ "variants": [mapping::variant_body(p, v, Some(variant.id))] });
    let answer = http
        .send(
            Method::PATCH,
            &product_target(http, product.id),
            Some(&body),
            Repeat::Safe,
        )
        .await?;
    if answer.is_success() {
        let updated: Option<wire::Product> = answer.json("updated product").ok();
        let ids = updated
            .as_ref()
            .and_then(|u| {
                u.variants()
                    .iter()
                    .find(|x| x.id == variant.id)
                    .map(|x| mapping::ids(u, x))
            })
            .unwrap_or(ids);
        Ok(WriteOutcome::Updated { ids, adopted: true })
    } else {
        Ok(WriteOutcome::Failed {
            message: answer.error_text(),
        })
    }
}

/// Create one variant, in `container` when there is one, else as a new product (which then
/// becomes the container for the product's other new variants).
async fn create(
    http: &Http,
    p: &ExportProduct,
    v: &ExportVariant,
    container: &mut Option<u64>,
) -> Result<WriteOutcome, ChannelError> {
    let mut last_error = None;
    for attempt in 1..=MAX_CREATE_ATTEMPTS {
        let (target, body) = match *container {
            Some(pid) => (
                format!("{}/variants", product_target(http, pid)),
                json!([mapping::variant_body(p, v, None)]),
            ),
            None => (http.product_path(), mapping::create_product_body(p, v)),
        };
        match http
            .send(Method::POST, &target, Some(&body), Repeat::Unsafe)
            .await
        {
            Ok(answer) if answer.is_success() => {
                let product: wire::Product = answer.json("created product")?;
                if let Some(created) = product.variants().iter().find(|x| has_sku(x, &v.sku)) {
                    *container = Some(product.id);
                    return Ok(WriteOutcome::Created(mapping::ids(&product, created)));
                }
                // Created, but the answer does not show the variant: find it by SKU.
                return match lookup_sku(http, &v.sku).await? {
                    Some((fp, fv)) => Ok(WriteOutcome::Created(mapping::ids(&fp, &fv))),
                    None => Err(ChannelError::Permanent(format!(
                        "ShipBob accepted SKU {} but does not show it afterwards",
                        v.sku.trim()
                    ))),
                };
            }
            Ok(answer) if answer.status == 404 && container.is_some() => {
                // The container was deleted in ShipBob: make a new product instead.
                *container = None;
            }
            Ok(answer) => {
                // Refused. ShipBob's answer for an existing SKU is 422; whatever the status,
                // a SKU that exists is adopted, never duplicated.
                let message = answer.error_text();
                return match lookup_sku(http, &v.sku).await? {
                    Some((fp, fv)) => adopt(http, p, v, &fp, &fv).await,
                    None => Ok(WriteOutcome::Failed { message }),
                };
            }
            Err(ChannelError::Transient(message)) => {
                // The create may or may not have happened: look before trying again.
                if let Some((fp, fv)) = lookup_sku(http, &v.sku).await? {
                    if container.is_none()
                        && fp.name.as_deref().map(str::trim) == Some(p.title.trim())
                    {
                        *container = Some(fp.id);
                    }
                    return adopt(http, p, v, &fp, &fv).await;
                }
                tracing::debug!(
                    attempt,
                    sku = v.sku.trim(),
                    "ShipBob create ended ambiguously; not there, trying again"
                );
                last_error = Some(message);
                tokio::time::sleep(CREATE_RETRY_PAUSE * attempt).await;
            }
            Err(e) => return Err(e),
        }
    }
    Err(ChannelError::Transient(last_error.unwrap_or_else(|| {
        format!("ShipBob kept refusing to create SKU {}", v.sku.trim())
    })))
}
