//! The catalog CSV (docs/csv.md): round trip, every kind of bad input with its line and
//! column, duplicate SKUs, atomicity and `skip_invalid`, junk, the Master Product Source rule.
//! Each test runs on SQLite and on PostgreSQL.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use techoms_app::catalog::{self, ProductInput, VariantInput};
use techoms_app::catalog_csv::{self, Exporter, ImportOptions, ImportReport, Level, Outcome};
use techoms_app::secrets::SecretKey;
use techoms_app::{Access, Actor, App, AppError};
use techoms_db::Db;
use techoms_db::accounts::{self, NewAccount};
use techoms_db::channels::{self, NewChannel};
use techoms_db::{organizations, products};
use techoms_domain::{Integration, MasterProductSource, MasterSetting, SystemClock};
use techoms_testkit::db_test;

async fn access(db: &Db, name: &str) -> Access {
    let now = chrono::Utc::now();
    let org = organizations::create(db, &format!("Org {name}"), now)
        .await
        .unwrap();
    let mut new = NewAccount::named(name);
    new.currency = techoms_domain::Currency::parse("EUR").unwrap();
    let a = accounts::create(db, org.id, &new, now).await.unwrap();
    Access::new(Actor::Cli, a)
}

fn app(db: &Db) -> App {
    App::new(db.clone(), Arc::new(SystemClock), SecretKey::generate())
}

async fn import(
    app: &App,
    a: &Access,
    text: impl AsRef<[u8]>,
    opts: ImportOptions,
) -> ImportReport {
    let bytes = text.as_ref().to_vec();
    catalog_csv::import(app, a, std::io::Cursor::new(bytes), opts)
        .await
        .unwrap()
}

async fn export(app: &App, a: &Access) -> String {
    let mut ex = Exporter::new(app, a);
    let mut out = Vec::new();
    while let Some(c) = ex.next_chunk().await.unwrap() {
        out.extend(c);
    }
    String::from_utf8(out).unwrap()
}

/// The catalog by SKU, without ids and times: what a round trip must keep.
async fn catalog(db: &Db, a: &Access) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut after = None;
    loop {
        let page = products::page_after(db, a.account.id, after, 50)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for p in &page {
            let head = format!(
                "{}|{}|{}|{}|{:?}|{}|{:?}|{:?}",
                p.title,
                p.description_html,
                p.vendor,
                p.product_type,
                p.tags,
                p.status,
                p.options,
                p.images
            );
            for v in &p.variants {
                out.insert(
                    v.sku.as_str().to_owned(),
                    format!(
                        "{head}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}",
                        v.position,
                        v.option_values,
                        v.barcode,
                        v.price,
                        v.compare_at_price,
                        v.cost,
                        v.weight,
                        v.length,
                        v.width,
                        v.height,
                        v.status,
                        // The product's other SKUs: the grouping must survive too.
                        p.variants
                            .iter()
                            .map(|x| x.sku.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                );
            }
        }
    }
    out
}

async fn count(db: &Db, a: &Access) -> (i64, i64) {
    products::counts(db, a.account.id).await.unwrap()
}

fn lines(r: &ImportReport) -> Vec<String> {
    r.problems.iter().map(|p| p.to_line()).collect()
}

const ATOMIC: ImportOptions = ImportOptions {
    dry_run: false,
    skip_invalid: false,
};
const SKIP: ImportOptions = ImportOptions {
    dry_run: false,
    skip_invalid: true,
};

/// A varied catalog: options, units, unicode, quotes, commas and line breaks in text.
fn sample(i: usize) -> ProductInput {
    let n = 1 + i % 3;
    let options: Vec<String> = ["Size", "Color", "Material"][..i % 4]
        .iter()
        .map(|s| s.to_string())
        .collect();
    ProductInput {
        title: Some(format!("Prodüct \"{i}\", the best")),
        description_html: if i.is_multiple_of(2) {
            format!("<p>Line one of {i}\nline two, with a comma</p>")
        } else {
            String::new()
        },
        vendor: format!("Vendor {}", i % 5),
        product_type: if i.is_multiple_of(3) {
            "Outerwear".into()
        } else {
            String::new()
        },
        tags: (0..i % 4).map(|t| format!("tag{t}")).collect(),
        status: Some(["active", "draft", "archived"][i % 3].into()),
        options: options.clone(),
        images: (0..i % 3)
            .map(|k| format!("https://cdn.example/img/{i}-{k}.jpg"))
            .collect(),
        variants: (0..n)
            .map(|k| VariantInput {
                sku: Some(format!("SKU-{i}-{k}")),
                option_values: options.iter().map(|o| format!("{o} {k}")).collect(),
                barcode: (k % 2 == 0).then(|| format!("0{i:05}{k:06}")),
                price: Some(format!("{}.{:02}", 10 + i, k * 7 % 100)),
                compare_at_price: (i % 2 == 1).then(|| "99.9".into()),
                cost: (k == 0).then(|| "3.125".into()),
                weight_g: (i % 3 != 2).then(|| format!("{}.5", 100 + k)),
                length_mm: i.is_multiple_of(2).then(|| "300".into()),
                width_mm: i.is_multiple_of(2).then(|| "25.4".into()),
                height_mm: None,
                status: Some(if k == 2 { "inactive" } else { "active" }.into()),
            })
            .collect(),
    }
}

db_test!(export_then_import_gives_the_same_catalog, async |db: Db| {
    let app = app(&db);
    let a = access(&db, "Source").await;
    for i in 0..23 {
        catalog::create(&app, &a, &sample(i)).await.unwrap();
    }
    let text = export(&app, &a).await;
    assert!(text.starts_with("product_handle,title,description_html,"));
    let b = access(&db, "Target").await;
    let r = import(&app, &b, &text, ATOMIC).await;
    assert_eq!(r.outcome, Outcome::Imported, "{:?}", lines(&r));
    assert_eq!(r.products.created, 23);
    assert_eq!(r.errors + r.warnings, 0);
    assert_eq!(catalog(&db, &a).await, catalog(&db, &b).await);
    // Importing the export again into the source changes nothing (matched by id and SKU).
    let again = import(&app, &a, &text, ATOMIC).await;
    assert_eq!(again.products.unchanged, 23, "{}", again.summary());
    assert_eq!(again.variants.created + again.variants.updated, 0);
    // The target's own export imports back unchanged too (matched by SKU).
    let text_b = export(&app, &b).await;
    let r = import(&app, &a, &text_b, ATOMIC).await;
    assert_eq!(r.products.unchanged, 23, "{}", r.summary());
});

db_test!(partial_columns_update_and_keep_the_rest, async |db: Db| {
    let app = app(&db);
    let a = access(&db, "Shop").await;
    let p = catalog::create(&app, &a, &sample(4)).await.unwrap();
    // A price list: handle and SKU (any spelling) and price only.
    let r = import(
        &app,
        &a,
        "Product_Handle,SKU,Price\nx, sku-4-1 ,12.5\n",
        ATOMIC,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Imported, "{:?}", lines(&r));
    assert_eq!((r.products.updated, r.variants.updated), (1, 1));
    let after = products::get(&db, a.account.id, p.id).await.unwrap();
    assert_eq!(after.title, p.title, "a missing column keeps the field");
    assert_eq!(after.variants.len(), 2, "variants not in the file are kept");
    assert_eq!(
        after.variants[0], p.variants[0],
        "and untouched, in their place"
    );
    assert_eq!(
        after.variants[1].sku.as_str(),
        "sku-4-1",
        "the file's spelling wins"
    );
    assert_eq!(after.variants[1].price, Some("12.5".parse().unwrap()));
    assert_eq!(
        after.variants[1].id, p.variants[1].id,
        "the variant keeps its id"
    );
    // A new product without a title column cannot be created.
    let r = import(&app, &a, "product_handle,sku,price\nn,NEW-1,1\n", ATOMIC).await;
    assert!(r.refused());
    assert_eq!(
        lines(&r),
        vec![
            "line 2, title: error: is required to create a product, and the file has no title column"
        ]
    );
});

db_test!(wrong_headers_name_the_columns, async |db: Db| {
    let app = app(&db);
    let a = access(&db, "Shop").await;
    let r = import(
        &app,
        &a,
        "product_handle,title,prize,colour\np,T,1,red\n",
        ATOMIC,
    )
    .await;
    assert!(r.refused());
    let all = lines(&r).join("\n");
    assert!(
        all.contains("unknown columns \"prize\", \"colour\""),
        "{all}"
    );
    assert!(all.contains("missing required column sku"), "{all}");
    assert!(r.problems.iter().all(|p| p.line == Some(1)));
    let r = import(&app, &a, "", ATOMIC).await;
    assert!(r.refused() && lines(&r)[0].contains("the file is empty"));
    assert_eq!(count(&db, &a).await, (0, 0));
});

db_test!(
    bad_values_are_reported_with_line_and_column,
    async |db: Db| {
        let app = app(&db);
        let a = access(&db, "Shop").await;
        let csv = "product_handle,title,sku,price,currency,weight,weight_unit,status\n\
               p1,Parka,PK-1,19.99,EUR,1.2,kg,active\n\
               p2,\"Multi\nline title\",SO-1,12,eur,,,draft\n\
               p3,Hat,HA-1,\"12,50\",EUR,,,active\n\
               p4,,BE-1,-3,USD,2,stone,sold\n";
        let r = import(&app, &a, csv, ATOMIC).await;
        assert!(r.refused());
        assert_eq!(
            lines(&r),
            vec![
                "line 5, price: error: \"12,50\" is not a decimal number (digits and one decimal point, like 19.99)",
                "line 6, status: error: unknown status \"sold\" (expected active, draft, archived)",
                "line 6, title: error: must not be empty",
                "line 6, price: error: \"-3\" is negative",
                "line 6, currency: error: prices are in the account's currency, EUR; this row says USD (techOMS does not convert)",
                "line 6, weight_unit: error: unknown unit \"stone\" (expected g, kg, oz, lb)",
            ]
        );
        assert_eq!(r.errors, 6);
        assert_eq!(count(&db, &a).await, (0, 0), "nothing written");
        // A dry run of the good part validates and writes nothing.
        let good: String = csv.lines().take(4).collect::<Vec<_>>().join("\n");
        let r = import(
            &app,
            &a,
            &good,
            ImportOptions {
                dry_run: true,
                skip_invalid: false,
            },
        )
        .await;
        assert_eq!(r.outcome, Outcome::Validated, "{:?}", lines(&r));
        assert_eq!(r.products.created, 2);
        assert_eq!(count(&db, &a).await, (0, 0));
    }
);

db_test!(bad_encoding_is_reported_on_its_line, async |db: Db| {
    let app = app(&db);
    let a = access(&db, "Shop").await;
    let mut csv = b"product_handle,title,sku\np1,Good,G-1\np2,Caf".to_vec();
    csv.extend_from_slice(&[0xe9]); // Latin-1 "é"
    csv.extend_from_slice(b",C-1\np3,Fine,F-1\n");
    let r = import(&app, &a, &csv, ATOMIC).await;
    assert!(r.refused());
    assert_eq!(r.errors, 1);
    assert!(
        lines(&r)[0].starts_with("line 3, title: error: is not valid UTF-8"),
        "{:?}",
        lines(&r)
    );
    assert_eq!(count(&db, &a).await, (0, 0));
});

db_test!(
    duplicate_skus_make_one_variant_and_a_warning,
    async |db: Db| {
        let app = app(&db);
        let a = access(&db, "Shop").await;
        let csv = "product_handle,title,sku,price\n\
               p1,Parka,PK-1,10\n\
               p1,Parka, pk-1 ,11\n\
               p2,Other,Pk-1,12\n\
               p2,Other,OT-1,13\n";
        let r = import(&app, &a, csv, ATOMIC).await;
        assert_eq!(r.outcome, Outcome::Imported, "{:?}", lines(&r));
        assert_eq!(r.warnings, 2);
        assert!(r.problems.iter().all(|p| p.level == Level::Warning));
        assert_eq!(
            lines(&r)[0],
            "line 3, sku: warning: SKU \"pk-1\" repeats SKU \"PK-1\" of line 2 (SKUs are compared trimmed and without regard to case); this row is skipped, the first one wins"
        );
        assert!(
            lines(&r)[1]
                .starts_with("line 4, sku: warning: SKU \"Pk-1\" repeats SKU \"PK-1\" of line 2")
        );
        assert_eq!(count(&db, &a).await, (2, 2));
        let p = products::find_by_sku(&db, a.account.id, &techoms_domain::SkuKey::of("pk-1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.title, "Parka");
        assert_eq!(
            p.variants[0].price,
            Some("10".parse().unwrap()),
            "the first row wins"
        );
        assert_eq!((r.variants.created, r.variants.skipped), (2, 2));
    }
);

db_test!(
    one_bad_row_writes_nothing_and_skip_invalid_never_half_writes,
    async |db: Db| {
        let app = app(&db);
        let a = access(&db, "Shop").await;
        let existing = catalog::create(&app, &a, &sample(1)).await.unwrap();
        let before = catalog(&db, &a).await;
        let csv = format!(
            "product_handle,title,sku,price\n\
         new1,Good One,N-1,1\n\
         new2,Half Bad,H-1,2\n\
         new2,Half Bad,H-2,two\n\
         {id},Renamed,SKU-1-0,5\n\
         {id},Renamed,SKU-1-1,x\n\
         new3,Good Three,N-3,3\n",
            id = existing.id
        );
        let r = import(&app, &a, &csv, ATOMIC).await;
        assert!(r.refused());
        assert_eq!(r.errors, 2);
        assert_eq!(
            catalog(&db, &a).await,
            before,
            "one bad row: nothing written"
        );
        let r = import(&app, &a, &csv, SKIP).await;
        assert_eq!(r.outcome, Outcome::Imported);
        assert_eq!(
            (r.products.created, r.products.skipped),
            (2, 2),
            "{}",
            r.summary()
        );
        assert_eq!(r.variants.skipped, 4);
        let skus: Vec<String> = catalog(&db, &a).await.into_keys().collect();
        assert_eq!(
            skus,
            vec!["N-1", "N-3", "SKU-1-0", "SKU-1-1"],
            "H-1 is not half-written"
        );
        let after = products::get(&db, a.account.id, existing.id).await.unwrap();
        assert_eq!(
            after.title, existing.title,
            "the bad product is not touched"
        );
    }
);

db_test!(matching_refuses_moves_between_products, async |db: Db| {
    let app = app(&db);
    let a = access(&db, "Shop").await;
    let p1 = catalog::create(&app, &a, &sample(1)).await.unwrap();
    let p2 = catalog::create(&app, &a, &sample(2)).await.unwrap();
    let csv = "product_handle,sku\nmix,SKU-1-0\nmix,SKU-2-0\n";
    let r = import(&app, &a, csv, ATOMIC).await;
    assert!(r.refused());
    let l = lines(&r);
    assert!(
        l[0].starts_with("line 3, sku: error: SKU \"SKU-2-0\" belongs to catalog product"),
        "{l:?}"
    );
    assert!(l[0].contains(&p2.id.to_string()) && l[0].contains(&p1.id.to_string()));
    let csv = "product_handle,sku\na,SKU-1-0\nb,SKU-1-1\n";
    let r = import(&app, &a, csv, ATOMIC).await;
    assert!(r.refused());
    assert!(
        lines(&r)[0].starts_with("line 3, product_handle: error: is the same catalog product"),
        "{:?}",
        lines(&r)
    );
});

/// Pseudo-random bytes, produced as read (nothing held).
struct Junk {
    left: usize,
    state: u64,
}

impl Read for Junk {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left);
        for b in &mut buf[..n] {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *b = (self.state >> 24) as u8;
        }
        self.left -= n;
        Ok(n)
    }
}

/// Rows that are well-formed CSV but wrong in every row, produced as read.
struct BadRows {
    header: bool,
    left: usize,
    i: u64,
    pending: Vec<u8>,
}

impl Read for BadRows {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() && self.left > 0 {
            if !self.header {
                self.header = true;
                self.pending = b"product_handle,title,sku,price\n".to_vec();
            } else {
                self.i += 1;
                self.pending =
                    format!("h{},Title {},S-{},not-a-price\n", self.i, self.i, self.i).into_bytes();
            }
        }
        let n = buf.len().min(self.pending.len()).min(self.left);
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        self.left -= n;
        Ok(n)
    }
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|v| v.parse().unwrap_or(0)))
        })
        .unwrap_or(0)
}

const FIFTY_MB: usize = 50 * 1000 * 1000;

db_test!(
    fifty_megabytes_of_junk_are_refused_quickly_and_boundedly,
    async |db: Db| {
        let app = app(&db);
        let a = access(&db, "Shop").await;
        let rss0 = peak_rss_kb();
        // Random bytes: refused at the header.
        let t = Instant::now();
        let junk = Junk {
            left: FIFTY_MB,
            state: 0x9e3779b97f4a7c15,
        };
        let r = catalog_csv::import(&app, &a, junk, ATOMIC).await.unwrap();
        assert!(r.refused());
        assert!(r.problems.len() <= 3, "{:?}", lines(&r));
        eprintln!("50 MB of random bytes: refused in {:?}", t.elapsed());
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        // A good header, then random bytes: reading stops after a run of garbage records.
        let t = Instant::now();
        let junk = std::io::Cursor::new(b"product_handle,title,sku,price\n".to_vec()).chain(Junk {
            left: FIFTY_MB,
            state: 42,
        });
        let r = catalog_csv::import(&app, &a, junk, SKIP).await.unwrap();
        assert!(r.refused(), "junk is refused even with skip_invalid");
        let stopped = r.stopped.clone().expect("reading stopped early");
        assert!(
            stopped.contains("records in a row are not rows of this CSV file"),
            "{stopped}"
        );
        assert!(r.rows < 10_000, "stopped after {} records", r.rows);
        eprintln!(
            "a header and 50 MB of random bytes: refused in {:?} after {} records",
            t.elapsed(),
            r.rows
        );
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        // 50 MB of well-formed rows, each wrong: read to the end, report capped, totals counted.
        let t = Instant::now();
        let rows = BadRows {
            header: false,
            left: FIFTY_MB,
            i: 0,
            pending: Vec::new(),
        };
        let r = catalog_csv::import(&app, &a, rows, ATOMIC).await.unwrap();
        let took = t.elapsed();
        assert!(r.refused());
        assert!(r.rows > 1_000_000, "{}", r.rows);
        assert_eq!(r.errors, r.rows);
        assert_eq!(r.problems.len(), catalog_csv::MAX_LISTED);
        assert_eq!(r.unlisted, r.rows - catalog_csv::MAX_LISTED as u64);
        assert_eq!(
            r.problems[0].to_line(),
            "line 2, price: error: \"not-a-price\" is not a decimal number (digits and one decimal point, like 19.99)"
        );
        assert!(took < Duration::from_secs(120), "{took:?}");
        let grown_mb = (peak_rss_kb().saturating_sub(rss0)) / 1024;
        eprintln!(
            "50 MB of bad rows: {} rows in {took:?}; peak memory grew by {grown_mb} MB",
            r.rows
        );
        assert!(grown_mb < 32, "memory grew by {grown_mb} MB");
        assert_eq!(count(&db, &a).await, (0, 0));
    }
);

db_test!(the_size_limit_refuses_larger_files, async |db: Db| {
    let mut app = app(&db);
    app.csv_import_max_bytes = 100;
    let a = access(&db, "Shop").await;
    let csv = format!("product_handle,title,sku\n{}", "p,T,S-1\n".repeat(20));
    let e = catalog_csv::import(&app, &a, std::io::Cursor::new(csv.into_bytes()), ATOMIC)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::TooLarge { limit_bytes: 100 }),
        "{e:?}"
    );
    assert_eq!(count(&db, &a).await, (0, 0));
});

db_test!(
    a_channel_master_refuses_imports_naming_it,
    async |db: Db| {
        let app = app(&db);
        let mut a = access(&db, "Shop").await;
        let now = chrono::Utc::now();
        let ch = channels::create(
            &db,
            a.account.id,
            &NewChannel {
                kind: Integration::Shopify.kind(),
                integration: Integration::Shopify,
                name: "Shopify EU".into(),
                enabled: true,
                settings: BTreeMap::new(),
                credentials: None,
            },
            now,
        )
        .await
        .unwrap();
        let setting = MasterSetting {
            source: MasterProductSource::SalesChannel,
            channel_id: Some(ch.id),
        };
        accounts::set_master(&db, a.account.id, setting, now)
            .await
            .unwrap();
        a.account = accounts::get(&db, a.account.id).await.unwrap();
        let e = catalog_csv::import(
            &app,
            &a,
            std::io::Cursor::new(b"product_handle,title,sku\np,T,S-1\n".to_vec()),
            ATOMIC,
        )
        .await
        .unwrap_err();
        match e {
            AppError::Conflict { message, .. } => {
                assert!(message.contains("Shopify EU"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(count(&db, &a).await, (0, 0));
        // Exports still work (reading).
        assert!(export(&app, &a).await.starts_with("product_handle,"));
    }
);
