//! Organizations: the top of the tenancy tree.

use chrono::{DateTime, Utc};
use techoms_domain::{Organization, OrganizationId};

use crate::error::{DbError, DbResult};
use crate::on_db;
use crate::pool::Db;
use crate::rows::OrganizationRow;

/// Create an organization; a name already taken is a [`DbError::Conflict`].
pub async fn create(db: &Db, name: &str, now: DateTime<Utc>) -> DbResult<Organization> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DbError::Conflict {
            constraint: "organizations.name".into(),
            message: "organization name is empty".into(),
        });
    }
    let id = OrganizationId::new();
    on_db!(db, |p| sqlx::query(
        "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)"
    )
    .bind(id.as_uuid())
    .bind(name)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(Organization {
        id,
        name: name.to_owned(),
        created_at: now,
    })
}

pub async fn get(db: &Db, id: OrganizationId) -> DbResult<Organization> {
    let row: OrganizationRow = on_db!(db, |p| sqlx::query_as(
        "SELECT id, name, created_at FROM organizations WHERE id = $1"
    )
    .bind(id.as_uuid())
    .fetch_one(p)
    .await)?;
    Ok(row.into())
}

pub async fn find_by_name(db: &Db, name: &str) -> DbResult<Option<Organization>> {
    let row: Option<OrganizationRow> = on_db!(db, |p| sqlx::query_as(
        "SELECT id, name, created_at FROM organizations WHERE name = $1"
    )
    .bind(name.trim())
    .fetch_optional(p)
    .await)?;
    Ok(row.map(Into::into))
}

pub async fn list(db: &Db) -> DbResult<Vec<Organization>> {
    let rows: Vec<OrganizationRow> = on_db!(db, |p| sqlx::query_as(
        "SELECT id, name, created_at FROM organizations ORDER BY name"
    )
    .fetch_all(p)
    .await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}
