//! techOMS domain: the types and rules every other crate shares.
//!
//! Nothing here performs I/O. Storage, HTTP and jobs live in their own crates and depend on
//! this one, never the other way round (see ARCHITECTURE.md).

pub mod account;
pub mod audit;
pub mod channel;
pub mod clock;
pub mod ids;
pub mod integration;
pub mod master_source;
pub mod money;
pub mod product;
pub mod sku;
pub mod units;
pub mod user;

pub use account::{Account, AccountCode, Organization};
pub use audit::AuditEvent;
pub use channel::{Channel, ChannelKind, JobKind, JobPeriod};
pub use clock::{Clock, ManualClock, SystemClock};
pub use ids::{AccountId, ChannelId, OrganizationId, ProductId, RunId, UserId, VariantId};
pub use integration::{Capability, FieldSpec, Integration, IntegrationSpec, RateModel};
pub use master_source::{MasterProductSource, MasterSetting, MasterSettingError};
pub use money::{Currency, Money};
pub use product::{Product, ProductStatus, Variant, VariantStatus};
pub use sku::{Sku, SkuError, SkuKey};
pub use units::{Length, LengthUnit, Weight, WeightUnit};
pub use user::{Role, User};
