-- People, sessions, API keys, audit events and channel job periods (PostgreSQL).
-- Kept in step with ../sqlite/0002_access.sql by the schema-parity test.

CREATE TABLE users (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id),
    -- NULL for organization users, who see every account of the organization.
    account_id       uuid REFERENCES accounts (id) ON DELETE CASCADE,
    email            text NOT NULL,
    password_hash    text NOT NULL,
    role             text NOT NULL
        CHECK (role IN ('organization_admin', 'account_admin', 'account_user')),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CHECK ((role = 'organization_admin') = (account_id IS NULL))
);

CREATE TABLE sessions (
    token_hash          text PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token          text NOT NULL,
    current_account_id  uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL
);

CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
    account_id  uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    key_hash    text NOT NULL,
    key_prefix  text NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT api_keys_hash_key UNIQUE (key_hash)
);

CREATE TABLE audit_events (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    actor        text NOT NULL,
    action       text NOT NULL,
    old_value    text,
    new_value    text,
    created_at   timestamptz NOT NULL
);

CREATE INDEX audit_events_account_idx ON audit_events (account_id, created_at);

CREATE TABLE channel_jobs (
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id  uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    job_kind    text NOT NULL
        CHECK (job_kind IN ('import_products', 'export_products', 'authorization_refresh')),
    period      text NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (channel_id, job_kind)
);

CREATE INDEX channel_jobs_account_idx ON channel_jobs (account_id);
