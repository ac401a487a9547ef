//! The API's wire types. They are separate from the domain types so that the published
//! contract (and its OpenAPI schema) changes only when we mean it to.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use techoms_app::channels::ChannelView;
use techoms_app::master_source::{ChangeOutcome, JobChange, MasterOption};
use techoms_domain::{Account, AuditEvent, JobKind, JobPeriod};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// Derived from the name at creation; never changes.
    pub code: String,
    pub timezone: String,
    pub currency: String,
    pub weight_unit: String,
    pub length_unit: String,
    pub enabled: bool,
    pub master_product_source: String,
    pub master_product_channel_id: Option<Uuid>,
    /// The API key, masked ("tok_Ab12…"); the full key is shown only when it is made.
    pub api_key: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl AccountDto {
    pub fn new(a: &Account, masked_key: Option<String>) -> Self {
        Self {
            id: a.id.as_uuid(),
            organization_id: a.organization_id.as_uuid(),
            name: a.name.clone(),
            code: a.code.as_str().to_owned(),
            timezone: a.timezone.clone(),
            currency: a.currency.code().to_owned(),
            weight_unit: a.weight_unit.as_str().to_owned(),
            length_unit: a.length_unit.as_str().to_owned(),
            enabled: a.enabled,
            master_product_source: a.master_product_source.as_str().to_owned(),
            master_product_channel_id: a.master_product_channel_id.map(|c| c.as_uuid()),
            api_key: masked_key,
            created_at: a.created_at,
        }
    }
}

/// Editable account settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountSettingsDto {
    pub name: String,
    /// IANA time zone, e.g. America/Toronto.
    pub timezone: String,
    /// ISO 4217 code.
    pub currency: String,
    /// g, kg, oz or lb.
    pub weight_unit: String,
    /// mm, cm, m, in or ft.
    pub length_unit: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyDto {
    /// The new key, shown this once.
    pub api_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    pub id: Uuid,
    pub actor: String,
    pub action: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventDto {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            actor: e.actor,
            action: e.action,
            old_value: e.old_value,
            new_value: e.new_value,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MasterSourceDto {
    /// techoms, sales_channel or fulfillment_channel.
    pub source: String,
    pub channel_id: Option<Uuid>,
}

/// A change of the Master Product Source.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MasterSourceChangeDto {
    /// techoms, sales_channel or fulfillment_channel.
    pub source: Option<String>,
    /// The Master Product Channel (required for a channel source, absent for techoms).
    pub channel_id: Option<String>,
    /// Required on a live account; without it the answer is 409 with what would happen.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobChangeDto {
    pub channel_id: Uuid,
    pub channel_name: String,
    pub job_kind: String,
    pub from: String,
    pub to: String,
}

impl From<&JobChange> for JobChangeDto {
    fn from(c: &JobChange) -> Self {
        Self {
            channel_id: c.channel_id.as_uuid(),
            channel_name: c.channel_name.clone(),
            job_kind: c.job_kind.as_str().to_owned(),
            from: c.from.as_str().to_owned(),
            to: c.to.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MasterSourceChangedDto {
    pub source: String,
    pub channel_id: Option<Uuid>,
    /// Job periods the change set.
    pub job_changes: Vec<JobChangeDto>,
}

impl From<ChangeOutcome> for MasterSourceChangedDto {
    fn from(o: ChangeOutcome) -> Self {
        Self {
            source: o.source.as_str().to_owned(),
            channel_id: o.channel_id.map(|c| c.as_uuid()),
            job_changes: o.job_changes.iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MasterOptionDto {
    pub id: Uuid,
    pub name: String,
    /// The name, plus " (disabled)" for a disabled channel.
    pub label: String,
    pub enabled: bool,
}

impl From<MasterOption> for MasterOptionDto {
    fn from(o: MasterOption) -> Self {
        Self {
            id: o.id.as_uuid(),
            name: o.name,
            label: o.label,
            enabled: o.enabled,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelDto {
    pub id: Uuid,
    /// sales or fulfillment.
    pub kind: String,
    pub integration: String,
    pub integration_name: String,
    pub name: String,
    pub enabled: bool,
    pub settings: BTreeMap<String, String>,
    /// Credential names with masked values; never the values themselves.
    pub credentials: BTreeMap<String, String>,
    pub is_master: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ChannelView> for ChannelDto {
    fn from(v: ChannelView) -> Self {
        Self {
            id: v.channel.id.as_uuid(),
            kind: v.channel.kind.as_str().to_owned(),
            integration: v.channel.integration.key().to_owned(),
            integration_name: v.integration_name.to_owned(),
            name: v.channel.name,
            enabled: v.channel.enabled,
            settings: v.channel.settings,
            credentials: v.credentials,
            is_master: v.is_master,
            created_at: v.channel.created_at,
            updated_at: v.channel.updated_at,
        }
    }
}

/// A channel to create or change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChannelInputDto {
    /// sales or fulfillment (must match the integration).
    pub kind: Option<String>,
    /// shopify, woocommerce, shipbob or extensiv.
    pub integration: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Write-only. On update, credentials left out keep their stored values.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
}

/// Job periods by job kind: none, 5m, 15m, 30m, 1h, 2h, 4h, 12h or 24h.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct JobPeriodsDto(pub BTreeMap<String, String>);

impl From<BTreeMap<JobKind, JobPeriod>> for JobPeriodsDto {
    fn from(m: BTreeMap<JobKind, JobPeriod>) -> Self {
        Self(
            m.into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
                .collect(),
        )
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldSpecDto {
    pub name: String,
    pub label: String,
    pub required: bool,
    pub default: Option<String>,
    pub help: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationDto {
    pub key: String,
    pub display_name: String,
    pub kind: String,
    pub capabilities: Vec<String>,
    pub settings: Vec<FieldSpecDto>,
    pub credentials: Vec<FieldSpecDto>,
}
