-- Durable job queue (SQLite). Kept in step with ../postgres/0003_jobs.sql by the schema-parity
-- test. The queue knows nothing of products or channels: a job is a named kind with a JSON
-- payload. Times are RFC 3339 text written by the application clock (sqlx always writes the
-- same "+00:00" form with 0, 3, 6 or 9 fraction digits, so text comparison orders them
-- correctly); nothing here calls now().

CREATE TABLE jobs (
    id                BLOB PRIMARY KEY NOT NULL,
    -- Tenant scope for listing and pausing; NULL for system jobs. No foreign key: the queue
    -- must not depend on the catalog schema.
    account_id        BLOB,
    kind              TEXT NOT NULL,
    payload           TEXT NOT NULL,
    status            TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
    -- Higher runs first.
    priority          INTEGER NOT NULL,
    run_at            TEXT NOT NULL,
    -- Incremented by every claim; with lease_owner it is the fencing token of a lease.
    attempts          INTEGER NOT NULL CHECK (attempts >= 0),
    max_attempts      INTEGER NOT NULL CHECK (max_attempts >= 1),
    lease_owner       TEXT,
    lease_expires_at  TEXT,
    concurrency_key   TEXT,
    dedupe_key        TEXT,
    checkpoint        TEXT,
    last_error        TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    finished_at       TEXT
) STRICT;

-- Idempotent enqueue: one live (queued or running) job per dedupe key.
CREATE UNIQUE INDEX jobs_dedupe_key_live ON jobs (dedupe_key)
    WHERE status IN ('queued', 'running');

-- At most one running job per concurrency key, even when two processes race.
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
    key               TEXT PRIMARY KEY NOT NULL,
    account_id        BLOB,
    kind              TEXT NOT NULL,
    payload           TEXT NOT NULL,
    period_seconds    INTEGER NOT NULL CHECK (period_seconds >= 1),
    priority          INTEGER NOT NULL,
    max_attempts      INTEGER NOT NULL CHECK (max_attempts >= 1),
    concurrency_key   TEXT,
    -- Dedupe key of the jobs this schedule enqueues. NULL: one key per tick
    -- ("schedule:<key>@<tick>"), so every tick enqueues. Set: a tick while the previous job is
    -- still queued or running folds into it instead of piling up.
    dedupe_key        TEXT,
    enabled           INTEGER NOT NULL,
    next_run_at       TEXT NOT NULL,
    last_enqueued_at  TEXT,
    last_job_id       BLOB,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE enabled;
CREATE INDEX schedules_account_idx ON schedules (account_id, key);
