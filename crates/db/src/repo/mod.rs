//! Repositories: one module per aggregate. Every tenant-owned function takes the account id
//! first and filters by it, so a caller cannot read or change another account's rows by
//! passing a foreign id.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod bindings;
pub mod channel_jobs;
pub mod channels;
pub mod organizations;
pub mod products;
pub mod runs;
pub mod sessions;
pub mod sku_mappings;
pub mod users;
