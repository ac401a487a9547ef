//! What techOMS knows of each channel's copy of the catalog. The identity ledger (channel
//! bindings) arrives with the import/export engine; until a channel has been read there is
//! nothing to count, and these answers say so.

use techoms_domain::{AccountId, ChannelId};

use crate::App;
use crate::error::AppResult;

/// Whether any channel of the account has bound products.
pub async fn has_any(_app: &App, _account: AccountId) -> AppResult<bool> {
    Ok(false)
}

/// For a prospective master: (its SKUs matching the catalog, its SKUs new to the catalog,
/// catalog SKUs it lacks); None while the channel has not been read.
pub async fn master_match_counts(
    _app: &App,
    _account: AccountId,
    _channel: ChannelId,
) -> AppResult<Option<(i64, i64, i64)>> {
    Ok(None)
}
