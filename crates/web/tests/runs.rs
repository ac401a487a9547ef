//! Runs over the API and in the UI, from real engine runs against in-memory channels: filters,
//! keyset pages, message levels, strict parameters, other accounts' runs (404), the run page
//! with its Warnings in the account's time zone, and live updates while a run is unfinished.
//! Runs on SQLite and PostgreSQL.

mod common;

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Utc};
use common::engine::{Provider, set_sales_master, set_timezone, sync};
use common::*;
use serde_json::Value;
use techoms_app::engine::{self, Trigger};
use techoms_domain::{AccountId, ChannelId, JobKind};
use techoms_testkit::TestDb;
use techoms_testkit::memory_connector::seed_product;

/// A's world: Shop (the master, with duplicate and empty SKUs) imported, Woo exported to, and
/// one more export of Woo left queued. Returns (shop, woo, [import, export, queued]).
async fn world(t: &TestApp, provider: &mut Provider) -> (String, String, [String; 3]) {
    let k = &t.a.api_key;
    let shop = t.create_channel(k, "shopify", "Shop", true).await;
    let woo = t.create_channel(k, "woocommerce", "Woo", true).await;
    set_sales_master(t, k, &shop).await;
    let shop_conn = provider.add(&shop, "shop");
    provider.add(&woo, "woo");
    shop_conn.insert(seed_product("Tee", &["ABC-1", "abc-1 "]));
    shop_conn.insert(seed_product("Mug", &["MUG-1"]));
    shop_conn.insert(seed_product("Blank", &["  "]));
    let import = sync(t, provider, &t.a.account_id, &shop, true).await;
    assert_eq!(import.run.job_kind, JobKind::ImportProducts);
    let export = sync(t, provider, &t.a.account_id, &woo, false).await;
    assert_eq!(export.run.job_kind, JobKind::ExportProducts);
    let queued = engine::create_run(
        &t.app,
        t.a.account_id.parse().unwrap(),
        woo.parse().unwrap(),
        JobKind::ExportProducts,
        Trigger::Schedule,
        false,
    )
    .await
    .unwrap();
    (
        shop,
        woo,
        [
            import.run.id.to_string(),
            export.run.id.to_string(),
            queued.id.to_string(),
        ],
    )
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn fields(v: &Value) -> Vec<String> {
    let mut f: Vec<String> = v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    f.sort();
    f
}

fn rfc3339_utc(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a time: {v}"));
    assert!(s.ends_with('Z'), "UTC: {s}");
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn runs_api_filters_pages_messages_and_refuses_bad_parameters() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let mut provider = Provider::default();
        let (shop, woo, [import, export, queued]) = world(&t, &mut provider).await;
        let k = t.a.api_key.clone();

        // Newest first.
        let (st, page) = t.api(&k, Method::GET, "/api/v1/runs", None).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert_eq!(
            ids(&page),
            vec![queued.clone(), export.clone(), import.clone()]
        );
        assert_eq!(page["next"], Value::Null);

        // Filters, alone and together.
        for (query, want) in [
            (format!("channel_id={shop}"), vec![import.clone()]),
            (
                format!("channel_id={woo}"),
                vec![queued.clone(), export.clone()],
            ),
            (
                "job_kind=export_products".into(),
                vec![queued.clone(), export.clone()],
            ),
            ("job_kind=import_products".into(), vec![import.clone()]),
            ("status=queued".into(), vec![queued.clone()]),
            (
                "status=succeeded&job_kind=export_products".into(),
                vec![export.clone()],
            ),
            ("status=failed".into(), vec![]),
        ] {
            let (st, page) = t
                .api(&k, Method::GET, &format!("/api/v1/runs?{query}"), None)
                .await;
            assert_eq!(st, StatusCode::OK, "{query}: {page}");
            assert_eq!(ids(&page), want, "{query}");
        }

        // Keyset pages of one.
        let mut seen = Vec::new();
        let mut url = "/api/v1/runs?limit=1".to_owned();
        loop {
            let (st, page) = t.api(&k, Method::GET, &url, None).await;
            assert_eq!(st, StatusCode::OK);
            assert!(page["items"].as_array().unwrap().len() <= 1);
            seen.extend(ids(&page));
            match page["next"].as_str() {
                Some(n) => url = format!("/api/v1/runs?limit=1&after={n}"),
                None => break,
            }
        }
        assert_eq!(seen, vec![queued.clone(), export.clone(), import.clone()]);

        // One run: everything a merchant needs to judge it.
        let (st, r) = t
            .api(&k, Method::GET, &format!("/api/v1/runs/{import}"), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["channel_id"], shop.as_str());
        assert_eq!(r["channel_name"], "Shop");
        assert_eq!(r["job_kind"], "import_products");
        assert_eq!(r["trigger"], "manual");
        assert_eq!(r["status"], "succeeded");
        assert_eq!(r["full"], true);
        assert_eq!(r["counts"]["created"], 2, "{r}");
        assert_eq!(r["counts"]["skipped"], 2, "{r}");
        assert_eq!(r["counts"]["failed"], 0);
        assert_eq!(r["messages"]["warning"], 2, "{r}");
        assert_eq!(r["messages"]["error"], 0);
        let created = rfc3339_utc(&r["created_at"]);
        let started = rfc3339_utc(&r["started_at"]);
        let finished = rfc3339_utc(&r["finished_at"]);
        assert!(created <= started && started <= finished);
        let (_, q) = t
            .api(&k, Method::GET, &format!("/api/v1/runs/{queued}"), None)
            .await;
        assert_eq!(q["status"], "queued");
        assert_eq!(q["trigger"], "schedule");
        assert_eq!(q["started_at"], Value::Null);
        assert_eq!(q["finished_at"], Value::Null);

        // Messages by level: repeated or comma-separated, in order, keyset pages by seq.
        let url = format!("/api/v1/runs/{import}/messages");
        let (st, all) = t.api(&k, Method::GET, &url, None).await;
        assert_eq!(st, StatusCode::OK, "{all}");
        let all = all["items"].as_array().unwrap().clone();
        let total_info = r["messages"]["info"].as_i64().unwrap();
        assert_eq!(all.len() as i64, 2 + total_info);
        let seqs: Vec<i64> = all.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
        let (_, w) = t
            .api(&k, Method::GET, &format!("{url}?level=warning"), None)
            .await;
        let warnings = w["items"].as_array().unwrap().clone();
        assert_eq!(warnings.len(), 2, "{w}");
        assert!(warnings.iter().all(|m| m["level"] == "warning"));
        let dup = warnings
            .iter()
            .find(|m| m["sku"] == "abc-1")
            .unwrap_or_else(|| panic!("the duplicate SKU is named: {w}"));
        assert!(dup["message"].as_str().unwrap().contains("Shop"), "{dup}");
        assert!(dup["remote_id"].as_str().is_some_and(|s| !s.is_empty()));
        for query in [
            "level=warning,error",
            "level=warning&level=error",
            "level=error,%20warning",
        ] {
            let (st, v) = t
                .api(&k, Method::GET, &format!("{url}?{query}"), None)
                .await;
            assert_eq!(st, StatusCode::OK, "{query}: {v}");
            assert_eq!(v["items"].as_array().unwrap().len(), 2, "{query}");
        }
        let (_, e) = t
            .api(&k, Method::GET, &format!("{url}?level=fatal"), None)
            .await;
        assert_eq!(e["items"], serde_json::json!([]));
        let mut paged = Vec::new();
        let mut next = format!("{url}?limit=1");
        loop {
            let (st, page) = t.api(&k, Method::GET, &next, None).await;
            assert_eq!(st, StatusCode::OK);
            for m in page["items"].as_array().unwrap() {
                paged.push(m["seq"].as_i64().unwrap());
            }
            match page["next"].as_i64() {
                Some(n) => next = format!("{url}?limit=1&after={n}"),
                None => break,
            }
        }
        assert_eq!(paged, seqs);

        // Bad parameters: 422, each one named, all at once.
        for (query, want) in [
            ("limit=0", vec!["limit"]),
            ("limit=abc", vec!["limit"]),
            ("limit=201", vec!["limit"]),
            ("status=done", vec!["status"]),
            ("job_kind=imports", vec!["job_kind"]),
            ("channel_id=nope", vec!["channel_id"]),
            ("after=zzz", vec!["after"]),
            ("staus=queued", vec!["staus"]),
            ("status=queued&status=failed", vec!["status"]),
            (
                "status=done&limit=-1&job_kind=x",
                vec!["job_kind", "limit", "status"],
            ),
        ] {
            let (st, v) = t
                .api(&k, Method::GET, &format!("/api/v1/runs?{query}"), None)
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {v}");
            assert_eq!(fields(&v), want, "{query}: {v}");
        }
        for (query, want) in [
            ("level=loud", vec!["level"]),
            ("level=warning,loud", vec!["level"]),
            ("after=x", vec!["after"]),
            ("limit=1001", vec!["limit"]),
            ("sku=ABC-1", vec!["sku"]),
        ] {
            let (st, v) = t
                .api(&k, Method::GET, &format!("{url}?{query}"), None)
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {v}");
            assert_eq!(fields(&v), want, "{query}: {v}");
        }

        // Another account: 404 on A's runs, even with bad parameters; its list is its own.
        let bk = t.b.api_key.clone();
        for path in [
            format!("/api/v1/runs/{import}"),
            format!("/api/v1/runs/{import}/messages"),
            format!("/api/v1/runs/{import}/messages?level=loud"),
            "/api/v1/runs/not-a-run".into(),
            format!("/api/v1/runs/{}", uuid::Uuid::now_v7()),
        ] {
            let (st, v) = t.api(&bk, Method::GET, &path, None).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {v}");
        }
        for query in ["", "?channel_id=", "?status=succeeded"] {
            let (st, v) = t
                .api(&bk, Method::GET, &format!("/api/v1/runs{query}"), None)
                .await;
            assert_eq!(st, StatusCode::OK);
            assert_eq!(v["items"], serde_json::json!([]), "{query}");
        }
        let (st, v) = t
            .api(
                &bk,
                Method::GET,
                &format!("/api/v1/runs?channel_id={shop}"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v["items"], serde_json::json!([]));
        t.db.finish().await;
    }
}

/// A time as the UI shows it in `tz`.
fn shown(t: &DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

#[tokio::test]
async fn run_pages_show_a_real_imports_warnings_in_the_account_time_zone() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        set_timezone(&t, &t.a.api_key, "Alpha Store", "Asia/Tokyo").await;
        let mut provider = Provider::default();
        let (shop, woo, [import, export, queued]) = world(&t, &mut provider).await;
        // The master loses a product: the next full read flags it with a Warning.
        assert!(provider.0[&shop.parse::<ChannelId>().unwrap()].remove_variant("MUG-1"));
        let again = sync(&t, &provider, &t.a.account_id, &shop, true).await;
        let reimport = again.run.id.to_string();
        let (session, _) = login(&t, &t.a.email, &t.a.password).await;

        let (st, _, page) = t
            .raw(get_with_cookie(&format!("/runs/{import}"), &session))
            .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("<title>Import Products · Shop · techOMS</title>"));
        assert!(
            page.contains("id=\"run-status\">Succeeded<"),
            "status badge"
        );
        assert!(page.contains("Manual") && page.contains("(full)"));
        let warning_rows = page.matches("class=\"msg level-warning\"").count();
        assert_eq!(warning_rows, 2, "both Warnings, highlighted");
        assert!(
            page.contains("<td class=\"sku nowrap\">abc-1</td>"),
            "the SKU is shown"
        );
        assert!(page.contains("id=\"count-warning\">2<"));
        // Times in the account's zone, with its abbreviation; nothing left polling.
        let (_, run) = t
            .api(
                &t.a.api_key,
                Method::GET,
                &format!("/api/v1/runs/{import}"),
                None,
            )
            .await;
        let started = rfc3339_utc(&run["started_at"]);
        let tokyo = chrono_tz::Asia::Tokyo;
        for when in [
            rfc3339_utc(&run["created_at"]),
            started,
            rfc3339_utc(&run["finished_at"]),
        ] {
            let s = shown(&when, tokyo);
            assert!(s.ends_with(" JST"), "{s}");
            assert!(page.contains(&s), "{s} shown");
        }
        assert!(!page.contains("hx-trigger"), "a finished run is not polled");

        // The level filter.
        let (_, _, only) = t
            .raw(get_with_cookie(
                &format!("/runs/{import}?level=warning"),
                &session,
            ))
            .await;
        assert_eq!(only.matches("class=\"msg level-warning\"").count(), 2);
        assert_eq!(
            only.matches("class=\"msg level-").count(),
            2,
            "warnings only"
        );
        assert!(only.contains("name=\"level\" value=\"warning\" checked"));
        let (st, _, bad) = t
            .raw(get_with_cookie(
                &format!("/runs/{import}?level=loud"),
                &session,
            ))
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(bad.contains("level"), "{bad}");

        // The missing-at-master Warning of the second read.
        let (_, _, page) = t
            .raw(get_with_cookie(&format!("/runs/{reimport}"), &session))
            .await;
        assert!(page.contains("missing at master"), "{page}");
        assert!(page.contains("<td class=\"sku nowrap\">MUG-1</td>"));

        // The list, its filters and pages.
        let (st, _, list) = t.raw(get_with_cookie("/runs", &session)).await;
        assert_eq!(st, StatusCode::OK);
        for id in [&import, &export, &queued, &reimport] {
            assert!(
                list.contains(&format!("href=\"/runs/{id}\"")),
                "{id} listed"
            );
        }
        assert!(list.contains("<span class=\"badge queued\">Queued</span>"));
        assert!(list.contains("<span class=\"badge succeeded\">Succeeded</span>"));
        assert!(list.contains(&shown(&started, tokyo)));
        let (_, _, list) = t
            .raw(get_with_cookie(
                &format!("/runs?channel={woo}&status=queued"),
                &session,
            ))
            .await;
        assert!(list.contains(&format!("href=\"/runs/{queued}\"")));
        assert!(!list.contains(&format!("href=\"/runs/{export}\"")));
        assert!(!list.contains(&format!("href=\"/runs/{import}\"")));
        assert!(list.contains(&format!("<option value=\"{woo}\" selected>Woo</option>")));
        let (_, _, list) = t
            .raw(get_with_cookie("/runs?kind=import_products", &session))
            .await;
        assert!(list.contains(&format!("href=\"/runs/{import}\"")));
        assert!(!list.contains(&format!("href=\"/runs/{export}\"")));
        let (_, _, none) = t
            .raw(get_with_cookie("/runs?status=failed", &session))
            .await;
        assert!(none.contains("id=\"no-runs\"") && none.contains("No runs match"));
        let (st, _, bad) = t.raw(get_with_cookie("/runs?status=done", &session)).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(bad.contains("status"));

        // The channel page links its recent runs.
        let (_, _, ch) = t
            .raw(get_with_cookie(&format!("/channels/{shop}"), &session))
            .await;
        assert!(ch.contains("id=\"recent-runs\""));
        assert!(ch.contains(&format!("href=\"/runs/{import}\"")));
        assert!(ch.contains(&format!("href=\"/runs/{reimport}\"")));
        assert!(
            !ch.contains(&format!("href=\"/runs/{export}\"")),
            "only its own"
        );
        assert!(ch.contains(&format!("href=\"/runs?channel={shop}\"")));

        // Another account's user sees none of it.
        let (bs, _) = login(&t, &t.b.email, &t.b.password).await;
        let (st, _, _) = t
            .raw(get_with_cookie(&format!("/runs/{import}"), &bs))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (_, _, list) = t.raw(get_with_cookie("/runs", &bs)).await;
        assert!(
            list.contains("No runs yet"),
            "an empty state that says what runs are"
        );
        assert!(!list.contains(&import));
        t.db.finish().await;
    }
}

#[tokio::test]
async fn an_unfinished_run_page_polls_and_stops_once_the_run_ends() {
    for db in TestDb::all().await {
        let t = TestApp::new(db).await;
        let mut provider = Provider::default();
        let (_shop, _woo, [_, _, queued]) = world(&t, &mut provider).await;
        let (session, _) = login(&t, &t.a.email, &t.a.password).await;
        let poll = format!("hx-get=\"/runs/{queued}/live\" hx-trigger=\"every 2s\"");

        let (st, _, page) = t
            .raw(get_with_cookie(&format!("/runs/{queued}"), &session))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains(&poll), "a queued run is polled: {page}");
        assert!(page.contains("id=\"run-status\">Queued<"));
        assert!(page.contains("No messages yet."));
        // The polling keeps the level filter.
        let (_, _, page) = t
            .raw(get_with_cookie(
                &format!("/runs/{queued}?level=warning&level=error"),
                &session,
            ))
            .await;
        assert!(page.contains(&format!(
            "hx-get=\"/runs/{queued}/live?level=warning&#38;level=error\""
        )));

        // Running: still polled; the partial alone is the live block.
        let account: AccountId = t.a.account_id.parse().unwrap();
        techoms_db::runs::mark_running(&t.app.db, account, queued.parse().unwrap(), Utc::now())
            .await
            .unwrap();
        let (st, _, part) = t
            .raw(get_with_cookie(&format!("/runs/{queued}/live"), &session))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(part.starts_with("<div id=\"run-live\""), "{part}");
        assert!(!part.contains("<html"), "a fragment, not a page");
        assert!(part.contains(&poll));
        assert!(part.contains("id=\"run-status\">Running<"));
        assert!(part.contains("so far"), "the duration so far");

        // It ends: neither the page nor the partial polls any more.
        let report = engine::execute(
            &t.app,
            &provider,
            account,
            queued.parse().unwrap(),
            &techoms_app::engine::EngineOptions::default(),
            &mut techoms_app::engine::NoSink,
        )
        .await
        .unwrap();
        assert!(report.run.status.is_finished());
        let (_, _, part) = t
            .raw(get_with_cookie(&format!("/runs/{queued}/live"), &session))
            .await;
        assert!(
            !part.contains("hx-get") && !part.contains("hx-trigger"),
            "{part}"
        );
        assert!(part.contains("id=\"run-status\">Succeeded<"));
        let (_, _, page) = t
            .raw(get_with_cookie(&format!("/runs/{queued}"), &session))
            .await;
        assert!(!page.contains("hx-trigger"));

        // Signed out meanwhile: htmx is sent to the login page (which leads back here)
        // rather than swapping it into the run's page; a plain request is redirected.
        let poll = |with_htmx: bool| {
            let mut r = axum::http::Request::get(format!("/runs/{queued}/live"));
            if with_htmx {
                r = r.header("HX-Request", "true");
            }
            r.body(axum::body::Body::empty()).unwrap()
        };
        let (st, h, body) = t.raw(poll(true)).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(
            h["hx-redirect"],
            format!("/login?next=/runs/{queued}").as_str()
        );
        assert!(body.is_empty());
        let (st, h, _) = t.raw(poll(false)).await;
        assert_eq!(st, StatusCode::SEE_OTHER);
        assert!(
            h[axum::http::header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
        t.db.finish().await;
    }
}
