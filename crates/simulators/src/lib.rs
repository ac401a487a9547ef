//! Channel simulators: small stateful HTTP servers that behave like the real channel APIs in
//! everything a connector relies on (DESIGN §6). They model the *external* APIs from their
//! public documentation and deliberately depend on nothing else in techOMS, so that they cannot
//! drift towards our own connectors.

pub mod clock;
pub mod server;

pub mod extensiv;
pub mod shipbob;
pub mod shopify;
pub mod woocommerce;

pub use clock::SimClock;
pub use server::RunningSim;
