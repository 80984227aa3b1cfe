//! Erasing a client's personal data (the right to be forgotten).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};
use uuid::Uuid;

use super::super::access::ClientScope;
use super::super::model::ClientStatus;
use crate::db::entities::{client_consents, client_tags, client_trainers, clients};
use crate::db::now;
use crate::error::{AppError, AppResult};

use super::rows::{find_row, names};
use clients::Column;

/// Erases a client's personal data irreversibly: the profile is overwritten with placeholders, notes,
/// tags, consents, assignments, import snapshots and stored idempotent responses mentioning the client
/// are deleted, and a linked portal account is removed. The record itself stays (pseudonymous, status
/// churned), so that figures and records the law requires to keep still add up.
///
/// On SQLite the transaction zeroes what it frees (`secure_delete=ON`); the caller then checkpoints the
/// WAL and vacuums free pages so no copy of the old values stays in the files. Returns the removed
/// portal account, if there was one.
pub async fn erase(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Option<Uuid>> {
    use crate::db::entities::{client_notes, idempotency_keys, import_items, users};
    let row = find_row(db, scope, id).await?.ok_or(AppError::NotFound)?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA secure_delete = ON").await?;
    }
    let org = scope.org.0;
    client_notes::Entity::delete_many()
        .filter(client_notes::Column::OrganizationId.eq(org))
        .filter(client_notes::Column::ClientId.eq(id))
        .exec(db)
        .await?;
    client_tags::Entity::delete_many()
        .filter(client_tags::Column::OrganizationId.eq(org))
        .filter(client_tags::Column::ClientId.eq(id))
        .exec(db)
        .await?;
    client_consents::Entity::delete_many()
        .filter(client_consents::Column::OrganizationId.eq(org))
        .filter(client_consents::Column::ClientId.eq(id))
        .exec(db)
        .await?;
    client_trainers::Entity::delete_many()
        .filter(client_trainers::Column::OrganizationId.eq(org))
        .filter(client_trainers::Column::ClientId.eq(id))
        .exec(db)
        .await?;
    import_items::Entity::delete_many()
        .filter(import_items::Column::ClientId.eq(id))
        .exec(db)
        .await?;
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::OrganizationId.eq(org))
        .filter(idempotency_keys::Column::ResponseBody.contains(id.to_string()))
        .exec(db)
        .await?;
    let placeholder = ("Erased", "Client");
    let (f, l, full, sort) = names(placeholder.0, placeholder.1);
    let none: Option<String> = None;
    clients::Entity::update_many()
        .col_expr(Column::FirstName, Expr::value(placeholder.0))
        .col_expr(Column::LastName, Expr::value(placeholder.1))
        .col_expr(Column::FirstNorm, Expr::value(f))
        .col_expr(Column::LastNorm, Expr::value(l))
        .col_expr(Column::FullNorm, Expr::value(full))
        .col_expr(Column::SortName, Expr::value(sort))
        .col_expr(Column::Email, Expr::value(none.clone()))
        .col_expr(Column::EmailNormalized, Expr::value(none.clone()))
        .col_expr(Column::Phone, Expr::value(none.clone()))
        .col_expr(Column::PhoneDigits, Expr::value(none.clone()))
        .col_expr(
            Column::DateOfBirth,
            Expr::value(Option::<chrono::NaiveDate>::None),
        )
        .col_expr(Column::Status, Expr::value(ClientStatus::Churned.as_str()))
        .col_expr(Column::Source, Expr::value(none.clone()))
        .col_expr(Column::Tags, Expr::value("[]"))
        .col_expr(Column::Goals, Expr::value(none.clone()))
        .col_expr(Column::MedicalNotes, Expr::value(none.clone()))
        .col_expr(Column::EmergencyContactName, Expr::value(none.clone()))
        .col_expr(Column::EmergencyContactPhone, Expr::value(none))
        .col_expr(Column::CustomFields, Expr::value("{}"))
        .col_expr(Column::ConsentEmail, Expr::value(false))
        .col_expr(Column::ConsentSms, Expr::value(false))
        .col_expr(Column::UserId, Expr::value(Option::<Uuid>::None))
        .col_expr(Column::ErasedAt, Expr::value(now()))
        .col_expr(Column::UpdatedAt, Expr::value(now()))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(org))
        .exec(db)
        .await?;
    if let Some(user) = row.user_id {
        users::Entity::delete_many()
            .filter(users::Column::Id.eq(user))
            .filter(users::Column::OrganizationId.eq(org))
            .exec(db)
            .await?;
    }
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA secure_delete = FAST").await?;
    }
    Ok(row.user_id)
}
