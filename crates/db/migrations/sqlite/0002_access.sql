-- People, sessions, API keys, audit events and channel job periods (SQLite).
-- Kept in step with ../postgres/0002_access.sql by the schema-parity test.

CREATE TABLE users (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    -- NULL for organization users, who see every account of the organization.
    account_id       BLOB REFERENCES accounts (id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL
        CHECK (role IN ('organization_admin', 'account_admin', 'account_user')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CHECK ((role = 'organization_admin') = (account_id IS NULL))
) STRICT;

CREATE TABLE sessions (
    token_hash          TEXT PRIMARY KEY NOT NULL,
    user_id             BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token          TEXT NOT NULL,
    current_account_id  BLOB REFERENCES accounts (id) ON DELETE SET NULL,
    created_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
    account_id  BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key_hash    TEXT NOT NULL,
    key_prefix  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CONSTRAINT api_keys_hash_key UNIQUE (key_hash)
) STRICT;

CREATE TABLE audit_events (
    id           BLOB PRIMARY KEY NOT NULL,
    account_id   BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    old_value    TEXT,
    new_value    TEXT,
    created_at   TEXT NOT NULL
) STRICT;

CREATE INDEX audit_events_account_idx ON audit_events (account_id, created_at);

CREATE TABLE channel_jobs (
    account_id  BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id  BLOB NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    job_kind    TEXT NOT NULL
        CHECK (job_kind IN ('import_products', 'export_products', 'authorization_refresh')),
    period      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (channel_id, job_kind)
) STRICT;

CREATE INDEX channel_jobs_account_idx ON channel_jobs (account_id);
