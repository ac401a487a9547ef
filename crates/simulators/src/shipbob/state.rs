//! Everything the simulator remembers: merchants, their tokens and catalogs, rate windows,
//! faults and the request log.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::faults::Faults;
use super::ratelimit::{RateLimit, Window};
use super::store::{Catalog, IdGen};
use crate::clock::SimClock;

/// One merchant (a ShipBob user) and what belongs to it.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: u64,
    pub name: String,
    /// The channel created for the API application; its id is what `shipbob_channel_id`
    /// carries.
    pub channel_id: u64,
    pub catalog: Catalog,
    pub faults: Faults,
    /// Write requests (POST/PATCH) that reached the API, whatever their outcome.
    pub write_calls: u64,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub user_id: u64,
    pub revoked: bool,
    pub window: Window,
}

/// One request as the simulator received it. The bearer token is never recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    pub seq: u64,
    pub user_id: Option<u64>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub shipbob_channel_id: Option<String>,
    pub body: Option<Value>,
    pub status: u16,
}

/// The request log keeps this many entries; older ones are dropped (benchmarks and the demo
/// send far more requests than any test looks at).
pub const LOG_CAPACITY: usize = 20_000;

#[derive(Debug)]
pub struct SimState {
    pub clock: SimClock,
    pub ids: IdGen,
    pub accounts: BTreeMap<u64, Account>,
    pub tokens: HashMap<String, Token>,
    pub rate: RateLimit,
    pub log: Vec<LoggedRequest>,
    pub seq: u64,
    pub(crate) next_user: u64,
    pub(crate) next_channel: u64,
    pub(crate) next_token: u64,
}

impl SimState {
    pub fn new(clock: SimClock) -> Self {
        Self {
            clock,
            ids: IdGen::default(),
            accounts: BTreeMap::new(),
            tokens: HashMap::new(),
            rate: RateLimit::default(),
            log: Vec::new(),
            seq: 0,
            next_user: 70_001,
            next_channel: 300_001,
            next_token: 1,
        }
    }

    pub fn add_account(&mut self, name: &str) -> (u64, u64) {
        let user_id = self.next_user;
        let channel_id = self.next_channel;
        self.next_user += 1;
        self.next_channel += 1;
        self.accounts.insert(
            user_id,
            Account {
                user_id,
                name: name.to_owned(),
                channel_id,
                catalog: Catalog::default(),
                faults: Faults::default(),
                write_calls: 0,
            },
        );
        (user_id, channel_id)
    }

    /// A new personal access token for a merchant. Deterministic, so that runs repeat.
    pub fn issue_token(&mut self, user_id: u64) -> String {
        let token = format!("sbpat-{user_id}-{:04}", self.next_token);
        self.next_token += 1;
        self.tokens.insert(
            token.clone(),
            Token {
                user_id,
                revoked: false,
                window: Window::default(),
            },
        );
        token
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}
