//! Crash safety with real processes: `techoms worker` is SIGKILLed in the middle of an export
//! (after the run saved a checkpoint); another worker takes the job over once the lease
//! expires, resumes the run from its checkpoint and finishes it; the channel holds every SKU
//! exactly once. On SQLite (file) and PostgreSQL.

mod support;

use std::time::{Duration, Instant};

use support::*;
use techoms_app::engine::{RunStatus, Trigger};
use techoms_app::sync_jobs::{queue_of, request_sync};
use techoms_testkit::TestDb;

/// Catalog size and simulator latency: the export takes several seconds.
const PRODUCTS: usize = 1200;
const LATENCY: Duration = Duration::from_millis(120);

async fn crash_and_resume(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let w = World::new(db.db.clone(), &db.url, 1, LATENCY).await;
    let skus = w.add_products("A", PRODUCTS).await;
    let (channel, site) = w.sites[0].clone();
    let run_id = request_sync(&w.app, &w.access().await, channel, false, Trigger::Manual)
        .await
        .unwrap();

    let mut first = WorkerProcess::spawn(&w.url, dir.path(), "first", &[]);
    let started = Instant::now();
    // Kill it once the run has committed at least one page (a checkpoint) and is still going.
    let r = w
        .wait_run(run_id, Duration::from_secs(120), |r| {
            r.checkpoint.is_some() || r.status.is_finished()
        })
        .await;
    assert_eq!(
        r.status,
        RunStatus::Running,
        "the export ended before the kill; make it slower: {r:?}\n{}",
        log_of(dir.path(), "first")
    );
    // And once the next page's writes are under way (sent, not yet committed on our side), so
    // that the resumed run meets products it created but did not record.
    let committed = r.counts.created as usize;
    let deadline = Instant::now() + Duration::from_secs(60);
    while site.posts().len() <= committed {
        assert!(Instant::now() < deadline, "the second page never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill_hard();
    let at_kill = w.run(run_id).await;
    let written_at_kill = site.posts().len();
    assert!(
        written_at_kill > at_kill.counts.created as usize,
        "the kill was meant to land mid-page"
    );
    assert!(
        written_at_kill < PRODUCTS,
        "nothing left to do after the kill ({written_at_kill} written)"
    );
    eprintln!(
        "killed after {:?}: {} of {PRODUCTS} products on the channel, counts {:?}",
        started.elapsed(),
        written_at_kill,
        at_kill.counts
    );

    // The job is still `running` under the dead worker's lease; a new worker reclaims it once
    // the lease (2 s) expires and resumes the same run.
    let mut second = WorkerProcess::spawn(&w.url, dir.path(), "second", &[]);
    let resumed = Instant::now();
    let done = w
        .wait_run(run_id, Duration::from_secs(180), |r| r.status.is_finished())
        .await;
    eprintln!(
        "resumed run finished {:?} after the restart",
        resumed.elapsed()
    );
    assert_eq!(
        done.status,
        RunStatus::Succeeded,
        "{done:?}\n{}",
        log_of(dir.path(), "second")
    );
    assert_exactly_once(&site, &skus);
    // The run resumed from its checkpoint: committed pages were not sent again, and the
    // products of the interrupted page that reached the channel were found and adopted
    // (updated), not created twice.
    let adopted = written_at_kill - at_kill.counts.created as usize;
    assert_eq!(
        (done.counts.created as usize, done.counts.updated as usize),
        (PRODUCTS - adopted, adopted),
        "{:?}",
        done.counts
    );
    assert_eq!(done.counts.failed, 0);
    let jobs = queue_of(&w.app)
        .list(&techoms_jobs::JobFilter::default())
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, techoms_jobs::JobStatus::Succeeded);
    assert_eq!(jobs[0].attempts, 2, "one attempt per worker");

    // SIGTERM stops a worker cleanly.
    let st = second.terminate(Duration::from_secs(30));
    assert!(
        st.success(),
        "worker exit {st:?}\n{}",
        log_of(dir.path(), "second")
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_export_resumes_without_duplicates_sqlite() {
    crash_and_resume(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_export_resumes_without_duplicates_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    crash_and_resume(db).await;
}
