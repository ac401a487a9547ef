//! Fault injection: what a host, a WAF or WooCommerce itself does on a bad day.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// One injected failure. Queued faults fire once each, on the next request they match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// A host or WAF rate limit: 429 with a short HTML body (not WordPress JSON), before
    /// WordPress runs. `retry_after` is sent verbatim as the `Retry-After` header.
    TooManyRequests { retry_after: Option<String> },
    /// A host maintenance or WAF page: 503 with an HTML body, before WordPress runs.
    ServiceUnavailable { retry_after: Option<String> },
    /// PHP died before writing anything: WordPress's "critical error" JSON with this status.
    ServerError { status: u16 },
    /// The request is performed, then the answer is held back for `stall_ms` (past the
    /// client's timeout), as when a slow host finishes a batch after the client gave up.
    TimeoutAfterCommit { stall_ms: u64 },
    /// The request is performed, then a proxy answers this 5xx status with an HTML page.
    ErrorAfterCommit { status: u16 },
    /// The create succeeds but the answer is 400 `product_invalid_sku` pointing at the new
    /// record (WooCommerce issue #28095).
    InvalidSkuAfterCommit,
}

impl Fault {
    /// Faults that happen before WordPress handles the request (nothing is written).
    pub fn is_before_commit(&self) -> bool {
        matches!(
            self,
            Fault::TooManyRequests { .. }
                | Fault::ServiceUnavailable { .. }
                | Fault::ServerError { .. }
        )
    }
}

/// Which requests a queued fault applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FaultScope {
    #[default]
    Any,
    /// GET requests.
    Reads,
    /// POST, PUT, PATCH and DELETE requests.
    Writes,
    /// Writes whose path (below the site root) contains this text, e.g. `variations/batch`.
    WritesTo(String),
}

impl FaultScope {
    fn matches(&self, is_write: bool, path: &str) -> bool {
        match self {
            FaultScope::Any => true,
            FaultScope::Reads => !is_write,
            FaultScope::Writes => is_write,
            FaultScope::WritesTo(part) => is_write && path.contains(part.as_str()),
        }
    }
}

/// A per-item refusal for any create or update that carries a given SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadItem {
    pub sku: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct FaultState {
    queue: VecDeque<(FaultScope, Fault)>,
    pub bad_items: Vec<BadItem>,
}

impl FaultState {
    pub fn push(&mut self, scope: FaultScope, fault: Fault, times: usize) {
        for _ in 0..times {
            self.queue.push_back((scope.clone(), fault.clone()));
        }
    }

    /// Take the first queued fault that applies to this request.
    pub fn take(&mut self, is_write: bool, path: &str) -> Option<Fault> {
        let pos = self
            .queue
            .iter()
            .position(|(s, _)| s.matches(is_write, path))?;
        self.queue.remove(pos).map(|(_, f)| f)
    }

    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    pub fn clear(&mut self) {
        self.queue.clear();
        self.bad_items.clear();
    }

    pub fn bad_item(&self, sku: &str) -> Option<&BadItem> {
        let key = super::store::sku_fold(sku);
        if key.is_empty() {
            return None;
        }
        self.bad_items
            .iter()
            .find(|b| super::store::sku_fold(&b.sku) == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_faults_fire_once_in_order() {
        let mut f = FaultState::default();
        let throttle = Fault::TooManyRequests { retry_after: None };
        f.push(FaultScope::Writes, Fault::ServerError { status: 500 }, 1);
        f.push(FaultScope::Any, throttle.clone(), 2);
        f.push(
            FaultScope::WritesTo("variations/batch".into()),
            Fault::InvalidSkuAfterCommit,
            1,
        );
        assert_eq!(f.take(false, "/p"), Some(throttle.clone()));
        assert_eq!(f.take(true, "/p"), Some(Fault::ServerError { status: 500 }));
        assert_eq!(f.take(true, "/p"), Some(throttle));
        assert_eq!(f.take(true, "/p"), None);
        assert_eq!(
            f.take(true, "/products/9/variations/batch"),
            Some(Fault::InvalidSkuAfterCommit)
        );
    }
}
