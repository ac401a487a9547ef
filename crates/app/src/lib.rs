//! techOMS use cases. The web layer and the CLI call these; they call storage, the job queue
//! and the connectors. Transaction boundaries and business rules live here, not in handlers.

pub mod health;

use std::sync::Arc;

use techoms_db::Db;
use techoms_domain::Clock;

/// Everything a use case needs, cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}
