//! Finding out what a create did when its answer was lost or refused, and adopting records
//! that already hold a SKU instead of making second ones.
//!
//! - A create refused with `product_invalid_sku` (or `woocommerce_rest_product_not_created`)
//!   carrying `data.resource_id` means the SKU is taken: the holder is looked up by SKU and
//!   updated instead (a product for a simple product, a variation wherever it lives).
//! - A batch that timed out or failed with a 5xx may have been written: its creates are
//!   looked up (by SKU; variable parents, which have no SKU, by the meta key they were
//!   created with among the newest variable products) before anything is sent again.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;

use super::WooCommerceConnector;
use super::mapping::{self, PRODUCT_KEY_META};
use super::plan::{Op, Plan};
use super::units::StoreUnits;
use super::wire::WireProduct;
use crate::error::ChannelError;

/// Newest variable products scanned for a parent whose create answer was lost.
const PARENT_SCAN: usize = 100;

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The variant a SKU-carrying create op writes.
fn create_variant(op: &Op) -> Option<(usize, usize)> {
    match op {
        Op::CreateSimple { plan } => Some((*plan, 0)),
        Op::CreateVariation { plan, variant } => Some((*plan, *variant)),
        _ => None,
    }
}

/// How a create op that found its SKU taken continues.
pub enum Adoption {
    /// Nothing holds the SKU after all: create again.
    Retry,
    /// Update the holder.
    Then(Op),
    /// The holder cannot stand for this variant.
    Refuse(String),
}

/// Decide how `op` adopts `hit` (the record holding its SKU).
pub fn adopt(plans: &mut [Plan], op: &Op, hit: &WireProduct, units: &StoreUnits) -> Adoption {
    let Some((pi, vi)) = create_variant(op) else {
        return Adoption::Retry;
    };
    if hit.is_variation() {
        return Adoption::Then(Op::UpdateVariation {
            plan: pi,
            variant: vi,
            parent: hit.parent_id,
            id: hit.id,
            adopted: true,
        });
    }
    if hit.is_variable() {
        return Adoption::Refuse(format!(
            "the SKU {} belongs to the variable product #{} in WooCommerce, which cannot stand for one variant",
            plans[pi].product.variants[vi].sku, hit.id
        ));
    }
    let plan = &mut plans[pi];
    let variant = &plan.product.variants[vi];
    let body = if plan.simple {
        plan.product_id = Some(hit.id);
        mapping::simple_update(hit.id, &plan.product, variant, Some(hit), units)
    } else {
        mapping::variant_only_update(hit.id, variant, units)
    };
    Adoption::Then(Op::UpdateProduct {
        plan: pi,
        id: hit.id,
        body,
        variant: Some((vi, true)),
    })
}

impl WooCommerceConnector {
    /// Look up the holders of the SKUs of these create ops; `preferred` names the record
    /// WooCommerce pointed at (`resource_id`) when there is one.
    async fn holders(
        &self,
        plans: &[Plan],
        ops: &[(Op, Option<u64>)],
    ) -> Result<Vec<Option<WireProduct>>, ChannelError> {
        let skus: Vec<String> = ops
            .iter()
            .filter_map(|(op, _)| create_variant(op))
            .map(|(p, v)| plans[p].product.variants[v].sku.clone())
            .collect();
        let hits = if skus.is_empty() {
            Vec::new()
        } else {
            self.sku_hits(&skus).await?
        };
        Ok(ops
            .iter()
            .map(|(op, preferred)| {
                let (p, v) = create_variant(op)?;
                let key = fold(&plans[p].product.variants[v].sku);
                preferred
                    .and_then(|id| hits.iter().find(|h| h.id == id))
                    .or_else(|| hits.iter().find(|h| fold(&h.sku) == key))
                    .cloned()
            })
            .collect())
    }

    /// Creates refused because their SKU is taken: adopt the holders. `refused` carries each
    /// op with WooCommerce's `resource_id` and message.
    pub(super) async fn adopt_refused(
        &self,
        plans: &mut [Plan],
        refused: Vec<(Op, u64, String)>,
        next: &mut Vec<Op>,
        units: &StoreUnits,
    ) -> Result<(), ChannelError> {
        if refused.is_empty() {
            return Ok(());
        }
        let lookups: Vec<(Op, Option<u64>)> = refused
            .iter()
            .map(|(op, rid, _)| (op.clone(), Some(*rid)))
            .collect();
        let holders = self.holders(plans, &lookups).await?;
        for ((op, _, message), holder) in refused.into_iter().zip(holders) {
            // No visible holder (trashed, or another process's half-finished create): report
            // the channel's own words.
            let Some(h) = holder else {
                fail_op(plans, &op, &message);
                continue;
            };
            match adopt(plans, &op, &h, units) {
                Adoption::Then(o) => next.push(o),
                Adoption::Retry => fail_op(plans, &op, &message),
                Adoption::Refuse(why) => fail_op(plans, &op, &format!("{message} ({why})")),
            }
        }
        Ok(())
    }

    /// After a batch ended without a trustworthy answer: find what its creates made, adopt
    /// it, and queue the rest (and every update, which is safe to repeat) again.
    pub(super) async fn recover(
        &self,
        plans: &mut [Plan],
        ops: Vec<Op>,
        next: &mut Vec<Op>,
        units: &StoreUnits,
    ) -> Result<(), ChannelError> {
        let mut sku_ops = Vec::new();
        let mut parent_ops = Vec::new();
        for op in ops {
            match op {
                Op::CreateSimple { .. } | Op::CreateVariation { .. } => sku_ops.push((op, None)),
                Op::CreateParent { plan } => parent_ops.push(plan),
                other => next.push(other),
            }
        }
        let holders = self.holders(plans, &sku_ops).await?;
        for ((op, _), holder) in sku_ops.into_iter().zip(holders) {
            match holder.map(|h| adopt(plans, &op, &h, units)) {
                None | Some(Adoption::Retry) => next.push(op),
                Some(Adoption::Then(o)) => next.push(o),
                Some(Adoption::Refuse(why)) => fail_op(plans, &op, &why),
            }
        }
        if !parent_ops.is_empty() {
            let keys: Vec<String> = parent_ops
                .iter()
                .map(|p| plans[*p].product.key.clone())
                .collect();
            let found = self.find_parents(&keys, parent_ops.len()).await?;
            for p in parent_ops {
                match found.get(&plans[p].product.key) {
                    Some(id) => {
                        plans[p].product_id = Some(*id);
                        plans[p].created_parent = true;
                    }
                    None => next.push(Op::CreateParent { plan: p }),
                }
            }
        }
        Ok(())
    }

    /// Variable parents carrying our product-key meta among the newest variable products.
    async fn find_parents(
        &self,
        keys: &[String],
        creates: usize,
    ) -> Result<BTreeMap<String, u64>, ChannelError> {
        let want = PARENT_SCAN.max(creates * 2);
        let mut found = BTreeMap::new();
        let mut page = 1u32;
        let mut seen = 0usize;
        while seen < want && found.len() < keys.len() {
            let q = [
                ("context", "edit".to_owned()),
                ("type", "variable".to_owned()),
                ("orderby", "id".to_owned()),
                ("order", "desc".to_owned()),
                ("per_page", "100".to_owned()),
                ("page", page.to_string()),
            ];
            let resp = self.client.get("products", &q).await?;
            let items: Vec<WireProduct> = serde_json::from_value(resp.json).unwrap_or_default();
            let n = items.len();
            for p in items {
                if let Some(Value::String(k)) = p.meta(PRODUCT_KEY_META)
                    && keys.contains(k)
                {
                    found.entry(k.clone()).or_insert(p.id);
                }
            }
            seen += n;
            if n < 100 {
                break;
            }
            page += 1;
        }
        Ok(found)
    }

    /// Remove a variable parent this call created when none of its variations made it in,
    /// so that a later attempt does not leave an empty duplicate behind. Best effort.
    pub(super) async fn remove_empty_parent(&self, id: u64) {
        let path = format!("products/{id}");
        if let Err(f) = self
            .client
            .call(Method::DELETE, &path, &[("force", "true".to_owned())], None)
            .await
        {
            tracing::warn!(product = id, error = ?f.into_channel_error(), "could not remove an empty WooCommerce parent");
        }
    }
}

/// Mark every variant an op decides as failed (a parent's failure fails its variants).
pub fn fail_op(plans: &mut [Plan], op: &Op, message: &str) {
    let pi = op.plan();
    if matches!(op, Op::CreateParent { .. })
        || matches!(op, Op::UpdateProduct { variant: None, .. })
    {
        plans[pi].product_error = Some(message.to_owned());
    }
    for v in op.variants(plans) {
        plans[pi].fail(v, message);
    }
}
