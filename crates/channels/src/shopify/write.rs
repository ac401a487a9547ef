//! Writing products with `productSet`, which sets a whole product — its fields, options and
//! complete variant list — in one call, and answers with every variant's id.
//!
//! Why productSet rather than productCreate + productVariantsBulkCreate/Update: one call per
//! product (several per request, as aliased fields), no partial states (a refused input writes
//! nothing), variants added, changed and removed together, and with `identifier: {id}` an
//! update can be repeated safely after an ambiguous failure. The price of it: the variant list
//! is replaced, so the full catalog list is always sent (bound variants with their ids), and
//! variants that exist only on Shopify in a product we write are removed there — the catalog
//! is the source of truth for what a product it owns contains.
//!
//! Never duplicating: a variant bound by the engine is written by id; an unbound one is first
//! looked up by SKU and adopted if found (the lowest product id, then variant id, wins when a
//! SKU is on several variants, which Shopify allows); only then is a product created. A create
//! whose outcome is unknown (timeout, 5xx, dropped connection) is looked up again — by search
//! and, because the search index lags, among the newest products read directly — before
//! anything is sent again.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use techoms_domain::WeightUnit;

use super::ShopifyConnector;
use super::client::{Gql, TRANSIENT_ATTEMPTS, backoff};
use super::cost;
use super::lookup::Hit;
use super::mapping::{product_set_input, sku_key};
use super::queries;
use super::read::gid_number;
use super::wire::{SetPayload, SetVariant, take};
use crate::error::ChannelError;
use crate::model::{ExportProduct, RemoteIds, WriteOutcome, WriteResult};

/// Products per request at most (aliased productSet fields), whatever the cost allows: bounds
/// what a single ambiguous failure puts in doubt.
pub const MAX_PER_REQUEST: usize = 50;
/// Attempts of a request that keeps being throttled.
const THROTTLE_ATTEMPTS: u32 = 8;

#[derive(Debug, Clone)]
struct Plan {
    product: ExportProduct,
    /// The Shopify product written to; `None` creates one.
    target: Option<String>,
    /// Per catalog variant: Shopify variant and inventory item ids when known.
    ids: Vec<Option<(String, Option<String>)>>,
    /// Per catalog variant: found by SKU in this call (not through a binding).
    adopted: Vec<bool>,
    /// Per catalog variant: why it is not written (its SKU lives in another product).
    refused: Vec<Option<String>>,
    /// A create that an ambiguous failure may have carried out, found again by SKU.
    recovered: bool,
}

impl Plan {
    fn sent(&self) -> Vec<usize> {
        (0..self.product.variants.len())
            .filter(|i| self.refused[*i].is_none())
            .collect()
    }

    /// Results are reported for changed variants and for any whose ids this call learns.
    fn reportable(&self, i: usize) -> bool {
        self.product.variants[i].changed
            || self.product.variants[i].remote.is_none()
            || self.adopted[i]
    }

    fn needs_write(&self) -> bool {
        !self.sent().is_empty() && self.sent().iter().any(|&i| self.reportable(i))
    }

    fn variants_first(&self) -> u64 {
        (self.sent().len() as u64).clamp(1, cost::MAX_PAGE)
    }

    fn cost(&self) -> u64 {
        cost::product_set(self.variants_first())
    }

    fn result(&self, i: usize, outcome: WriteOutcome) -> WriteResult {
        let v = &self.product.variants[i];
        WriteResult {
            key: v.key.clone(),
            sku: v.sku.clone(),
            outcome,
        }
    }

    fn fail_all(&self, message: &str) -> Vec<WriteResult> {
        self.sent()
            .into_iter()
            .filter(|&i| self.reportable(i))
            .map(|i| {
                self.result(
                    i,
                    WriteOutcome::Failed {
                        message: message.to_owned(),
                    },
                )
            })
            .collect()
    }

    fn refusals(&self) -> Vec<WriteResult> {
        (0..self.product.variants.len())
            .filter_map(|i| {
                self.refused[i]
                    .as_ref()
                    .map(|m| self.result(i, WriteOutcome::Failed { message: m.clone() }))
            })
            .collect()
    }
}

/// Decide, per product, what to write where.
fn plan(product: ExportProduct, hits: &BTreeMap<String, Vec<Hit>>) -> Plan {
    let n = product.variants.len();
    let mut target = product.remote_id.clone().or_else(|| {
        product
            .variants
            .iter()
            .find_map(|v| v.remote.as_ref().map(|r| r.product_id.clone()))
    });
    let mut ids: Vec<Option<(String, Option<String>)>> = product
        .variants
        .iter()
        .map(|v| {
            v.remote
                .as_ref()
                .map(|r| (r.variant_id.clone(), r.inventory_item_id.clone()))
        })
        .collect();
    let mut adopted = vec![false; n];
    let mut refused = vec![None; n];
    let hits_of = |i: usize| -> &[Hit] {
        hits.get(&sku_key(&product.variants[i].sku))
            .map_or(&[][..], Vec::as_slice)
    };
    if target.is_none() {
        // Adopt the product of the first variant (in catalog order) that Shopify already has.
        target = (0..n).find_map(|i| hits_of(i).first().map(|h| h.product_id.clone()));
    }
    if let Some(t) = &target {
        for i in 0..n {
            if ids[i].is_some() {
                continue;
            }
            let hs = hits_of(i);
            if let Some(h) = hs.iter().find(|h| &h.product_id == t) {
                // Another catalog variant may have claimed this remote variant already.
                let taken = ids.iter().flatten().any(|(vid, _)| vid == &h.variant_id);
                if !taken {
                    ids[i] = Some((h.variant_id.clone(), None));
                    adopted[i] = true;
                    continue;
                }
            }
            if let Some(h) = hs.first().filter(|h| &h.product_id != t) {
                refused[i] = Some(format!(
                    "SKU {} already exists on another Shopify product ({}, variant {}); techOMS will not create a duplicate",
                    product.variants[i].sku, h.product_id, h.variant_id
                ));
            }
        }
    }
    Plan {
        product,
        target,
        ids,
        adopted,
        refused,
        recovered: false,
    }
}

/// The product as if never bound: every variant to be found by SKU or created.
fn as_unbound(mut p: ExportProduct) -> ExportProduct {
    p.remote_id = None;
    for v in &mut p.variants {
        v.remote = None;
        v.changed = true;
    }
    p
}

/// Which sent variant a user error points at (`["input", "variants", "3", "price"]` → 3).
fn error_variant(field: &[String]) -> Option<usize> {
    let at = field.iter().position(|f| f == "variants")?;
    field.get(at + 1)?.parse().ok()
}

enum ChunkEnd {
    Answered(Value),
    /// Still failing transiently after every attempt (creates were looked up again).
    GaveUp(String),
}

impl ShopifyConnector {
    pub(super) async fn write(
        &self,
        products: Vec<ExportProduct>,
    ) -> Result<Vec<WriteResult>, ChannelError> {
        let unit = self.shop_info().await?.weight_unit;
        let unbound: Vec<String> = products
            .iter()
            .flat_map(|p| p.variants.iter())
            .filter(|v| v.remote.is_none() && !v.sku.trim().is_empty())
            .map(|v| v.sku.clone())
            .collect();
        let hits = if unbound.is_empty() {
            BTreeMap::new()
        } else {
            self.find_hits(&unbound).await?
        };
        let mut results = Vec::new();
        let mut plans = Vec::new();
        for p in products {
            let pl = plan(p, &hits);
            results.extend(pl.refusals());
            if pl.needs_write() {
                plans.push(pl);
            }
        }

        let mut written_any = false;
        let mut last_failure: Option<String> = None;
        // Bound products that no longer exist on Shopify (deleted there).
        let mut gone: Vec<ExportProduct> = Vec::new();
        let mut start = 0;
        while start < plans.len() {
            let limit = self.client.limiter.limit().await / self.client.factor("write");
            let mut end = start;
            let mut total = 0;
            while end < plans.len() && end - start < MAX_PER_REQUEST {
                let c = plans[end].cost();
                if end > start && (total + c) as f64 > limit {
                    break;
                }
                total += c;
                end += 1;
            }
            let chunk = &mut plans[start..end];
            match self.send_chunk(chunk, unit).await? {
                ChunkEnd::Answered(data) => {
                    written_any = true;
                    for (k, pl) in chunk.iter().enumerate() {
                        match self.outcomes(pl, &data, k).await? {
                            Some(r) => results.extend(r),
                            None => gone.push(as_unbound(pl.product.clone())),
                        }
                    }
                }
                ChunkEnd::GaveUp(message) => {
                    for pl in chunk.iter() {
                        if pl.recovered {
                            // A create that did happen after all: report what was found.
                            written_any = true;
                            results.extend(
                                pl.sent()
                                    .into_iter()
                                    .filter(|&i| pl.reportable(i))
                                    .map(|i| {
                                        let outcome = match (&pl.ids[i], &pl.target) {
                                            (Some((vid, inv)), Some(pid)) => {
                                                WriteOutcome::Updated {
                                                    ids: RemoteIds {
                                                        product_id: pid.clone(),
                                                        variant_id: vid.clone(),
                                                        inventory_item_id: inv.clone(),
                                                    },
                                                    adopted: true,
                                                }
                                            }
                                            _ => WriteOutcome::Failed {
                                                message: message.clone(),
                                            },
                                        };
                                        pl.result(i, outcome)
                                    }),
                            );
                        } else {
                            results.extend(pl.fail_all(&message));
                        }
                    }
                    last_failure = Some(message);
                }
            }
            start = end;
        }
        if let (false, Some(message)) = (written_any, last_failure) {
            // Nothing in this call reached Shopify: let the engine retry the whole batch.
            return Err(ChannelError::Transient(message));
        }
        if !gone.is_empty() {
            // Written again as new products (after a SKU lookup, like any unbound product).
            // They carry no ids any more, so this goes one level deep at most.
            tracing::info!(
                count = gone.len(),
                "bound Shopify products were deleted there; recreating them"
            );
            results.extend(Box::pin(self.write(gone)).await?);
        }
        Ok(results)
    }

    fn build(&self, chunk: &[Plan], unit: WeightUnit) -> Gql {
        let mut vars = serde_json::Map::new();
        let mut estimate = 0;
        for (k, pl) in chunk.iter().enumerate() {
            let sent = pl.sent();
            let ids: Vec<Option<String>> = sent
                .iter()
                .map(|&i| pl.ids[i].as_ref().map(|(v, _)| v.clone()))
                .collect();
            let mut product = pl.product.clone();
            product.variants = sent
                .iter()
                .map(|&i| pl.product.variants[i].clone())
                .collect();
            vars.insert(
                format!("input{k}"),
                product_set_input(&product, &ids, unit, pl.target.is_none()),
            );
            vars.insert(
                format!("identifier{k}"),
                pl.target
                    .as_ref()
                    .map_or(Value::Null, |t| json!({ "id": t })),
            );
            vars.insert(format!("variantsFirst{k}"), json!(pl.variants_first()));
            estimate += pl.cost();
        }
        Gql {
            kind: "write",
            query: queries::product_set(chunk.len()),
            variables: Value::Object(vars),
            estimate: estimate as f64,
        }
    }

    async fn send_chunk(
        &self,
        chunk: &mut [Plan],
        unit: WeightUnit,
    ) -> Result<ChunkEnd, ChannelError> {
        let mut throttled = 0;
        let mut transient = 0;
        loop {
            let q = self.build(chunk, unit);
            match self.client.send(&q).await {
                Ok(resp) => return Ok(ChunkEnd::Answered(resp.data)),
                Err(e @ ChannelError::Throttled { .. }) => {
                    // Throttled requests were not executed: sending them again is safe.
                    throttled += 1;
                    if throttled >= THROTTLE_ATTEMPTS {
                        return Err(e);
                    }
                }
                Err(ChannelError::Transient(message)) => {
                    transient += 1;
                    tracing::warn!(attempt = transient, error = %message, "Shopify write failed; looking up creates before retrying");
                    self.recover(chunk).await?;
                    if transient >= TRANSIENT_ATTEMPTS {
                        return Ok(ChunkEnd::GaveUp(message));
                    }
                    tokio::time::sleep(backoff(transient - 1)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// After an ambiguous failure: find the products the creates in `chunk` may have made,
    /// and turn those creates into updates of what was found.
    async fn recover(&self, chunk: &mut [Plan]) -> Result<(), ChannelError> {
        let creates: Vec<usize> = (0..chunk.len())
            .filter(|&k| chunk[k].target.is_none())
            .collect();
        if creates.is_empty() {
            return Ok(());
        }
        let first_key = |pl: &Plan| -> Option<String> {
            pl.sent()
                .first()
                .map(|&i| sku_key(&pl.product.variants[i].sku))
                .filter(|k| !k.is_empty())
        };
        let skus: Vec<String> = creates
            .iter()
            .flat_map(|&k| chunk[k].sent().into_iter().map(move |i| (k, i)))
            .map(|(k, i)| chunk[k].product.variants[i].sku.clone())
            .collect();
        let hits = self.find_hits(&skus).await?;
        let mut found: HashMap<usize, String> = HashMap::new();
        for &k in &creates {
            let Some(key) = first_key(&chunk[k]) else {
                continue;
            };
            // The newest product with the SKU: the one this create made.
            if let Some(h) = hits
                .get(&key)
                .and_then(|hs| hs.iter().max_by_key(|h| gid_number(&h.product_id)))
            {
                found.insert(k, h.product_id.clone());
            }
        }
        let missing: Vec<usize> = creates
            .iter()
            .copied()
            .filter(|k| !found.contains_key(k))
            .collect();
        if !missing.is_empty() {
            let recent = self.recent_products(missing.len() as u64 * 2 + 10).await?;
            for &k in &missing {
                let Some(key) = first_key(&chunk[k]) else {
                    continue;
                };
                if let Some((pid, _)) = recent.iter().find(|(_, sku)| sku_key(sku) == key) {
                    found.insert(k, pid.clone());
                }
            }
        }
        if found.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = found.values().cloned().collect();
        let products = self.products_by_id(&ids).await?;
        for (k, pid) in found {
            let Some(remote) = products.iter().find(|p| p.remote_id == pid) else {
                continue;
            };
            let pl = &mut chunk[k];
            let mut by_key: BTreeMap<String, Vec<&crate::model::RemoteVariant>> = BTreeMap::new();
            for v in &remote.variants {
                by_key.entry(sku_key(&v.sku)).or_default().push(v);
            }
            for i in pl.sent() {
                let key = sku_key(&pl.product.variants[i].sku);
                if let Some(v) = by_key
                    .get_mut(&key)
                    .and_then(|vs| (!vs.is_empty()).then(|| vs.remove(0)))
                {
                    pl.ids[i] = Some((v.remote_id.clone(), v.inventory_item_id.clone()));
                    pl.adopted[i] = true;
                }
            }
            tracing::info!(product = %pid, "found the product an ambiguous create made; updating it instead");
            pl.target = Some(pid);
            pl.recovered = true;
        }
        Ok(())
    }

    /// Per-variant results of one productSet, or `None` when the bound product it updated
    /// no longer exists.
    async fn outcomes(
        &self,
        pl: &Plan,
        data: &Value,
        k: usize,
    ) -> Result<Option<Vec<WriteResult>>, ChannelError> {
        let payload: SetPayload = take(data, &format!("/p{k}"))?;
        let sent = pl.sent();
        let target_gone = payload.user_errors.iter().any(|e| {
            e.field
                .as_deref()
                .is_some_and(|f| f.first().map(String::as_str) == Some("identifier"))
        });
        if target_gone && !pl.recovered {
            return Ok(None);
        }
        if !payload.user_errors.is_empty() {
            let all: Vec<&str> = payload
                .user_errors
                .iter()
                .map(|e| e.message.as_str())
                .collect();
            let mut own: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
            for e in &payload.user_errors {
                if let Some(pos) = e.field.as_deref().and_then(error_variant)
                    && let Some(&i) = sent.get(pos)
                {
                    own.entry(i).or_default().push(e.message.as_str());
                }
            }
            return Ok(Some(
                sent.iter()
                    .copied()
                    .filter(|&i| pl.reportable(i) || own.contains_key(&i))
                    .map(|i| {
                        let message = match own.get(&i) {
                            Some(m) => m.join("; "),
                            None => format!(
                                "not written: Shopify refused the product: {}",
                                all.join("; ")
                            ),
                        };
                        pl.result(i, WriteOutcome::Failed { message })
                    })
                    .collect(),
            ));
        }
        let Some(product) = payload.product else {
            return Ok(Some(pl.fail_all(
                "Shopify answered productSet with neither a product nor an error",
            )));
        };
        let mut variants: Vec<SetVariant> = product.variants.nodes.clone();
        let mut after = product.variants.has_next().map(str::to_owned);
        while let Some(a) = after {
            let (more, next) = self.more_variants(&product.id, Some(a), None).await?;
            variants.extend(more.into_iter().map(|v| SetVariant {
                id: v.id,
                sku: v.sku,
                inventory_item: v.inventory_item.map(|i| super::wire::IdOnly { id: i.id }),
            }));
            after = next;
        }
        let mut by_key: BTreeMap<String, Vec<&SetVariant>> = BTreeMap::new();
        for v in &variants {
            by_key
                .entry(sku_key(v.sku.as_deref().unwrap_or("")))
                .or_default()
                .push(v);
        }
        let mut out = Vec::new();
        for (pos, &i) in sent.iter().enumerate() {
            if !pl.reportable(i) {
                continue;
            }
            let key = sku_key(&pl.product.variants[i].sku);
            let v = by_key
                .get_mut(&key)
                .filter(|vs| !key.is_empty() && !vs.is_empty())
                .map(|vs| vs.remove(0))
                .or_else(|| variants.get(pos));
            let outcome = match v {
                None => WriteOutcome::Failed {
                    message: "Shopify did not return this variant after productSet".to_owned(),
                },
                Some(v) => {
                    let ids = RemoteIds {
                        product_id: product.id.clone(),
                        variant_id: v.id.clone(),
                        inventory_item_id: v.inventory_item.as_ref().map(|x| x.id.clone()),
                    };
                    if pl.ids[i].is_none() {
                        WriteOutcome::Created(ids)
                    } else {
                        WriteOutcome::Updated {
                            ids,
                            adopted: pl.adopted[i],
                        }
                    }
                }
            };
            out.push(pl.result(i, outcome));
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_paths_point_at_variants() {
        let f = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            error_variant(&f(&["input", "variants", "3", "price"])),
            Some(3)
        );
        assert_eq!(error_variant(&f(&["input", "title"])), None);
    }
}
