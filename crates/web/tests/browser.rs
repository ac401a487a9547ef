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
