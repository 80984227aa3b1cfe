//! Creating clients: one through the API or many at once (imports, synthetic data), stored alike.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, Iterable,
    QueryFilter,
};
use serde_json::Value;
use uuid::Uuid;

use super::super::access::ClientScope;
use super::super::model::{Client, ClientFields, ClientStatus};
use crate::db::entities::{
    client_consents, client_status_changes, client_tags, client_trainers, clients,
};
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult};
use crate::trainers::repo as trainer_repo;
use crate::validation::{normalize, phone_digits};

use super::rows::{EMERGENCY_NAME, EMERGENCY_PHONE, MEDICAL_NOTES, get, names, sealed};
use clients::Column;

pub(super) async fn check_email_free(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    email: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut q = clients::Entity::find()
        .filter(Column::OrganizationId.eq(scope.org.0))
        .filter(Column::EmailNormalized.eq(email));
    if let Some(id) = except {
        q = q.filter(Column::Id.ne(id));
    }
    if let Some(existing) = q.one(db).await? {
        return Err(AppError::Conflict {
            detail: format!("A client with this email already exists ({}).", existing.id),
            conflicts: vec![serde_json::json!({"type": "client", "id": existing.id})],
        });
    }
    Ok(())
}

/// The rows that make up a new client: the client itself, its tags, the record of its first status,
/// its consents and its trainer assignments (the first trainer as primary). [`insert`] and
/// [`insert_many`] both build them here, so a bulk-loaded client is stored exactly like one created
/// through the API.
struct NewClientRows {
    id: Uuid,
    client: clients::ActiveModel,
    tags: Vec<client_tags::ActiveModel>,
    status: client_status_changes::ActiveModel,
    consents: Vec<client_consents::ActiveModel>,
    assignments: Vec<client_trainers::ActiveModel>,
}

fn new_client_rows(
    scope: &ClientScope,
    fields: ClientFields,
    trainer_ids: &[Uuid],
    consent_source: &str,
    at: DateTime<Utc>,
) -> AppResult<NewClientRows> {
    let id = new_id();
    let first = fields.first_name.unwrap_or_default();
    let last = fields.last_name.unwrap_or_default();
    let (first_norm, last_norm, full_norm, sort_name) = names(&first, &last);
    let email = fields.email.flatten().map(|e| e.as_str().to_owned());
    let phone = fields.phone.flatten();
    let status = fields.status.unwrap_or(ClientStatus::Lead);
    let tags = fields.tags.unwrap_or_default();
    let client = clients::ActiveModel {
        id: Set(id),
        organization_id: Set(scope.org.0),
        user_id: Set(None),
        first_name: Set(first),
        last_name: Set(last),
        first_norm: Set(first_norm),
        last_norm: Set(last_norm),
        full_norm: Set(full_norm),
        sort_name: Set(sort_name),
        email: Set(email.clone()),
        email_normalized: Set(email),
        phone_digits: Set(phone.as_deref().map(phone_digits)),
        phone: Set(phone),
        date_of_birth: Set(fields.date_of_birth.flatten()),
        status: Set(status.as_str().to_owned()),
        source: Set(fields.source.flatten()),
        tags: Set(serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into())),
        goals: Set(fields.goals.flatten()),
        medical_notes: Set(sealed(
            &MEDICAL_NOTES,
            id,
            fields.medical_notes.flatten().as_deref(),
        )?),
        emergency_contact_name: Set(sealed(
            &EMERGENCY_NAME,
            id,
            fields.emergency_contact_name.flatten().as_deref(),
        )?),
        emergency_contact_phone: Set(sealed(
            &EMERGENCY_PHONE,
            id,
            fields.emergency_contact_phone.flatten().as_deref(),
        )?),
        custom_fields: Set(Value::Object(fields.custom_fields.unwrap_or_default()).to_string()),
        consent_email: Set(fields.consent_email.unwrap_or(false)),
        consent_sms: Set(fields.consent_sms.unwrap_or(false)),
        erased_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
    };
    let consents = [("email", fields.consent_email), ("sms", fields.consent_sms)]
        .into_iter()
        .filter(|(_, granted)| *granted == Some(true))
        .map(|(channel, _)| consent_row(scope, id, channel, true, consent_source, at))
        .collect();
    let assignments = trainer_ids
        .iter()
        .enumerate()
        .map(|(i, trainer)| {
            let role = if i == 0 { "primary" } else { "secondary" };
            // Assignments are listed by their time: a microsecond apart keeps the order given.
            let at = at + chrono::Duration::microseconds(i64::try_from(i).unwrap_or(0));
            assignment_row(scope, id, *trainer, role, at)
        })
        .collect();
    Ok(NewClientRows {
        id,
        tags: tag_rows(scope, id, &tags),
        status: status_row(scope, id, None, status, at),
        client,
        consents,
        assignments,
    })
}

/// 422 unless every trainer belongs to the organization.
pub(super) async fn check_trainers(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    trainer_ids: &[Uuid],
) -> AppResult<()> {
    let found = trainer_repo::existing_ids(db, scope.org, trainer_ids).await?;
    if let Some(missing) = trainer_ids.iter().find(|t| !found.contains(t)) {
        return Err(AppError::field(
            "trainer_ids",
            format!("{missing} is not a trainer of this organization"),
        ));
    }
    Ok(())
}

/// Inserts a client with its tags, initial status record, consents and assignments.
pub async fn insert(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    fields: ClientFields,
    trainer_ids: &[Uuid],
) -> AppResult<Client> {
    if let Some(Some(email)) = &fields.email {
        check_email_free(db, scope, email.as_str(), None).await?;
    }
    check_trainers(db, scope, trainer_ids).await?;
    let rows = new_client_rows(scope, fields, trainer_ids, "api", now())?;
    let id = rows.id;
    clients::Entity::insert(rows.client)
        .exec_without_returning(db)
        .await
        .map_err(AppError::unique_as(
            "A client with this email already exists.",
        ))?;
    client_tags::Entity::insert_many(rows.tags)
        .exec_without_returning(db)
        .await?;
    client_status_changes::Entity::insert(rows.status)
        .exec_without_returning(db)
        .await?;
    client_consents::Entity::insert_many(rows.consents)
        .exec_without_returning(db)
        .await?;
    client_trainers::Entity::insert_many(rows.assignments)
        .exec_without_returning(db)
        .await?;
    get(db, scope, id).await?.ok_or(AppError::NotFound)
}

/// Bind parameters per multi-row `INSERT`: below SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_BIND_PARAMETERS: usize = 30_000;

/// Inserts `rows` with as few multi-row statements as the bind-parameter limits allow.
pub async fn insert_in_chunks<A>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
) -> Result<(), sea_orm::DbErr>
where
    A: ActiveModelTrait + Send,
{
    let per_statement = (MAX_BIND_PARAMETERS
        / <<A::Entity as EntityTrait>::Column as Iterable>::iter()
            .count()
            .max(1))
    .max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Inserts many clients at once (imports, synthetic data), each stored exactly as [`insert`] stores
/// one: normalised search columns, tags, the initial status record, consents recorded with
/// `consent_source`, and trainer assignments. Emails must be unique (a duplicate is a 409 for the
/// whole batch); run it inside a write transaction. Returns the new ids in input order.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    new_clients: Vec<(ClientFields, Vec<Uuid>)>,
    consent_source: &str,
) -> AppResult<Vec<Uuid>> {
    let mut trainer_ids: Vec<Uuid> = new_clients
        .iter()
        .flat_map(|(_, t)| t.iter().copied())
        .collect();
    trainer_ids.sort_unstable();
    trainer_ids.dedup();
    check_trainers(db, scope, &trainer_ids).await?;
    let at = now();
    let n = new_clients.len();
    let (mut ids, mut rows, mut tags, mut statuses, mut consents, mut assignments) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::new(),
        Vec::with_capacity(n),
        Vec::new(),
        Vec::new(),
    );
    for (fields, trainers) in new_clients {
        let r = new_client_rows(scope, fields, &trainers, consent_source, at)?;
        ids.push(r.id);
        rows.push(r.client);
        tags.extend(r.tags);
        statuses.push(r.status);
        consents.extend(r.consents);
        assignments.extend(r.assignments);
    }
    insert_in_chunks(db, rows)
        .await
        .map_err(AppError::unique_as(
            "A client with this email already exists.",
        ))?;
    insert_in_chunks(db, tags).await?;
    insert_in_chunks(db, statuses).await?;
    insert_in_chunks(db, consents).await?;
    insert_in_chunks(db, assignments).await?;
    Ok(ids)
}

pub(super) fn tag_rows(
    scope: &ClientScope,
    id: Uuid,
    tags: &[String],
) -> Vec<client_tags::ActiveModel> {
    tags.iter()
        .map(|t| client_tags::ActiveModel {
            organization_id: Set(scope.org.0),
            client_id: Set(id),
            tag: Set(normalize(t)),
        })
        .collect()
}

pub(super) async fn replace_tags(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
    tags: &[String],
) -> AppResult<()> {
    client_tags::Entity::delete_many()
        .filter(client_tags::Column::OrganizationId.eq(scope.org.0))
        .filter(client_tags::Column::ClientId.eq(id))
        .exec(db)
        .await?;
    client_tags::Entity::insert_many(tag_rows(scope, id, tags))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub(super) fn status_row(
    scope: &ClientScope,
    id: Uuid,
    from: Option<ClientStatus>,
    to: ClientStatus,
    at: DateTime<Utc>,
) -> client_status_changes::ActiveModel {
    client_status_changes::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(scope.org.0),
        client_id: Set(id),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        actor_id: Set(scope.actor_id),
        changed_at: Set(at),
    }
}

pub(super) async fn record_status(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
    from: Option<ClientStatus>,
    to: ClientStatus,
) -> AppResult<()> {
    client_status_changes::Entity::insert(status_row(scope, id, from, to, now()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub(super) fn consent_row(
    scope: &ClientScope,
    id: Uuid,
    channel: &str,
    granted: bool,
    source: &str,
    at: DateTime<Utc>,
) -> client_consents::ActiveModel {
    client_consents::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(scope.org.0),
        client_id: Set(id),
        channel: Set(channel.to_owned()),
        granted: Set(granted),
        source: Set(source.to_owned()),
        actor_id: Set(scope.actor_id),
        recorded_at: Set(at),
    }
}

pub(super) async fn record_consent(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
    channel: &str,
    granted: bool,
    source: &str,
) -> AppResult<()> {
    client_consents::Entity::insert(consent_row(scope, id, channel, granted, source, now()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub(super) fn assignment_row(
    scope: &ClientScope,
    client: Uuid,
    trainer: Uuid,
    role: &str,
    at: DateTime<Utc>,
) -> client_trainers::ActiveModel {
    client_trainers::ActiveModel {
        organization_id: Set(scope.org.0),
        client_id: Set(client),
        trainer_id: Set(trainer),
        role: Set(role.to_owned()),
        created_at: Set(at),
    }
}

pub(super) async fn insert_assignment(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
    trainer: Uuid,
    role: &str,
) -> AppResult<()> {
    client_trainers::Entity::insert(assignment_row(scope, client, trainer, role, now()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}
