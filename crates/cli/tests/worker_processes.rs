//! Several `techoms worker` processes on one PostgreSQL database: many runs and schedule
//! ticks, no run executed twice, each tick enqueued once, the work shared between processes.
//! PostgreSQL only (SQLite serves one process); without `TECHOMS_TEST_DATABASE_URL` the test is
//! skipped visibly, and with `CI=true` it fails instead.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use support::*;
use techoms_app::engine::{RunStatus, Trigger};
use techoms_app::sync_jobs::{queue_of, request_sync};
use techoms_db::channel_jobs;
use techoms_db::runs::{self, Run, RunFilter};
use techoms_domain::{ChannelId, JobKind, JobPeriod};
use techoms_jobs::{JobFilter, JobStatus};
use techoms_testkit::TestDb;

const CHANNELS: usize = 6;
const ROUNDS: usize = 3;

async fn all_runs(w: &World) -> Vec<Run> {
    runs::list(
        &w.app.db,
        w.account,
        &RunFilter {
            limit: 500,
            ..RunFilter::default()
        },
    )
    .await
    .unwrap()
}

/// Wait until `f(runs)` holds.
async fn wait_runs(w: &World, what: &str, f: impl Fn(&[Run]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let rs = all_runs(w).await;
        if f(&rs) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {rs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn count(rs: &[Run], ch: ChannelId, trigger: Trigger, finished: bool) -> usize {
    rs.iter()
        .filter(|r| r.channel_id == ch && r.trigger == trigger)
        .filter(|r| !finished || r.status.is_finished())
        .count()
}

async fn set_period(w: &World, period: JobPeriod) {
    for (ch, _) in &w.sites {
        channel_jobs::set(
            &w.app.db,
            w.account,
            *ch,
            JobKind::ExportProducts,
            period,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
}

async fn many_workers(processes: usize) {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let w = World::new(db.db.clone(), &db.url, CHANNELS, Duration::from_millis(2)).await;
    let mut skus = w.add_products("A", 120).await;
    let workers: Vec<WorkerProcess> = (0..processes)
        .map(|i| {
            WorkerProcess::spawn(
                &w.url,
                dir.path(),
                &format!("w{i}"),
                &["--concurrency", "2"],
            )
        })
        .collect();
    let q = queue_of(&w.app);

    for round in 1..=ROUNDS {
        // A schedule switched on fires at once: one scheduled run per channel per round, however
        // many processes reconcile and tick.
        set_period(&w, JobPeriod::Min5).await;
        wait_runs(&w, "the scheduled runs", |rs| {
            w.sites
                .iter()
                .all(|(ch, _)| count(rs, *ch, Trigger::Schedule, true) == round)
        })
        .await;
        // Manual syncs after new products.
        skus.extend(w.add_products(&format!("R{round}"), 30).await);
        let access = w.access().await;
        for (ch, _) in &w.sites {
            request_sync(&w.app, &access, *ch, false, Trigger::Manual)
                .await
                .unwrap();
        }
        wait_runs(&w, "the manual runs", |rs| {
            w.sites
                .iter()
                .all(|(ch, _)| count(rs, *ch, Trigger::Manual, true) == round)
        })
        .await;
        // Switch the schedules off and wait until every process has let them go.
        set_period(&w, JobPeriod::None).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !q.list_schedules(None).await.unwrap().is_empty() {
            assert!(Instant::now() < deadline, "schedules were not removed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Some more ticks: nothing else fires.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let rs = all_runs(&w).await;
    for (ch, site) in &w.sites {
        assert_eq!(
            count(&rs, *ch, Trigger::Schedule, false),
            ROUNDS,
            "scheduled runs of {ch}"
        );
        assert_eq!(
            count(&rs, *ch, Trigger::Manual, false),
            ROUNDS,
            "manual runs of {ch}"
        );
        // Every variant was created once across all runs of the channel.
        let created: i64 = rs
            .iter()
            .filter(|r| r.channel_id == *ch)
            .map(|r| r.counts.created)
            .sum();
        assert_eq!(created as usize, skus.len(), "creates on {ch}");
        assert_exactly_once(site, &skus);
    }
    assert!(
        rs.iter().all(|r| r.status == RunStatus::Succeeded),
        "{rs:#?}"
    );
    assert_eq!(rs.len(), CHANNELS * ROUNDS * 2);

    // Each run job ran once (one attempt: nobody else executed it), and each schedule tick
    // enqueued one tick job.
    let jobs = q
        .list(&JobFilter {
            limit: Some(1000),
            ..JobFilter::default()
        })
        .await
        .unwrap();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut owners = BTreeSet::new();
    for j in &jobs {
        assert_eq!(j.status, JobStatus::Succeeded, "{j:?}");
        assert_eq!(j.attempts, 1, "job {} ran {} times", j.id, j.attempts);
        *by_kind.entry(j.kind.as_str()).or_default() += 1;
        owners.insert(j.lease_owner.clone().unwrap_or_default());
    }
    assert_eq!(
        by_kind.get("export_products"),
        Some(&(CHANNELS * ROUNDS * 2))
    );
    assert_eq!(by_kind.get("scheduled_sync"), Some(&(CHANNELS * ROUNDS)));
    assert!(
        owners.len() >= 2,
        "the work was not shared between processes: {owners:?}"
    );
    eprintln!(
        "{processes} processes: {} runs, {} jobs, {} distinct workers ran jobs",
        rs.len(),
        jobs.len(),
        owners.len()
    );
    for mut p in workers {
        let st = p.terminate(Duration::from_secs(30));
        assert!(
            st.success(),
            "{}: {st:?}\n{}",
            p.name,
            log_of(dir.path(), &p.name)
        );
    }
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_worker_processes_share_one_postgres() {
    many_workers(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_worker_processes_share_one_postgres() {
    many_workers(3).await;
}
