//! Organizations and accounts (DESIGN §2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ChannelId, OrganizationId};
use crate::master_source::MasterProductSource;
use crate::money::Currency;
use crate::units::{LengthUnit, WeightUnit};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// The short, stable code of an account: derived from the name once, never changed after.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountNameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than 100 characters")]
    TooLong,
}

impl AccountCode {
    /// Trimmed, upper-cased, each run of white space replaced by one `-`.
    pub fn derive(name: &str) -> Result<Self, AccountNameError> {
        let name = validate_account_name(name)?;
        let mut code = String::with_capacity(name.len());
        let mut in_space = false;
        for c in name.chars() {
            if c.is_whitespace() {
                if !in_space {
                    code.push('-');
                }
                in_space = true;
            } else {
                code.extend(c.to_uppercase());
                in_space = false;
            }
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// A trimmed, non-empty account name of at most 100 characters.
pub fn validate_account_name(name: &str) -> Result<&str, AccountNameError> {
    let t = name.trim();
    if t.is_empty() {
        return Err(AccountNameError::Empty);
    }
    if t.chars().count() > 100 {
        return Err(AccountNameError::TooLong);
    }
    Ok(t)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub code: AccountCode,
    /// IANA time zone name used for display; storage is always UTC.
    pub timezone: String,
    pub weight_unit: WeightUnit,
    pub length_unit: LengthUnit,
    pub currency: Currency,
    pub enabled: bool,
    pub master_product_source: MasterProductSource,
    pub master_product_channel_id: Option<ChannelId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_derived_from_the_name() {
        assert_eq!(
            AccountCode::derive("  Acme Outdoor  ").unwrap().as_str(),
            "ACME-OUTDOOR"
        );
        assert_eq!(
            AccountCode::derive("my   shop").unwrap().as_str(),
            "MY-SHOP"
        );
        assert_eq!(AccountCode::derive("straße").unwrap().as_str(), "STRASSE");
        assert_eq!(AccountCode::derive("   "), Err(AccountNameError::Empty));
        assert_eq!(
            AccountCode::derive(&"a".repeat(101)),
            Err(AccountNameError::TooLong)
        );
    }
}
