//! Fault injection, per merchant account: queued rules consumed by the next matching requests,
//! and SKUs that every write refuses.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Which requests a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Any,
    Reads,
    Writes,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer 429 with this `x-retry-after`, as if the window were full.
    Throttle { retry_after_secs: u64 },
    /// Answer a 5xx; with `after_commit` the request is carried out first.
    ServerError { status: u16, after_commit: bool },
    /// Carry the request out, then hold the response back this long (past the client's
    /// timeout), so the client cannot know whether it was committed.
    StallAfterCommit { stall_ms: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    #[serde(default)]
    pub scope: Scope,
    pub fault: Fault,
    /// How many matching requests this rule hits.
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: VecDeque<FaultRule>,
    /// (SKU key, message) pairs: a write carrying one of these SKUs is refused with a 400.
    pub bad_skus: Vec<(String, String)>,
}

impl Faults {
    pub fn push(&mut self, rule: FaultRule) {
        if rule.times > 0 {
            self.rules.push_back(rule);
        }
    }

    pub fn clear(&mut self) {
        self.rules.clear();
        self.bad_skus.clear();
    }

    /// The fault for the next request, if a rule matches it.
    pub fn take(&mut self, is_write: bool) -> Option<Fault> {
        let idx = self.rules.iter().position(|r| match r.scope {
            Scope::Any => true,
            Scope::Reads => !is_write,
            Scope::Writes => is_write,
        })?;
        let rule = self.rules.get_mut(idx)?;
        let fault = rule.fault.clone();
        rule.times -= 1;
        if rule.times == 0 {
            self.rules.remove(idx);
        }
        Some(fault)
    }
}
