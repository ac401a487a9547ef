//! Channel connectors (DESIGN §6).
//!
//! Every integration implements [`Connector`]: stream products page by page, look products up
//! by SKU, write them in batches with a result per variant, and classify failures as
//! [`ChannelError`]s. Connectors speak each API's documented wire protocol over HTTP, take a
//! base URL (sandbox, proxy or simulator), and never touch the database: the engine in the app
//! crate owns bindings, hashes and checkpoints.

pub mod config;
pub mod connector;
pub mod error;
pub mod fields;
pub mod model;
pub mod pacing;
pub mod registry;

pub mod extensiv;
pub mod shipbob;
pub mod shopify;
pub mod woocommerce;

pub use config::{ChannelConfig, Credentials};
pub use connector::{AuthStatus, Connector, ProductPage, ReadQuery};
pub use error::ChannelError;
pub use fields::Fields;
pub use model::{
    ExportProduct, ExportVariant, RemoteIds, RemoteProduct, RemoteVariant, WriteOutcome,
    WriteResult,
};
pub use registry::build_connector;
