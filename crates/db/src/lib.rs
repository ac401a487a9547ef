//! techOMS storage.
//!
//! One code base serves SQLite (embedded, the default) and PostgreSQL (several processes or
//! machines). SQL text is shared wherever the two dialects agree — sqlx's SQLite driver takes
//! `$1…$n` placeholders — and [`on_db!`] runs one body against whichever pool is configured,
//! compiling it once per driver. Each backend has its own migration folder with the same
//! numbering; a schema-parity test keeps them in step.
//!
//! Rules every repository follows: tenant-owned queries take the account id first and filter
//! by it; time comes from the caller (an injected clock), never from SQL; writing transactions
//! on SQLite start with `BEGIN IMMEDIATE` so that concurrent writers wait on the busy timeout
//! instead of failing.

pub mod error;
pub mod migrate;
pub mod pool;
pub mod repo;
mod rows;

pub use error::DbError;
pub use pool::{Backend, Db, DbOptions};
pub use repo::{
    accounts, api_keys, audit, bindings, channel_jobs, channels, organizations, products, runs,
    sessions, sku_mappings, users,
};
