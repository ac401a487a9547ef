//! What techOMS knows of each channel's copy of the catalog, from the identity ledger (channel
//! bindings) that the import/export engine keeps.

use techoms_db::bindings;
use techoms_domain::{AccountId, ChannelId, ProductId};

use crate::error::AppResult;
use crate::{Access, App};

pub use techoms_db::bindings::Binding;

/// Whether any channel of the account has bound products.
pub async fn has_any(app: &App, account: AccountId) -> AppResult<bool> {
    Ok(bindings::has_any(&app.db, account).await?)
}

/// For a prospective master: (its SKUs matching the catalog, its SKUs new to the catalog,
/// catalog SKUs it lacks); None while nothing of the channel is known (never read or
/// exported to).
pub async fn master_match_counts(
    app: &App,
    account: AccountId,
    channel: ChannelId,
) -> AppResult<Option<(i64, i64, i64)>> {
    Ok(bindings::match_counts(&app.db, account, channel).await?)
}

/// Every channel's bindings of one product's variants (ordered by variant, then channel).
/// The product must belong to the account.
pub async fn for_product(
    app: &App,
    access: &Access,
    product: ProductId,
) -> AppResult<Vec<Binding>> {
    let p = techoms_db::products::get(&app.db, access.account.id, product).await?;
    let channels: Vec<ChannelId> = techoms_db::channels::list(&app.db, access.account.id)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let variants: Vec<_> = p.variants.iter().map(|v| v.id).collect();
    Ok(bindings::for_variants(&app.db, access.account.id, &channels, &variants).await?)
}
