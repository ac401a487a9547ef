-- Durable job queue (PostgreSQL). Kept in step with ../sqlite/0003_jobs.sql by the
-- schema-parity test. The queue knows nothing of products or channels: a job is a named kind
-- with a JSON payload. Times come from the application clock; nothing here calls now().

CREATE TABLE jobs (
    id                uuid PRIMARY KEY,
    -- Tenant scope for listing and pausing; NULL for system jobs. No foreign key: the queue
    -- must not depend on the catalog schema.
    account_id        uuid,
    kind              text NOT NULL,
    payload           jsonb NOT NULL,
    status            text NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
    -- Higher runs first.
    priority          integer NOT NULL,
    run_at            timestamptz NOT NULL,
    -- Incremented by every claim; with lease_owner it is the fencing token of a lease.
    attempts          integer NOT NULL CHECK (attempts >= 0),
    max_attempts      integer NOT NULL CHECK (max_attempts >= 1),
    lease_owner       text,
    lease_expires_at  timestamptz,
    concurrency_key   text,
    dedupe_key        text,
    checkpoint        jsonb,
    last_error        text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    finished_at       timestamptz
);

-- Idempotent enqueue: one live (queued or running) job per dedupe key.
CREATE UNIQUE INDEX jobs_dedupe_key_live ON jobs (dedupe_key)
    WHERE status IN ('queued', 'running');

-- At most one running job per concurrency key, even when two processes race: the loser of a
-- race gets a unique violation and claims again.
CREATE UNIQUE INDEX jobs_concurrency_key_running ON jobs (concurrency_key)
    WHERE status = 'running';

-- Claim: ready jobs in claim order.
CREATE INDEX jobs_ready_idx ON jobs (priority DESC, run_at, id)
    WHERE status = 'queued';

-- Reclaim sweep: running jobs by lease expiry.
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at)
    WHERE status = 'running';

-- Operations listings (newest first; UUIDv7 ids are time-ordered).
CREATE INDEX jobs_status_idx ON jobs (status, id);
CREATE INDEX jobs_account_idx ON jobs (account_id, id);

CREATE TABLE schedules (
    key               text PRIMARY KEY,
    account_id        uuid,
    kind              text NOT NULL,
    payload           jsonb NOT NULL,
    period_seconds    bigint NOT NULL CHECK (period_seconds >= 1),
    priority          integer NOT NULL,
    max_attempts      integer NOT NULL CHECK (max_attempts >= 1),
    concurrency_key   text,
    -- Dedupe key of the jobs this schedule enqueues. NULL: one key per tick
    -- ("schedule:<key>@<tick>"), so every tick enqueues. Set: a tick while the previous job is
    -- still queued or running folds into it instead of piling up.
    dedupe_key        text,
    enabled           boolean NOT NULL,
    next_run_at       timestamptz NOT NULL,
    last_enqueued_at  timestamptz,
    last_job_id       uuid,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE enabled;
CREATE INDEX schedules_account_idx ON schedules (account_id, key);
