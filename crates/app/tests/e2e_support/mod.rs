//! Shared setup of the end-to-end tests: the four channel simulators served in-process on
//! loopback ports, an account whose channels are created through the app's use cases with
//! settings and credentials pointing at them (so the engine builds the real connectors through
//! [`RegistryConnectors`]), and checks of what each store holds against the catalog.
#![allow(dead_code)]

pub mod compare;
pub mod seeds;
pub mod stores;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use techoms_app::channels as app_channels;
use techoms_app::engine::ConnectorProvider as _;
use techoms_app::engine::{
    self, EngineOptions, RegistryConnectors, RunReport, RunStatus, SyncReport, Trigger,
};
use techoms_app::master_source;
use techoms_app::secrets::SecretKey;
use techoms_app::{Access, Actor, App};
use techoms_channels::{Connector, ReadQuery, RemoteProduct};
use techoms_db::accounts::NewAccount;
use techoms_db::runs::{Level, MessageFilter, RunMessage};
use techoms_db::{Db, accounts, organizations, products, runs};
use techoms_domain::{
    Channel, Integration, ManualClock, MasterProductSource, MasterSetting, Product, SkuKey,
};
use techoms_simulators::SimClock;

pub use stores::Store;

/// Where every clock starts.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Engine waits short enough for tests; everything else as in production.
pub fn opts() -> EngineOptions {
    EngineOptions {
        max_attempts: 4,
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(2),
        ..EngineOptions::default()
    }
}

/// A channel to make: name, integration, enabled.
pub type Spec<'a> = (&'a str, Integration, bool);

/// An account on one database, its channels backed by simulators.
pub struct E2e {
    pub app: App,
    pub clock: ManualClock,
    pub sim_clock: SimClock,
    pub access: Access,
    pub provider: RegistryConnectors,
    pub channels: BTreeMap<String, Channel>,
    pub stores: BTreeMap<String, Store>,
}

impl E2e {
    pub async fn new(db: Db, specs: &[Spec<'_>]) -> E2e {
        Self::with_timeout(db, specs, 10).await
    }

    /// Channels whose requests time out after `timeout` seconds.
    pub async fn with_timeout(db: Db, specs: &[Spec<'_>], timeout: u32) -> E2e {
        let clock = ManualClock::new(t0());
        let sim_clock = SimClock::manual(t0());
        let app = App::new(db.clone(), Arc::new(clock.clone()), SecretKey::generate());
        let now = app.clock.now();
        let org = organizations::create(&db, &format!("E2E {}", uuid::Uuid::now_v7()), now)
            .await
            .unwrap();
        let account = accounts::create(&db, org.id, &NewAccount::named("E2E"), now)
            .await
            .unwrap();
        let access = Access::new(Actor::Cli, account);
        let mut e = E2e {
            app,
            clock,
            sim_clock,
            access,
            provider: RegistryConnectors::new(reqwest::Client::new()),
            channels: BTreeMap::new(),
            stores: BTreeMap::new(),
        };
        for (name, integration, enabled) in specs {
            let store = Store::start(*integration, &e.sim_clock).await;
            let ch = app_channels::create(
                &e.app,
                &e.access,
                &store.channel_input(name, *enabled, timeout),
            )
            .await
            .unwrap_or_else(|err| panic!("channel {name} is refused: {err:?}"));
            e.channels.insert((*name).to_owned(), ch);
            e.stores.insert((*name).to_owned(), store);
        }
        e
    }

    /// Move every clock (techOMS's and the stores') on by an hour: between syncs, so that
    /// incremental reads and exports really filter by their watermarks.
    pub fn tick(&self) {
        self.clock.advance(chrono::Duration::hours(1));
        self.sim_clock.advance(chrono::Duration::hours(1));
    }

    pub fn db(&self) -> &Db {
        &self.app.db
    }

    pub fn ch(&self, name: &str) -> &Channel {
        &self.channels[name]
    }

    pub fn store(&self, name: &str) -> &Store {
        &self.stores[name]
    }

    /// Re-read the account (its master setting) after a change.
    pub async fn refresh(&mut self) {
        self.access.account = accounts::get(self.db(), self.access.account.id)
            .await
            .unwrap();
    }

    /// Set the Master Product Source through the use case, confirming on a live account.
    pub async fn set_master(&mut self, source: MasterProductSource, channel: Option<&str>) {
        let to = MasterSetting {
            source,
            channel_id: channel.map(|c| self.ch(c).id),
        };
        master_source::change(&self.app, &self.access, to, true)
            .await
            .unwrap();
        self.refresh().await;
    }

    /// An hour later, import from the master and export to every other channel.
    pub async fn sync(&self, full: bool) -> SyncReport {
        self.tick();
        engine::sync_account(
            &self.app,
            &self.provider,
            self.access.account.id,
            Trigger::Manual,
            full,
            &opts(),
        )
        .await
        .unwrap()
    }

    pub async fn messages(&self, report: &RunReport, level: Option<Level>) -> Vec<RunMessage> {
        runs::messages(
            self.db(),
            self.access.account.id,
            report.run.id,
            &MessageFilter {
                levels: level.into_iter().collect(),
                after_seq: None,
                limit: 1000,
            },
        )
        .await
        .unwrap()
    }

    /// The whole catalog.
    pub async fn catalog(&self) -> Vec<Product> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = products::page_after(self.db(), self.access.account.id, after, 100)
                .await
                .unwrap();
            let Some(last) = page.last() else {
                return out;
            };
            after = Some(last.id);
            out.extend(page);
        }
    }

    /// The connector of a channel, built as the engine builds it.
    pub async fn connector(&self, name: &str) -> Arc<dyn Connector> {
        self.provider
            .connector(&self.app, self.ch(name))
            .await
            .unwrap_or_else(|e| panic!("connector of {name}: {e}"))
    }

    /// Everything a store holds, read through its connector (a full read).
    pub async fn read_store(&self, name: &str) -> Vec<RemoteProduct> {
        let conn = self.connector(name).await;
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = conn
                .read_products(&ReadQuery::default(), cursor)
                .await
                .unwrap_or_else(|e| panic!("reading {name}: {e}"));
            out.extend(page.products);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }

    /// Assert that the store behind `name` holds exactly the catalog: every SKU once (in the
    /// store's own state and through its connector), and every field the connector maps equal
    /// to the catalog's, within the precision the connector states.
    pub async fn assert_holds_catalog(&self, name: &str) {
        self.assert_holds_catalog_mapped(name, &[]).await;
    }

    /// [`E2e::assert_holds_catalog`] for a channel with SKU mappings (techOMS SKU, channel
    /// SKU): the channel holds each mapped variant under its channel SKU.
    pub async fn assert_holds_catalog_mapped(&self, name: &str, mappings: &[(&str, &str)]) {
        let sku_map: BTreeMap<String, String> = mappings
            .iter()
            .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
            .collect();
        let catalog = self.catalog().await;
        let remote = self.read_store(name).await;
        let counts = self.store(name).sku_counts();
        for p in &catalog {
            for v in &p.variants {
                let sku = sku_map
                    .get(v.sku.as_str())
                    .map_or(v.sku.as_str(), String::as_str);
                let n = count_in(&counts, sku);
                assert_eq!(n, 1, "{name} holds SKU {sku:?} {n} times");
            }
        }
        let diffs = compare::diff_mapped(self.ch(name).integration, &catalog, &remote, &sku_map);
        assert!(
            diffs.is_empty(),
            "{name} differs from the catalog:\n{}",
            diffs.join("\n")
        );
    }
}

/// How many times `sku` is in counts made by [`Store::sku_counts`].
pub fn count_in(counts: &BTreeMap<String, usize>, sku: &str) -> usize {
    counts.get(SkuKey::of(sku).as_str()).copied().unwrap_or(0)
}

pub fn assert_ok(r: &RunReport) {
    assert_eq!(
        r.run.status,
        RunStatus::Succeeded,
        "run {:?} on channel {} ended {:?}: {:?}",
        r.run.job_kind,
        r.run.channel_id,
        r.run.status,
        r.fatal
    );
}

/// Messages of a run as plain text, for assertion failures.
pub fn texts(msgs: &[RunMessage]) -> Vec<String> {
    msgs.iter()
        .map(|m| format!("{:?} {:?}: {}", m.level, m.sku, m.message))
        .collect()
}
