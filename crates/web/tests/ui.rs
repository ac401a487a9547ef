//! The UI with plain form posts (no JavaScript): the settings page, the confirmation step on
//! a live account, channel forms with inline errors, the account switcher.

mod common;

use axum::http::{Method, StatusCode, header};
use common::*;

const MAIN: &str = "name=Alpha+Store&timezone=UTC&currency=USD&weight_unit=lb&length_unit=in";

#[tokio::test]
async fn live_account_asks_for_confirmation_before_switching_the_master() {
    let t = TestApp::sqlite().await;
    let shop = t
        .create_channel(&t.a.api_key, "shopify", "Shopify US", true)
        .await;
    // Make the account live with a product created through the catalog storage.
    let account: techoms_domain::AccountId = t.a.account_id.parse().unwrap();
    let mut p = sample_product(account);
    p.title = "Parka".into();
    techoms_db::products::create(&t.app.db, account, &p)
        .await
        .unwrap();

    let (session, csrf) = login(&t, &t.a.email, &t.a.password).await;
    let (st, _, page) = t.raw(get_with_cookie("/settings", &session)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("<option value=\"techoms\" selected>techOMS (default)</option>"),
        "default shown"
    );

    let form = format!("csrf={csrf}&{MAIN}&source=sales_channel&channel_id={shop}");
    let (st, _, page) = t.raw(post_form("/settings", &session, &form)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"confirmation\""), "a confirmation step");
    assert!(page.contains("1 products"), "says what will happen");
    assert!(page.contains("Import Products"), "lists the job changes");
    let (_, v) = t
        .api(
            &t.a.api_key,
            Method::GET,
            "/api/v1/account/master-product-source",
            None,
        )
        .await;
    assert_eq!(
        v["source"], "techoms",
        "nothing changed before the confirmation"
    );

    let (st, h, _) = t
        .raw(post_form(
            "/settings",
            &session,
            &format!("{form}&confirm=yes"),
        ))
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/settings?saved=1");
    let (_, v) = t
        .api(
            &t.a.api_key,
            Method::GET,
            "/api/v1/account/master-product-source",
            None,
        )
        .await;
    assert_eq!(v["source"], "sales_channel");
    let (_, _, page) = t.raw(get_with_cookie("/settings?saved=1", &session)).await;
    assert!(page.contains("Settings saved."));
    assert!(
        page.contains("Sales Channel (Shopify US)"),
        "the audit list shows the change"
    );
}

#[tokio::test]
async fn channel_forms_show_errors_inline_and_store_nothing() {
    let t = TestApp::sqlite().await;
    let (session, csrf) = login(&t, &t.a.email, &t.a.password).await;
    let (st, _, page) = t
        .raw(get_with_cookie(
            "/channels/new?integration=extensiv",
            &session,
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("name=\"credentials.client_secret\"") && page.contains("type=\"password\"")
    );
    let (st, _, page) = t
        .raw(post_form(
            "/channels",
            &session,
            &format!("csrf={csrf}&integration=extensiv&name=&settings.customer_id=12"),
        ))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-name\""));
    assert!(page.contains("Facility id is required"));
    let (_, v) = t
        .api(&t.a.api_key, Method::GET, "/api/v1/channels", None)
        .await;
    assert_eq!(v, serde_json::json!([]));
    let (st, h, _) = t
        .raw(post_form(
            "/channels",
            &session,
            &format!("csrf={csrf}&integration=shipbob&name=Warehouse&enabled=on&credentials.access_token=pat-123456789"),
        ))
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let location = h[header::LOCATION].to_str().unwrap().to_owned();
    let (_, _, page) = t.raw(get_with_cookie(&location, &session)).await;
    assert!(page.contains("Warehouse") && page.contains("Saved."));
    // Import Products on a channel that is not the master: refused inline.
    let id = location
        .trim_start_matches("/channels/")
        .trim_end_matches("?saved=1");
    let (st, _, page) = t
        .raw(post_form(
            &format!("/channels/{id}/jobs"),
            &session,
            &format!("csrf={csrf}&import_products=1h&export_products=1h"),
        ))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-import_products\""));
}

#[tokio::test]
async fn organization_admins_switch_accounts() {
    let t = TestApp::sqlite().await;
    // A second account in A's organization.
    let second = tenant(&t.app, "Org A", "Alpha Outlet", "outlet@a.test").await;
    let (session, csrf) = login(&t, &t.a.email, &t.a.password).await;
    let (_, _, page) = t.raw(get_with_cookie("/settings", &session)).await;
    assert!(page.contains("id=\"account-switcher\"") && page.contains("Alpha Outlet"));
    let (st, _, _) = t
        .raw(post_form(
            "/switch-account",
            &session,
            &format!("csrf={csrf}&account_id={}", second.account_id),
        ))
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, _, page) = t.raw(get_with_cookie("/settings", &session)).await;
    assert!(
        page.contains("value=\"ALPHA-OUTLET\""),
        "now viewing the second account"
    );
    // The outlet's own administrator sees only the outlet.
    let (s2, _) = login(&t, "outlet@a.test", PASSWORD).await;
    let (_, _, page) = t.raw(get_with_cookie("/settings", &s2)).await;
    assert!(!page.contains("account-switcher"));
}

fn sample_product(account: techoms_domain::AccountId) -> techoms_domain::Product {
    use techoms_domain::*;
    let id = ProductId::new();
    let now = techoms_domain::clock::truncate_micros(chrono::Utc::now());
    Product {
        id,
        account_id: account,
        title: String::new(),
        description_html: String::new(),
        vendor: String::new(),
        product_type: String::new(),
        tags: vec![],
        status: ProductStatus::Active,
        options: vec![],
        images: vec![],
        variants: vec![Variant {
            id: VariantId::new(),
            product_id: id,
            sku: Sku::parse("PK-1").unwrap(),
            position: 0,
            option_values: vec![],
            barcode: None,
            price: None,
            compare_at_price: None,
            cost: None,
            weight: None,
            length: None,
            width: None,
            height: None,
            status: VariantStatus::Active,
            created_at: now,
            updated_at: now,
        }],
        created_at: now,
        updated_at: now,
    }
}
