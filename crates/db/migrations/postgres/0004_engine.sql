-- The import/export engine (PostgreSQL): channel bindings (the identity ledger), SKU mappings, job
-- runs with their messages, and each channel's sync watermarks. Kept in step with
-- ../sqlite/0004_engine.sql by the schema-parity test.

CREATE TABLE channel_bindings (
    account_id         uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id         uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    -- NULL: a remote variant seen but not in the catalog (skipped as a duplicate). No foreign
    -- key: products::update deletes and re-inserts a product's variants under the same ids,
    -- and the binding must survive that.
    variant_id         uuid,
    remote_product_id  text NOT NULL,
    remote_variant_id  text NOT NULL,
    inventory_item_id  text,
    -- The SKU as the channel spells it, and the key of the techOMS SKU it stands for (after
    -- SKU mapping).
    channel_sku        text NOT NULL,
    sku_key            text NOT NULL,
    remote_updated_at  timestamptz,
    -- Hash of the variant as the channel holds it to our knowledge: what we last pushed, or
    -- what we last read from a master. An export skips a variant whose hash is unchanged.
    content_hash       text,
    last_pushed_at     timestamptz,
    last_read_at       timestamptz,
    -- The import run that last read it: tells "seen in this run" apart without trusting clocks.
    last_read_run_id   uuid,
    missing_at_master  boolean NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    -- A remote variant is bound at most once per channel; a catalog variant too.
    PRIMARY KEY (channel_id, remote_variant_id),
    CONSTRAINT channel_bindings_variant_key UNIQUE (channel_id, variant_id)
);

-- No other index: every lookup goes through the two unique ones (writes stay cheap).

CREATE TABLE sku_mappings (
    id               uuid PRIMARY KEY,
    account_id       uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id       uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    channel_sku      text NOT NULL,
    channel_sku_key  text NOT NULL,
    techoms_sku      text NOT NULL,
    techoms_sku_key  text NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    -- One-to-one both ways, so that import and export are inverse of each other.
    CONSTRAINT sku_mappings_channel_sku_key UNIQUE (channel_id, channel_sku_key),
    CONSTRAINT sku_mappings_techoms_sku_key UNIQUE (channel_id, techoms_sku_key)
);

CREATE INDEX sku_mappings_account_idx ON sku_mappings (account_id, channel_id);

CREATE TABLE runs (
    id               uuid PRIMARY KEY,
    account_id       uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id       uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    job_kind         text NOT NULL
        CHECK (job_kind IN ('import_products', 'export_products', 'authorization_refresh')),
    triggered_by     text NOT NULL CHECK (triggered_by IN ('schedule', 'manual', 'propagation')),
    status           text NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'partially_succeeded', 'failed')),
    is_full          boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    created_count    bigint NOT NULL,
    updated_count    bigint NOT NULL,
    unchanged_count  bigint NOT NULL,
    skipped_count    bigint NOT NULL,
    failed_count     bigint NOT NULL,
    total_hint       bigint,
    -- Where a resumed run continues; written in the same transaction as the page it follows.
    checkpoint       jsonb,
    last_error       text
);

CREATE INDEX runs_account_idx ON runs (account_id, id);
CREATE INDEX runs_channel_idx ON runs (channel_id, id);

CREATE TABLE run_messages (
    id          uuid PRIMARY KEY,
    run_id      uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Order within the run (messages of one page share a timestamp).
    seq         bigint NOT NULL,
    level       text NOT NULL CHECK (level IN ('info', 'warning', 'error', 'fatal')),
    sku         text,
    remote_id   text,
    message     text NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT run_messages_run_seq_key UNIQUE (run_id, seq)
);

CREATE INDEX run_messages_level_idx ON run_messages (run_id, level, seq);

CREATE TABLE channel_sync_state (
    channel_id              uuid PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    account_id              uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Incremental imports read changes since this instant minus an overlap window.
    last_import_high_water  timestamptz,
    last_full_import_at     timestamptz,
    -- Incremental exports consider catalog rows changed since this instant minus the overlap.
    last_export_high_water  timestamptz,
    last_full_export_at     timestamptz,
    updated_at              timestamptz NOT NULL
);

-- Incremental exports find changed catalog rows through these.
CREATE INDEX products_account_updated_idx ON products (account_id, updated_at);
CREATE INDEX variants_account_updated_idx ON variants (account_id, updated_at);
