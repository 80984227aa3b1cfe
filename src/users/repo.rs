//! Database access for users. Every function but the login lookup takes the tenant first.

use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::model::{NewUser, User, UserChanges, normalize};
use crate::auth::Role;
use crate::db::entities::users::{self, Column};
use crate::db::versioned::check_touched;
use crate::db::{Backend, new_id, now};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Page, PageRequest, SortField, SortKind, SortValue};
use crate::organizations::OrgId;

/// The fields `GET /users` sorts by.
/// A page request over this table's sort fields.
pub type UserPage = PageRequest<Column>;

pub const SORT_FIELDS: [SortField<Column>; 3] = [
    SortField {
        name: "created_at",
        column: Column::CreatedAt,
        kind: SortKind::Time,
    },
    SortField {
        name: "name",
        column: Column::NameNormalized,
        kind: SortKind::Text,
    },
    SortField {
        name: "email",
        column: Column::EmailNormalized,
        kind: SortKind::Text,
    },
];

/// An account as the domain sees it (an unknown stored role is an internal error).
fn to_user(m: users::Model) -> AppResult<User> {
    let role = Role::parse(&m.role).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("user {} has an unknown stored role", m.id))
    })?;
    Ok(User {
        id: m.id,
        organization_id: m.organization_id,
        name: m.name,
        email: m.email,
        role,
        active: m.active,
        last_login_at: m.last_login_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// Inserts a new account. A taken email is a 409.
pub async fn insert(db: &impl ConnectionTrait, org: OrgId, new: NewUser) -> AppResult<User> {
    insert_with_id(db, org, new_id(), new).await
}

/// [`insert`] with an id chosen beforehand (so that the account's own events can name it).
pub async fn insert_with_id(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
    new: NewUser,
) -> AppResult<User> {
    ensure_email_free(db, new.email.as_str(), None).await?;
    let at = now();
    let model = users::ActiveModel {
        id: Set(id),
        organization_id: Set(org.0),
        name_normalized: Set(normalize(&new.name)),
        name: Set(new.name),
        email: Set(new.email.as_str().to_owned()),
        email_normalized: Set(new.email.as_str().to_owned()),
        password_hash: Set(new.password_hash),
        role: Set(new.role.as_str().to_owned()),
        active: Set(new.active),
        last_login_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        totp_secret: Set(None),
        totp_pending_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
    };
    let m = users::Entity::insert(model)
        .exec_with_returning(db)
        .await
        .map_err(AppError::unique_as(
            "An account with this email already exists.",
        ))?;
    to_user(m)
}

async fn ensure_email_free(
    db: &impl ConnectionTrait,
    email: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut q = users::Entity::find().filter(Column::EmailNormalized.eq(email));
    if let Some(id) = except {
        q = q.filter(Column::Id.ne(id));
    }
    if q.count(db).await? > 0 {
        return Err(AppError::conflict(
            "An account with this email already exists.",
        ));
    }
    Ok(())
}

/// One account of the organization.
pub async fn get(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<Option<User>> {
    users::Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org.0))
        .one(db)
        .await?
        .map(to_user)
        .transpose()
}

/// The stored row behind a login email, in any organization: the email is the login identity and the
/// organization is what it leads to. The only user query not scoped by a tenant.
pub async fn find_for_login(
    db: &impl ConnectionTrait,
    email: &str,
) -> AppResult<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(Column::EmailNormalized.eq(email))
        .one(db)
        .await?)
}

/// An account's stored row, with its password hash and MFA state.
pub type UserRow = users::Model;

/// The stored row of an account (with its password hash and MFA state), for checks on the account
/// itself.
pub async fn find_row(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
) -> AppResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org.0))
        .one(db)
        .await?)
}

/// An account by its login email, in any organization: for shell recovery (`user reset-password`).
pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> AppResult<Option<User>> {
    find_for_login(db, email).await?.map(to_user).transpose()
}

/// A page of the organization's accounts; `q` matches the start of the name or email.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    page: &PageRequest<Column>,
    q: Option<&str>,
    role: Option<Role>,
) -> AppResult<Page<User>> {
    let mut cond = Condition::all().add(Column::OrganizationId.eq(org.0));
    if let Some(q) = q.map(normalize).filter(|q| !q.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(Column::NameNormalized.starts_with(&q))
                .add(Column::EmailNormalized.starts_with(&q)),
        );
    }
    if let Some(role) = role {
        cond = cond.add(Column::Role.eq(role.as_str()));
    }
    let field = page.field.name;
    page.fetch::<users::Entity, _>(
        db,
        cond,
        Column::Id,
        |m| {
            let v = match field {
                "name" => SortValue::Text(m.name_normalized.clone()),
                "email" => SortValue::Text(m.email_normalized.clone()),
                _ => SortValue::Time(m.created_at),
            };
            (v, m.id)
        },
        to_user,
    )
    .await
}

/// Applies `changes` if the account is still at `expected_version` (when given): 404 when absent,
/// 412 when someone changed it in between.
pub async fn update(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: Uuid,
    expected_version: Option<i64>,
    changes: UserChanges,
) -> AppResult<User> {
    if let Some(email) = &changes.email {
        ensure_email_free(db, email.as_str(), Some(id)).await?;
    }
    let mut update = users::Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()));
    if let Some(name) = changes.name {
        update = update
            .col_expr(Column::NameNormalized, Expr::value(normalize(&name)))
            .col_expr(Column::Name, Expr::value(name));
    }
    if let Some(email) = changes.email {
        update = update
            .col_expr(Column::Email, Expr::value(email.as_str()))
            .col_expr(Column::EmailNormalized, Expr::value(email.as_str()));
    }
    if let Some(role) = changes.role {
        update = update.col_expr(Column::Role, Expr::value(role.as_str()));
    }
    if let Some(active) = changes.active {
        update = update.col_expr(Column::Active, Expr::value(active));
    }
    if let Some(hash) = changes.password_hash {
        update = update.col_expr(Column::PasswordHash, Expr::value(hash));
    }
    let mut filter = Condition::all()
        .add(Column::Id.eq(id))
        .add(Column::OrganizationId.eq(org.0));
    if let Some(v) = expected_version {
        filter = filter.add(Column::Version.eq(v));
    }
    let result = update
        .filter(filter)
        .exec(db)
        .await
        .map_err(AppError::unique_as(
            "An account with this email already exists.",
        ))?;
    check_touched(result.rows_affected, || async {
        Ok(get(db, org, id).await?.map(|u| u.version))
    })
    .await?;
    get(db, org, id).await?.ok_or(AppError::NotFound)
}

/// Deletes an account (its sessions go with it).
pub async fn delete(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<()> {
    let result = users::Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The ids of the organization's active owners. On PostgreSQL the rows are locked until the
/// transaction ends, so two requests cannot each remove "the other" last owner; on SQLite the
/// write transaction is IMMEDIATE and already excludes other writers.
pub async fn lock_active_owners(
    db: &impl ConnectionTrait,
    backend: Backend,
    org: OrgId,
) -> AppResult<Vec<Uuid>> {
    let mut q = users::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::Role.eq(Role::Owner.as_str()))
        .filter(Column::Active.eq(true));
    if backend == Backend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.into_tuple::<Uuid>().all(db).await?)
}

/// Records a successful login.
pub async fn touch_login(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<()> {
    users::Entity::update_many()
        .col_expr(Column::LastLoginAt, Expr::value(now()))
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}
