//! Account use cases: bootstrap, settings, API key, enable/disable, audit log.

use serde::Serialize;
use techoms_db::accounts::{AccountSettings, NewAccount};
use techoms_db::users::NewUser;
use techoms_db::{accounts, api_keys, audit, organizations, users};
use techoms_domain::account::{AccountCode, validate_account_name};
use techoms_domain::user::{check_password, normalize_email};
use techoms_domain::{
    Account, AccountId, AuditEvent, Currency, LengthUnit, OrganizationId, Role, UserId, WeightUnit,
};

use crate::App;
use crate::access::Access;
use crate::auth::{hash_password, issue_api_key};
use crate::error::{AppError, AppResult, FieldError};

/// What `techoms admin create-account` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Bootstrapped {
    pub organization_id: OrganizationId,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub api_key: String,
    #[serde(skip)]
    pub role: Role,
    #[serde(skip)]
    pub account_code: String,
}

/// Create (or reuse) an organization, create an account in it and its administrator, and
/// issue the account's API key. The first user of a new organization is its Organization
/// Administrator; in an existing organization the user administers the new account. Input is
/// checked before anything is written.
pub async fn bootstrap(
    app: &App,
    organization: &str,
    account_name: &str,
    email: &str,
    password: &str,
) -> AppResult<Bootstrapped> {
    let mut errors = Vec::new();
    if organization.trim().is_empty() {
        errors.push(FieldError::new("organization", "must not be empty"));
    }
    let name_ok = validate_account_name(account_name)
        .map_err(|e| errors.push(FieldError::new("account", format!("name {e}"))))
        .is_ok();
    let email = match normalize_email(email) {
        Ok(e) => Some(e),
        Err(m) => {
            errors.push(FieldError::new("email", m));
            None
        }
    };
    if let Err(m) = check_password(password) {
        errors.push(FieldError::new("password", format!("password {m}")));
    }
    if let Some(e) = &email
        && users::find_for_login(&app.db, e).await?.is_some()
    {
        errors.push(FieldError::new(
            "email",
            format!("a user with e-mail {e} already exists"),
        ));
    }
    let existing = organizations::find_by_name(&app.db, organization).await?;
    if let (Some(org), true) = (&existing, name_ok) {
        let code = AccountCode::derive(account_name)
            .map_err(|e| AppError::field("account", e.to_string()))?;
        let taken = accounts::list_for_organization(&app.db, org.id)
            .await?
            .into_iter()
            .any(|a| a.code == code);
        if taken {
            errors.push(FieldError::new(
                "account",
                format!(
                    "an account with code {} already exists in this organization",
                    code.as_str()
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let email = email.unwrap_or_default();
    let now = app.clock.now();
    let (org, role) = match existing {
        Some(o) => (o, Role::AccountAdmin),
        None => (
            organizations::create(&app.db, organization, now).await?,
            Role::OrganizationAdmin,
        ),
    };
    let account = accounts::create(&app.db, org.id, &NewAccount::named(account_name), now).await?;
    let hash = hash_password(password)?;
    let user = users::create(
        &app.db,
        &NewUser {
            organization_id: org.id,
            account_id: (role != Role::OrganizationAdmin).then_some(account.id),
            email: &email,
            password_hash: &hash,
            role,
        },
        now,
    )
    .await?;
    let api_key = issue_api_key(app, account.id).await?;
    Ok(Bootstrapped {
        organization_id: org.id,
        account_id: account.id,
        user_id: user.id,
        api_key,
        role,
        account_code: account.code.as_str().to_owned(),
    })
}

/// Record an audit event; failures to write the audit log fail the operation (an unaudited
/// change is worse than a refused one).
pub async fn audit_event(
    app: &App,
    access: &Access,
    action: &str,
    old_value: Option<String>,
    new_value: Option<String>,
) -> AppResult<()> {
    audit::record(
        &app.db,
        &AuditEvent {
            id: uuid::Uuid::now_v7(),
            account_id: access.account.id,
            actor: access.actor.label(),
            action: action.to_owned(),
            old_value,
            new_value,
            created_at: app.clock.now(),
        },
    )
    .await?;
    Ok(())
}

/// The editable settings, as submitted (strings, validated here).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SettingsInput {
    pub name: String,
    pub timezone: String,
    pub currency: String,
    pub weight_unit: String,
    pub length_unit: String,
}

/// Check submitted settings without storing them.
pub fn validate_settings(input: &SettingsInput) -> AppResult<AccountSettings> {
    let mut errors = Vec::new();
    if let Err(e) = validate_account_name(&input.name) {
        errors.push(FieldError::new("name", format!("name {e}")));
    }
    if input.timezone.parse::<chrono_tz::Tz>().is_err() {
        errors.push(FieldError::new(
            "timezone",
            format!(
                "{:?} is not an IANA time zone (e.g. America/Toronto)",
                input.timezone
            ),
        ));
    }
    let currency = Currency::parse(&input.currency)
        .map_err(|e| errors.push(FieldError::new("currency", e.to_string())))
        .ok();
    let weight = input
        .weight_unit
        .parse::<WeightUnit>()
        .map_err(|e| errors.push(FieldError::new("weight_unit", e.to_string())))
        .ok();
    let length = input
        .length_unit
        .parse::<LengthUnit>()
        .map_err(|e| errors.push(FieldError::new("length_unit", e.to_string())))
        .ok();
    match (currency, weight, length) {
        (Some(currency), Some(weight_unit), Some(length_unit)) if errors.is_empty() => {
            Ok(AccountSettings {
                name: input.name.trim().to_owned(),
                timezone: input.timezone.trim().to_owned(),
                currency,
                weight_unit,
                length_unit,
            })
        }
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Validate and store the account's main settings and units. Code never changes.
pub async fn update_settings(
    app: &App,
    access: &Access,
    input: &SettingsInput,
) -> AppResult<Account> {
    access.require_admin()?;
    let settings = validate_settings(input)?;
    let before = &access.account;
    let after = accounts::update_settings(&app.db, before.id, &settings, app.clock.now()).await?;
    let describe = |a: &Account| {
        format!(
            "name={}, timezone={}, currency={}, weight={}, size={}",
            a.name, a.timezone, a.currency, a.weight_unit, a.length_unit
        )
    };
    if describe(before) != describe(&after) {
        audit_event(
            app,
            access,
            "account.settings",
            Some(describe(before)),
            Some(describe(&after)),
        )
        .await?;
    }
    Ok(after)
}

/// Replace the account's API key and return the new one (shown once).
pub async fn regenerate_api_key(app: &App, access: &Access) -> AppResult<String> {
    access.require_admin()?;
    let key = issue_api_key(app, access.account.id).await?;
    audit_event(
        app,
        access,
        "api_key.regenerated",
        None,
        Some(format!("{}…", &key[..8])),
    )
    .await?;
    Ok(key)
}

/// The masked API key ("tok_Ab12…") of the account, if it has one.
pub async fn masked_api_key(app: &App, account: AccountId) -> AppResult<Option<String>> {
    Ok(api_keys::prefix(&app.db, account)
        .await?
        .map(|(p, _)| format!("{p}…")))
}

pub async fn audit_log(app: &App, access: &Access, limit: u32) -> AppResult<Vec<AuditEvent>> {
    Ok(audit::list(&app.db, access.account.id, limit).await?)
}

/// Enable or disable an account (Organization Administrators only). A disabled account runs
/// no jobs, its account users cannot sign in, and organization users see it read-only.
pub async fn set_enabled(
    app: &App,
    actor: &crate::access::Actor,
    account: &Account,
    enabled: bool,
) -> AppResult<()> {
    match actor {
        crate::access::Actor::User(u)
            if u.role == Role::OrganizationAdmin
                && u.organization_id == account.organization_id => {}
        crate::access::Actor::Cli => {}
        _ => {
            return Err(AppError::Forbidden(
                "only Organization Administrators enable or disable accounts".into(),
            ));
        }
    }
    accounts::set_enabled(&app.db, account.id, enabled, app.clock.now()).await?;
    let access = Access::new(actor.clone(), account.clone());
    audit_event(
        app,
        &access,
        "account.enabled",
        Some(account.enabled.to_string()),
        Some(enabled.to_string()),
    )
    .await
}

/// The organization of the account being viewed.
pub async fn organization(app: &App, access: &Access) -> AppResult<techoms_domain::Organization> {
    Ok(organizations::get(&app.db, access.account.organization_id).await?)
}

/// Command-line access to the account named by `code_or_id`: its code (as shown on the
/// settings page, any case) or its id. A code used in several organizations must be given
/// as an id.
pub async fn cli_access(app: &App, code_or_id: &str) -> AppResult<Access> {
    let wanted = code_or_id.trim();
    if let Ok(id) = wanted.parse::<AccountId>() {
        return match accounts::get(&app.db, id).await {
            Ok(a) => Ok(Access::new(crate::Actor::Cli, a)),
            Err(techoms_db::DbError::NotFound) => Err(AppError::field(
                "account",
                format!("no account has the id {wanted}"),
            )),
            Err(e) => Err(e.into()),
        };
    }
    let code = AccountCode::derive(wanted)
        .map(|c| c.as_str().to_owned())
        .unwrap_or_else(|_| wanted.to_uppercase());
    let mut found = accounts::find_by_code(&app.db, &code).await?;
    match found.len() {
        0 => Err(AppError::field(
            "account",
            format!("no account has the code {code}"),
        )),
        1 => Ok(Access::new(crate::Actor::Cli, found.remove(0))),
        n => Err(AppError::field(
            "account",
            format!("the code {code} is used in {n} organizations; pass the account id instead"),
        )),
    }
}
