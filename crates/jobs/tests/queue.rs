//! Queue operations on both backends: enqueue, claim, leases and fencing, checkpoints,
//! retries, reclaim, cancel, listings.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::json;
use techoms_db::Db;
use techoms_domain::Clock;
use techoms_jobs::*;
use techoms_testkit::db_test;

fn kinds(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

db_test!(enqueue_is_idempotent_by_dedupe_key, async |db: Db| {
    let clock = manual();
    let q = manual_queue(&db, &clock);
    let first = q
        .enqueue(&NewJob::new("sync", json!({"n": 1})).dedupe_key("chan-1"))
        .await
        .unwrap();
    assert!(first.created);
    let again = q
        .enqueue(&NewJob::new("sync", json!({"n": 2})).dedupe_key("chan-1"))
        .await
        .unwrap();
    assert_eq!(
        again,
        Enqueued {
            id: first.id,
            created: false
        }
    );
    // The first payload stands.
    let job = q.get(first.id).await.unwrap().unwrap();
    assert_eq!(job.payload, json!({"n": 1}));
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.attempts, 0);
    assert_eq!(job.run_at, clock.now());

    // Still deduped while running.
    let c = q
        .claim("w", &kinds(&["sync"]), ms(500))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.job.id, first.id);
    let running = q
        .enqueue(&NewJob::new("sync", json!({})).dedupe_key("chan-1"))
        .await
        .unwrap();
    assert_eq!(running.id, first.id);
    assert!(!running.created);

    // Finished: the key is free again.
    q.succeed(&c.lease).await.unwrap();
    let next = q
        .enqueue(&NewJob::new("sync", json!({})).dedupe_key("chan-1"))
        .await
        .unwrap();
    assert!(next.created);
    assert_ne!(next.id, first.id);

    // Cancelled jobs free it too; jobs without a key never dedupe.
    assert!(q.cancel(next.id).await.unwrap());
    assert!(
        q.enqueue(&NewJob::new("sync", json!({})).dedupe_key("chan-1"))
            .await
            .unwrap()
            .created
    );
    let a = q.enqueue(&NewJob::new("sync", json!({}))).await.unwrap();
    let b = q.enqueue(&NewJob::new("sync", json!({}))).await.unwrap();
    assert_ne!(a.id, b.id);
    assert!(q.enqueue(&NewJob::new("  ", json!({}))).await.is_err());
});

db_test!(
    concurrent_enqueues_with_one_key_make_one_job,
    async |db: Db| {
        let pools = [another_pool(&db, 2).await, another_pool(&db, 2).await];
        let clock = manual();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let q = manual_queue(&pools[i % 2], &clock);
            tasks.push(tokio::spawn(async move {
                q.enqueue(&NewJob::new("sync", json!({"i": i})).dedupe_key("k"))
                    .await
                    .unwrap()
            }));
        }
        let mut ids = HashSet::new();
        let mut created = 0;
        for t in tasks {
            let e = t.await.unwrap();
            ids.insert(e.id);
            created += usize::from(e.created);
        }
        assert_eq!(ids.len(), 1);
        assert_eq!(created, 1);
        for p in pools {
            p.close().await;
        }
    }
);

db_test!(claim_respects_run_at_kinds_and_priority, async |db: Db| {
    let clock = manual();
    let q = manual_queue(&db, &clock);
    let low = q.enqueue(&NewJob::new("x", json!("low"))).await.unwrap().id;
    let high = q
        .enqueue(&NewJob::new("x", json!("high")).priority(5))
        .await
        .unwrap()
        .id;
    let other = q.enqueue(&NewJob::new("y", json!("y"))).await.unwrap().id;
    let later = q
        .enqueue(
            &NewJob::new("x", json!("later"))
                .priority(9)
                .run_at(start() + chrono_ms(60_000)),
        )
        .await
        .unwrap()
        .id;
    let x = kinds(&["x"]);

    assert!(q.claim("w", &[], ms(500)).await.unwrap().is_none());
    let c1 = q.claim("w", &x, ms(500)).await.unwrap().unwrap();
    assert_eq!(c1.job.id, high, "higher priority first");
    assert_eq!(c1.job.status, JobStatus::Running);
    assert_eq!(c1.job.attempts, 1);
    assert_eq!(c1.job.lease_owner.as_deref(), Some("w"));
    assert_eq!(c1.job.lease_expires_at, Some(start() + chrono_ms(500)));
    assert_eq!(
        c1.lease,
        Lease {
            job_id: high,
            owner: "w".into(),
            attempt: 1,
            max_attempts: DEFAULT_MAX_ATTEMPTS
        }
    );
    let c2 = q.claim("w", &x, ms(500)).await.unwrap().unwrap();
    assert_eq!(c2.job.id, low);
    assert!(
        q.claim("w", &x, ms(500)).await.unwrap().is_none(),
        "`later` is not due"
    );

    clock.advance(chrono_ms(60_000));
    let c3 = q.claim("w", &x, ms(500)).await.unwrap().unwrap();
    assert_eq!(c3.job.id, later);
    let c4 = q
        .claim("w", &kinds(&["x", "y"]), ms(500))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c4.job.id, other);
    assert!(
        q.claim("w", &kinds(&["x", "y"]), ms(500))
            .await
            .unwrap()
            .is_none()
    );
});

db_test!(one_running_job_per_concurrency_key, async |db: Db| {
    let clock = manual();
    let q = manual_queue(&db, &clock);
    let a1 = q
        .enqueue(&NewJob::new("s", json!(1)).concurrency_key("chan-a"))
        .await
        .unwrap()
        .id;
    let a2 = q
        .enqueue(&NewJob::new("s", json!(2)).concurrency_key("chan-a"))
        .await
        .unwrap()
        .id;
    let b1 = q
        .enqueue(&NewJob::new("s", json!(3)).concurrency_key("chan-b"))
        .await
        .unwrap()
        .id;
    let free = q.enqueue(&NewJob::new("s", json!(4))).await.unwrap().id;
    let s = kinds(&["s"]);

    let first = q.claim("w1", &s, ms(500)).await.unwrap().unwrap();
    assert_eq!(first.job.id, a1);
    let second = q.claim("w2", &s, ms(500)).await.unwrap().unwrap();
    assert_eq!(second.job.id, b1, "a2 waits for a1");
    let third = q.claim("w3", &s, ms(500)).await.unwrap().unwrap();
    assert_eq!(third.job.id, free);
    assert!(q.claim("w4", &s, ms(500)).await.unwrap().is_none());

    q.fail(&first.lease, &JobError::permanent("boom"))
        .await
        .unwrap();
    let fourth = q.claim("w4", &s, ms(500)).await.unwrap().unwrap();
    assert_eq!(fourth.job.id, a2, "a1 finished, so a2 may run");
});

db_test!(
    racing_workers_never_run_two_jobs_with_one_key,
    async |db: Db| {
        let q0 = system_queue(&db);
        for i in 0..40 {
            q0.enqueue(&NewJob::new("s", json!(i)).concurrency_key(format!("k{}", i % 4)))
                .await
                .unwrap();
        }
        let running: Arc<Mutex<HashSet<String>>> = Arc::default();
        let mut tasks = Vec::new();
        for w in 0..4 {
            let q = system_queue(&another_pool(&db, 2).await);
            let running = running.clone();
            tasks.push(tokio::spawn(async move {
                let mut done = 0;
                let mut idle = 0;
                while idle < 30 {
                    let Some(c) = q
                        .claim(&format!("w{w}"), &kinds(&["s"]), ms(5_000))
                        .await
                        .unwrap()
                    else {
                        idle += 1;
                        tokio::time::sleep(ms(5)).await;
                        continue;
                    };
                    idle = 0;
                    let key = c.job.concurrency_key.clone().unwrap();
                    assert!(
                        running.lock().unwrap().insert(key.clone()),
                        "two running jobs with key {key}"
                    );
                    tokio::time::sleep(ms(2)).await;
                    // Leave the set before the database: the key stays taken there until succeed
                    // commits, so nobody can claim it in between.
                    running.lock().unwrap().remove(&key);
                    q.succeed(&c.lease).await.unwrap();
                    done += 1;
                }
                q.db().close().await;
                done
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        assert_eq!(total, 40);
        assert_eq!(q0.counts(None).await.unwrap().succeeded, 40);
    }
);

db_test!(heartbeat_keeps_the_lease, async |db: Db| {
    let clock = manual();
    let q = manual_queue(&db, &clock);
    q.enqueue(&NewJob::new("s", json!({}))).await.unwrap();
    let c = q
        .claim("w", &kinds(&["s"]), ms(500))
        .await
        .unwrap()
        .unwrap();
    clock.advance(chrono_ms(400));
    let until = q.heartbeat(&c.lease, ms(500)).await.unwrap();
    assert_eq!(until, start() + chrono_ms(900));
    clock.advance(chrono_ms(400));
    assert!(q.reclaim_expired().await.unwrap().is_empty());
    clock.advance(chrono_ms(101));
    let r = q.reclaim_expired().await.unwrap();
    assert_eq!(r.requeued, vec![c.job.id]);
    let job = q.get(c.job.id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.lease_owner, None);
    assert_eq!(job.lease_expires_at, None);
    assert_eq!(job.attempts, 1, "the reclaimed attempt stays counted");
    assert!(job.last_error.unwrap().contains("lease expired"));
});

db_test!(
    expired_lease_is_fenced_and_checkpoint_survives,
    async |db: Db| {
        let clock = manual();
        let stale_q = manual_queue(&db, &clock);
        let q2 = manual_queue(&another_pool(&db, 2).await, &clock);
        let id = stale_q
            .enqueue(&NewJob::new("import", json!({"channel": 7})).concurrency_key("chan-7"))
            .await
            .unwrap()
            .id;
        let s = kinds(&["import"]);
        let stale = stale_q.claim("w1", &s, ms(500)).await.unwrap().unwrap();
        assert_eq!(stale_q.load_checkpoint(&stale.lease).await.unwrap(), None);
        stale_q
            .save_checkpoint(&stale.lease, &json!({"page": 3}))
            .await
            .unwrap();
        assert_eq!(
            stale_q.load_checkpoint(&stale.lease).await.unwrap(),
            Some(json!({"page": 3}))
        );

        // w1 stops renewing; the lease runs out and w2 reclaims and claims the job.
        clock.advance(chrono_ms(501));
        assert_eq!(q2.reclaim_expired().await.unwrap().requeued, vec![id]);
        let fresh = q2.claim("w2", &s, ms(500)).await.unwrap().unwrap();
        assert_eq!(fresh.job.id, id);
        assert_eq!(fresh.lease.attempt, 2);
        assert_eq!(
            fresh.job.checkpoint,
            Some(json!({"page": 3})),
            "resume where w1 stopped"
        );
        assert_eq!(
            q2.load_checkpoint(&fresh.lease).await.unwrap(),
            Some(json!({"page": 3}))
        );

        // Everything the stale worker tries is refused.
        let lost = |r: Result<(), QueueError>| {
            assert!(matches!(r, Err(QueueError::LeaseLost(j)) if j == id))
        };
        lost(stale_q.heartbeat(&stale.lease, ms(500)).await.map(|_| ()));
        lost(
            stale_q
                .save_checkpoint(&stale.lease, &json!({"page": 99}))
                .await,
        );
        lost(stale_q.load_checkpoint(&stale.lease).await.map(|_| ()));
        lost(stale_q.succeed(&stale.lease).await);
        lost(
            stale_q
                .fail(&stale.lease, &JobError::permanent("x"))
                .await
                .map(|_| ()),
        );
        lost(stale_q.release(&stale.lease).await);

        q2.save_checkpoint(&fresh.lease, &json!({"page": 4}))
            .await
            .unwrap();
        q2.succeed(&fresh.lease).await.unwrap();
        let job = q2.get(id).await.unwrap().unwrap();
        assert_eq!(job.status, JobStatus::Succeeded);
        assert_eq!(job.lease_owner.as_deref(), Some("w2"));
        assert_eq!(job.checkpoint, Some(json!({"page": 4})));
        assert_eq!(job.finished_at, Some(clock.now()));
        lost(q2.succeed(&fresh.lease).await);
        q2.db().close().await;
    }
);

db_test!(
    same_worker_reclaiming_its_job_fences_the_old_attempt,
    async |db: Db| {
        let clock = manual();
        let q = manual_queue(&db, &clock);
        q.enqueue(&NewJob::new("s", json!({}))).await.unwrap();
        let s = kinds(&["s"]);
        let old = q.claim("w", &s, ms(500)).await.unwrap().unwrap();
        clock.advance(chrono_ms(600));
        q.reclaim_expired().await.unwrap();
        let new = q.claim("w", &s, ms(500)).await.unwrap().unwrap();
        assert_eq!(new.lease.owner, old.lease.owner);
        assert!(
            q.save_checkpoint(&old.lease, &json!(1))
                .await
                .unwrap_err()
                .is_lease_lost()
        );
        assert!(q.succeed(&old.lease).await.unwrap_err().is_lease_lost());
        q.succeed(&new.lease).await.unwrap();
    }
);

db_test!(retryable_failures_back_off_then_die, async |db: Db| {
    let clock = manual();
    let policy = RetryPolicy {
        base: ms(10_000),
        max: ms(100_000),
        jitter: 0.5,
    };
    let q = manual_queue(&db, &clock).with_retry_policy(policy);
    let id = q
        .enqueue(&NewJob::new("s", json!({})).max_attempts(3))
        .await
        .unwrap()
        .id;
    let s = kinds(&["s"]);

    // Attempt 1 fails: back off by the policy's delay for (job, attempt 1).
    let c = q.claim("w", &s, ms(500)).await.unwrap().unwrap();
    let failed_at = clock.now();
    let out = q
        .fail(&c.lease, &JobError::retryable("timeout"))
        .await
        .unwrap();
    let expected = failed_at + chrono::Duration::from_std(policy.backoff(id, 1)).unwrap();
    let expected = techoms_domain::clock::truncate_micros(expected);
    assert_eq!(out, FailOutcome::Retrying { run_at: expected });
    let (lo, hi) = policy.bounds(1);
    let delay = (expected - failed_at).to_std().unwrap();
    assert!(
        delay >= lo - ms(1) && delay <= hi,
        "{delay:?} not in {lo:?}..{hi:?}"
    );
    let job = q.get(id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.run_at, expected);
    assert_eq!(job.last_error.as_deref(), Some("timeout"));
    assert_eq!(job.lease_owner, None);

    // Not ready before the backoff has passed.
    clock.set(expected - chrono_ms(1));
    assert!(q.claim("w", &s, ms(500)).await.unwrap().is_none());
    clock.set(expected);

    // Attempt 2 is throttled: the server's delay wins over the backoff.
    let c = q.claim("w", &s, ms(500)).await.unwrap().unwrap();
    assert_eq!(c.lease.attempt, 2);
    let out = q
        .fail(&c.lease, &JobError::retry_after("429", ms(7_000)))
        .await
        .unwrap();
    assert_eq!(
        out,
        FailOutcome::Retrying {
            run_at: expected + chrono_ms(7_000)
        }
    );
    clock.advance(chrono_ms(7_000));

    // Attempt 3 is the last: a retryable failure now means dead.
    let c = q.claim("w", &s, ms(500)).await.unwrap().unwrap();
    assert_eq!(c.lease.attempt, 3);
    assert_eq!(
        q.fail(&c.lease, &JobError::retryable("still down"))
            .await
            .unwrap(),
        FailOutcome::Dead
    );
    let job = q.get(id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Dead);
    assert_eq!(job.attempts, 3);
    assert_eq!(job.finished_at, Some(clock.now()));
    clock.advance(chrono_ms(3_600_000));
    assert!(q.claim("w", &s, ms(500)).await.unwrap().is_none());
});

db_test!(backoff_grows_exponentially, async |db: Db| {
    let clock = manual();
    let policy = RetryPolicy {
        base: ms(1_000),
        max: ms(5_000),
        jitter: 0.0,
    };
    let q = manual_queue(&db, &clock).with_retry_policy(policy);
    q.enqueue(&NewJob::new("s", json!({})).max_attempts(10))
        .await
        .unwrap();
    let mut delays = Vec::new();
    for _ in 0..5 {
        let c = q
            .claim("w", &kinds(&["s"]), ms(500))
            .await
            .unwrap()
            .unwrap();
        let FailOutcome::Retrying { run_at } =
            q.fail(&c.lease, &JobError::retryable("e")).await.unwrap()
        else {
            panic!("expected a retry");
        };
        delays.push((run_at - clock.now()).num_milliseconds());
        clock.set(run_at);
    }
    assert_eq!(delays, vec![1_000, 2_000, 4_000, 5_000, 5_000]);
});

db_test!(permanent_failure_fails_at_once, async |db: Db| {
    let clock = manual();
    let q = manual_queue(&db, &clock);
    let id = q
        .enqueue(&NewJob::new("s", json!({})).max_attempts(5))
        .await
        .unwrap()
        .id;
    let c = q
        .claim("w", &kinds(&["s"]), ms(500))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        q.fail(&c.lease, &JobError::permanent("401 unauthorized"))
            .await
            .unwrap(),
        FailOutcome::Failed
    );
    let job = q.get(id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.last_error.as_deref(), Some("401 unauthorized"));
    assert_eq!(job.lease_owner.as_deref(), Some("w"), "who ran it last");
    assert_eq!(job.lease_expires_at, None);
    assert!(
        q.claim("w", &kinds(&["s"]), ms(500))
            .await
            .unwrap()
            .is_none()
    );
});

db_test!(
    a_job_that_keeps_losing_its_worker_goes_dead,
    async |db: Db| {
        let clock = manual();
        let q = manual_queue(&db, &clock);
        let id = q
            .enqueue(&NewJob::new("s", json!({})).max_attempts(2))
            .await
            .unwrap()
            .id;
        for attempt in 1..=2 {
            let c = q
                .claim("w", &kinds(&["s"]), ms(500))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(c.lease.attempt, attempt);
            clock.advance(chrono_ms(501));
            let r = q.reclaim_expired().await.unwrap();
            if attempt == 1 {
                assert_eq!(r.requeued, vec![id]);
            } else {
                assert_eq!(r.dead, vec![id]);
            }
        }
        let job = q.get(id).await.unwrap().unwrap();
        assert_eq!(job.status, JobStatus::Dead);
        assert_eq!(job.attempts, 2);
        assert!(job.finished_at.is_some());
    }
);

db_test!(
    release_requeues_without_spending_the_budget,
    async |db: Db| {
        let clock = manual();
        let q = manual_queue(&db, &clock);
        let id = q
            .enqueue(
                &NewJob::new("s", json!({}))
                    .max_attempts(2)
                    .concurrency_key("k"),
            )
            .await
            .unwrap()
            .id;
        let c = q
            .claim("w", &kinds(&["s"]), ms(500))
            .await
            .unwrap()
            .unwrap();
        q.save_checkpoint(&c.lease, &json!({"cursor": "abc"}))
            .await
            .unwrap();
        q.release(&c.lease).await.unwrap();
        let job = q.get(id).await.unwrap().unwrap();
        assert_eq!(job.status, JobStatus::Queued);
        assert_eq!((job.attempts, job.max_attempts), (1, 3));
        assert_eq!(job.run_at, clock.now());
        assert_eq!(job.checkpoint, Some(json!({"cursor": "abc"})));
        let again = q
            .claim("w", &kinds(&["s"]), ms(500))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.lease.attempt, 2);
        assert!(q.succeed(&c.lease).await.unwrap_err().is_lease_lost());
    }
);

db_test!(cancel_only_touches_queued_jobs, async |db: Db| {
    let clock = manual();
    let q = manual_queue(&db, &clock);
    let a = q.enqueue(&NewJob::new("s", json!(1))).await.unwrap().id;
    let b = q.enqueue(&NewJob::new("s", json!(2))).await.unwrap().id;
    let c = q
        .claim("w", &kinds(&["s"]), ms(500))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.job.id, a);
    assert!(
        !q.cancel(a).await.unwrap(),
        "running jobs are not cancelled here"
    );
    assert!(q.cancel(b).await.unwrap());
    assert!(!q.cancel(b).await.unwrap());
    let job = q.get(b).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
    assert!(job.finished_at.is_some());
    assert!(matches!(
        q.cancel(JobId::new()).await,
        Err(QueueError::NotFound(_))
    ));
    assert!(
        q.claim("w", &kinds(&["s"]), ms(500))
            .await
            .unwrap()
            .is_none()
    );
});

db_test!(listings_and_counts, async |db: Db| {
    let clock = manual();
    let q = manual_queue(&db, &clock);
    let acct = uuid::Uuid::now_v7();
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut j = NewJob::new(if i % 2 == 0 { "import" } else { "export" }, json!(i));
        if i < 3 {
            j = j.account(acct);
        }
        ids.push(q.enqueue(&j).await.unwrap().id);
    }
    let c = q
        .claim("w", &kinds(&["import"]), ms(500))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.job.id, ids[0]);
    assert_eq!(c.job.account_id, Some(acct));

    let all = q.list(&JobFilter::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|j| j.id).collect::<Vec<_>>(),
        ids.iter().rev().copied().collect::<Vec<_>>()
    );
    let queued_imports = q
        .list(&JobFilter {
            status: Some(JobStatus::Queued),
            kind: Some("import".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        queued_imports.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![ids[4], ids[2]]
    );
    let of_account = q
        .list(&JobFilter {
            account_id: Some(acct),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(of_account.len(), 3);
    let page2 = q
        .list(&JobFilter {
            before: Some(ids[3]),
            limit: Some(2),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page2.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );

    let counts = q.counts(None).await.unwrap();
    assert_eq!((counts.queued, counts.running, counts.succeeded), (4, 1, 0));
    assert_eq!(counts.get(JobStatus::Running), 1);
    let counts = q.counts(Some(acct)).await.unwrap();
    assert_eq!((counts.queued, counts.running), (2, 1));

    // Purge removes finished jobs older than the cut-off only.
    q.succeed(&c.lease).await.unwrap();
    assert_eq!(q.purge_finished(clock.now()).await.unwrap(), 0);
    clock.advance(chrono_ms(1));
    assert_eq!(q.purge_finished(clock.now()).await.unwrap(), 1);
    assert!(q.get(ids[0]).await.unwrap().is_none());
    assert_eq!(q.counts(None).await.unwrap().queued, 4);
});
