//! techOMS use cases. The web layer and the CLI call these; they call storage, the job queue
//! and the connectors. Transaction boundaries and business rules live here, not in handlers.

pub mod access;
pub mod accounts;
pub mod auth;
pub mod bindings;
pub mod catalog;
pub mod channels;
pub mod engine;
pub mod error;
pub mod health;
pub mod master_source;
pub mod secrets;
pub mod sync_jobs;

use std::sync::Arc;

use techoms_db::Db;
use techoms_domain::Clock;

pub use access::{Access, Actor};
pub use error::{AppError, AppResult, FieldError};

/// Everything a use case needs, cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Seals channel credentials at rest.
    pub secrets: secrets::SecretKey,
    pub login_limiter: Arc<auth::LoginLimiter>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>, secrets: secrets::SecretKey) -> Self {
        Self {
            db,
            clock,
            secrets,
            login_limiter: Arc::default(),
        }
    }
}
