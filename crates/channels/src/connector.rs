//! The contract every integration implements.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::ChannelError;
use crate::fields::Fields;
use crate::model::{ExportProduct, RemoteProduct, WriteResult};

/// What to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadQuery {
    /// Only products changed at or after this instant (inclusive). The engine has already
    /// subtracted its overlap window; the connector passes it to the channel's own filter and
    /// must also catch changes that do not bump the filtered timestamp (WooCommerce variations,
    /// for one) — or fall back to a full read when the channel has no filter.
    pub changed_since: Option<DateTime<Utc>>,
}

/// One page of a read. The cursor is opaque to the engine: it stores it as a checkpoint and
/// hands it back to continue a resumed run.
#[derive(Debug, Clone, Default)]
pub struct ProductPage {
    pub products: Vec<RemoteProduct>,
    pub next_cursor: Option<String>,
    /// Total number of products the read will return, when the channel says (for progress).
    pub total_hint: Option<u64>,
}

/// The result of an authorization refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStatus {
    /// This integration's credentials do not expire.
    NotNeeded,
    /// A fresh token was obtained; it is valid until the given instant.
    Refreshed { expires_at: DateTime<Utc> },
}

#[async_trait]
pub trait Connector: Send + Sync {
    /// A short name for logs ("shopify", "memory").
    fn name(&self) -> &str;

    /// Read one page of products. `cursor` is None for the first page, else a
    /// [`ProductPage::next_cursor`] from this connector (possibly from an earlier process).
    async fn read_products(
        &self,
        query: &ReadQuery,
        cursor: Option<String>,
    ) -> Result<ProductPage, ChannelError>;

    /// The remote products that hold a variant with any of these SKUs (compared as the channel
    /// compares them). Used before creating, so that nothing is created twice.
    async fn find_by_skus(&self, skus: &[String]) -> Result<Vec<RemoteProduct>, ChannelError>;

    /// The product and variant fields this channel holds. The engine keeps the catalog's
    /// value of any other field when importing from it, and leaves such fields out of the
    /// content hash it compares before writing to it.
    fn fields(&self) -> Fields {
        Fields::ALL
    }

    /// How many products the engine should hand to [`Connector::write_products`] at once.
    fn write_batch_size(&self) -> usize;

    /// Create or update these products. Returns one result per changed variant (results for
    /// unchanged variants are allowed). A variant with `remote` ids is updated; one without is
    /// created — after the connector has made sure, when a create attempt ended ambiguously
    /// (timeout, 5xx), that the first attempt did not already create it. An `Err` means the
    /// whole call failed and nothing in it can be assumed written.
    async fn write_products(
        &self,
        products: Vec<ExportProduct>,
    ) -> Result<Vec<WriteResult>, ChannelError>;

    /// Renew expiring credentials (the Authorization Refresh job).
    async fn refresh_authorization(&self) -> Result<AuthStatus, ChannelError> {
        Ok(AuthStatus::NotNeeded)
    }
}
