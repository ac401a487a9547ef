//! Repository tests. Every case runs on SQLite and on PostgreSQL (see techoms-testkit).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use techoms_db::accounts::{AccountSettings, NewAccount};
use techoms_db::channels::{ChannelUpdate, NewChannel};
use techoms_db::products::ProductQuery;
use techoms_db::{Db, DbError, accounts, channels, organizations, products};
use techoms_domain::clock::truncate_micros;
use techoms_domain::*;
use techoms_testkit::{TestDb, db_test};

fn now() -> DateTime<Utc> {
    truncate_micros(Utc::now())
}

async fn account(db: &Db, org_name: &str, name: &str) -> Account {
    let org = match organizations::find_by_name(db, org_name).await.unwrap() {
        Some(o) => o,
        None => organizations::create(db, org_name, now()).await.unwrap(),
    };
    accounts::create(db, org.id, &NewAccount::named(name), now())
        .await
        .unwrap()
}

fn product(account: AccountId, title: &str, skus: &[&str]) -> Product {
    let id = ProductId::new();
    let t = now();
    Product {
        id,
        account_id: account,
        title: title.into(),
        description_html: "<p>Warm</p>".into(),
        vendor: "Acme".into(),
        product_type: "Jacket".into(),
        tags: vec!["winter".into()],
        status: ProductStatus::Active,
        options: vec!["Size".into()],
        images: vec!["https://img.example/1.jpg".into()],
        variants: skus
            .iter()
            .enumerate()
            .map(|(i, s)| Variant {
                id: VariantId::new(),
                product_id: id,
                sku: Sku::parse(s).unwrap(),
                position: i as i32,
                option_values: vec![format!("S{i}")],
                barcode: Some(format!("0000{i}")),
                price: Some(Decimal::new(1999, 2)),
                compare_at_price: None,
                cost: Some(Decimal::new(512345, 4)),
                weight: Some(Weight::new(Decimal::new(15, 1), WeightUnit::Lb)),
                length: Some(Length::new(Decimal::new(12, 0), LengthUnit::In)),
                width: None,
                height: None,
                status: VariantStatus::Active,
                created_at: t,
                updated_at: t,
            })
            .collect(),
        created_at: t,
        updated_at: t,
    }
}

db_test!(migrations_are_current, async |db: Db| {
    assert!(db.pending_migrations().await.unwrap().is_empty());
    assert!(db.latest_migration() >= 1);
    db.ping().await.unwrap();
});

db_test!(organization_names_are_unique, async |db: Db| {
    let o = organizations::create(&db, " Acme ", now()).await.unwrap();
    assert_eq!(o.name, "Acme");
    assert_eq!(organizations::get(&db, o.id).await.unwrap(), o);
    let e = organizations::create(&db, "Acme", now()).await.unwrap_err();
    assert!(matches!(e, DbError::Conflict { .. }), "{e:?}");
});

db_test!(
    account_code_is_derived_unique_and_immutable,
    async |db: Db| {
        let a = account(&db, "Org", "  North Wind  ").await;
        assert_eq!(a.code.as_str(), "NORTH-WIND");
        assert_eq!(a.master_product_source, MasterProductSource::Techoms);
        // Round trip, timestamps included (microsecond precision on both backends).
        assert_eq!(accounts::get(&db, a.id).await.unwrap(), a);

        // Same code in the same organization: a clear error naming the code.
        let e = accounts::create(
            &db,
            a.organization_id,
            &NewAccount::named("north wind"),
            now(),
        )
        .await
        .unwrap_err();
        match e {
            DbError::Conflict { message, .. } => {
                assert!(message.contains("NORTH-WIND"), "{message}")
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        // Same name in another organization is fine.
        let b = account(&db, "Other Org", "North Wind").await;
        assert_eq!(b.code.as_str(), "NORTH-WIND");

        // Renaming keeps the code.
        let renamed = accounts::update_settings(
            &db,
            a.id,
            &AccountSettings {
                name: "South Wind".into(),
                timezone: "Europe/Paris".into(),
                currency: Currency::parse("EUR").unwrap(),
                weight_unit: WeightUnit::Kg,
                length_unit: LengthUnit::Cm,
            },
            now(),
        )
        .await
        .unwrap();
        assert_eq!(renamed.name, "South Wind");
        assert_eq!(renamed.code.as_str(), "NORTH-WIND");
        assert_eq!(renamed.weight_unit, WeightUnit::Kg);
    }
);

db_test!(channels_are_scoped_to_their_account, async |db: Db| {
    let a = account(&db, "Org", "A").await;
    let b = account(&db, "Org", "B").await;
    let new = NewChannel {
        kind: ChannelKind::Sales,
        integration: Integration::Shopify,
        name: "Main store".into(),
        enabled: true,
        settings: BTreeMap::from([("shop_domain".into(), "a.myshopify.com".into())]),
        credentials: Some(vec![1, 2, 3]),
    };
    let c = channels::create(&db, a.id, &new, now()).await.unwrap();
    assert_eq!(channels::get(&db, a.id, c.id).await.unwrap(), c);
    assert_eq!(
        channels::credentials(&db, a.id, c.id).await.unwrap(),
        Some(vec![1, 2, 3])
    );
    // Account B sees nothing of A's channel and cannot change it.
    assert!(matches!(
        channels::get(&db, b.id, c.id).await,
        Err(DbError::NotFound)
    ));
    assert!(matches!(
        channels::credentials(&db, b.id, c.id).await,
        Err(DbError::NotFound)
    ));
    assert!(channels::list(&db, b.id).await.unwrap().is_empty());
    assert!(matches!(
        channels::set_enabled(&db, b.id, c.id, false, now()).await,
        Err(DbError::NotFound)
    ));
    assert!(matches!(
        channels::delete(&db, b.id, c.id).await,
        Err(DbError::NotFound)
    ));
    // Names are unique per account.
    let e = channels::create(&db, a.id, &new, now()).await.unwrap_err();
    assert!(e.to_string().contains("Main store"), "{e}");
    channels::create(&db, b.id, &new, now()).await.unwrap();
    // Update without credentials keeps them.
    let u = channels::update(
        &db,
        a.id,
        c.id,
        &ChannelUpdate {
            name: "Renamed".into(),
            enabled: false,
            settings: BTreeMap::new(),
            credentials: None,
        },
        now(),
    )
    .await
    .unwrap();
    assert_eq!((u.name.as_str(), u.enabled), ("Renamed", false));
    assert_eq!(
        channels::credentials(&db, a.id, c.id).await.unwrap(),
        Some(vec![1, 2, 3])
    );
    // The master channel cannot be deleted from under the account.
    accounts::set_master(
        &db,
        a.id,
        MasterSetting {
            source: MasterProductSource::SalesChannel,
            channel_id: Some(c.id),
        },
        now(),
    )
    .await
    .unwrap();
    assert!(channels::delete(&db, a.id, c.id).await.is_err());
    let acc = accounts::get(&db, a.id).await.unwrap();
    assert_eq!(acc.master_product_channel_id, Some(c.id));
});

db_test!(products_round_trip_exactly, async |db: Db| {
    let a = account(&db, "Org", "A").await;
    let p = product(a.id, "Parka", &["PK-1", "PK-2"]);
    products::create(&db, a.id, &p).await.unwrap();
    let back = products::get(&db, a.id, p.id).await.unwrap();
    assert_eq!(back, p);
    assert_eq!(back.variants[0].cost, Some(Decimal::new(512345, 4)));
    assert_eq!(
        back.variants[0].weight.unwrap().grams(),
        Decimal::new(680388555, 6)
    );
    // Found by any spelling of the SKU.
    let found = products::find_by_sku(&db, a.id, &SkuKey::of(" pk-2 "))
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.id), Some(p.id));
    assert!(
        products::find_by_sku(&db, a.id, &SkuKey::of(""))
            .await
            .unwrap()
            .is_none()
    );
});

db_test!(sku_keys_are_unique_per_account, async |db: Db| {
    let a = account(&db, "Org", "A").await;
    let b = account(&db, "Org", "B").await;
    products::create(&db, a.id, &product(a.id, "One", &["ABC-1"]))
        .await
        .unwrap();
    let dup = product(a.id, "Two", &[" abc-1 "]);
    let e = products::create(&db, a.id, &dup).await.unwrap_err();
    assert!(e.is_conflict_on("sku"), "{e:?}");
    // Nothing of the refused product was written.
    assert!(matches!(
        products::get(&db, a.id, dup.id).await,
        Err(DbError::NotFound)
    ));
    assert_eq!(products::counts(&db, a.id).await.unwrap(), (1, 1));
    // Another account may use the same SKU.
    products::create(&db, b.id, &product(b.id, "One", &["ABC-1"]))
        .await
        .unwrap();
    // And cannot read A's product.
    let a_prod = products::search(
        &db,
        a.id,
        &ProductQuery {
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        products::get(&db, b.id, a_prod[0].id).await,
        Err(DbError::NotFound)
    ));
});

db_test!(search_by_title_and_sku_with_keyset_pages, async |db: Db| {
    let a = account(&db, "Org", "A").await;
    for i in 0..7 {
        products::create(
            &db,
            a.id,
            &product(a.id, &format!("Wool Sock {i}"), &[&format!("SOCK-{i}")]),
        )
        .await
        .unwrap();
    }
    products::create(&db, a.id, &product(a.id, "Parka 100%", &["PK_1"]))
        .await
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut after = None;
    loop {
        let page = products::search(
            &db,
            a.id,
            &ProductQuery {
                text: Some("sock".into()),
                after,
                limit: 3,
            },
        )
        .await
        .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        for p in &page {
            assert!(seen.insert(p.id), "a product appeared on two pages");
        }
        after = page.last().map(|p| p.id);
    }
    assert_eq!(seen.len(), 7);
    let by_sku = products::search(
        &db,
        a.id,
        &ProductQuery {
            text: Some("sock-3".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_sku.len(), 1);
    assert_eq!(by_sku[0].title, "Wool Sock 3");
    // LIKE wildcards in the search text are literal.
    let pct = products::search(
        &db,
        a.id,
        &ProductQuery {
            text: Some("100%".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(pct.len(), 1);
    let underscore = products::search(
        &db,
        a.id,
        &ProductQuery {
            text: Some("SOCK_".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(underscore.is_empty());
});

db_test!(product_update_replaces_variants, async |db: Db| {
    let a = account(&db, "Org", "A").await;
    let mut p = product(a.id, "Parka", &["PK-1", "PK-2"]);
    products::create(&db, a.id, &p).await.unwrap();
    p.title = "Parka II".into();
    p.variants.remove(0);
    products::update(&db, a.id, &p).await.unwrap();
    let back = products::get(&db, a.id, p.id).await.unwrap();
    assert_eq!(back.title, "Parka II");
    assert_eq!(back.variants.len(), 1);
    assert!(
        products::find_by_sku(&db, a.id, &SkuKey::of("PK-1"))
            .await
            .unwrap()
            .is_none()
    );
    products::delete(&db, a.id, p.id).await.unwrap();
    assert_eq!(products::counts(&db, a.id).await.unwrap(), (0, 0));
});

/// Both migration folders must produce the same tables and columns.
#[tokio::test]
async fn schema_parity() {
    let sqlite = TestDb::sqlite().await;
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let s = columns(&sqlite.db).await;
    let p = columns(&pg.db).await;
    assert_eq!(s, p, "SQLite and PostgreSQL schemas differ");
    assert!(s.contains_key("variants"));
    sqlite.finish().await;
    pg.finish().await;
}

async fn columns(db: &Db) -> BTreeMap<String, BTreeSet<String>> {
    let rows: Vec<(String, String)> = match db {
        Db::Sqlite(p) => sqlx::query_as(
            "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
        )
        .fetch_all(p)
        .await
        .unwrap(),
        Db::Postgres(p) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(p)
        .await
        .unwrap(),
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, c) in rows {
        out.entry(t).or_default().insert(c);
    }
    out
}
