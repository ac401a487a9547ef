//! Users. E-mail addresses are stored normalised (see `techoms_domain::user::normalize_email`)
//! and are unique across the installation: one login name, one person.

use chrono::{DateTime, Utc};
use techoms_domain::{AccountId, OrganizationId, Role, User, UserId};
use uuid::Uuid;

use crate::error::{DbError, DbResult};
use crate::on_db;
use crate::pool::Db;
use crate::rows::parse;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    organization_id: Uuid,
    account_id: Option<Uuid>,
    email: String,
    role: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = DbError;
    fn try_from(r: UserRow) -> DbResult<User> {
        Ok(User {
            id: r.id.into(),
            organization_id: r.organization_id.into(),
            account_id: r.account_id.map(Into::into),
            email: r.email,
            role: parse("users.role", &r.role)?,
            created_at: r.created_at,
        })
    }
}

const COLS: &str = "id, organization_id, account_id, email, role, created_at";

pub struct NewUser<'a> {
    pub organization_id: OrganizationId,
    pub account_id: Option<AccountId>,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
}

pub async fn create(db: &Db, new: &NewUser<'_>, now: DateTime<Utc>) -> DbResult<User> {
    let id = UserId::new();
    let res = on_db!(db, |p| sqlx::query(
        "INSERT INTO users (id, organization_id, account_id, email, password_hash, role, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"
    )
    .bind(id.as_uuid())
    .bind(new.organization_id.as_uuid())
    .bind(new.account_id.map(|a| a.as_uuid()))
    .bind(new.email)
    .bind(new.password_hash)
    .bind(new.role.as_str())
    .bind(now)
    .execute(p)
    .await
    .map(|_| ()));
    match res.map_err(DbError::from) {
        Err(e) if e.is_conflict_on("email") => Err(DbError::Conflict {
            constraint: "users_email_key".into(),
            message: format!("a user with e-mail {} already exists", new.email),
        }),
        Err(e) => Err(e),
        Ok(()) => Ok(User {
            id,
            organization_id: new.organization_id,
            account_id: new.account_id,
            email: new.email.to_owned(),
            role: new.role,
            created_at: now,
        }),
    }
}

pub async fn get(db: &Db, id: UserId) -> DbResult<User> {
    let row: UserRow = on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM users WHERE id = $1"
    )))
    .bind(id.as_uuid())
    .fetch_one(p)
    .await)?;
    row.try_into()
}

/// The user and their password hash, for a login attempt.
pub async fn find_for_login(db: &Db, email: &str) -> DbResult<Option<(User, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let row: Option<Row> = on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}, password_hash FROM users WHERE email = $1"
    )))
    .bind(email)
    .fetch_optional(p)
    .await)?;
    row.map(|r| Ok((r.user.try_into()?, r.password_hash)))
        .transpose()
}

pub async fn list_for_account(db: &Db, account: AccountId) -> DbResult<Vec<User>> {
    let rows: Vec<UserRow> = on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM users WHERE account_id = $1 ORDER BY email"
    )))
    .bind(account.as_uuid())
    .fetch_all(p)
    .await)?;
    rows.into_iter().map(TryInto::try_into).collect()
}
