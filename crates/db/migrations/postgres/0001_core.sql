-- Core catalog schema (PostgreSQL). Kept in step with ../sqlite/0001_core.sql by the
-- schema-parity test. Decimals are exact text on both backends so that the same SQL and the
-- same Rust row types serve both.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT organizations_name_key UNIQUE (name)
);

CREATE TABLE accounts (
    id                         uuid PRIMARY KEY,
    organization_id            uuid NOT NULL REFERENCES organizations (id),
    name                       text NOT NULL,
    code                       text NOT NULL,
    timezone                   text NOT NULL,
    weight_unit                text NOT NULL,
    length_unit                text NOT NULL,
    currency                   text NOT NULL,
    enabled                    boolean NOT NULL,
    master_product_source      text NOT NULL
        CHECK (master_product_source IN ('techoms', 'sales_channel', 'fulfillment_channel')),
    master_product_channel_id  uuid,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL,
    CONSTRAINT accounts_organization_code_key UNIQUE (organization_id, code)
);

CREATE TABLE channels (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('sales', 'fulfillment')),
    integration  text NOT NULL,
    name         text NOT NULL,
    enabled      boolean NOT NULL,
    settings     jsonb NOT NULL,
    credentials  bytea,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT channels_account_name_key UNIQUE (account_id, name)
);

ALTER TABLE accounts ADD CONSTRAINT accounts_master_channel_fkey
    FOREIGN KEY (master_product_channel_id) REFERENCES channels (id);

CREATE INDEX channels_account_idx ON channels (account_id, kind);

CREATE TABLE products (
    id                uuid PRIMARY KEY,
    account_id        uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title             text NOT NULL,
    description_html  text NOT NULL,
    vendor            text NOT NULL,
    product_type      text NOT NULL,
    tags              jsonb NOT NULL,
    status            text NOT NULL CHECK (status IN ('active', 'draft', 'archived')),
    options           jsonb NOT NULL,
    images            jsonb NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE INDEX products_account_idx ON products (account_id, id);

CREATE TABLE variants (
    id                uuid PRIMARY KEY,
    account_id        uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    product_id        uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku               text NOT NULL,
    sku_key           text NOT NULL,
    position          integer NOT NULL,
    option_values     jsonb NOT NULL,
    barcode           text,
    price             text,
    compare_at_price  text,
    cost              text,
    weight_g          text,
    length_mm         text,
    width_mm          text,
    height_mm         text,
    status            text NOT NULL CHECK (status IN ('active', 'inactive')),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT variants_account_sku_key UNIQUE (account_id, sku_key)
);

CREATE INDEX variants_product_idx ON variants (product_id, position);
