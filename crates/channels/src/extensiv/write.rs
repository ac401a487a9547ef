//! Writing items. Extensiv takes one item per request:
//! - update = read-modify-write: GET the item for its `ETag`, put our fields onto the full
//!   item, PUT it with `If-Match`; on 412 read again and re-apply (fields we do not own keep
//!   the other writer's values); never PUT without an ETag;
//! - create = POST, after one batch lookup of the SKUs to create (an existing item is adopted);
//!   a duplicate-SKU refusal also adopts; an ambiguous create (timeout, 5xx) is looked up
//!   before it is tried again.

use std::collections::HashMap;

use reqwest::Method;
use techoms_domain::SkuKey;

use super::client::{Api, Call, CallError, Retry};
use super::json;
use super::mapping::{Desired, item_id, remote_ids, sku};
use super::read::{items_by_skus, key_of};
use super::wire::{parse_fault, parse_item};
use crate::error::ChannelError;
use crate::model::{ExportProduct, ExportVariant, WriteOutcome, WriteResult};

/// Re-reads after a 412 before giving the item up as contended.
const MAX_CONFLICTS: u32 = 4;
/// Create attempts when each ends ambiguously and the lookup finds nothing.
const MAX_CREATE_ATTEMPTS: u32 = 3;

fn item_path(api: &Api, id: u64) -> String {
    format!("/customers/{}/items/{id}", api.settings.customer_id)
}

fn failed(message: impl Into<String>) -> WriteOutcome {
    WriteOutcome::Failed {
        message: message.into(),
    }
}

/// How an update attempt ended when it did not produce an outcome.
enum Update {
    Done(WriteOutcome),
    /// The item is gone (404): the binding is stale.
    Missing,
}

/// Bring an existing item in line with `desired`.
async fn update(
    api: &Api,
    id: u64,
    desired: &Desired,
    adopted: bool,
) -> Result<Update, ChannelError> {
    for _ in 0..MAX_CONFLICTS {
        let got = api.call(&Call::get(item_path(api, id))).await?;
        match got.status {
            200 => {}
            404 => return Ok(Update::Missing),
            status => {
                return Ok(Update::Done(failed(format!(
                    "reading item {id} failed (HTTP {status}): {}",
                    parse_fault(status, &got.body).text
                ))));
            }
        }
        let Some(etag) = got.etag.filter(|e| !e.trim().is_empty()) else {
            return Ok(Update::Done(failed(format!(
                "Extensiv sent item {id} without an ETag; not updating it blind"
            ))));
        };
        let mut item = parse_item(&got.body)?;
        if desired.is_satisfied_by(&item) {
            return Ok(Update::Done(WriteOutcome::Updated {
                ids: remote_ids(id),
                adopted,
            }));
        }
        desired.apply(&mut item);
        let put = Call {
            method: Method::PUT,
            path: item_path(api, id),
            query: Vec::new(),
            body: Some(json::to_string(&item)),
            if_match: Some(etag),
            retry: Retry::Safe,
        };
        let reply = api.call(&put).await?;
        match reply.status {
            200..=299 => {
                return Ok(Update::Done(WriteOutcome::Updated {
                    ids: remote_ids(id),
                    adopted,
                }));
            }
            // Someone changed the item since our GET: read it again and re-apply.
            412 => continue,
            404 => return Ok(Update::Missing),
            status => {
                return Ok(Update::Done(failed(parse_fault(status, &reply.body).text)));
            }
        }
    }
    Ok(Update::Done(failed(format!(
        "item {id} kept changing under us (HTTP 412 {MAX_CONFLICTS} times); try again later"
    ))))
}

/// The item holding this SKU, looked up now.
async fn lookup(api: &Api, sku_text: &str) -> Result<Option<u64>, ChannelError> {
    Ok(items_by_skus(api, &[sku_text.to_string()])
        .await?
        .first()
        .and_then(item_id))
}

/// Adopt the existing item `id` (found by SKU) and update it.
async fn adopt(api: &Api, id: u64, desired: &Desired) -> Result<WriteOutcome, ChannelError> {
    match update(api, id, desired, true).await? {
        Update::Done(outcome) => Ok(outcome),
        Update::Missing => Ok(failed(format!(
            "item {id} with SKU {} disappeared while it was being adopted",
            desired.sku
        ))),
    }
}

async fn create(api: &Api, desired: &Desired) -> Result<WriteOutcome, ChannelError> {
    let post = Call {
        method: Method::POST,
        path: format!("/customers/{}/items", api.settings.customer_id),
        query: Vec::new(),
        body: Some(json::to_string(
            &desired.create_body(&api.settings.inventory_unit),
        )),
        if_match: None,
        retry: Retry::CreateOnce,
    };
    let mut last_error = None;
    for _ in 0..MAX_CREATE_ATTEMPTS {
        match api.call(&post).await {
            Ok(reply) if (200..300).contains(&reply.status) => {
                let id = parse_item(&reply.body)
                    .ok()
                    .as_ref()
                    .and_then(item_id)
                    .or_else(|| {
                        reply
                            .location
                            .as_deref()
                            .and_then(|l| l.rsplit('/').next()?.parse().ok())
                    });
                let id = match id {
                    Some(id) => Some(id),
                    None => lookup(api, &desired.sku).await?,
                };
                return Ok(match id {
                    Some(id) => WriteOutcome::Created(remote_ids(id)),
                    None => failed("Extensiv accepted the item but did not say its id"),
                });
            }
            Ok(reply) => {
                let fault = parse_fault(reply.status, &reply.body);
                if fault.error_code.as_deref() == Some("Duplicate")
                    && let Some(id) = lookup(api, &desired.sku).await?
                {
                    return adopt(api, id, desired).await;
                }
                return Ok(failed(fault.text));
            }
            Err(CallError::Ambiguous(e)) => {
                // The item may exist now: never create twice.
                tracing::warn!(sku = %desired.sku, "extensiv: create ended ambiguously ({e}); looking it up");
                if let Some(id) = lookup(api, &desired.sku).await? {
                    return adopt(api, id, desired).await;
                }
                last_error = Some(e);
            }
            Err(CallError::Failed(e)) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| ChannelError::Transient("creating the item failed".into())))
}

async fn write_one(
    api: &Api,
    product: &ExportProduct,
    variant: &ExportVariant,
    existing: &HashMap<SkuKey, u64>,
) -> Result<WriteOutcome, ChannelError> {
    let desired = Desired::from_export(product, variant);
    let Some(key) = key_of(&desired.sku) else {
        return Ok(failed("the variant has no SKU; Extensiv items need one"));
    };
    if desired.description.is_empty() {
        return Ok(failed(
            "the product has no title; Extensiv items need a description",
        ));
    }
    let bound = variant
        .remote
        .as_ref()
        .and_then(|r| r.variant_id.trim().parse::<u64>().ok());
    if let Some(id) = bound {
        match update(api, id, &desired, false).await? {
            Update::Done(outcome) => return Ok(outcome),
            Update::Missing => {
                // Deleted on the warehouse side: find the SKU anew, else create it again.
                if let Some(found) = lookup(api, &desired.sku).await? {
                    return adopt(api, found, &desired).await;
                }
                return create(api, &desired).await;
            }
        }
    }
    match existing.get(&key) {
        Some(id) => adopt(api, *id, &desired).await,
        None => create(api, &desired).await,
    }
}

pub(crate) async fn write_products(
    api: &Api,
    products: Vec<ExportProduct>,
) -> Result<Vec<WriteResult>, ChannelError> {
    let jobs: Vec<(&ExportProduct, &ExportVariant)> = products
        .iter()
        .flat_map(|p| p.variants.iter().filter(|v| v.changed).map(move |v| (p, v)))
        .collect();
    // One lookup for every SKU about to be created: an item already there is adopted.
    let unbound: Vec<String> = jobs
        .iter()
        .filter(|(_, v)| v.remote.is_none())
        .map(|(_, v)| v.sku.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let mut existing = HashMap::new();
    if !unbound.is_empty() {
        for item in items_by_skus(api, &unbound).await? {
            if let (Some(k), Some(id)) = (key_of(sku(&item)), item_id(&item)) {
                existing.entry(k).or_insert(id);
            }
        }
    }
    let mut results = Vec::with_capacity(jobs.len());
    for (product, variant) in jobs {
        let outcome = write_one(api, product, variant, &existing).await?;
        results.push(WriteResult {
            key: variant.key.clone(),
            sku: variant.sku.clone(),
            outcome,
        });
    }
    Ok(results)
}
