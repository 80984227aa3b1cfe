//! Database access for organizations.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::model::{OrgId, Organization};
use crate::db::entities::organizations;
use crate::db::{new_id, now};

/// The fields of a new organization, already validated.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    /// Display name.
    pub name: String,
    /// Preferred slug; a numeric suffix is added when taken.
    pub slug: String,
    /// IANA time zone.
    pub timezone: String,
    /// ISO 4217 code.
    pub currency: String,
    /// BCP 47 locale.
    pub locale: String,
}

/// Inserts an organization with a slug that is free.
pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewOrganization,
) -> Result<Organization, sea_orm::DbErr> {
    let slug = free_slug(db, &new.slug).await?;
    let at = now();
    let model = organizations::ActiveModel {
        id: Set(new_id()),
        name: Set(new.name),
        slug: Set(slug),
        timezone: Set(new.timezone),
        currency: Set(new.currency),
        locale: Set(new.locale),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    };
    let m = organizations::Entity::insert(model)
        .exec_with_returning(db)
        .await?;
    Ok(m.into())
}

async fn free_slug(db: &impl ConnectionTrait, base: &str) -> Result<String, sea_orm::DbErr> {
    let taken: Vec<String> = organizations::Entity::find()
        .filter(organizations::Column::Slug.starts_with(base))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.slug)
        .collect();
    if !taken.iter().any(|s| s == base) {
        return Ok(base.to_owned());
    }
    let mut n = 2;
    loop {
        let candidate = format!("{base}-{n}");
        if !taken.contains(&candidate) {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// The caller's own organization.
pub async fn get(
    db: &impl ConnectionTrait,
    org: OrgId,
) -> Result<Option<Organization>, sea_orm::DbErr> {
    Ok(organizations::Entity::find_by_id(org.0)
        .one(db)
        .await?
        .map(Into::into))
}
