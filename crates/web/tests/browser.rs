//! The Account settings page in headless Chromium (Debian's chromium + chromium-driver):
//! log in, see techOMS (default), pick Sales Channel and see only the eligible channels with
//! the (disabled) suffix, trigger and read validation errors, save, reload, find it kept.

mod common;

use std::net::SocketAddr;

use common::browser::{Browser, available};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_settings_in_a_real_browser() {
    if !available() {
        return;
    }
    let t = TestApp::sqlite().await;
    let k = t.a.api_key.clone();
    t.create_channel(&k, "shopify", "Shopify US", true).await;
    t.create_channel(&k, "woocommerce", "Woo EU", false).await;
    t.create_channel(&k, "shipbob", "ShipBob Warehouse", true)
        .await;
    t.create_channel(&t.b.api_key, "shopify", "Other account store", true)
        .await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = t.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let b = Browser::start().await;
    b.goto(&format!("{base}/settings")).await;
    // Not signed in: the login page.
    b.find("#email").await.type_text(&t.a.email).await;
    b.find("#password").await.type_text(&t.a.password).await;
    b.screenshot("settings-01-login").await;
    b.find("#login-submit").await.click().await;
    b.find("#settings-form").await;
    assert!(b.url().await.ends_with("/settings"));

    // The default source, and no channel select yet.
    let selected = b
        .wait_texts("#source option:checked", |t| !t.is_empty())
        .await;
    assert_eq!(selected, vec!["techOMS (default)"]);
    assert!(!b.exists("#channel_id").await);
    assert_eq!(b.find("#code").await.value().await, "ALPHA-STORE");
    b.screenshot("settings-02-default").await;

    // Sales Channel: htmx brings the eligible channels, the disabled one suffixed.
    b.find("#source option[value=sales_channel]")
        .await
        .click()
        .await;
    let options = b.wait_texts("#channel_id option", |t| t.len() == 3).await;
    assert_eq!(
        options,
        vec![
            "— choose a Sales Channel —",
            "Shopify US",
            "Woo EU (disabled)"
        ]
    );
    b.screenshot("settings-03-sales-channel").await;

    // Saving without a channel: an inline error next to the field, nothing stored.
    b.find("#save").await.click().await;
    let err = b.find("#error-channel_id").await.text().await;
    assert!(err.contains("Master Product Channel is required"), "{err}");
    b.screenshot("settings-04-validation-error").await;

    // A second kind of error: a time zone that does not exist.
    let tz = b.find("#timezone").await;
    tz.clear().await;
    tz.type_text("Mars/Olympus_Mons").await;
    b.find("#channel_id option:nth-child(3)")
        .await
        .click()
        .await;
    b.find("#save").await.click().await;
    let err = b.find("#error-timezone").await.text().await;
    assert!(err.contains("IANA"), "{err}");

    // Fix it, choose the disabled Woo channel (allowed), save.
    let tz = b.find("#timezone").await;
    tz.clear().await;
    tz.type_text("America/Toronto").await;
    b.find("#channel_id option:nth-child(3)")
        .await
        .click()
        .await;
    b.find("#save").await.click().await;
    let flash = b.find("#flash").await.text().await;
    assert_eq!(flash, "Settings saved.");

    // Reload: the choice is kept.
    b.goto(&format!("{base}/settings")).await;
    assert_eq!(
        b.wait_texts("#source option:checked", |t| !t.is_empty())
            .await,
        vec!["Sales Channel"]
    );
    assert_eq!(
        b.wait_texts("#channel_id option:checked", |t| !t.is_empty())
            .await,
        vec!["Woo EU (disabled)"]
    );
    assert_eq!(b.find("#timezone").await.value().await, "America/Toronto");
    // The change is in the audit list on the page.
    let audit = b.all_texts("#audit td").await;
    assert!(
        audit.iter().any(|c| c == "master_product_source"),
        "{audit:?}"
    );
    assert!(
        audit.iter().any(|c| c == "Sales Channel (Woo EU)"),
        "{audit:?}"
    );
    b.screenshot("settings-05-saved").await;
    b.quit().await;
}

/// Runs and products in headless Chromium at 1280×800: a queued run's page updates itself
/// (htmx polling) when the run ends and then stops polling; an import's Warnings are
/// highlighted; an exact SKU typed in the product search opens its product; every page fits
/// the window's width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_and_products_in_a_real_browser() {
    use common::engine::{Provider, set_sales_master, sync};
    use techoms_app::engine::{self, EngineOptions, NoSink, Trigger};
    use techoms_domain::JobKind;
    use techoms_testkit::memory_connector::seed_product;

    if !available() {
        return;
    }
    let t = TestApp::sqlite().await;
    let k = t.a.api_key.clone();
    let shop = t.create_channel(&k, "shopify", "Shopify US", true).await;
    let woo = t.create_channel(&k, "woocommerce", "Woo EU", true).await;
    set_sales_master(&t, &k, &shop).await;
    let mut provider = Provider::default();
    let conn = provider.add(&shop, "shop");
    provider.add(&woo, "woo");
    conn.insert(seed_product("Trail Tee", &["TEE-S", "tee-s ", "TEE-M"]));
    conn.insert(seed_product("Camp Mug", &["MUG-1"]));
    conn.insert(seed_product("Nameless", &[" "]));
    let import = sync(&t, &provider, &t.a.account_id, &shop, true).await;
    sync(&t, &provider, &t.a.account_id, &woo, false).await;
    let account = t.a.account_id.parse().unwrap();
    let queued = engine::create_run(
        &t.app,
        account,
        woo.parse().unwrap(),
        JobKind::ExportProducts,
        Trigger::Manual,
        true,
    )
    .await
    .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = t.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let b = Browser::start().await;
    b.goto(&format!("{base}/runs/{}", queued.id)).await;
    b.find("#email").await.type_text(&t.a.email).await;
    b.find("#password").await.type_text(&t.a.password).await;
    b.find("#login-submit").await.click().await;
    // The login leads back to the run.
    assert_eq!(b.find("#run-status").await.text().await, "Queued");
    assert!(b.exists("#live-note").await);
    b.screenshot("runs-01-queued").await;

    // The run executes meanwhile: the open page shows its end without a reload.
    let report = engine::execute(
        &t.app,
        &provider,
        account,
        queued.id,
        &EngineOptions::default(),
        &mut NoSink,
    )
    .await
    .unwrap();
    assert!(report.run.status.is_finished());
    b.wait_texts("#run-status", |s| s == ["Succeeded"]).await;
    assert!(!b.exists("#live-note").await, "no longer updating");
    let polling = b
        .script("return document.querySelector('#run-live').hasAttribute('hx-trigger');")
        .await;
    assert_eq!(polling, serde_json::json!(false));
    assert!(b.fits_width().await, "run page fits 1280 px");
    b.screenshot("runs-02-finished-live").await;

    // The import: Warnings highlighted, the SKUs named; the level filter.
    b.goto(&format!("{base}/runs/{}", import.run.id)).await;
    let mut skus = b.all_texts("tr.level-warning td.sku").await;
    skus.sort();
    assert_eq!(skus, vec!["", "tee-s"], "the empty and the duplicate SKU");
    assert!(b.fits_width().await);
    b.screenshot("runs-03-import-warnings").await;
    b.find("#level-filter input[value=warning]")
        .await
        .click()
        .await;
    b.find("#apply-levels").await.click().await;
    b.wait_texts("tr.msg td:nth-child(2)", |l| {
        !l.is_empty() && l.iter().all(|x| x == "Warning")
    })
    .await;

    // The list, filtered by status.
    b.goto(&format!("{base}/runs")).await;
    assert_eq!(b.all_texts("#run-list tbody tr").await.len(), 3);
    b.find("#f-status option[value=succeeded]")
        .await
        .click()
        .await;
    b.find("#apply-filters").await.click().await;
    b.wait_texts("#run-list tbody td:nth-child(5)", |s| {
        s.len() == 3 && s.iter().all(|x| x == "Succeeded")
    })
    .await;
    assert!(b.fits_width().await, "run list fits 1280 px");
    b.screenshot("runs-04-list").await;

    // Products: search by an exact SKU in another spelling, land on the product.
    b.goto(&format!("{base}/products")).await;
    assert_eq!(b.all_texts("#product-list tbody tr").await.len(), 2);
    b.find("#q").await.type_text(" tee-m ").await;
    b.find("#search").await.click().await;
    let found = b.find("#found-by-sku").await.text().await;
    assert!(found.contains("tee-m"), "{found}");
    assert_eq!(b.all_texts("tr.found td.sku").await, vec!["TEE-M"]);
    let states = b.all_texts("tr.binding td:nth-child(3)").await;
    assert!(states.iter().any(|s| s.starts_with("Bound")), "{states:?}");
    assert!(b.fits_width().await, "product page fits 1280 px");
    b.screenshot("products-01-detail").await;
    b.goto(&format!("{base}/products?q=mug")).await;
    assert_eq!(b.all_texts("#product-list tbody tr").await.len(), 1);
    b.screenshot("products-02-search").await;
    b.quit().await;
}
