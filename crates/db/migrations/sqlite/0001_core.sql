-- Core catalog schema (SQLite). Kept in step with ../postgres/0001_core.sql by the
-- schema-parity test. Ids are UUIDs made in Rust (BLOB), times RFC 3339 text written by the
-- application clock, booleans 0/1, JSON as text, decimals as exact text.

CREATE TABLE organizations (
    id          BLOB PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CONSTRAINT organizations_name_key UNIQUE (name)
) STRICT;

CREATE TABLE accounts (
    id                         BLOB PRIMARY KEY NOT NULL,
    organization_id            BLOB NOT NULL REFERENCES organizations (id),
    name                       TEXT NOT NULL,
    code                       TEXT NOT NULL,
    timezone                   TEXT NOT NULL,
    weight_unit                TEXT NOT NULL,
    length_unit                TEXT NOT NULL,
    currency                   TEXT NOT NULL,
    enabled                    INTEGER NOT NULL,
    master_product_source      TEXT NOT NULL
        CHECK (master_product_source IN ('techoms', 'sales_channel', 'fulfillment_channel')),
    master_product_channel_id  BLOB REFERENCES channels (id),
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL,
    CONSTRAINT accounts_organization_code_key UNIQUE (organization_id, code)
) STRICT;

CREATE TABLE channels (
    id           BLOB PRIMARY KEY NOT NULL,
    account_id   BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('sales', 'fulfillment')),
    integration  TEXT NOT NULL,
    name         TEXT NOT NULL,
    enabled      INTEGER NOT NULL,
    settings     TEXT NOT NULL,
    credentials  BLOB,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CONSTRAINT channels_account_name_key UNIQUE (account_id, name)
) STRICT;

CREATE INDEX channels_account_idx ON channels (account_id, kind);

CREATE TABLE products (
    id                BLOB PRIMARY KEY NOT NULL,
    account_id        BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title             TEXT NOT NULL,
    description_html  TEXT NOT NULL,
    vendor            TEXT NOT NULL,
    product_type      TEXT NOT NULL,
    tags              TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('active', 'draft', 'archived')),
    options           TEXT NOT NULL,
    images            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

CREATE INDEX products_account_idx ON products (account_id, id);

CREATE TABLE variants (
    id                BLOB PRIMARY KEY NOT NULL,
    account_id        BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    product_id        BLOB NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku               TEXT NOT NULL,
    sku_key           TEXT NOT NULL,
    position          INTEGER NOT NULL,
    option_values     TEXT NOT NULL,
    barcode           TEXT,
    price             TEXT,
    compare_at_price  TEXT,
    cost              TEXT,
    weight_g          TEXT,
    length_mm         TEXT,
    width_mm          TEXT,
    height_mm         TEXT,
    status            TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CONSTRAINT variants_account_sku_key UNIQUE (account_id, sku_key)
) STRICT;

CREATE INDEX variants_product_idx ON variants (product_id, position);
