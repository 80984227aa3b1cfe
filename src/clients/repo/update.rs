//! Changing clients: versioned updates, deletion, trainer assignments and reverted statuses.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use super::super::access::ClientScope;
use super::super::model::{Client, ClientFields, ClientStatus};
use crate::db::entities::{client_trainers, clients};
use crate::db::now;
use crate::db::versioned::{check_touched, expect_version};
use crate::error::{AppError, AppResult};
use crate::trainers::repo as trainer_repo;
use crate::validation::phone_digits;

use super::rows::{
    EMERGENCY_NAME, EMERGENCY_PHONE, MEDICAL_NOTES, ensure_visible, find_row, get, names, sealed,
    visible,
};
use super::write::{
    check_email_free, insert_assignment, record_consent, record_status, replace_tags,
};
use clients::Column;

/// Applies validated changes at the expected version: 404 when not visible, 412 when stale, 422 for a
/// status move the lifecycle does not allow.
pub async fn update(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
    expected_version: Option<i64>,
    fields: ClientFields,
) -> AppResult<Client> {
    let current = find_row(db, scope, id).await?.ok_or(AppError::NotFound)?;
    expect_version(expected_version, current.version)?;
    let from = ClientStatus::parse(&current.status);
    if let (Some(from), Some(to)) = (from, fields.status) {
        from.check_transition(to)
            .map_err(|m| AppError::field("status", m))?;
    }
    if let Some(Some(email)) = &fields.email {
        check_email_free(db, scope, email.as_str(), Some(id)).await?;
    }
    if let Some(Some(user)) = fields.user_id {
        check_portal_account(db, scope, user, id).await?;
    }
    let mut u = clients::Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()));
    if fields.first_name.is_some() || fields.last_name.is_some() {
        let first = fields
            .first_name
            .clone()
            .unwrap_or_else(|| current.first_name.clone());
        let last = fields
            .last_name
            .clone()
            .unwrap_or_else(|| current.last_name.clone());
        let (f, l, full, sort) = names(&first, &last);
        u = u
            .col_expr(Column::FirstName, Expr::value(first))
            .col_expr(Column::LastName, Expr::value(last))
            .col_expr(Column::FirstNorm, Expr::value(f))
            .col_expr(Column::LastNorm, Expr::value(l))
            .col_expr(Column::FullNorm, Expr::value(full))
            .col_expr(Column::SortName, Expr::value(sort));
    }
    if let Some(email) = &fields.email {
        let e = email.as_ref().map(|e| e.as_str().to_owned());
        u = u
            .col_expr(Column::Email, Expr::value(e.clone()))
            .col_expr(Column::EmailNormalized, Expr::value(e));
    }
    if let Some(phone) = &fields.phone {
        u = u
            .col_expr(Column::Phone, Expr::value(phone.clone()))
            .col_expr(
                Column::PhoneDigits,
                Expr::value(phone.as_deref().map(phone_digits)),
            );
    }
    if let Some(v) = fields.date_of_birth {
        u = u.col_expr(Column::DateOfBirth, Expr::value(v));
    }
    if let Some(v) = fields.status {
        u = u.col_expr(Column::Status, Expr::value(v.as_str()));
    }
    if let Some(v) = &fields.source {
        u = u.col_expr(Column::Source, Expr::value(v.clone()));
    }
    if let Some(v) = &fields.tags {
        u = u.col_expr(
            Column::Tags,
            Expr::value(serde_json::to_string(v).unwrap_or_else(|_| "[]".into())),
        );
    }
    if let Some(v) = &fields.goals {
        u = u.col_expr(Column::Goals, Expr::value(v.clone()));
    }
    for (col, name, value) in [
        (Column::MedicalNotes, &MEDICAL_NOTES, &fields.medical_notes),
        (
            Column::EmergencyContactName,
            &EMERGENCY_NAME,
            &fields.emergency_contact_name,
        ),
        (
            Column::EmergencyContactPhone,
            &EMERGENCY_PHONE,
            &fields.emergency_contact_phone,
        ),
    ] {
        if let Some(v) = value {
            u = u.col_expr(col, Expr::value(sealed(name, id, v.as_deref())?));
        }
    }
    if let Some(v) = &fields.custom_fields {
        u = u.col_expr(
            Column::CustomFields,
            Expr::value(Value::Object(v.clone()).to_string()),
        );
    }
    if let Some(v) = fields.consent_email {
        u = u.col_expr(Column::ConsentEmail, Expr::value(v));
    }
    if let Some(v) = fields.consent_sms {
        u = u.col_expr(Column::ConsentSms, Expr::value(v));
    }
    if let Some(v) = fields.user_id {
        u = u.col_expr(Column::UserId, Expr::value(v));
    }
    let r = u
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(scope.org.0))
        .filter(Column::Version.eq(current.version))
        .exec(db)
        .await?;
    // Changed or deleted since it was read: 412 or 404.
    check_touched(r.rows_affected, || async {
        Ok(find_row(db, scope, id).await?.map(|m| m.version))
    })
    .await?;
    if let Some(tags) = &fields.tags {
        replace_tags(db, scope, id, tags).await?;
    }
    if let (Some(from), Some(to)) = (from, fields.status)
        && from != to
    {
        record_status(db, scope, id, Some(from), to).await?;
    }
    for (channel, before, after) in [
        ("email", current.consent_email, fields.consent_email),
        ("sms", current.consent_sms, fields.consent_sms),
    ] {
        if let Some(after) = after
            && after != before
        {
            record_consent(db, scope, id, channel, after, "api").await?;
        }
    }
    get(db, scope, id).await?.ok_or(AppError::NotFound)
}

/// Deletes a client and everything hanging off it.
pub async fn delete(db: &impl ConnectionTrait, scope: &ClientScope, id: Uuid) -> AppResult<()> {
    let r = clients::Entity::delete_many()
        .filter(visible(scope))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Assigns a trainer to a client, or changes the role of an existing assignment.
pub async fn assign(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
    trainer: Uuid,
    role: &str,
) -> AppResult<Client> {
    ensure_visible(db, scope, client).await?;
    if trainer_repo::existing_ids(db, scope.org, &[trainer])
        .await?
        .is_empty()
    {
        return Err(AppError::field(
            "trainer_id",
            "is not a trainer of this organization",
        ));
    }
    let existing = client_trainers::Entity::find_by_id((client, trainer))
        .one(db)
        .await?;
    match existing {
        Some(_) => {
            client_trainers::Entity::update_many()
                .col_expr(client_trainers::Column::Role, Expr::value(role))
                .filter(client_trainers::Column::ClientId.eq(client))
                .filter(client_trainers::Column::TrainerId.eq(trainer))
                .filter(client_trainers::Column::OrganizationId.eq(scope.org.0))
                .exec(db)
                .await?;
        }
        None => insert_assignment(db, scope, client, trainer, role).await?,
    }
    touch(db, scope, client).await?;
    get(db, scope, client).await?.ok_or(AppError::NotFound)
}

/// Removes a trainer from a client; 404 when they were not assigned.
pub async fn unassign(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
    trainer: Uuid,
) -> AppResult<()> {
    ensure_visible(db, scope, client).await?;
    let r = client_trainers::Entity::delete_many()
        .filter(client_trainers::Column::OrganizationId.eq(scope.org.0))
        .filter(client_trainers::Column::ClientId.eq(client))
        .filter(client_trainers::Column::TrainerId.eq(trainer))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    touch(db, scope, client).await
}

pub(super) async fn touch(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
) -> AppResult<()> {
    clients::Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()))
        .filter(Column::Id.eq(client))
        .filter(Column::OrganizationId.eq(scope.org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes a status back without the lifecycle check (reverting an import), recording the change.
pub async fn set_status_unchecked(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
    status: ClientStatus,
) -> AppResult<()> {
    let Some(current) = find_row(db, &ClientScope::system(scope.org), id).await? else {
        return Err(AppError::NotFound);
    };
    let from = ClientStatus::parse(&current.status);
    if from == Some(status) {
        return Ok(());
    }
    clients::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .filter(Column::Id.eq(id))
        .filter(Column::OrganizationId.eq(scope.org.0))
        .exec(db)
        .await?;
    record_status(db, scope, id, from, status).await
}

/// A portal account may be linked when it is a `client` account of the organization not linked to
/// another client.
pub(super) async fn check_portal_account(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    user: Uuid,
    client: Uuid,
) -> AppResult<()> {
    use crate::db::entities::users;
    let account = users::Entity::find_by_id(user)
        .filter(users::Column::OrganizationId.eq(scope.org.0))
        .one(db)
        .await?
        .ok_or_else(|| AppError::field("user_id", "is not an account of this organization"))?;
    if account.role != "client" {
        return Err(AppError::field(
            "user_id",
            "must be an account with the client role",
        ));
    }
    if let Some(other) = clients::Entity::find()
        .filter(Column::OrganizationId.eq(scope.org.0))
        .filter(Column::UserId.eq(user))
        .filter(Column::Id.ne(client))
        .one(db)
        .await?
    {
        return Err(AppError::Conflict {
            detail: "This account is linked to another client.".into(),
            conflicts: vec![serde_json::json!({"type": "client", "id": other.id})],
        });
    }
    Ok(())
}
