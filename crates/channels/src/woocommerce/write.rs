//! Writing products: `POST /products/batch` for simple products and variable parents, then
//! `POST /products/{id}/variations/batch` per parent, in chunks the store accepts (100 unless
//! a 413 says fewer). Work runs in rounds: adoptions and recoveries queue more operations
//! for the next round, up to [`MAX_ROUNDS`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use reqwest::Method;
use serde_json::Value;

use super::WooCommerceConnector;
use super::adopt::fail_op;
use super::client::Failure;
use super::mapping;
use super::plan::{Op, Plan, changed};
use super::units::StoreUnits;
use super::wire::batch_item_error;
use crate::error::ChannelError;
use crate::model::{ExportProduct, RemoteIds, WriteOutcome, WriteResult};

const MAX_ROUNDS: usize = 5;

/// Error codes on a create that mean "this SKU is already taken by `data.resource_id`".
const TAKEN: [&str; 2] = [
    "product_invalid_sku",
    "woocommerce_rest_product_not_created",
];

fn ids(product: u64, variant: u64) -> RemoteIds {
    RemoteIds {
        product_id: product.to_string(),
        variant_id: variant.to_string(),
        inventory_item_id: None,
    }
}

/// Per-call bookkeeping.
#[derive(Default)]
struct Run {
    round: u32,
    /// The last whole-request failure, reported on what is still unwritten at the end.
    last_failure: Option<String>,
    /// Set when the channel must not be called again in this call.
    abort: Option<ChannelError>,
}

/// A batch body and the ops behind each of its entries.
struct Batch {
    body: Value,
    creates: Vec<Op>,
    updates: Vec<Op>,
}

fn progress(plans: &[Plan]) -> bool {
    plans
        .iter()
        .any(|p| p.created_parent || p.outcomes.values().any(|o| o.ids().is_some()))
}

/// `Unable to accept more than N items for this request.` → N.
fn limit_from(message: &str) -> Option<usize> {
    message
        .split_whitespace()
        .find_map(|w| w.parse::<usize>().ok())
        .filter(|n| *n > 0)
}

impl WooCommerceConnector {
    fn batch_limit(&self) -> usize {
        self.batch_limit.load(Ordering::Relaxed).max(1)
    }

    pub(super) async fn write(
        &self,
        products: Vec<ExportProduct>,
    ) -> Result<Vec<WriteResult>, ChannelError> {
        let units = self.units().await?;
        let mut plans: Vec<Plan> = products.into_iter().map(Plan::new).collect();
        let known: Vec<u64> = plans
            .iter()
            .filter_map(|p| p.product_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let current = self.products_by_ids(&known).await?;
        for plan in &mut plans {
            plan.remote = plan
                .product_id
                .and_then(|id| current.iter().find(|r| r.id == id).cloned());
        }
        let mut queue = Vec::new();
        for (i, plan) in plans.iter_mut().enumerate() {
            queue.extend(plan.initial_ops(i, &units));
        }
        let mut run = Run::default();
        while !queue.is_empty() && (run.round as usize) < MAX_ROUNDS && run.abort.is_none() {
            run.round += 1;
            queue = self.round(&mut plans, queue, &units, &mut run).await?;
        }
        let leftover = match (&run.abort, &run.last_failure) {
            (Some(e), _) => e.to_string(),
            (None, Some(f)) => format!("not written after {MAX_ROUNDS} attempts: {f}"),
            (None, None) => "not written".to_owned(),
        };
        if let Some(e) = run.abort.take()
            && !progress(&plans)
        {
            return Err(e);
        }
        for op in &queue {
            fail_op(&mut plans, op, &leftover);
        }
        self.finish(plans, &leftover).await
    }

    async fn round(
        &self,
        plans: &mut [Plan],
        queue: Vec<Op>,
        units: &StoreUnits,
        run: &mut Run,
    ) -> Result<Vec<Op>, ChannelError> {
        let mut next = Vec::new();
        let (product_ops, variation_ops): (Vec<Op>, Vec<Op>) =
            queue.into_iter().partition(Op::is_product_level);
        if !product_ops.is_empty() {
            self.product_ops(plans, product_ops, &mut next, units, run)
                .await?;
        }
        let mut by_parent: BTreeMap<u64, Vec<Op>> = BTreeMap::new();
        for op in variation_ops {
            if run.abort.is_some() {
                next.push(op);
                continue;
            }
            match &op {
                Op::UpdateVariation { parent, .. } => {
                    by_parent.entry(*parent).or_default().push(op)
                }
                Op::CreateVariation { plan, variant } => {
                    let pending = next
                        .iter()
                        .any(|o| matches!(o, Op::CreateParent { plan: p } if p == plan));
                    match (plans[*plan].product_id, &plans[*plan].product_error) {
                        (_, Some(e)) => {
                            let e = e.clone();
                            plans[*plan].fail(*variant, &e);
                        }
                        (Some(pid), None) => by_parent.entry(pid).or_default().push(op),
                        (None, None) if pending => next.push(op),
                        (None, None) => plans[*plan].fail(
                            *variant,
                            "the WooCommerce parent product could not be created",
                        ),
                    }
                }
                _ => next.push(op),
            }
        }
        for (parent, ops) in by_parent {
            if run.abort.is_some() {
                next.extend(ops);
                continue;
            }
            self.variation_ops(plans, parent, ops, &mut next, units, run)
                .await?;
        }
        Ok(next)
    }

    fn product_entry(&self, plans: &[Plan], op: &Op, units: &StoreUnits) -> Value {
        match op {
            Op::CreateSimple { plan } => {
                let p = &plans[*plan].product;
                mapping::simple_create(p, &p.variants[0], units)
            }
            Op::CreateParent { plan } => mapping::variable_create(&plans[*plan].product),
            Op::UpdateProduct {
                plan,
                id,
                body,
                variant,
            } => match (body, variant) {
                (Value::Null, Some((v, _))) => {
                    mapping::variant_only_update(*id, &plans[*plan].product.variants[*v], units)
                }
                (body, _) => body.clone(),
            },
            _ => Value::Null,
        }
    }

    fn variation_entry(&self, plans: &[Plan], op: &Op, units: &StoreUnits) -> Value {
        let (plan, variant, id) = match op {
            Op::CreateVariation { plan, variant } => (*plan, *variant, None),
            Op::UpdateVariation {
                plan, variant, id, ..
            } => (*plan, *variant, Some(*id)),
            _ => return Value::Null,
        };
        let p = &plans[plan];
        // A techOMS simple product adopted as a variation keeps that variation's attributes.
        let options: &[String] = if p.simple { &[] } else { &p.product.options };
        mapping::variation_body(id, options, &p.product.variants[variant], units)
    }

    /// Split ops into batches of at most the store's limit.
    fn batches(
        &self,
        plans: &[Plan],
        ops: Vec<Op>,
        units: &StoreUnits,
        variations: bool,
    ) -> Vec<Batch> {
        let limit = self.batch_limit();
        let mut out = Vec::new();
        let mut ops = ops.into_iter().peekable();
        while ops.peek().is_some() {
            let chunk: Vec<Op> = ops.by_ref().take(limit).collect();
            let (creates, updates): (Vec<Op>, Vec<Op>) = chunk.into_iter().partition(|o| {
                matches!(
                    o,
                    Op::CreateSimple { .. } | Op::CreateParent { .. } | Op::CreateVariation { .. }
                )
            });
            let entry = |o: &Op| {
                if variations {
                    self.variation_entry(plans, o, units)
                } else {
                    self.product_entry(plans, o, units)
                }
            };
            let mut body = serde_json::Map::new();
            if !creates.is_empty() {
                body.insert(
                    "create".into(),
                    Value::Array(creates.iter().map(entry).collect()),
                );
            }
            if !updates.is_empty() {
                body.insert(
                    "update".into(),
                    Value::Array(updates.iter().map(entry).collect()),
                );
            }
            out.push(Batch {
                body: Value::Object(body),
                creates,
                updates,
            });
        }
        out
    }

    /// Send one batch; on success returns the answer, otherwise handles the failure (queueing
    /// what must be tried again) and returns None.
    async fn send(
        &self,
        path: &str,
        plans: &mut [Plan],
        batch: Batch,
        next: &mut Vec<Op>,
        units: &StoreUnits,
        run: &mut Run,
    ) -> Result<Option<(Value, Batch)>, ChannelError> {
        match self.client.write(Method::POST, path, &batch.body).await {
            Ok(resp) => Ok(Some((resp.json, batch))),
            Err(Failure::Refused { status: 413, error }) => {
                // Nothing was processed: the store allows fewer items per batch.
                let limit = limit_from(&error.message)
                    .unwrap_or(self.batch_limit() / 2)
                    .max(1);
                self.batch_limit.store(limit, Ordering::Relaxed);
                next.extend(batch.creates);
                next.extend(batch.updates);
                Ok(None)
            }
            Err(f @ Failure::Transient { .. }) => {
                let message = f.clone().into_channel_error().to_string();
                run.last_failure = Some(message);
                self.client.wait_after(&f, run.round).await;
                let ops: Vec<Op> = batch.creates.into_iter().chain(batch.updates).collect();
                self.recover(plans, ops, next, units).await?;
                Ok(None)
            }
            Err(f @ Failure::Auth(_)) => Err(f.into_channel_error()),
            Err(f @ Failure::Throttled { .. }) => {
                run.abort = Some(f.into_channel_error());
                next.extend(batch.creates);
                next.extend(batch.updates);
                Ok(None)
            }
            Err(f) => {
                let message = f.into_channel_error().to_string();
                for op in batch.creates.iter().chain(&batch.updates) {
                    fail_op(plans, op, &message);
                }
                Ok(None)
            }
        }
    }

    async fn product_ops(
        &self,
        plans: &mut [Plan],
        ops: Vec<Op>,
        next: &mut Vec<Op>,
        units: &StoreUnits,
        run: &mut Run,
    ) -> Result<(), ChannelError> {
        for batch in self.batches(plans, ops, units, false) {
            if run.abort.is_some() {
                next.extend(batch.creates);
                next.extend(batch.updates);
                continue;
            }
            let Some((answer, batch)) = self
                .send("products/batch", plans, batch, next, units, run)
                .await?
            else {
                continue;
            };
            let mut refused = Vec::new();
            for (i, op) in batch.creates.iter().enumerate() {
                let item = answer.get("create").and_then(|c| c.get(i));
                match (item, item.and_then(batch_item_error)) {
                    (None, _) => fail_op(
                        plans,
                        op,
                        "WooCommerce's batch answer had no entry for this product",
                    ),
                    (Some(_), Some(e)) => match e.resource_id() {
                        Some(rid)
                            if TAKEN.contains(&e.code.as_str())
                                && !matches!(op, Op::CreateParent { .. }) =>
                        {
                            refused.push((op.clone(), rid, e.message));
                        }
                        _ => fail_op(plans, op, &e.message),
                    },
                    (Some(item), None) => {
                        let id = item.get("id").and_then(Value::as_u64).unwrap_or(0);
                        let plan = &mut plans[op.plan()];
                        plan.product_id = Some(id);
                        match op {
                            Op::CreateSimple { .. } => {
                                plan.outcomes.insert(0, WriteOutcome::Created(ids(id, id)));
                            }
                            _ => plan.created_parent = true,
                        }
                    }
                }
            }
            for (i, op) in batch.updates.iter().enumerate() {
                let item = answer.get("update").and_then(|c| c.get(i));
                match (item, item.and_then(batch_item_error)) {
                    (None, _) => fail_op(
                        plans,
                        op,
                        "WooCommerce's batch answer had no entry for this product",
                    ),
                    (Some(_), Some(e)) => fail_op(plans, op, &e.message),
                    (Some(_), None) => {
                        if let Op::UpdateProduct {
                            plan,
                            id,
                            variant: Some((v, adopted)),
                            ..
                        } = op
                        {
                            plans[*plan].outcomes.insert(
                                *v,
                                WriteOutcome::Updated {
                                    ids: ids(*id, *id),
                                    adopted: *adopted,
                                },
                            );
                        }
                    }
                }
            }
            self.adopt_refused(plans, refused, next, units).await?;
        }
        Ok(())
    }

    async fn variation_ops(
        &self,
        plans: &mut [Plan],
        parent: u64,
        ops: Vec<Op>,
        next: &mut Vec<Op>,
        units: &StoreUnits,
        run: &mut Run,
    ) -> Result<(), ChannelError> {
        let path = format!("products/{parent}/variations/batch");
        for batch in self.batches(plans, ops, units, true) {
            if run.abort.is_some() {
                next.extend(batch.creates);
                next.extend(batch.updates);
                continue;
            }
            let Some((answer, batch)) = self.send(&path, plans, batch, next, units, run).await?
            else {
                continue;
            };
            let mut refused = Vec::new();
            for (i, op) in batch.creates.iter().enumerate() {
                let item = answer.get("create").and_then(|c| c.get(i));
                match (item, item.and_then(batch_item_error)) {
                    (None, _) => fail_op(
                        plans,
                        op,
                        "WooCommerce's batch answer had no entry for this variation",
                    ),
                    (Some(_), Some(e)) => match e.resource_id() {
                        Some(rid) if TAKEN.contains(&e.code.as_str()) => {
                            refused.push((op.clone(), rid, e.message))
                        }
                        _ => fail_op(plans, op, &e.message),
                    },
                    (Some(item), None) => {
                        let id = item.get("id").and_then(Value::as_u64).unwrap_or(0);
                        if let Op::CreateVariation { plan, variant } = op {
                            plans[*plan]
                                .outcomes
                                .insert(*variant, WriteOutcome::Created(ids(parent, id)));
                        }
                    }
                }
            }
            for (i, op) in batch.updates.iter().enumerate() {
                let item = answer.get("update").and_then(|c| c.get(i));
                match (item, item.and_then(batch_item_error)) {
                    (None, _) => fail_op(
                        plans,
                        op,
                        "WooCommerce's batch answer had no entry for this variation",
                    ),
                    (Some(_), Some(e)) => fail_op(plans, op, &e.message),
                    (Some(_), None) => {
                        if let Op::UpdateVariation {
                            plan,
                            variant,
                            id,
                            adopted,
                            ..
                        } = op
                        {
                            plans[*plan].outcomes.insert(
                                *variant,
                                WriteOutcome::Updated {
                                    ids: ids(parent, *id),
                                    adopted: *adopted,
                                },
                            );
                        }
                    }
                }
            }
            self.adopt_refused(plans, refused, next, units).await?;
        }
        Ok(())
    }

    /// Clean up empty parents and turn the plans into one result per changed variant.
    async fn finish(
        &self,
        mut plans: Vec<Plan>,
        leftover: &str,
    ) -> Result<Vec<WriteResult>, ChannelError> {
        for plan in &mut plans {
            if let (true, Some(pid)) = (plan.created_parent, plan.product_id) {
                let pid_text = pid.to_string();
                let used = plan
                    .outcomes
                    .values()
                    .any(|o| o.ids().is_some_and(|i| i.product_id == pid_text));
                if !used {
                    self.remove_empty_parent(pid).await;
                    plan.created_parent = false;
                }
            }
            // A failed product-level write leaves the product stale: the variants written
            // through it are reported failed too, so the engine tries again. Creates keep
            // their ids (a retry would find them by SKU anyway).
            if let Some(e) = plan.product_error.clone() {
                for o in plan.outcomes.values_mut() {
                    if matches!(o, WriteOutcome::Updated { .. }) {
                        *o = WriteOutcome::Failed { message: e.clone() };
                    }
                }
            }
        }
        let mut results = Vec::new();
        for plan in plans {
            let wanted: BTreeSet<usize> = changed(&plan.product)
                .into_iter()
                .chain(plan.outcomes.keys().copied())
                .collect();
            for i in wanted {
                let v = &plan.product.variants[i];
                let outcome = match plan.outcomes.get(&i).cloned() {
                    // Item errors are the store's own text, which could quote anything.
                    Some(WriteOutcome::Failed { message }) => WriteOutcome::Failed {
                        message: self.client.redact(&message),
                    },
                    Some(o) => o,
                    None => WriteOutcome::Failed {
                        message: self.client.redact(leftover),
                    },
                };
                results.push(WriteResult {
                    key: v.key.clone(),
                    sku: v.sku.clone(),
                    outcome,
                });
            }
        }
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_limit_is_read_from_the_413_message() {
        assert_eq!(
            limit_from("Unable to accept more than 50 items for this request."),
            Some(50)
        );
        assert_eq!(limit_from("no number"), None);
    }
}
