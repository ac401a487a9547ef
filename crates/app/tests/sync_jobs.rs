//! Product jobs on the queue: Manual Sync requests, the run handler (import, propagation,
//! retries), schedules from channel job periods, the rules at every step, one run per channel,
//! and retention. Every case runs on SQLite and on PostgreSQL, with in-memory connectors and a
//! manual clock.

mod engine_support;

use std::sync::Arc;
use std::time::Duration;

use engine_support::*;
use techoms_app::engine::{RunStatus, Trigger};
use techoms_app::sync_jobs::{
    self, RuntimeConfig, build_worker, housekeeping_once, queue_of, request_account_sync,
    request_sync, sweep_retention,
};
use techoms_app::{Access, Actor, AppError};
use techoms_channels::ChannelError;
use techoms_db::runs::{self, RunFilter};
use techoms_db::{Db, accounts, channel_jobs, channels};
use techoms_domain::{ChannelId, Clock, JobKind, JobPeriod, MasterProductSource, RunId};
use techoms_jobs::{JobFilter, JobStatus, RetryPolicy, Worker};
use techoms_testkit::db_test;
use techoms_testkit::memory_connector::{Op, seed_product};

fn config() -> RuntimeConfig {
    let mut c = RuntimeConfig::new("test-worker");
    c.engine = opts();
    c.retry = RetryPolicy {
        base: Duration::from_secs(60),
        max: Duration::from_secs(600),
        jitter: 0.0,
    };
    c
}

fn worker(w: &World) -> Worker {
    build_worker(&w.app, Arc::new(w.provider.clone()), &config())
}

async fn access(w: &World) -> Access {
    Access::new(Actor::Cli, accounts::get(w.db(), w.account).await.unwrap())
}

async fn request(w: &World, channel: &str, full: bool) -> Result<RunId, AppError> {
    request_sync(
        &w.app,
        &access(w).await,
        w.ch(channel).id,
        full,
        Trigger::Manual,
    )
    .await
}

async fn runs_of(w: &World, channel: &str) -> Vec<runs::Run> {
    runs::list(
        w.db(),
        w.account,
        &RunFilter {
            channel_id: Some(w.ch(channel).id),
            limit: 100,
            ..RunFilter::default()
        },
    )
    .await
    .unwrap()
}

async fn run(w: &World, id: RunId) -> runs::Run {
    runs::get(w.db(), w.account, id).await.unwrap()
}

fn reason(e: &AppError) -> String {
    match e {
        AppError::Conflict { details, .. } => details["reason"].as_str().unwrap_or("").into(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn set_period(w: &World, channel: &str, kind: JobKind, period: JobPeriod) {
    channel_jobs::set(
        w.db(),
        w.account,
        w.ch(channel).id,
        kind,
        period,
        w.clock.now(),
    )
    .await
    .unwrap();
}

db_test!(import_then_propagation_exports, async |db: Db| {
    let w = World::new(db, STANDARD).await;
    w.set_master(MasterProductSource::SalesChannel, Some("Shop"))
        .await;
    w.conn("Shop")
        .insert(seed_product("Jacket", &["JK-S", "JK-M", "JK-L"]));
    w.conn("Shop").insert(seed_product("Cap", &["CAP-1"]));
    let id = request(&w, "Shop", false).await.unwrap();
    assert_eq!(run(&w, id).await.status, RunStatus::Queued);
    assert_eq!(run(&w, id).await.job_kind, JobKind::ImportProducts);

    // One import, then one propagation export per receiving channel.
    let n = worker(&w).run_until_idle().await.unwrap();
    assert_eq!(n, 4, "import + exports to Woo, Bob, Ext");
    let imp = run(&w, id).await;
    assert_eq!(imp.status, RunStatus::Succeeded);
    assert_eq!(imp.counts.created, 4);
    let catalog = catalog_view(&w.catalog().await);
    assert_eq!(catalog.len(), 4);
    for t in ["Woo", "Bob", "Ext"] {
        let rs = runs_of(&w, t).await;
        assert_eq!(rs.len(), 1, "{t}: one run");
        assert_eq!(rs[0].trigger, Trigger::Propagation);
        assert_eq!(rs[0].job_kind, JobKind::ExportProducts);
        assert_eq!(rs[0].status, RunStatus::Succeeded, "{t}");
        assert_eq!(channel_view(&w.conn(t)), catalog, "{t} holds the catalog");
    }
    assert!(runs_of(&w, "Old Woo").await.is_empty());
    assert_eq!(w.conn("Old Woo").stats().write_calls, 0);
    assert_eq!(
        w.conn("Shop").stats().write_calls,
        0,
        "the master got writes"
    );

    // A second import that changes nothing propagates nothing.
    w.tick();
    request(&w, "Shop", false).await.unwrap();
    assert_eq!(worker(&w).run_until_idle().await.unwrap(), 1);
    assert_eq!(runs_of(&w, "Woo").await.len(), 1);

    // Every job ended succeeded; none is left behind.
    let c = queue_of(&w.app).counts(None).await.unwrap();
    assert_eq!((c.queued, c.running, c.succeeded), (0, 0, 5));
});

db_test!(
    retryable_fatal_is_retried_and_permanent_fails,
    async |db: Db| {
        let w = World::new(db, STANDARD).await;
        w.add_catalog_product("Jacket", &["JK-S", "JK-M"]).await;
        // More transient failures than the engine's own attempts (4): the run ends Fatal.
        w.conn("Woo")
            .fail_next(Op::Write, 4, ChannelError::Transient("503 upstream".into()));
        let id = request(&w, "Woo", false).await.unwrap();
        assert_eq!(worker(&w).run_until_idle().await.unwrap(), 1);
        assert_eq!(run(&w, id).await.status, RunStatus::Failed);
        let q = queue_of(&w.app);
        let jobs = q
            .list(&JobFilter {
                kind: Some("export_products".into()),
                ..JobFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(jobs.len(), 1);
        let job = &jobs[0];
        assert_eq!(job.status, JobStatus::Queued, "retried, not failed");
        assert!(job.last_error.as_deref().unwrap_or("").contains("503"));
        assert_eq!(job.run_at, w.clock.now() + chrono::Duration::seconds(60));
        // Not before the backoff.
        assert_eq!(worker(&w).run_until_idle().await.unwrap(), 0);
        w.clock.advance(chrono::Duration::seconds(61));
        assert_eq!(worker(&w).run_until_idle().await.unwrap(), 1);
        let r = run(&w, id).await;
        assert_eq!(r.status, RunStatus::Succeeded, "the same run, resumed");
        assert_eq!(channel_view(&w.conn("Woo")).len(), 2);
        let job = q.get(job.id).await.unwrap().unwrap();
        assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));

        // A throttle beyond budget is retried after the channel's retry-after.
        w.add_catalog_product("Cap", &["CAP-1"]).await;
        w.tick();
        w.conn("Woo").fail_next(
            Op::Write,
            1,
            ChannelError::Throttled {
                retry_after: Duration::from_secs(300),
                message: "429".into(),
            },
        );
        let id2 = request(&w, "Woo", false).await.unwrap();
        worker(&w).run_until_idle().await.unwrap();
        let job2 = q
            .list(&JobFilter {
                status: Some(JobStatus::Queued),
                ..JobFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(job2.len(), 1);
        assert_eq!(
            job2[0].run_at,
            w.clock.now() + chrono::Duration::seconds(300)
        );
        w.clock.advance(chrono::Duration::seconds(301));
        worker(&w).run_until_idle().await.unwrap();
        assert_eq!(run(&w, id2).await.status, RunStatus::Succeeded);

        // Refused credentials: failed at once, not retried.
        w.add_catalog_product("Belt", &["BELT-1"]).await;
        w.tick();
        w.conn("Bob").set_auth_failure(true);
        let id3 = request(&w, "Bob", false).await.unwrap();
        worker(&w).run_until_idle().await.unwrap();
        assert_eq!(run(&w, id3).await.status, RunStatus::Failed);
        let failed = q
            .list(&JobFilter {
                status: Some(JobStatus::Failed),
                ..JobFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].attempts, 1);
    }
);

db_test!(schedules_fire_once_per_period, async |db: Db| {
    let w = World::new(db, STANDARD).await;
    w.add_catalog_product("Jacket", &["JK-S"]).await;
    set_period(&w, "Woo", JobKind::ExportProducts, JobPeriod::Min5).await;
    // Import is not allowed on a non-master channel: even if stored, it never fires.
    set_period(&w, "Bob", JobKind::ImportProducts, JobPeriod::Min5).await;
    // A disabled channel's period never fires.
    set_period(&w, "Old Woo", JobKind::ExportProducts, JobPeriod::Min5).await;

    let fired = housekeeping_once(&w.app).await.unwrap();
    assert_eq!(fired, 1, "the new schedule is due at once");
    worker(&w).run_until_idle().await.unwrap();
    let rs = runs_of(&w, "Woo").await;
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].trigger, Trigger::Schedule);
    assert_eq!(rs[0].status, RunStatus::Succeeded);

    // Not again within the period; once at its end; once (not four times) after a gap.
    w.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 0);
    w.clock.advance(chrono::Duration::minutes(3));
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 1);
    worker(&w).run_until_idle().await.unwrap();
    w.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 1);
    worker(&w).run_until_idle().await.unwrap();
    assert_eq!(runs_of(&w, "Woo").await.len(), 3);
    assert!(runs_of(&w, "Bob").await.is_empty());
    assert!(runs_of(&w, "Old Woo").await.is_empty());

    // Several processes ticking at once: each tick enqueues once.
    w.clock.advance(chrono::Duration::minutes(5));
    let ticks = futures_join(&w, 4).await;
    assert_eq!(ticks, 1, "one tick across four tickers");
    worker(&w).run_until_idle().await.unwrap();
    assert_eq!(runs_of(&w, "Woo").await.len(), 4);

    // Period off → no more runs. Period back on and the channel disabled → none either.
    set_period(&w, "Woo", JobKind::ExportProducts, JobPeriod::None).await;
    w.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 0);
    set_period(&w, "Woo", JobKind::ExportProducts, JobPeriod::Min5).await;
    channels::set_enabled(w.db(), w.account, w.ch("Woo").id, false, w.clock.now())
        .await
        .unwrap();
    w.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 0);
    assert_eq!(runs_of(&w, "Woo").await.len(), 4);

    // A master switch: Import Products on the new master starts firing; its exports stop.
    set_period(&w, "Shop", JobKind::ExportProducts, JobPeriod::Min15).await;
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 1);
    worker(&w).run_until_idle().await.unwrap();
    w.set_master(MasterProductSource::SalesChannel, Some("Shop"))
        .await;
    set_period(&w, "Shop", JobKind::ImportProducts, JobPeriod::Hour1).await;
    w.conn("Shop").insert(seed_product("Cap", &["CAP-1"]));
    w.clock.advance(chrono::Duration::minutes(15));
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 1, "import only");
    worker(&w).run_until_idle().await.unwrap();
    let shop = runs_of(&w, "Shop").await;
    assert_eq!(
        shop.iter()
            .map(|r| (r.job_kind, r.trigger, r.full))
            .collect::<Vec<_>>(),
        vec![
            (JobKind::ImportProducts, Trigger::Schedule, true),
            (JobKind::ExportProducts, Trigger::Schedule, false)
        ]
    );
    // Scheduled imports read only the changes, and everything once a day.
    w.clock.advance(chrono::Duration::hours(1));
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 1);
    worker(&w).run_until_idle().await.unwrap();
    w.clock.advance(chrono::Duration::hours(23));
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 1);
    worker(&w).run_until_idle().await.unwrap();
    let imports: Vec<bool> = runs_of(&w, "Shop")
        .await
        .iter()
        .filter(|r| r.job_kind == JobKind::ImportProducts)
        .map(|r| r.full)
        .collect();
    assert_eq!(imports, vec![true, false, true], "newest first");
});

/// `n` concurrent tickers on separate pools of the same database; total schedule jobs fired.
async fn futures_join(w: &World, n: usize) -> usize {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let app = w.app.clone();
        set.spawn(async move { housekeeping_once(&app).await.unwrap() });
    }
    let mut total = 0;
    while let Some(r) = set.join_next().await {
        total += r.unwrap();
    }
    total
}

db_test!(disabled_channel_and_account_never_run, async |db: Db| {
    let w = World::new(db, STANDARD).await;
    w.add_catalog_product("Jacket", &["JK-S"]).await;
    let e = request(&w, "Old Woo", false).await.unwrap_err();
    assert_eq!(reason(&e), "channel_disabled");
    assert!(e.to_string().contains("Old Woo"), "{e}");

    // Queued, then the channel is disabled before a worker gets to it: nothing is sent.
    let id = request(&w, "Woo", false).await.unwrap();
    channels::set_enabled(w.db(), w.account, w.ch("Woo").id, false, w.clock.now())
        .await
        .unwrap();
    worker(&w).run_until_idle().await.unwrap();
    assert_eq!(w.conn("Woo").stats(), Default::default(), "Woo was called");
    assert!(run(&w, id).await.status.is_finished());

    // Queued, then the account is disabled: nothing runs.
    let id = request(&w, "Bob", false).await.unwrap();
    accounts::set_enabled(w.db(), w.account, false, w.clock.now())
        .await
        .unwrap();
    worker(&w).run_until_idle().await.unwrap();
    assert_eq!(w.conn("Bob").stats(), Default::default(), "Bob was called");
    assert!(run(&w, id).await.status.is_finished());
    // Requests are refused, and schedules do not fire.
    let e = request(&w, "Ext", false).await.unwrap_err();
    assert_eq!(reason(&e), "account_disabled");
    let e = request_account_sync(&w.app, &access(&w).await, false, Trigger::Manual)
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "account_disabled");
    set_period(&w, "Ext", JobKind::ExportProducts, JobPeriod::Min5).await;
    set_period(&w, "Ext", JobKind::AuthorizationRefresh, JobPeriod::Min5).await;
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 0);
    assert_eq!(w.conn("Ext").stats(), Default::default());
});

db_test!(forbidden_directions_are_refused, async |db: Db| {
    let w = World::new(db, STANDARD).await;
    w.set_master(MasterProductSource::FulfillmentChannel, Some("Bob"))
        .await;
    // The master imports; the others export.
    let id = request(&w, "Bob", true).await.unwrap();
    let r = run(&w, id).await;
    assert_eq!((r.job_kind, r.full), (JobKind::ImportProducts, true));
    let id = request(&w, "Shop", false).await.unwrap();
    assert_eq!(run(&w, id).await.job_kind, JobKind::ExportProducts);
    // A channel of another account is not found.
    let other = World::new(
        w.db().clone(),
        &[("Theirs", techoms_domain::Integration::Shopify, true)],
    )
    .await;
    let e = request_sync(
        &w.app,
        &access(&w).await,
        other.ch("Theirs").id,
        false,
        Trigger::Manual,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    let e = request_sync(
        &w.app,
        &access(&w).await,
        ChannelId::new(),
        false,
        Trigger::Manual,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    // The account sync imports from the master only (exports follow by propagation).
    w.conn("Bob").insert(seed_product("Tee", &["TEE-1"]));
    worker(&w).run_until_idle().await.unwrap();
    let ids = request_account_sync(&w.app, &access(&w).await, false, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(run(&w, ids[0]).await.job_kind, JobKind::ImportProducts);
});

db_test!(at_most_one_run_per_channel, async |db: Db| {
    let w = World::new(db, STANDARD).await;
    w.add_catalog_product("Jacket", &["JK-S"]).await;
    let first = request(&w, "Woo", false).await.unwrap();
    let e = request(&w, "Woo", true).await.unwrap_err();
    assert_eq!(reason(&e), "already_running");
    match &e {
        AppError::Conflict { details, message } => {
            assert_eq!(details["run_id"], serde_json::json!(first));
            assert!(message.contains(&first.to_string()), "{message}");
        }
        _ => unreachable!(),
    }
    // Ten concurrent requests on a fresh channel: exactly one run.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let app = w.app.clone();
        let acc = access(&w).await;
        let ch = w.ch("Ext").id;
        set.spawn(async move { request_sync(&app, &acc, ch, false, Trigger::Manual).await });
    }
    let mut ok = Vec::new();
    while let Some(r) = set.join_next().await {
        match r.unwrap() {
            Ok(id) => ok.push(id),
            Err(e) => assert_eq!(reason(&e), "already_running"),
        }
    }
    assert_eq!(ok.len(), 1, "{ok:?}");
    assert_eq!(runs_of(&w, "Ext").await.len(), 1, "no run without a job");
    // The account sync folds into the live runs.
    let ids = request_account_sync(&w.app, &access(&w).await, false, Trigger::Manual)
        .await
        .unwrap();
    assert!(ids.contains(&first) && ids.contains(&ok[0]), "{ids:?}");
    assert_eq!(runs_of(&w, "Woo").await.len(), 1);
    assert_eq!(runs_of(&w, "Shop").await.len(), 1);
    worker(&w).run_until_idle().await.unwrap();
    // Finished: a new request is accepted.
    w.tick();
    assert!(request(&w, "Woo", false).await.is_ok());
});

db_test!(
    propagation_queues_one_follow_up_behind_a_running_export,
    async |db: Db| {
        let w = World::new(db, STANDARD).await;
        w.set_master(MasterProductSource::SalesChannel, Some("Shop"))
            .await;
        let export = request(&w, "Woo", false).await.unwrap();
        // Another worker holds Woo's export (running).
        let q = queue_of(&w.app);
        let held = q
            .claim(
                "elsewhere",
                &["export_products".to_owned()],
                Duration::from_secs(600),
            )
            .await
            .unwrap()
            .unwrap();
        w.conn("Shop").insert(seed_product("Jacket", &["JK-S"]));
        request(&w, "Shop", false).await.unwrap();
        // The import runs; Woo's export is running elsewhere, so one follow-up waits.
        let n = worker(&w).run_until_idle().await.unwrap();
        assert_eq!(n, 3, "import + exports to Bob and Ext (Woo is held)");
        let woo = runs_of(&w, "Woo").await;
        assert_eq!(woo.len(), 2);
        assert_eq!(woo[0].trigger, Trigger::Propagation);
        assert_eq!(woo[0].status, RunStatus::Queued);
        assert_eq!(woo[1].id, export);
        // Another changing import folds into the waiting follow-up.
        w.tick();
        w.conn("Shop").insert(seed_product("Cap", &["CAP-1"]));
        request(&w, "Shop", false).await.unwrap();
        worker(&w).run_until_idle().await.unwrap();
        assert_eq!(runs_of(&w, "Woo").await.len(), 2);
        // A manual request names the waiting run.
        let e = request(&w, "Woo", false).await.unwrap_err();
        assert_eq!(reason(&e), "already_running");
        // The held export ends; the follow-up starts elsewhere. A change arriving now queues a
        // new run (the running follow-up may have read past it).
        q.succeed(&held.lease).await.unwrap();
        let follow = q
            .claim(
                "elsewhere",
                &["export_products".to_owned()],
                Duration::from_secs(600),
            )
            .await
            .unwrap()
            .unwrap();
        w.tick();
        w.conn("Shop").insert(seed_product("Belt", &["BELT-1"]));
        request(&w, "Shop", false).await.unwrap();
        assert_eq!(
            worker(&w).run_until_idle().await.unwrap(),
            3,
            "import + Bob + Ext"
        );
        let woo = runs_of(&w, "Woo").await;
        assert_eq!(woo.len(), 3);
        assert_eq!(
            (woo[0].trigger, woo[0].status),
            (Trigger::Propagation, RunStatus::Queued)
        );
        // The held follow-up is handed back (its worker stopped); everything then runs.
        q.release(&follow.lease).await.unwrap();
        worker(&w).run_until_idle().await.unwrap();
        assert!(
            runs_of(&w, "Woo")
                .await
                .iter()
                .take(2)
                .all(|r| r.status == RunStatus::Succeeded)
        );
        assert_eq!(
            channel_view(&w.conn("Woo")),
            catalog_view(&w.catalog().await)
        );
    }
);

db_test!(authorization_refresh_is_a_run, async |db: Db| {
    let w = World::new(db, STANDARD).await;
    set_period(&w, "Ext", JobKind::AuthorizationRefresh, JobPeriod::Hour1).await;
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 1);
    worker(&w).run_until_idle().await.unwrap();
    let rs = runs_of(&w, "Ext").await;
    assert_eq!(rs.len(), 1);
    assert_eq!(
        (rs[0].job_kind, rs[0].status),
        (JobKind::AuthorizationRefresh, RunStatus::Succeeded)
    );
    // A failure is recorded on the run, visible in the history.
    w.conn("Ext").set_auth_failure(true);
    w.clock.advance(chrono::Duration::hours(1));
    assert_eq!(housekeeping_once(&w.app).await.unwrap(), 1);
    worker(&w).run_until_idle().await.unwrap();
    let rs = runs_of(&w, "Ext").await;
    assert_eq!(rs[0].status, RunStatus::Failed);
    assert!(
        rs[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("invalid_client"),
        "{:?}",
        rs[0].last_error
    );
    // Not retried: the credentials must be fixed first.
    let failed = queue_of(&w.app)
        .list(&JobFilter {
            status: Some(JobStatus::Failed),
            ..JobFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
});

db_test!(retention_deletes_old_finished_runs_only, async |db: Db| {
    let w = World::new(db, STANDARD).await;
    w.add_catalog_product("Jacket", &["JK-S", "JK-M"]).await;
    // An item error gives the old run a message.
    w.conn("Woo").fail_sku("JK-M", "price is invalid");
    let old = request(&w, "Woo", false).await.unwrap();
    worker(&w).run_until_idle().await.unwrap();
    let old_msgs = runs::last_seq(w.db(), w.account, old).await.unwrap();
    assert!(old_msgs > 0);
    // Queued long ago and never run (e.g. its workers were down): kept.
    let stuck = request(&w, "Bob", false).await.unwrap();
    w.clock.advance(chrono::Duration::days(91));
    w.add_catalog_product("Cap", &["CAP-1"]).await;
    w.conn("Woo").fail_sku("CAP-1", "price is invalid");
    let recent = request(&w, "Woo", false).await.unwrap();
    let q = queue_of(&w.app);
    let bob_jobs = q
        .live_by_concurrency_key(&format!("channel:{}:products", w.ch("Bob").id))
        .await
        .unwrap();
    assert_eq!(bob_jobs.len(), 1);
    // Only Woo's second run executes (Bob's job is cancelled so it stays queued as a run).
    q.cancel(bob_jobs[0].id).await.unwrap();
    worker(&w).run_until_idle().await.unwrap();
    let report = sweep_retention(&w.app, Duration::from_secs(90 * 86_400))
        .await
        .unwrap();
    assert_eq!(report.runs, 1);
    assert_eq!(report.messages as i64, old_msgs);
    assert_eq!(report.jobs, 1, "the old finished job");
    assert!(runs::get(w.db(), w.account, old).await.is_err());
    assert_eq!(run(&w, recent).await.status, RunStatus::PartiallySucceeded);
    assert_eq!(run(&w, stuck).await.status, RunStatus::Queued);
    assert!(runs::last_seq(w.db(), w.account, recent).await.unwrap() > 0);
    let _ = sync_jobs::DEFAULT_RUN_RETENTION_DAYS;
});

db_test!(runs_whose_job_was_given_up_are_failed, async |db: Db| {
    let w = World::new(db, STANDARD).await;
    let cancelled = request(&w, "Woo", false).await.unwrap();
    let dying = request(&w, "Bob", false).await.unwrap();
    let q = queue_of(&w.app);
    let woo_job = q
        .live_by_concurrency_key(&format!("channel:{}:products", w.ch("Woo").id))
        .await
        .unwrap();
    q.cancel(woo_job[0].id).await.unwrap();
    // Bob's job keeps losing its worker until its attempts are spent.
    let kinds = vec!["export_products".to_owned()];
    for _ in 0..8 {
        q.claim("doomed", &kinds, Duration::from_secs(1))
            .await
            .unwrap()
            .unwrap();
        w.clock.advance(chrono::Duration::seconds(2));
        q.reclaim_expired().await.unwrap();
    }
    assert_eq!(
        q.list(&JobFilter {
            status: Some(JobStatus::Dead),
            ..JobFilter::default()
        })
        .await
        .unwrap()
        .len(),
        1
    );
    assert_eq!(sync_jobs::reap_orphaned_runs(&w.app).await.unwrap(), 2);
    let c = run(&w, cancelled).await;
    assert_eq!(c.status, RunStatus::Failed);
    assert!(c.last_error.unwrap().contains("cancelled"));
    let d = run(&w, dying).await;
    assert_eq!(d.status, RunStatus::Failed);
    assert!(
        d.last_error.unwrap().contains("8 attempts"),
        "{:?}",
        run(&w, dying).await
    );
    // Idempotent.
    assert_eq!(sync_jobs::reap_orphaned_runs(&w.app).await.unwrap(), 0);
    // The channel is free again.
    assert!(request(&w, "Bob", false).await.is_ok());
});
