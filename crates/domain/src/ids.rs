//! Typed identifiers. Every id is a UUIDv7 generated in Rust (time-ordered, so inserts stay
//! index-friendly on both databases) and wrapped in a newtype so that an account id can never
//! be passed where a channel id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self)
            }
        }
    };
}

id_type!(
    /// An organization: the top of the tenancy tree.
    OrganizationId
);
id_type!(
    /// An account: one merchant catalog.
    AccountId
);
id_type!(
    /// A connected sales or fulfillment channel.
    ChannelId
);
id_type!(
    /// A product (the grouping a shopper sees).
    ProductId
);
id_type!(
    /// A variant (the sellable, stockable unit that carries the SKU).
    VariantId
);
id_type!(
    /// A person who logs in.
    UserId
);
id_type!(
    /// One execution of a job.
    RunId
);
