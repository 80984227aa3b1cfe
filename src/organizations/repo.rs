//! Database access for organizations.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::model::{OrgId, Organization};
use crate::db::entities::organizations;
use crate::db::{new_id, now};

impl From<organizations::Model> for Organization {
    fn from(m: organizations::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            slug: m.slug,
            timezone: m.timezone,
            currency: m.currency,
            locale: m.locale,
            late_cancel_hours: m.late_cancel_hours,
            clients_may_cancel: m.clients_may_cancel,
            booking_opens_days: m.booking_opens_days,
            booking_closes_minutes: m.booking_closes_minutes,
            require_mfa: m.require_mfa,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

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
        late_cancel_hours: Set(24),
        clients_may_cancel: Set(true),
        booking_opens_days: Set(30),
        require_mfa: Set(false),
        booking_closes_minutes: Set(0),
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

/// An organization by its public slug (the booking page's address).
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<Organization>, sea_orm::DbErr> {
    Ok(organizations::Entity::find()
        .filter(organizations::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(Into::into))
}

/// Validated changes to the organization's settings; `None` leaves a setting as it is.
#[derive(Debug, Default, Clone)]
pub struct OrganizationChanges {
    /// Display name.
    pub name: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// BCP 47 locale.
    pub locale: Option<String>,
    /// Hours before start after which a cancellation is late.
    pub late_cancel_hours: Option<i32>,
    /// Whether clients may cancel their own bookings.
    pub clients_may_cancel: Option<bool>,
    /// How many days ahead class booking opens.
    pub booking_opens_days: Option<i32>,
    /// How many minutes before start class booking closes.
    pub booking_closes_minutes: Option<i32>,
    /// Whether owners and admins must use MFA.
    pub require_mfa: Option<bool>,
}

/// Changes the settings at the expected version: 412 when stale.
pub async fn update(
    db: &impl ConnectionTrait,
    org: OrgId,
    expected_version: Option<i64>,
    changes: OrganizationChanges,
) -> crate::error::AppResult<Organization> {
    use organizations::Column as C;
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Expr;
    let mut u = organizations::Entity::update_many()
        .col_expr(C::Version, Expr::col(C::Version).add(1))
        .col_expr(C::UpdatedAt, Expr::value(now()));
    if let Some(v) = changes.name {
        u = u.col_expr(C::Name, Expr::value(v));
    }
    if let Some(v) = changes.require_mfa {
        u = u.col_expr(C::RequireMfa, Expr::value(v));
    }
    if let Some(v) = changes.timezone {
        u = u.col_expr(C::Timezone, Expr::value(v));
    }
    if let Some(v) = changes.currency {
        u = u.col_expr(C::Currency, Expr::value(v));
    }
    if let Some(v) = changes.locale {
        u = u.col_expr(C::Locale, Expr::value(v));
    }
    if let Some(v) = changes.late_cancel_hours {
        u = u.col_expr(C::LateCancelHours, Expr::value(v));
    }
    if let Some(v) = changes.clients_may_cancel {
        u = u.col_expr(C::ClientsMayCancel, Expr::value(v));
    }
    if let Some(v) = changes.booking_opens_days {
        u = u.col_expr(C::BookingOpensDays, Expr::value(v));
    }
    if let Some(v) = changes.booking_closes_minutes {
        u = u.col_expr(C::BookingClosesMinutes, Expr::value(v));
    }
    let mut q = u.filter(C::Id.eq(org.0));
    if let Some(v) = expected_version {
        q = q.filter(C::Version.eq(v));
    }
    let r = q.exec(db).await?;
    let current = get(db, org)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    if r.rows_affected == 0 {
        return Err(crate::error::AppError::PreconditionFailed {
            current_version: current.version,
        });
    }
    Ok(current)
}
