//! What a fresh demo puts into techOMS: one organization, one account with its administrator
//! and API key, four channels pointed at the simulators, Shopify as the Master Product
//! Source, and the product jobs on a schedule. Everything goes through the same use cases as
//! the UI and the API, so the demo is configured exactly as a merchant would configure it.

use std::collections::BTreeMap;

use anyhow::Context;
use techoms_app::channels::{self, ChannelInput};
use techoms_app::{Access, Actor, App, AppError, accounts, master_source};
use techoms_domain::{
    AccountId, ChannelId, JobKind, JobPeriod, MasterProductSource, MasterSetting,
};

use super::simulators::{Connection, DemoSims};
use super::state::{DemoChannels, DemoState};

pub const ORGANIZATION: &str = "techOMS Demo";
pub const ACCOUNT: &str = "Demo Outfitters";
pub const EMAIL: &str = "admin@demo.example.com";
pub const SHOPIFY_NAME: &str = "Shopify (demo)";
pub const WOOCOMMERCE_NAME: &str = "WooCommerce (demo)";
pub const SHIPBOB_NAME: &str = "ShipBob (demo)";
pub const EXTENSIV_NAME: &str = "Extensiv (demo)";
/// How often the scheduled import (master) and exports (every other channel) run.
pub const PERIOD: JobPeriod = JobPeriod::Min15;

/// A use-case error as one readable line.
pub fn app_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(errs) => anyhow::anyhow!(
            "{}",
            errs.iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The command line acting on the demo account, with the account as stored now.
pub async fn cli_access(app: &App, account: AccountId) -> anyhow::Result<Access> {
    let acc = techoms_db::accounts::get(&app.db, account)
        .await
        .context("the demo account is missing from the database")?;
    Ok(Access::new(Actor::Cli, acc))
}

/// Seed a fresh database.
pub async fn seed(
    app: &App,
    sims: &DemoSims,
    products: u64,
    seed: u64,
) -> anyhow::Result<DemoState> {
    // 18 random bytes: a 24-character password nobody guesses, printed on every start.
    let password = techoms_app::secrets::random_token::<18>();
    let created = accounts::bootstrap(app, ORGANIZATION, ACCOUNT, EMAIL, &password)
        .await
        .map_err(app_error)
        .context("cannot create the demo account")?;
    let access = cli_access(app, created.account_id).await?;
    let [shopify, woo, shipbob, extensiv] = sims.connections()?;
    let channels = DemoChannels {
        shopify: create_channel(app, &access, "shopify", SHOPIFY_NAME, shopify).await?,
        woocommerce: create_channel(app, &access, "woocommerce", WOOCOMMERCE_NAME, woo).await?,
        shipbob: create_channel(app, &access, "shipbob", SHIPBOB_NAME, shipbob).await?,
        extensiv: create_channel(app, &access, "extensiv", EXTENSIV_NAME, extensiv).await?,
    };
    master_source::change(
        app,
        &access,
        MasterSetting {
            source: MasterProductSource::SalesChannel,
            channel_id: Some(channels.shopify),
        },
        true,
    )
    .await
    .map_err(app_error)
    .context("cannot make Shopify the Master Product Source")?;
    // The rules read the master from the account: act on it as it is stored now.
    let access = cli_access(app, created.account_id).await?;
    set_period(app, &access, channels.shopify, JobKind::ImportProducts).await?;
    for ch in [channels.woocommerce, channels.shipbob, channels.extensiv] {
        set_period(app, &access, ch, JobKind::ExportProducts).await?;
    }
    Ok(DemoState {
        version: 1,
        organization: ORGANIZATION.into(),
        account_name: ACCOUNT.into(),
        account_id: created.account_id,
        email: EMAIL.into(),
        password,
        api_key: created.api_key,
        products,
        seed,
        channels,
        ports: sims.ports(),
    })
}

async fn create_channel(
    app: &App,
    access: &Access,
    integration: &str,
    name: &str,
    conn: Connection,
) -> anyhow::Result<ChannelId> {
    let input = ChannelInput {
        kind: None,
        integration: Some(integration.into()),
        name: Some(name.into()),
        enabled: Some(true),
        settings: conn.settings,
        credentials: conn.credentials,
    };
    let ch = channels::create(app, access, &input)
        .await
        .map_err(app_error)
        .with_context(|| format!("cannot create the {name} channel"))?;
    Ok(ch.id)
}

async fn set_period(
    app: &App,
    access: &Access,
    channel: ChannelId,
    kind: JobKind,
) -> anyhow::Result<()> {
    let periods = BTreeMap::from([(kind.as_str().to_owned(), PERIOD.as_str().to_owned())]);
    channels::set_jobs(app, access, channel, &periods)
        .await
        .map_err(app_error)
        .with_context(|| format!("cannot schedule {}", kind.label()))?;
    Ok(())
}

/// On a resumed demo whose simulators came back on other ports, point the channels at them
/// (settings only; credentials are unchanged and stay sealed). Returns how many changed.
pub async fn repoint_channels(
    app: &App,
    state: &DemoState,
    sims: &DemoSims,
) -> anyhow::Result<usize> {
    let access = cli_access(app, state.account_id).await?;
    let conns = sims.connections()?;
    let mut changed = 0;
    for ((id, name), conn) in state.channels.all().into_iter().zip(conns) {
        let current = match channels::get(app, &access, id).await {
            Ok(c) => c,
            // Deleted from the UI: nothing to repoint.
            Err(AppError::NotFound) => continue,
            Err(e) => return Err(app_error(e)),
        };
        let mut settings = current.settings.clone();
        for key in ["base_url", "site_url"] {
            if let Some(v) = conn.settings.get(key) {
                settings.insert(key.to_owned(), v.clone());
            }
        }
        if settings != current.settings {
            let input = ChannelInput {
                settings,
                ..ChannelInput::default()
            };
            channels::update(app, &access, id, &input)
                .await
                .map_err(app_error)
                .with_context(|| format!("cannot point {name} at its simulator"))?;
            changed += 1;
        }
    }
    Ok(changed)
}
