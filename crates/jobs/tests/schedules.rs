//! Recurring schedules on both backends.

mod common;

use common::*;
use serde_json::json;
use techoms_db::Db;
use techoms_domain::Clock;
use techoms_jobs::*;
use techoms_testkit::db_test;

const MIN: std::time::Duration = std::time::Duration::from_secs(60);

db_test!(concurrent_ticks_enqueue_once_per_tick, async |db: Db| {
    let clock = manual();
    let queues = [
        manual_queue(&another_pool(&db, 2).await, &clock),
        manual_queue(&another_pool(&db, 2).await, &clock),
        manual_queue(&another_pool(&db, 2).await, &clock),
    ];
    queues[0]
        .upsert_schedule(
            &ScheduleSpec::new("chan-1:import", "import", MIN)
                .payload(json!({"channel": 1}))
                .concurrency_key("chan-1"),
        )
        .await
        .unwrap();
    for tick in 0..5 {
        let mut tasks = Vec::new();
        for q in &queues {
            for _ in 0..2 {
                let q = q.clone();
                tasks.push(tokio::spawn(async move { q.tick().await.unwrap() }));
            }
        }
        let mut fired = Vec::new();
        for t in tasks {
            fired.extend(t.await.unwrap());
        }
        assert_eq!(fired.len(), 1, "tick {tick}: {fired:?}");
        assert!(fired[0].job.created);
        assert_eq!(fired[0].tick, start() + chrono::Duration::minutes(tick));
        clock.advance(chrono::Duration::minutes(1));
    }
    let jobs = queues[0].list(&JobFilter::default()).await.unwrap();
    assert_eq!(jobs.len(), 5);
    for j in &jobs {
        assert_eq!(j.kind, "import");
        assert_eq!(j.payload, json!({"channel": 1}));
        assert_eq!(j.concurrency_key.as_deref(), Some("chan-1"));
    }
    let s = queues[0]
        .get_schedule("chan-1:import")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.last_job_id, Some(jobs[0].id));
    for q in queues {
        q.db().close().await;
    }
});

db_test!(missed_ticks_enqueue_once, async |db: Db| {
    let clock = manual();
    let q = manual_queue(&db, &clock);
    let s = q
        .upsert_schedule(&ScheduleSpec::new("s", "export", MIN))
        .await
        .unwrap();
    assert!(s.enabled);
    assert_eq!(s.next_run_at, start());
    assert_eq!(q.tick().await.unwrap().len(), 1);
    assert_eq!(q.tick().await.unwrap().len(), 0, "not due again yet");

    // Down for five and a half periods: one job, and the next run on the schedule's phase.
    clock.advance(chrono::Duration::seconds(5 * 60 + 30));
    let fired = q.tick().await.unwrap();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].tick, start() + chrono::Duration::minutes(1));
    let s = q.get_schedule("s").await.unwrap().unwrap();
    assert_eq!(s.next_run_at, start() + chrono::Duration::minutes(6));
    assert_eq!(s.last_enqueued_at, Some(clock.now()));
    assert_eq!(q.tick().await.unwrap().len(), 0);
    assert_eq!(q.counts(None).await.unwrap().queued, 2);
});

db_test!(disabled_schedules_enqueue_nothing, async |db: Db| {
    let clock = manual();
    let q = manual_queue(&db, &clock);
    q.upsert_schedule(&ScheduleSpec::new("s", "export", MIN))
        .await
        .unwrap();
    q.disable_schedule("s").await.unwrap();
    clock.advance(chrono::Duration::minutes(10));
    assert!(q.tick().await.unwrap().is_empty());
    assert_eq!(q.counts(None).await.unwrap().queued, 0);
    assert!(!q.get_schedule("s").await.unwrap().unwrap().enabled);
    assert!(matches!(
        q.disable_schedule("nope").await,
        Err(QueueError::ScheduleNotFound(_))
    ));

    // Upserting enables it again: the overdue run happens once.
    q.upsert_schedule(&ScheduleSpec::new("s", "export", MIN))
        .await
        .unwrap();
    assert_eq!(q.tick().await.unwrap().len(), 1);
    assert!(q.tick().await.unwrap().is_empty());

    assert!(q.delete_schedule("s").await.unwrap());
    assert!(!q.delete_schedule("s").await.unwrap());
    assert!(q.list_schedules(None).await.unwrap().is_empty());
});

db_test!(
    schedule_dedupe_key_folds_into_the_live_job,
    async |db: Db| {
        let clock = manual();
        let q = manual_queue(&db, &clock);
        q.upsert_schedule(&ScheduleSpec::new("s", "import", MIN).dedupe_key("sync:chan-1"))
            .await
            .unwrap();
        let first = q.tick().await.unwrap();
        assert!(first[0].job.created);
        // The job is still queued at the next tick (say, the channel is slow): no pile-up.
        clock.advance(chrono::Duration::minutes(1));
        let second = q.tick().await.unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(
            second[0].job,
            Enqueued {
                id: first[0].job.id,
                created: false
            }
        );
        // A manual sync sharing the key folds in too.
        let manual = q
            .enqueue(&NewJob::new("import", json!({})).dedupe_key("sync:chan-1"))
            .await
            .unwrap();
        assert_eq!(manual.id, first[0].job.id);
        assert_eq!(q.counts(None).await.unwrap().queued, 1);
    }
);

db_test!(
    upsert_keeps_the_phase_and_a_shorter_period_applies_soon,
    async |db: Db| {
        let clock = manual();
        let q = manual_queue(&db, &clock);
        let first = start() + chrono::Duration::hours(24);
        let acct = uuid::Uuid::now_v7();
        let spec = ScheduleSpec::new("s", "import", std::time::Duration::from_secs(86_400))
            .first_run_at(first)
            .account(acct)
            .priority(3)
            .max_attempts(2);
        q.upsert_schedule(&spec).await.unwrap();
        clock.advance(chrono::Duration::hours(1));
        // Re-upserting the same schedule (every start-up does) keeps the planned run.
        let s = q.upsert_schedule(&spec).await.unwrap();
        assert_eq!(s.next_run_at, first);
        // Going from daily to every 5 minutes: due within 5 minutes, not tomorrow.
        let s = q
            .upsert_schedule(&ScheduleSpec {
                period: std::time::Duration::from_secs(300),
                ..spec.clone()
            })
            .await
            .unwrap();
        assert_eq!(s.next_run_at, clock.now() + chrono::Duration::minutes(5));
        assert_eq!(s.period_seconds, 300);
        assert_eq!(q.list_schedules(Some(acct)).await.unwrap().len(), 1);
        assert!(
            q.list_schedules(Some(uuid::Uuid::now_v7()))
                .await
                .unwrap()
                .is_empty()
        );

        clock.advance(chrono::Duration::minutes(5));
        let fired = q.tick().await.unwrap();
        let job = q.get(fired[0].job.id).await.unwrap().unwrap();
        assert_eq!(
            (job.account_id, job.priority, job.max_attempts),
            (Some(acct), 3, 2)
        );
    }
);
