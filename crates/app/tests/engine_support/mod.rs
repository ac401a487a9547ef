//! Shared setup of the engine tests: an account with channels, each backed by an in-memory
//! connector, a manual clock shared by techOMS and the connectors, and comparisons of a
//! channel's copy with the catalog.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use techoms_app::App;
use techoms_app::engine::hash::{ProductHasher, VariantFields};
use techoms_app::engine::{
    self, ConnectorProvider, EngineOptions, NoSink, RunReport, RunStatus, Trigger,
};
use techoms_app::secrets::SecretKey;
use techoms_channels::{ChannelError, Connector};
use techoms_db::accounts::NewAccount;
use techoms_db::channels::NewChannel;
use techoms_db::runs::{Level, MessageFilter, RunMessage};
use techoms_db::{Db, accounts, channels, organizations, products, runs};
use techoms_domain::*;
use techoms_testkit::MemoryConnector;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Short waits, so that retry tests run in milliseconds.
pub fn opts() -> EngineOptions {
    EngineOptions {
        max_attempts: 4,
        first_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(1),
        export_page_size: 7,
        ..EngineOptions::default()
    }
}

/// Connectors by channel id.
#[derive(Clone, Default)]
pub struct Provider(pub HashMap<ChannelId, Arc<MemoryConnector>>);

#[async_trait]
impl ConnectorProvider for Provider {
    async fn connector(
        &self,
        _app: &App,
        channel: &Channel,
    ) -> Result<Arc<dyn Connector>, ChannelError> {
        self.0
            .get(&channel.id)
            .map(|c| c.clone() as Arc<dyn Connector>)
            .ok_or_else(|| ChannelError::Permanent("no connector".into()))
    }
}

pub struct World {
    pub app: App,
    pub clock: ManualClock,
    pub account: AccountId,
    pub channels: BTreeMap<String, Channel>,
    pub provider: Provider,
}

/// A channel to make: name, integration, enabled.
pub type Spec<'a> = (&'a str, Integration, bool);

pub const STANDARD: &[Spec<'static>] = &[
    ("Shop", Integration::Shopify, true),
    ("Woo", Integration::WooCommerce, true),
    ("Bob", Integration::ShipBob, true),
    ("Ext", Integration::Extensiv, true),
    ("Old Woo", Integration::WooCommerce, false),
];

impl World {
    pub async fn new(db: Db, specs: &[Spec<'_>]) -> World {
        let clock = ManualClock::new(t0());
        let app = App::new(db.clone(), Arc::new(clock.clone()), SecretKey::generate());
        let org = organizations::create(&db, &format!("Org {}", uuid::Uuid::now_v7()), t0())
            .await
            .unwrap();
        let account = accounts::create(&db, org.id, &NewAccount::named("Shop"), t0())
            .await
            .unwrap();
        let mut world = World {
            app,
            clock: clock.clone(),
            account: account.id,
            channels: BTreeMap::new(),
            provider: Provider::default(),
        };
        for (i, (name, integration, enabled)) in specs.iter().enumerate() {
            let ch = channels::create(
                &db,
                account.id,
                &NewChannel {
                    kind: integration.kind(),
                    integration: *integration,
                    name: name.to_string(),
                    enabled: *enabled,
                    settings: BTreeMap::new(),
                    credentials: None,
                },
                t0(),
            )
            .await
            .unwrap();
            let flat = integration.kind() == ChannelKind::Fulfillment;
            let conn = MemoryConnector::new(&format!("c{i}"))
                .with_page_size(3)
                .with_batch_size(4)
                .flat(flat)
                .with_clock(Arc::new(clock.clone()));
            world.provider.0.insert(ch.id, Arc::new(conn));
            world.channels.insert(name.to_string(), ch);
        }
        world
    }

    pub fn db(&self) -> &Db {
        &self.app.db
    }

    pub fn ch(&self, name: &str) -> &Channel {
        &self.channels[name]
    }

    pub fn conn(&self, name: &str) -> Arc<MemoryConnector> {
        self.provider.0[&self.ch(name).id].clone()
    }

    pub async fn set_master(&self, source: MasterProductSource, channel: Option<&str>) {
        let setting = MasterSetting {
            source,
            channel_id: channel.map(|c| self.ch(c).id),
        };
        accounts::set_master(self.db(), self.account, setting, self.clock.now())
            .await
            .unwrap();
    }

    /// Move time on (between sync cycles, so that watermarks separate them).
    pub fn tick(&self) {
        self.clock.advance(chrono::Duration::hours(1));
    }

    pub async fn sync(&self, full: bool) -> engine::SyncReport {
        engine::sync_account(
            &self.app,
            &self.provider,
            self.account,
            Trigger::Manual,
            full,
            &opts(),
        )
        .await
        .unwrap()
    }

    /// Create and execute one run of `kind` on `channel`.
    pub async fn run(&self, channel: &str, kind: JobKind, full: bool) -> RunReport {
        self.run_with(channel, kind, full, &opts()).await
    }

    pub async fn run_with(
        &self,
        channel: &str,
        kind: JobKind,
        full: bool,
        o: &EngineOptions,
    ) -> RunReport {
        let run = engine::create_run(
            &self.app,
            self.account,
            self.ch(channel).id,
            kind,
            Trigger::Manual,
            full,
        )
        .await
        .unwrap();
        engine::execute(
            &self.app,
            &self.provider,
            self.account,
            run.id,
            o,
            &mut NoSink,
        )
        .await
        .unwrap()
    }

    pub async fn messages(&self, report: &RunReport, level: Option<Level>) -> Vec<RunMessage> {
        runs::messages(
            self.db(),
            self.account,
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

    /// The whole catalog, by product id.
    pub async fn catalog(&self) -> Vec<Product> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = products::page_after(self.db(), self.account, after, 100)
                .await
                .unwrap();
            let Some(last) = page.last() else {
                return out;
            };
            after = Some(last.id);
            out.extend(page);
        }
    }

    /// Add a product to the techOMS catalog.
    pub async fn add_catalog_product(&self, title: &str, skus: &[&str]) -> Product {
        let p = catalog_product(self.account, title, skus, self.clock.now());
        products::create(self.db(), self.account, &p).await.unwrap();
        p
    }
}

pub fn catalog_product(
    account: AccountId,
    title: &str,
    skus: &[&str],
    now: DateTime<Utc>,
) -> Product {
    let id = ProductId::new();
    Product {
        id,
        account_id: account,
        title: title.into(),
        description_html: format!("<p>{title}</p>"),
        vendor: "Acme".into(),
        product_type: "Gear".into(),
        tags: vec!["seed".into()],
        status: ProductStatus::Active,
        options: vec!["Size".into()],
        images: vec![],
        variants: skus
            .iter()
            .enumerate()
            .map(|(i, s)| Variant {
                id: VariantId::new(),
                product_id: id,
                sku: Sku::parse(s).unwrap(),
                position: i as i32,
                option_values: vec![format!("S{i}")],
                barcode: Some(format!("400{i:010}")),
                price: Some(Decimal::new(1000 + i as i64, 2)),
                compare_at_price: None,
                cost: Some(Decimal::new(450, 2)),
                weight: Some(Weight::from_grams(Decimal::new(250, 0))),
                length: None,
                width: None,
                height: None,
                status: VariantStatus::Active,
                created_at: now,
                updated_at: now,
            })
            .collect(),
        created_at: now,
        updated_at: now,
    }
}

/// The catalog as a channel should hold it (no SKU mappings): key → content hash.
pub fn catalog_view(catalog: &[Product]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for p in catalog {
        let h = ProductHasher::new(
            &p.title,
            &p.description_html,
            &p.vendor,
            &p.product_type,
            &p.tags,
            p.status,
            &p.options,
            &p.images,
        );
        for v in &p.variants {
            let hash = h.variant(&VariantFields {
                sku: v.sku.as_str(),
                option_values: &v.option_values,
                barcode: v.barcode.as_deref(),
                price: v.price,
                compare_at_price: v.compare_at_price,
                cost: v.cost,
                weight: v.weight,
                length: v.length,
                width: v.width,
                height: v.height,
                status: v.status,
            });
            assert!(
                out.insert(v.sku.key().as_str().to_owned(), hash).is_none(),
                "catalog repeats {}",
                v.sku
            );
        }
    }
    out
}

/// A channel's copy: key → content hash, failing on a duplicate SKU.
pub fn channel_view(conn: &MemoryConnector) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (head, v) in conn.variants() {
        let key = SkuKey::of(&v.sku).as_str().to_owned();
        let hash = ProductHasher::of_remote(&head).remote_variant(&v);
        assert!(
            out.insert(key.clone(), hash).is_none(),
            "{} holds SKU {:?} twice",
            conn.name(),
            v.sku
        );
    }
    out
}

/// The master's copy, first occurrence of each key winning and empty SKUs left out (what the
/// catalog should hold after an import).
pub fn master_view(conn: &MemoryConnector) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (head, v) in conn.variants() {
        let key = SkuKey::of(&v.sku).as_str().to_owned();
        if key.is_empty() {
            continue;
        }
        let hash = ProductHasher::of_remote(&head).remote_variant(&v);
        out.entry(key).or_insert(hash);
    }
    out
}

/// Variant-level content only (product fields left out): key → hash. A SKU re-created in
/// another product at the master keeps its catalog product, so only its own fields follow.
pub fn variant_view<'a>(
    variants: impl IntoIterator<Item = (&'a str, VariantFields<'a>)>,
    first_wins: bool,
) -> BTreeMap<String, String> {
    let blank = ProductHasher::new("", "", "", "", &[], ProductStatus::Active, &[], &[]);
    let mut out = BTreeMap::new();
    for (sku, f) in variants {
        let key = SkuKey::of(sku).as_str().to_owned();
        if key.is_empty() {
            continue;
        }
        let hash = blank.variant(&f);
        if first_wins {
            out.entry(key).or_insert(hash);
        } else {
            out.insert(key, hash);
        }
    }
    out
}

pub fn fields_of_remote(v: &techoms_channels::RemoteVariant) -> VariantFields<'_> {
    VariantFields {
        sku: &v.sku,
        option_values: &v.option_values,
        barcode: v.barcode.as_deref(),
        price: v.price,
        compare_at_price: v.compare_at_price,
        cost: v.cost,
        weight: v.weight,
        length: v.length,
        width: v.width,
        height: v.height,
        status: v.status,
    }
}

pub fn fields_of(v: &Variant) -> VariantFields<'_> {
    VariantFields {
        sku: v.sku.as_str(),
        option_values: &v.option_values,
        barcode: v.barcode.as_deref(),
        price: v.price,
        compare_at_price: v.compare_at_price,
        cost: v.cost,
        weight: v.weight,
        length: v.length,
        width: v.width,
        height: v.height,
        status: v.status,
    }
}

pub fn assert_ok(r: &RunReport) {
    assert_eq!(
        r.run.status,
        RunStatus::Succeeded,
        "run {:?} ended {:?}: {:?}",
        r.run.job_kind,
        r.run.status,
        r.fatal
    );
}
