//! Database access for trainers. Every function takes the tenant first.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::model::{Trainer, TrainerFields};
use crate::db::entities::trainers::{self, Column};
use crate::db::entities::users;
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Page, PageRequest, SortField, SortKind, SortValue};
use crate::organizations::OrgId;
use crate::validation::{normalize, prefix_upper_bound};

/// The fields `GET /trainers` sorts by.
/// A page request over this table's sort fields.
pub type TrainerPage = PageRequest<Column>;

pub const SORT_FIELDS: [SortField<Column>; 2] = [
    SortField {
        name: "name",
        column: Column::SortName,
        kind: SortKind::Text,
    },
    SortField {
        name: "created_at",
        column: Column::CreatedAt,
        kind: SortKind::Time,
    },
];

use crate::validation::person_sort_key as sort_name;

impl From<trainers::Model> for Trainer {
    fn from(m: trainers::Model) -> Self {
        Self {
            id: m.id,
            first_name: m.first_name,
            last_name: m.last_name,
            email: m.email,
            phone: m.phone,
            bio: m.bio,
            specialties: serde_json::from_str(&m.specialties).unwrap_or_default(),
            certifications: serde_json::from_str(&m.certifications).unwrap_or_default(),
            hourly_rate_cents: m.hourly_rate_cents,
            currency: m.currency,
            active: m.active,
            user_id: m.user_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

async fn check_unique(
    db: &impl ConnectionTrait,
    org: OrgId,
    fields: &TrainerFields,
    except: Option<Uuid>,
) -> AppResult<()> {
    if let Some(Some(email)) = &fields.email {
        let mut q = trainers::Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::EmailNormalized.eq(email.as_str()));
        if let Some(id) = except {
            q = q.filter(Column::Id.ne(id));
        }
        if let Some(existing) = q.one(db).await? {
            return Err(AppError::Conflict {
                detail: "A trainer with this email already exists.".into(),
                conflicts: vec![serde_json::json!({"type": "trainer", "id": existing.id})],
            });
        }
    }
    if let Some(Some(user_id)) = fields.user_id {
        let exists = users::Entity::find_by_id(user_id)
            .filter(users::Column::OrganizationId.eq(org.0))
            .count(db)
            .await?
            > 0;
        if !exists {
            return Err(AppError::field(
                "user_id",
                "is not an account of this organization",
            ));
        }
        let mut q = trainers::Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::UserId.eq(user_id));
        if let Some(id) = except {
            q = q.filter(Column::Id.ne(id));
        }
        if let Some(existing) = q.one(db).await? {
            return Err(AppError::Conflict {
                detail: "This account is already linked to another trainer.".into(),
                conflicts: vec![serde_json::json!({"type": "trainer", "id": existing.id})],
            });
        }
    }
    Ok(())
}

/// Inserts a trainer; `fields` must come from `CreateTrainer::validate`.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    fields: TrainerFields,
) -> AppResult<Trainer> {
    check_unique(db, org, &fields, None).await?;
    let first = fields.first_name.unwrap_or_default();
    let last = fields.last_name.unwrap_or_default();
    let email = fields.email.flatten();
    let at = now();
    let model = trainers::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.0),
        user_id: Set(fields.user_id.flatten()),
        sort_name: Set(sort_name(&first, &last)),
        first_name: Set(first),
        last_name: Set(last),
        email: Set(email.as_ref().map(|e| e.as_str().to_owned())),
        email_normalized: Set(email.as_ref().map(|e| e.as_str().to_owned())),
        phone: Set(fields.phone.flatten()),
        bio: Set(fields.bio.flatten()),
        specialties: Set(json_list(&fields.specialties.unwrap_or_default())),
        certifications: Set(json_list(&fields.certifications.unwrap_or_default())),
        hourly_rate_cents: Set(fields.hourly_rate_cents.flatten()),
        currency: Set(fields.currency.unwrap_or_else(|| "EUR".into())),
        active: Set(fields.active.unwrap_or(true)),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    };
    Ok(trainers::Entity::insert(model)
        .exec_with_returning(db)
        .await?
        .into())
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// One trainer of the organization.
pub async fn get(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<Option<Trainer>> {
    Ok(trainers::Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org.0))
        .one(db)
        .await?
        .map(Into::into))
}

/// The trainer linked to a login account, if any.
pub async fn find_by_user(
    db: &impl ConnectionTrait,
    org: OrgId,
    user_id: Uuid,
) -> AppResult<Option<Uuid>> {
    Ok(trainers::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::UserId.eq(user_id))
        .into_tuple::<Uuid>()
        .one(db)
        .await?)
}

/// Which of `ids` are trainers of the organization.
pub async fn existing_ids(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: &[Uuid],
) -> AppResult<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(trainers::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// A page of trainers; `q` matches the start of the family name or the email.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    page: &PageRequest<Column>,
    q: Option<&str>,
    active: Option<bool>,
) -> AppResult<Page<Trainer>> {
    let mut cond = Condition::all().add(Column::OrganizationId.eq(org.0));
    if let Some(q) = q.map(normalize).filter(|q| !q.is_empty()) {
        let mut any = Condition::any();
        for col in [Column::SortName, Column::EmailNormalized] {
            let mut c = Condition::all().add(col.gte(q.as_str()));
            if let Some(upper) = prefix_upper_bound(&q) {
                c = c.add(col.lt(upper));
            }
            any = any.add(c);
        }
        cond = cond.add(any);
    }
    if let Some(active) = active {
        cond = cond.add(Column::Active.eq(active));
    }
    let by_name = page.field.name == "name";
    page.fetch::<trainers::Entity, _>(
        db,
        cond,
        Column::Id,
        |m| {
            let v = if by_name {
                SortValue::Text(m.sort_name.clone())
            } else {
                SortValue::Time(m.created_at)
            };
            (v, m.id)
        },
        |m| Ok(Trainer::from(m)),
    )
    .await
}

/// Applies validated changes at the expected version: 404 when absent, 412 when stale.
pub async fn update(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
    expected_version: Option<i64>,
    fields: TrainerFields,
) -> AppResult<Trainer> {
    let current = trainers::Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org.0))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed {
            current_version: current.version,
        });
    }
    check_unique(db, org, &fields, Some(id)).await?;
    let mut u = trainers::Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()));
    let first = fields
        .first_name
        .clone()
        .unwrap_or_else(|| current.first_name.clone());
    let last = fields
        .last_name
        .clone()
        .unwrap_or_else(|| current.last_name.clone());
    if fields.first_name.is_some() || fields.last_name.is_some() {
        u = u
            .col_expr(Column::FirstName, Expr::value(first.clone()))
            .col_expr(Column::LastName, Expr::value(last.clone()))
            .col_expr(Column::SortName, Expr::value(sort_name(&first, &last)));
    }
    if let Some(email) = fields.email {
        let e = email.map(|e| e.as_str().to_owned());
        u = u
            .col_expr(Column::Email, Expr::value(e.clone()))
            .col_expr(Column::EmailNormalized, Expr::value(e));
    }
    if let Some(v) = fields.phone {
        u = u.col_expr(Column::Phone, Expr::value(v));
    }
    if let Some(v) = fields.bio {
        u = u.col_expr(Column::Bio, Expr::value(v));
    }
    if let Some(v) = fields.specialties {
        u = u.col_expr(Column::Specialties, Expr::value(json_list(&v)));
    }
    if let Some(v) = fields.certifications {
        u = u.col_expr(Column::Certifications, Expr::value(json_list(&v)));
    }
    if let Some(v) = fields.hourly_rate_cents {
        u = u.col_expr(Column::HourlyRateCents, Expr::value(v));
    }
    if let Some(v) = fields.currency {
        u = u.col_expr(Column::Currency, Expr::value(v));
    }
    if let Some(v) = fields.active {
        u = u.col_expr(Column::Active, Expr::value(v));
    }
    if let Some(v) = fields.user_id {
        u = u.col_expr(Column::UserId, Expr::value(v));
    }
    let r = u
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::Version.eq(current.version))
        .exec(db)
        .await?;
    let after = get(db, org, id).await?.ok_or(AppError::NotFound)?;
    if r.rows_affected == 0 {
        return Err(AppError::PreconditionFailed {
            current_version: after.version,
        });
    }
    Ok(after)
}

/// Deletes a trainer (their client assignments go with them).
pub async fn delete(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<()> {
    let r = trainers::Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The trainers a picker offers: active ones first, then by name; with `q`, only those whose first or
/// family name (the start of the sort name) or email starts with it. At most `limit`.
pub async fn for_picker(
    db: &impl ConnectionTrait,
    org: OrgId,
    q: Option<&str>,
    limit: u64,
) -> AppResult<Vec<Trainer>> {
    let mut cond = Condition::all().add(Column::OrganizationId.eq(org.0));
    if let Some(q) = q.map(normalize).filter(|q| !q.is_empty()) {
        let mut any = Condition::any();
        for col in [Column::SortName, Column::EmailNormalized] {
            let mut c = Condition::all().add(col.gte(q.as_str()));
            if let Some(upper) = prefix_upper_bound(&q) {
                c = c.add(col.lt(upper));
            }
            any = any.add(c);
        }
        cond = cond.add(any);
    }
    Ok(trainers::Entity::find()
        .filter(cond)
        .order_by_desc(Column::Active)
        .order_by_asc(Column::SortName)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Trainer::from)
        .collect())
}

/// "First Last" of the trainers of `org` among `ids`.
pub async fn names_by_ids(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: &[Uuid],
) -> AppResult<Vec<(Uuid, String)>> {
    Ok(trainers::Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, format!("{} {}", t.first_name, t.last_name)))
        .collect())
}
