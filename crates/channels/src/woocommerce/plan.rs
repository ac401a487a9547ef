//! Turning the engine's products into write operations: which WooCommerce record each
//! variant is, and whether it is created, updated or refused before anything is sent.

use std::collections::BTreeMap;

use serde_json::Value;

use super::mapping::{self, is_simple};
use super::units::StoreUnits;
use super::wire::WireProduct;
use crate::model::{ExportProduct, RemoteIds, WriteOutcome};

/// One techOMS product being written.
pub struct Plan {
    pub product: ExportProduct,
    pub simple: bool,
    /// The WooCommerce product it is (bound, created or found again during this call).
    pub product_id: Option<u64>,
    /// Its state before this call, when it existed.
    pub remote: Option<WireProduct>,
    /// A variable parent this call created (removed again if no variation made it in).
    pub created_parent: bool,
    /// Why the product-level write failed, if it did.
    pub product_error: Option<String>,
    pub outcomes: BTreeMap<usize, WriteOutcome>,
}

/// A unit of work. Bodies are built when sent, from the plan's current state.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateSimple {
        plan: usize,
    },
    CreateParent {
        plan: usize,
    },
    /// A product update; `variant` is the techOMS variant it carries (and whether that variant
    /// was adopted), None for a parent's own fields.
    UpdateProduct {
        plan: usize,
        id: u64,
        body: Value,
        variant: Option<(usize, bool)>,
    },
    CreateVariation {
        plan: usize,
        variant: usize,
    },
    UpdateVariation {
        plan: usize,
        variant: usize,
        parent: u64,
        id: u64,
        adopted: bool,
    },
}

impl Op {
    pub fn plan(&self) -> usize {
        match self {
            Op::CreateSimple { plan }
            | Op::CreateParent { plan }
            | Op::UpdateProduct { plan, .. }
            | Op::CreateVariation { plan, .. }
            | Op::UpdateVariation { plan, .. } => *plan,
        }
    }

    pub fn is_product_level(&self) -> bool {
        matches!(
            self,
            Op::CreateSimple { .. } | Op::CreateParent { .. } | Op::UpdateProduct { .. }
        )
    }

    /// The techOMS variants whose fate this op decides.
    pub fn variants(&self, plans: &[Plan]) -> Vec<usize> {
        match self {
            Op::CreateSimple { .. } => vec![0],
            Op::CreateParent { plan } => changed(&plans[*plan].product),
            Op::UpdateProduct { variant, .. } => variant.iter().map(|(v, _)| *v).collect(),
            Op::CreateVariation { variant, .. } | Op::UpdateVariation { variant, .. } => {
                vec![*variant]
            }
        }
    }
}

pub fn changed(p: &ExportProduct) -> Vec<usize> {
    p.variants
        .iter()
        .enumerate()
        .filter(|(_, v)| v.changed)
        .map(|(i, _)| i)
        .collect()
}

pub fn parse_id(s: &str) -> Option<u64> {
    s.trim().parse().ok().filter(|id| *id > 0)
}

/// The WooCommerce product a techOMS product already is: its binding, or where its variants
/// are bound (a variation's parent for variable products, the product itself for simple ones).
pub fn known_product_id(p: &ExportProduct) -> Option<u64> {
    if let Some(id) = p.remote_id.as_deref().and_then(parse_id) {
        return Some(id);
    }
    let ids: Vec<&RemoteIds> = p
        .variants
        .iter()
        .filter_map(|v| v.remote.as_ref())
        .collect();
    let pick = if is_simple(p) {
        ids.first().copied()
    } else {
        ids.iter().find(|r| r.product_id != r.variant_id).copied()
    };
    pick.and_then(|r| parse_id(&r.product_id))
}

impl Plan {
    pub fn new(product: ExportProduct) -> Self {
        Self {
            simple: is_simple(&product),
            product_id: known_product_id(&product),
            product,
            remote: None,
            created_parent: false,
            product_error: None,
            outcomes: BTreeMap::new(),
        }
    }

    pub fn fail(&mut self, variant: usize, message: &str) {
        self.outcomes.insert(
            variant,
            WriteOutcome::Failed {
                message: message.to_owned(),
            },
        );
    }

    pub fn fail_changed(&mut self, message: &str) {
        for v in changed(&self.product) {
            if !self.outcomes.contains_key(&v) {
                self.fail(v, message);
            }
        }
    }

    fn remote_is_variable(&self) -> bool {
        self.remote.as_ref().is_some_and(WireProduct::is_variable)
    }

    /// The first operations for this plan (plan index `me`). Plans whose product vanished
    /// from the store are refused here rather than recreated: a merchant who deleted it in
    /// WooCommerce would not expect techOMS to bring it back.
    pub fn initial_ops(&mut self, me: usize, units: &StoreUnits) -> Vec<Op> {
        if let (Some(id), None) = (self.product_id, &self.remote) {
            self.fail_changed(&format!(
                "WooCommerce product #{id} was not found (deleted or trashed in WooCommerce); it was not recreated"
            ));
            return Vec::new();
        }
        if self.simple {
            self.simple_ops(me, units)
        } else {
            self.variable_ops(me)
        }
    }

    fn simple_ops(&mut self, me: usize, units: &StoreUnits) -> Vec<Op> {
        let v = &self.product.variants[0];
        if let Some(r) = &v.remote {
            let (Some(pid), Some(vid)) = (parse_id(&r.product_id), parse_id(&r.variant_id)) else {
                self.fail(0, "the variant's WooCommerce ids are not numbers");
                return Vec::new();
            };
            if pid != vid {
                // The SKU lives as a variation of another product: update just that.
                return if v.changed {
                    vec![Op::UpdateVariation {
                        plan: me,
                        variant: 0,
                        parent: pid,
                        id: vid,
                        adopted: false,
                    }]
                } else {
                    Vec::new()
                };
            }
            let remote = self.remote.as_ref().filter(|r| r.id == pid);
            let body = mapping::simple_update(pid, &self.product, v, remote, units);
            return vec![Op::UpdateProduct {
                plan: me,
                id: pid,
                body,
                variant: Some((0, false)),
            }];
        }
        match self.product_id {
            None => vec![Op::CreateSimple { plan: me }],
            Some(id) if !self.remote_is_variable() => {
                let body =
                    mapping::simple_update(id, &self.product, v, self.remote.as_ref(), units);
                vec![Op::UpdateProduct {
                    plan: me,
                    id,
                    body,
                    variant: Some((0, false)),
                }]
            }
            Some(id) => {
                self.fail(
                    0,
                    &format!(
                        "WooCommerce product #{id} is a variable product but this techOMS product has no options; \
                         give it options in techOMS or make it a simple product in WooCommerce"
                    ),
                );
                Vec::new()
            }
        }
    }

    fn variable_ops(&mut self, me: usize) -> Vec<Op> {
        let mut ops = Vec::new();
        let parent_ok = match self.product_id {
            None => {
                ops.push(Op::CreateParent { plan: me });
                true
            }
            Some(id) if self.remote_is_variable() => {
                let in_sync = self
                    .remote
                    .as_ref()
                    .is_some_and(|r| mapping::parent_in_sync(&self.product, r));
                if !in_sync {
                    let body = mapping::parent_update(id, &self.product, self.remote.as_ref());
                    ops.push(Op::UpdateProduct {
                        plan: me,
                        id,
                        body,
                        variant: None,
                    });
                }
                true
            }
            Some(_) => false,
        };
        let mut refused: Vec<(usize, String)> = Vec::new();
        for (i, v) in self.product.variants.iter().enumerate() {
            if !v.changed {
                continue;
            }
            match v
                .remote
                .as_ref()
                .map(|r| (parse_id(&r.product_id), parse_id(&r.variant_id)))
            {
                Some((Some(pid), Some(vid))) if pid != vid => ops.push(Op::UpdateVariation {
                    plan: me,
                    variant: i,
                    parent: pid,
                    id: vid,
                    adopted: false,
                }),
                Some((Some(pid), Some(_))) => ops.push(Op::UpdateProduct {
                    plan: me,
                    id: pid,
                    // Built later: a variant living as a simple product gets only its own fields.
                    body: Value::Null,
                    variant: Some((i, false)),
                }),
                Some(_) => {
                    refused.push((i, "the variant's WooCommerce ids are not numbers".into()))
                }
                None if parent_ok => ops.push(Op::CreateVariation {
                    plan: me,
                    variant: i,
                }),
                None => {
                    let id = self.product_id.unwrap_or_default();
                    refused.push((
                        i,
                        format!(
                            "WooCommerce product #{id} is a simple product and cannot take variations; \
                             make it a variable product in WooCommerce first"
                        ),
                    ));
                }
            }
        }
        for (i, message) in refused {
            self.fail(i, &message);
        }
        ops
    }
}
