//! Accounts. The code is derived from the name at creation and never changes afterwards: no
//! function here writes the `code` column except `create`.

use chrono::{DateTime, Utc};
use techoms_domain::account::validate_account_name;
use techoms_domain::{
    Account, AccountCode, AccountId, Currency, LengthUnit, MasterProductSource, MasterSetting,
    OrganizationId, WeightUnit,
};

use crate::error::{DbError, DbResult};
use crate::on_db;
use crate::pool::Db;
use crate::rows::{AccountRow, account_columns};

/// What a new account starts with.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub timezone: String,
    pub currency: Currency,
    pub weight_unit: WeightUnit,
    pub length_unit: LengthUnit,
}

impl NewAccount {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            timezone: "UTC".into(),
            currency: Currency::USD,
            weight_unit: WeightUnit::Lb,
            length_unit: LengthUnit::In,
        }
    }
}

/// Create an account in `org`. Its code is derived from the name; a code already used in the
/// organization is a [`DbError::Conflict`] whose message names the code.
pub async fn create(
    db: &Db,
    org: OrganizationId,
    new: &NewAccount,
    now: DateTime<Utc>,
) -> DbResult<Account> {
    let name = validate_account_name(&new.name).map_err(|e| DbError::Conflict {
        constraint: "accounts.name".into(),
        message: format!("account name {e}"),
    })?;
    let code = AccountCode::derive(name).map_err(|e| DbError::Conflict {
        constraint: "accounts.name".into(),
        message: format!("account name {e}"),
    })?;
    let account = Account {
        id: AccountId::new(),
        organization_id: org,
        name: name.to_owned(),
        code,
        timezone: new.timezone.clone(),
        weight_unit: new.weight_unit,
        length_unit: new.length_unit,
        currency: new.currency,
        enabled: true,
        master_product_source: MasterProductSource::Techoms,
        master_product_channel_id: None,
        created_at: now,
        updated_at: now,
    };
    let res = on_db!(db, |p| sqlx::query(concat!(
        "INSERT INTO accounts (",
        account_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(account.id.as_uuid())
    .bind(org.as_uuid())
    .bind(&account.name)
    .bind(account.code.as_str())
    .bind(&account.timezone)
    .bind(account.weight_unit.as_str())
    .bind(account.length_unit.as_str())
    .bind(account.currency.code())
    .bind(account.enabled)
    .bind(account.master_product_source.as_str())
    .bind(None::<uuid::Uuid>)
    .bind(now)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()));
    match res {
        Ok(_) => Ok(account),
        Err(e) => match DbError::from(e) {
            c @ DbError::Conflict { .. } if c.is_conflict_on("code") => Err(DbError::Conflict {
                constraint: "accounts_organization_code_key".into(),
                message: format!(
                    "an account with code {} already exists in this organization",
                    account.code.as_str()
                ),
            }),
            other => Err(other),
        },
    }
}

pub async fn get(db: &Db, id: AccountId) -> DbResult<Account> {
    let row: AccountRow = on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = $1"
    ))
    .bind(id.as_uuid())
    .fetch_one(p)
    .await)?;
    row.try_into()
}

pub async fn list_for_organization(db: &Db, org: OrganizationId) -> DbResult<Vec<Account>> {
    let rows: Vec<AccountRow> = on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE organization_id = $1 ORDER BY name"
    ))
    .bind(org.as_uuid())
    .fetch_all(p)
    .await)?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// The editable settings of an account (name, display units, time zone, currency).
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub name: String,
    pub timezone: String,
    pub currency: Currency,
    pub weight_unit: WeightUnit,
    pub length_unit: LengthUnit,
}

/// Update the editable settings. The code stays as it was created.
pub async fn update_settings(
    db: &Db,
    id: AccountId,
    s: &AccountSettings,
    now: DateTime<Utc>,
) -> DbResult<Account> {
    let name = validate_account_name(&s.name).map_err(|e| DbError::Conflict {
        constraint: "accounts.name".into(),
        message: format!("account name {e}"),
    })?;
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE accounts SET name = $2, timezone = $3, currency = $4, weight_unit = $5, \
         length_unit = $6, updated_at = $7 WHERE id = $1"
    )
    .bind(id.as_uuid())
    .bind(name)
    .bind(&s.timezone)
    .bind(s.currency.code())
    .bind(s.weight_unit.as_str())
    .bind(s.length_unit.as_str())
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    get(db, id).await
}

/// Store the master setting (already validated by the caller against the account's channels).
pub async fn set_master(
    db: &Db,
    id: AccountId,
    setting: MasterSetting,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE accounts SET master_product_source = $2, master_product_channel_id = $3, \
         updated_at = $4 WHERE id = $1"
    )
    .bind(id.as_uuid())
    .bind(setting.source.as_str())
    .bind(setting.channel_id.map(|c| c.as_uuid()))
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

pub async fn set_enabled(
    db: &Db,
    id: AccountId,
    enabled: bool,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let n = on_db!(db, |p| sqlx::query(
        "UPDATE accounts SET enabled = $2, updated_at = $3 WHERE id = $1"
    )
    .bind(id.as_uuid())
    .bind(enabled)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// Every account with this code, in any organization (codes are unique per organization
/// only): what the command line resolves `--account CODE` with.
pub async fn find_by_code(db: &Db, code: &str) -> DbResult<Vec<Account>> {
    let rows: Vec<AccountRow> = on_db!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE code = $1 ORDER BY organization_id"
    ))
    .bind(code)
    .fetch_all(p)
    .await)?;
    rows.into_iter().map(TryInto::try_into).collect()
}
