//! Audit events: who changed which setting, from what to what, when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::AccountId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: uuid::Uuid,
    pub account_id: AccountId,
    /// Who: a user's e-mail, "api key", or "cli".
    pub actor: String,
    /// What: e.g. "master_product_source", "channel.created", "api_key.regenerated".
    pub action: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: DateTime<Utc>,
}
