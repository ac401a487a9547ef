//! Property test: random interleavings of enqueue, claim, heartbeat, checkpoint, succeed,
//! fail, release, lease expiry and clock jumps keep the queue's invariants. Runs on SQLite, and
//! on PostgreSQL (fewer cases) when it is configured.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;
use techoms_db::{Db, on_db};
use techoms_domain::ManualClock;
use techoms_jobs::*;
use techoms_testkit::TestDb;

const MAX_ATTEMPTS: i32 = 3;
const LEASE_MS: u64 = 500;

#[derive(Debug, Clone)]
enum Op {
    Enqueue {
        key: Option<u8>,
    },
    Claim {
        worker: u8,
    },
    Heartbeat(usize),
    Checkpoint(usize),
    Succeed(usize),
    Fail {
        lease: usize,
        retryable: bool,
    },
    Release(usize),
    /// Let every current lease run out, then sweep.
    Expire,
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => proptest::option::of(0u8..3).prop_map(|key| Op::Enqueue { key }),
        4 => (0u8..3).prop_map(|worker| Op::Claim { worker }),
        2 => any::<usize>().prop_map(Op::Heartbeat),
        1 => any::<usize>().prop_map(Op::Checkpoint),
        2 => any::<usize>().prop_map(Op::Succeed),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(lease, retryable)| Op::Fail { lease, retryable }),
        1 => any::<usize>().prop_map(Op::Release),
        1 => Just(Op::Expire),
        2 => (0u16..600).prop_map(Op::Advance),
    ]
}

#[derive(Default)]
struct Model {
    /// Every lease ever handed out, current or stale.
    leases: Vec<Lease>,
    claims: HashMap<JobId, i32>,
    /// Jobs seen in a terminal state, with what they looked like then.
    terminal: HashMap<JobId, Job>,
}

fn kinds() -> Vec<String> {
    vec!["k".to_string()]
}

/// Whether `lease` is the job's current lease, as the fence defines it.
async fn is_current(q: &Queue, lease: &Lease) -> bool {
    let job = q.get(lease.job_id).await.unwrap().unwrap();
    job.status == JobStatus::Running
        && job.lease_owner.as_deref() == Some(lease.owner.as_str())
        && job.attempts == lease.attempt
}

/// Run a fenced operation and check it succeeded exactly when the lease was current.
macro_rules! fenced {
    ($q:expr, $lease:expr, $call:expr) => {{
        let current = is_current($q, $lease).await;
        let r = $call;
        match &r {
            Ok(_) => prop_assert!(current, "stale lease {:?} was accepted", $lease),
            Err(e) => {
                prop_assert!(e.is_lease_lost(), "unexpected error {e}");
                prop_assert!(!current, "current lease {:?} was refused", $lease);
            }
        }
    }};
}

async fn apply(
    q: &Queue,
    clock: &ManualClock,
    m: &mut Model,
    op: &Op,
) -> Result<(), TestCaseError> {
    let pick = |i: usize| (!m.leases.is_empty()).then(|| m.leases[i % m.leases.len()].clone());
    match op {
        Op::Enqueue { key } => {
            let mut j = NewJob::new("k", json!({})).max_attempts(MAX_ATTEMPTS);
            if let Some(k) = key {
                j = j.concurrency_key(format!("c{k}"));
            }
            q.enqueue(&j).await.unwrap();
        }
        Op::Claim { worker } => {
            if let Some(c) = q
                .claim(&format!("w{worker}"), &kinds(), ms(LEASE_MS))
                .await
                .unwrap()
            {
                prop_assert!(
                    !m.terminal.contains_key(&c.job.id),
                    "finished job claimed again"
                );
                let n = m.claims.entry(c.job.id).or_default();
                *n += 1;
                prop_assert_eq!(c.lease.attempt, *n);
                m.leases.push(c.lease);
            }
        }
        Op::Heartbeat(i) => {
            if let Some(l) = pick(*i) {
                fenced!(q, &l, q.heartbeat(&l, ms(LEASE_MS)).await);
            }
        }
        Op::Checkpoint(i) => {
            if let Some(l) = pick(*i) {
                fenced!(
                    q,
                    &l,
                    q.save_checkpoint(&l, &json!({"attempt": l.attempt})).await
                );
            }
        }
        Op::Succeed(i) => {
            if let Some(l) = pick(*i) {
                fenced!(q, &l, q.succeed(&l).await);
            }
        }
        Op::Fail { lease, retryable } => {
            if let Some(l) = pick(*lease) {
                let e = if *retryable {
                    JobError::retryable("flaky")
                } else {
                    JobError::permanent("broken")
                };
                fenced!(q, &l, q.fail(&l, &e).await);
            }
        }
        Op::Release(i) => {
            if let Some(l) = pick(*i) {
                fenced!(q, &l, q.release(&l).await);
            }
        }
        Op::Expire => {
            clock.advance(chrono_ms(LEASE_MS as i64 + 1));
            q.reclaim_expired().await.unwrap();
        }
        Op::Advance(n) => clock.advance(chrono_ms(i64::from(*n))),
    }
    Ok(())
}

async fn check(q: &Queue, m: &mut Model) -> Result<(), TestCaseError> {
    let jobs = q
        .list(&JobFilter {
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut running_per_key: BTreeMap<String, usize> = BTreeMap::new();
    for j in jobs {
        prop_assert!(
            j.attempts <= j.max_attempts,
            "attempts beyond budget: {j:?}"
        );
        prop_assert_eq!(j.attempts, m.claims.get(&j.id).copied().unwrap_or(0));
        match j.status {
            JobStatus::Running => {
                prop_assert!(
                    j.lease_owner.is_some() && j.lease_expires_at.is_some(),
                    "{j:?}"
                );
                if let Some(k) = &j.concurrency_key {
                    *running_per_key.entry(k.clone()).or_default() += 1;
                }
            }
            JobStatus::Queued => {
                prop_assert!(
                    j.lease_owner.is_none() && j.lease_expires_at.is_none(),
                    "{j:?}"
                );
                prop_assert!(j.finished_at.is_none());
            }
            _ => {
                prop_assert!(
                    j.finished_at.is_some() && j.lease_expires_at.is_none(),
                    "{j:?}"
                );
            }
        }
        if let Some(before) = m.terminal.get(&j.id) {
            prop_assert_eq!(before, &j, "a finished job changed");
        } else if j.status.is_terminal() {
            m.terminal.insert(j.id, j);
        }
    }
    for (k, n) in running_per_key {
        prop_assert!(n <= 1, "{n} running jobs share key {k}");
    }
    Ok(())
}

async fn run_case(db: &Db, ops: Vec<Op>) -> Result<(), TestCaseError> {
    on_db!(db, |p| sqlx::query("DELETE FROM jobs")
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
    let clock = manual();
    let q = manual_queue(db, &clock).with_retry_policy(RetryPolicy {
        base: ms(100),
        max: ms(400),
        jitter: 0.5,
    });
    let mut m = Model::default();
    for op in &ops {
        apply(&q, &clock, &mut m, op).await?;
        check(&q, &mut m).await?;
    }
    Ok(())
}

fn explore(t: &TestDb, rt: &tokio::runtime::Runtime, cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let db = t.db.clone();
    let result = runner.run(&proptest::collection::vec(op(), 1..60), |ops| {
        rt.block_on(run_case(&db, ops))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn interleavings_keep_invariants_sqlite() {
    let rt = runtime();
    let t = rt.block_on(TestDb::sqlite());
    explore(&t, &rt, 64);
    rt.block_on(t.finish());
}

#[test]
fn interleavings_keep_invariants_postgres() {
    let rt = runtime();
    let Some(t) = rt.block_on(TestDb::postgres()) else {
        return;
    };
    explore(&t, &rt, 32);
    rt.block_on(t.finish());
}
