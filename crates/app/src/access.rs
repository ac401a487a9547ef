//! Who is acting, on which account, and what they may do there.
//!
//! Every use case that reads or writes an account's data takes an [`Access`], built by
//! authentication (a session or an API key) for one account the actor can see. Checks are
//! here, in one place, rather than spread over handlers.

use techoms_domain::{Account, Role, User};

use crate::error::{AppError, AppResult};

/// The acting party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(User),
    /// The account's API key.
    ApiKey,
    /// An administrator at the command line.
    Cli,
}

impl Actor {
    /// How the audit log names the actor.
    pub fn label(&self) -> String {
        match self {
            Actor::User(u) => u.email.clone(),
            Actor::ApiKey => "API key".into(),
            Actor::Cli => "command line".into(),
        }
    }
}

/// An actor's access to one account.
#[derive(Debug, Clone)]
pub struct Access {
    pub actor: Actor,
    pub account: Account,
}

impl Access {
    pub fn new(actor: Actor, account: Account) -> Self {
        Self { actor, account }
    }

    fn role(&self) -> Option<Role> {
        match &self.actor {
            Actor::User(u) => Some(u.role),
            _ => None,
        }
    }

    /// Whether the actor may change settings, channels and products. A disabled account is
    /// read-only for everyone.
    pub fn can_admin(&self) -> bool {
        self.account.enabled && !matches!(self.role(), Some(Role::AccountUser))
    }

    /// Whether the actor may start a manual sync (Account Users may).
    pub fn can_sync(&self) -> bool {
        self.account.enabled
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if !self.account.enabled {
            return Err(AppError::Forbidden(format!(
                "account {} is disabled: its settings are read-only",
                self.account.name
            )));
        }
        if !self.can_admin() {
            return Err(AppError::Forbidden(
                "Account Users have read-only access to settings".into(),
            ));
        }
        Ok(())
    }

    pub fn require_sync(&self) -> AppResult<()> {
        if self.can_sync() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "account {} is disabled: nothing runs until it is enabled",
                self.account.name
            )))
        }
    }
}

/// Whether `user` may see `account` at all.
pub fn user_sees(user: &User, account: &Account) -> bool {
    match user.role {
        Role::OrganizationAdmin => user.organization_id == account.organization_id,
        Role::AccountAdmin | Role::AccountUser => {
            user.account_id == Some(account.id) && account.enabled
        }
    }
}
