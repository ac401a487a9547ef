//! Catalog pages and bindings: the product API and the product page show each variant's
//! binding on every channel after a real export (and "missing at master" after a full read);
//! the product list searches by SKU or title, pages by keyset, opens an exact SKU, and its
//! empty state says what to do. Runs on SQLite and PostgreSQL.

mod common;

use axum::http::{Method, StatusCode, header};
use common::engine::{Provider, set_sales_master, set_timezone, sync};
use common::*;
use serde_json::{Value, json};
use techoms_testkit::TestDb;
use techoms_testkit::memory_connector::seed_product;

async fn create_product(t: &TestApp, body: Value) -> Value {
    let (st, p) = t
        .api(&t.a.api_key, Method::POST, "/api/v1/products", Some(body))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    p
}

fn parka() -> Value {
    json!({
        "title": "Alpine Parka", "vendor": "North", "tags": ["winter"], "options": ["Size"],
        "variants": [
            {"sku": "PK-S", "option_values": ["S"], "price": "199", "weight_g": "1200", "barcode": "0123456789012"},
            {"sku": "PK-M", "option_values": ["M"], "price": "199.5"}
        ]
    })
}

/// A time as the UI shows it in `tz`.
fn shown(v: &Value, tz: chrono_tz::Tz) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    t.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// The product page's row of one variant on one channel.
fn binding_row<'a>(page: &'a str, sku: &str, channel: &str) -> &'a str {
    let marker = format!("data-sku=\"{sku}\" data-channel=\"{channel}\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no row for {sku} on {channel}"));
    let start = page[..at].rfind("<tr").unwrap();
    let end = at + page[at..].find("</tr>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn bindings_per_channel_after_an_export_in_the_api_and_on_the_product_page() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let k = t.a.api_key.clone();
        set_timezone(&t, &k, "Alpha Store", "Asia/Tokyo").await;
        let woo = t.create_channel(&k, "woocommerce", "Woo", true).await;
        let bob = t.create_channel(&k, "shipbob", "Bob", false).await;
        let mut provider = Provider::default();
        provider.add(&woo, "woo");
        let p = create_product(&t, parka()).await;
        let id = p["id"].as_str().unwrap().to_owned();
        // A product answer carries bindings (none yet); a list page does not.
        assert_eq!(p["variants"][0]["bindings"], json!([]));
        let (_, list) = t.api(&k, Method::GET, "/api/v1/products", None).await;
        assert!(list["items"][0]["variants"][0].get("bindings").is_none());

        let report = sync(&t, &provider, &t.a.account_id, &woo, false).await;
        assert_eq!(report.run.counts.created, 2, "{:?}", report.run);

        let (st, v) = t
            .api(&k, Method::GET, &format!("/api/v1/products/{id}"), None)
            .await;
        assert_eq!(st, StatusCode::OK);
        for variant in v["variants"].as_array().unwrap() {
            let b = variant["bindings"].as_array().unwrap();
            assert_eq!(b.len(), 1, "Woo only: {variant}");
            assert_eq!(b[0]["channel_id"], woo.as_str());
            assert_eq!(b[0]["channel_name"], "Woo");
            assert!(
                b[0]["remote_product_id"]
                    .as_str()
                    .unwrap()
                    .starts_with("woo-p")
            );
            assert!(
                b[0]["remote_variant_id"]
                    .as_str()
                    .unwrap()
                    .starts_with("woo-v")
            );
            assert_eq!(b[0]["channel_sku"], variant["sku"]);
            assert!(b[0]["last_pushed_at"].as_str().unwrap().ends_with('Z'));
            assert_eq!(b[0]["missing_at_master"], false);
        }
        let (st, by_sku) = t
            .api(&k, Method::GET, "/api/v1/variants?sku=pk-m", None)
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(
            by_sku["variants"][1]["bindings"],
            v["variants"][1]["bindings"]
        );
        // A product read and sent back as it is (read-only fields included) is accepted;
        // the read-only fields are ignored and the bindings stay.
        let (st, put) = t
            .api(
                &k,
                Method::PUT,
                &format!("/api/v1/products/{id}"),
                Some(v.clone()),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{put}");
        assert_eq!(put["variants"][0]["bindings"], v["variants"][0]["bindings"]);
        assert_eq!(put["created_at"], v["created_at"]);
        // Another account sees none of it.
        let (st, _) = t
            .api(
                &t.b.api_key,
                Method::GET,
                &format!("/api/v1/products/{id}"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // The product page: fields, variants, and every channel's status per variant.
        let (session, _) = login(&t, &t.a.email, &t.a.password).await;
        let (st, _, page) = t
            .raw(get_with_cookie(&format!("/products/{id}"), &session))
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("<title>Alpine Parka · techOMS</title>"));
        assert!(page.contains("North") && page.contains("winter"));
        assert!(
            page.contains("199.00 USD") && page.contains("199.50 USD"),
            "prices"
        );
        assert!(page.contains("1.2 kg"), "weight in the account's unit");
        assert!(page.contains("Size: S") && page.contains("0123456789012"));
        let tokyo = chrono_tz::Asia::Tokyo;
        for variant in v["variants"].as_array().unwrap() {
            let sku = variant["sku"].as_str().unwrap();
            let b = &variant["bindings"][0];
            let row = binding_row(&page, sku, &woo);
            assert!(row.contains("Bound"), "{row}");
            assert!(
                row.contains(b["remote_variant_id"].as_str().unwrap()),
                "{row}"
            );
            let pushed = shown(&b["last_pushed_at"], tokyo);
            assert!(
                pushed.ends_with(" JST") && row.contains(&pushed),
                "{pushed} in {row}"
            );
            let row = binding_row(&page, sku, &bob);
            assert!(row.contains("Not on this channel yet"), "{row}");
            assert!(row.contains("(disabled)"), "{row}");
        }
        let (st, _, _) = t
            .raw(get_with_cookie(
                &format!("/products/{}", uuid::Uuid::now_v7()),
                &session,
            ))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (bs, _) = login(&t, &t.b.email, &t.b.password).await;
        let (st, _, body) = t
            .raw(get_with_cookie(&format!("/products/{id}"), &bs))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert!(!body.contains("Alpine Parka"));
        t.db.finish().await;
    }
}

#[tokio::test]
async fn a_variant_the_master_dropped_shows_missing_at_master() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let k = t.a.api_key.clone();
        let shop = t.create_channel(&k, "shopify", "Shop", true).await;
        set_sales_master(&t, &k, &shop).await;
        let mut provider = Provider::default();
        let conn = provider.add(&shop, "shop");
        conn.insert(seed_product("Mug", &["MUG-1", "MUG-2"]));
        sync(&t, &provider, &t.a.account_id, &shop, true).await;
        assert!(conn.remove_variant("MUG-2"));
        sync(&t, &provider, &t.a.account_id, &shop, true).await;

        let (_, p) = t
            .api(&k, Method::GET, "/api/v1/variants?sku=MUG-2", None)
            .await;
        let id = p["id"].as_str().unwrap();
        let flags: Vec<(String, bool)> = p["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["sku"].as_str().unwrap().to_owned(),
                    v["bindings"][0]["missing_at_master"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            flags,
            vec![("MUG-1".to_owned(), false), ("MUG-2".to_owned(), true)]
        );
        assert!(p["variants"][0]["bindings"][0]["last_read_at"].is_string());
        let (session, _) = login(&t, &t.a.email, &t.a.password).await;
        let (_, _, page) = t
            .raw(get_with_cookie(&format!("/products/{id}"), &session))
            .await;
        let row = binding_row(&page, "MUG-2", &shop);
        assert!(row.contains("Missing at master"), "{row}");
        assert!(row.contains("(master)"));
        assert!(binding_row(&page, "MUG-1", &shop).contains("Bound"));
        t.db.finish().await;
    }
}

#[tokio::test]
async fn the_product_list_searches_pages_and_opens_an_exact_sku() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let (session, _) = login(&t, &t.a.email, &t.a.password).await;
        // Empty catalog, no channel: connect one.
        let (st, _, page) = t.raw(get_with_cookie("/products", &session)).await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains("id=\"empty-catalog\"") && page.contains("Connect a channel"));
        // A channel, techOMS still the master: add products here or choose a channel master.
        let shop = t
            .create_channel(&t.a.api_key, "shopify", "Shop US", true)
            .await;
        let (_, _, page) = t.raw(get_with_cookie("/products", &session)).await;
        assert!(page.contains("Set the Master Product Source"), "{page}");
        // A channel master: sync it.
        set_sales_master(&t, &t.a.api_key, &shop).await;
        let (_, _, page) = t.raw(get_with_cookie("/products", &session)).await;
        assert!(page.contains("Open Shop US") && page.contains("Sync products"));
        assert!(page.contains(&format!("href=\"/channels/{shop}\"")));
        let (st, _) = t
            .api(
                &t.a.api_key,
                Method::PUT,
                "/api/v1/account/master-product-source",
                Some(json!({"source": "techoms", "confirm": true})),
            )
            .await;
        assert_eq!(st, StatusCode::OK);

        let p = create_product(&t, parka()).await;
        let parka_id = p["id"].as_str().unwrap().to_owned();
        for i in 0..52 {
            create_product(
                &t,
                json!({"title": format!("Wool Sock {i:02}"), "status": if i % 2 == 0 { "active" } else { "draft" },
                       "options": ["Size"], "variants": [
                    {"sku": format!("SOCK-{i:02}-S"), "option_values": ["S"]},
                    {"sku": format!("SOCK-{i:02}-M"), "option_values": ["M"]},
                    {"sku": format!("SOCK-{i:02}-L"), "option_values": ["L"]},
                    {"sku": format!("SOCK-{i:02}-XL"), "option_values": ["XL"]}
                ]}),
            )
            .await;
        }

        // By title.
        let (_, _, page) = t.raw(get_with_cookie("/products?q=parka", &session)).await;
        assert!(page.contains(&format!("href=\"/products/{parka_id}\"")));
        assert!(!page.contains("Wool Sock"));
        assert!(
            page.contains("value=\"parka\""),
            "the search stays in the box"
        );
        // By the start of a SKU.
        let (_, _, page) = t
            .raw(get_with_cookie("/products?q=sock-07", &session))
            .await;
        assert_eq!(
            page.matches("<td><a href=\"/products/").count(),
            1,
            "{page}"
        );
        assert!(page.contains("Wool Sock 07") && page.contains("+1 more"));
        assert!(page.contains("<td class=\"num\">4</td>"), "variant count");
        assert!(page.contains("status-draft"));
        // No match.
        let (_, _, page) = t.raw(get_with_cookie("/products?q=zzz", &session)).await;
        assert!(page.contains("id=\"no-products\"") && page.contains("No product matches"));

        // An exact SKU, in any spelling, opens its product.
        let (st, h, _) = t
            .raw(get_with_cookie("/products?q=%20pk-m%20", &session))
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER);
        let location = h[header::LOCATION].to_str().unwrap().to_owned();
        assert!(
            location.starts_with(&format!("/products/{parka_id}?sku=")),
            "{location}"
        );
        let (_, _, page) = t.raw(get_with_cookie(&location, &session)).await;
        assert!(page.contains("id=\"found-by-sku\"") && page.contains("Found by SKU “pk-m”"));
        assert_eq!(
            page.matches("class=\"found\"").count(),
            1,
            "the variant is marked"
        );
        // …and the list of every match stays one click away.
        let (st, _, page) = t
            .raw(get_with_cookie("/products?q=pk-m&all=1", &session))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains(&format!("href=\"/products/{parka_id}\"")));

        // Keyset pages of 50: every product once.
        let mut seen = std::collections::BTreeSet::new();
        let mut url = "/products".to_owned();
        let mut pages = 0;
        loop {
            let (st, _, page) = t.raw(get_with_cookie(&url, &session)).await;
            assert_eq!(st, StatusCode::OK);
            pages += 1;
            for part in page.split("<td><a href=\"/products/").skip(1) {
                let id = &part[..36];
                assert!(seen.insert(id.to_owned()), "{id} twice");
            }
            match between(&page, "href=\"/products?q=&all=1&after=", "\"") {
                Some(after) => url = format!("/products?all=1&after={after}"),
                None => break,
            }
        }
        assert_eq!((seen.len(), pages), (53, 2));
        let (st, _, _) = t
            .raw(get_with_cookie("/products?after=nope", &session))
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        t.db.finish().await;
    }
}
