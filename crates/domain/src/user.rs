//! People who log in, and what they may do (DESIGN §2).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, OrganizationId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees and administers every account of the organization.
    OrganizationAdmin,
    /// Administers one account.
    AccountAdmin,
    /// Reads one account and may run a manual sync.
    AccountUser,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::OrganizationAdmin => "organization_admin",
            Role::AccountAdmin => "account_admin",
            Role::AccountUser => "account_user",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::OrganizationAdmin => "Organization Administrator",
            Role::AccountAdmin => "Account Administrator",
            Role::AccountUser => "Account User",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "organization_admin" => Ok(Role::OrganizationAdmin),
            "account_admin" => Ok(Role::AccountAdmin),
            "account_user" => Ok(Role::AccountUser),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub organization_id: OrganizationId,
    /// None for organization users.
    pub account_id: Option<AccountId>,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// Normalise an e-mail address for storage and login: trimmed, lower-cased, one `@` with text
/// on both sides. Not a full RFC 5322 check: the address is a login name here.
pub fn normalize_email(raw: &str) -> Result<String, &'static str> {
    let e = raw.trim().to_lowercase();
    let Some((local, domain)) = e.split_once('@') else {
        return Err("is not an e-mail address");
    };
    if local.is_empty()
        || domain.is_empty()
        || domain.contains('@')
        || e.chars().any(char::is_whitespace)
    {
        return Err("is not an e-mail address");
    }
    if e.len() > 254 {
        return Err("is too long");
    }
    Ok(e)
}

/// Password rules: at least 8 characters, at most 1024 (argon2 input stays bounded).
pub fn check_password(p: &str) -> Result<(), &'static str> {
    let n = p.chars().count();
    if n < 8 {
        return Err("must be at least 8 characters");
    }
    if n > 1024 {
        return Err("is too long");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in ["", "ann", "@x", "ann@", "a b@x", "a@b@c"] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn password_rules() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
    }
}
