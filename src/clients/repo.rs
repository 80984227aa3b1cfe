//! Database access for clients, their tags, assignments, status history and consents. Every query
//! goes through a [`ClientScope`], so a caller can only ever reach the clients they may see.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, JoinType, Query, SelectStatement, UnionType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    ExprTrait, Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::access::ClientScope;
use super::model::{Assignment, Client, ClientFields, ClientStatus};
use crate::db::entities::{
    client_consents, client_status_changes, client_tags, client_trainers, clients,
};
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Page, PageRequest, SortField, SortKind, SortValue};
use crate::trainers::repo as trainer_repo;
pub use crate::validation::person_sort_key as sort_name;
use crate::validation::{normalize, phone_digits, prefix_upper_bound};

use clients::Column;

/// The fields `GET /clients` sorts by.
pub const SORT_FIELDS: [SortField<Column>; 3] = [
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
    SortField {
        name: "updated_at",
        column: Column::UpdatedAt,
        kind: SortKind::Time,
    },
];

/// Filters of the client list.
#[derive(Debug, Default, Clone)]
pub struct ClientFilter {
    /// Prefix of a name, the email or the phone number.
    pub q: Option<String>,
    /// Only this status.
    pub status: Option<ClientStatus>,
    /// Only clients with this tag.
    pub tag: Option<String>,
    /// Only clients of this trainer.
    pub trainer_id: Option<Uuid>,
}

fn prefix(col: Column, value: &str) -> Condition {
    let mut c = Condition::all().add(col.gte(value));
    if let Some(upper) = prefix_upper_bound(value) {
        c = c.add(col.lt(upper));
    }
    c
}

impl ClientFilter {
    /// What `q` matches: one prefix range per column, each served by its own index; empty without `q`.
    /// A name matches the start of the first name, family name, full name ("first last") or email.
    /// The full name starts with a term that has no space only if the first name does, so that range
    /// is searched only for terms with a space.
    fn q_alternatives(&self) -> Vec<Condition> {
        let Some(q) = self.q.as_deref().map(normalize).filter(|q| !q.is_empty()) else {
            return Vec::new();
        };
        let digits = phone_digits(&q);
        let phone_like = !digits.is_empty()
            && q.chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if q.contains('@') {
            vec![prefix(Column::EmailNormalized, &q)]
        } else if phone_like {
            vec![prefix(Column::PhoneDigits, &digits)]
        } else {
            let mut alternatives = vec![
                prefix(Column::FirstNorm, &q),
                prefix(Column::LastNorm, &q),
                prefix(Column::EmailNormalized, &q),
            ];
            if q.contains(' ') {
                alternatives.push(prefix(Column::FullNorm, &q));
            }
            alternatives
        }
    }

    /// The filters other than `q`, combined with the scope's condition.
    fn base_condition(&self, scope: &ClientScope) -> Condition {
        let mut cond = scope.condition();
        if let Some(status) = self.status {
            cond = cond.add(Column::Status.eq(status.as_str()));
        }
        if let Some(tag) = &self.tag {
            cond = cond.add(
                Column::Id.in_subquery(
                    Query::select()
                        .column(client_tags::Column::ClientId)
                        .from(client_tags::Entity)
                        .and_where(client_tags::Column::OrganizationId.eq(scope.org.0))
                        .and_where(client_tags::Column::Tag.eq(normalize(tag)))
                        .to_owned(),
                ),
            );
        }
        if let Some(trainer) = self.trainer_id {
            cond = cond.add(
                Column::Id.in_subquery(
                    Query::select()
                        .column(client_trainers::Column::ClientId)
                        .from(client_trainers::Entity)
                        .and_where(client_trainers::Column::OrganizationId.eq(scope.org.0))
                        .and_where(client_trainers::Column::TrainerId.eq(trainer))
                        .to_owned(),
                ),
            );
        }
        cond
    }

    /// The whole filter as a condition on `clients`, combined with the scope's.
    pub fn condition(&self, scope: &ClientScope) -> Condition {
        let alternatives = self.q_alternatives();
        let cond = self.base_condition(scope);
        if alternatives.is_empty() {
            cond
        } else {
            cond.add(
                alternatives
                    .into_iter()
                    .fold(Condition::any(), Condition::add),
            )
        }
    }
}

/// Turns rows into clients, loading all their assignments in one query.
pub async fn hydrate(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    rows: Vec<clients::Model>,
) -> AppResult<Vec<Client>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut assignments: HashMap<Uuid, Vec<Assignment>> = HashMap::new();
    if !ids.is_empty() {
        for a in client_trainers::Entity::find()
            .filter(client_trainers::Column::OrganizationId.eq(scope.org.0))
            .filter(client_trainers::Column::ClientId.is_in(ids))
            .order_by_asc(client_trainers::Column::CreatedAt)
            .all(db)
            .await?
        {
            assignments
                .entry(a.client_id)
                .or_default()
                .push(Assignment {
                    trainer_id: a.trainer_id,
                    role: a.role,
                    assigned_at: a.created_at,
                });
        }
    }
    rows.into_iter()
        .map(|m| {
            let trainers = assignments.remove(&m.id).unwrap_or_default();
            to_client(scope, m, trainers)
        })
        .collect()
}

fn to_client(
    scope: &ClientScope,
    m: clients::Model,
    trainers: Vec<Assignment>,
) -> AppResult<Client> {
    let status = ClientStatus::parse(&m.status).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("client {} has an unknown status", m.id))
    })?;
    Ok(Client {
        id: m.id,
        first_name: m.first_name,
        last_name: m.last_name,
        email: m.email,
        phone: m.phone,
        date_of_birth: m.date_of_birth,
        status,
        source: m.source,
        tags: serde_json::from_str(&m.tags).unwrap_or_default(),
        goals: m.goals,
        medical_notes: scope.medical.then_some(m.medical_notes),
        emergency_contact_name: m.emergency_contact_name,
        emergency_contact_phone: m.emergency_contact_phone,
        custom_fields: serde_json::from_str::<Map<String, Value>>(&m.custom_fields)
            .unwrap_or_default(),
        trainer_ids: trainers.iter().map(|t| t.trainer_id).collect(),
        trainers,
        user_id: m.user_id,
        consent_email: m.consent_email,
        consent_sms: m.consent_sms,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// The row of a client the scope sees.
pub async fn find_row(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Option<clients::Model>> {
    Ok(clients::Entity::find_by_id(id)
        .filter(scope.condition())
        .one(db)
        .await?)
}

/// One client the scope sees.
pub async fn get(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Option<Client>> {
    match find_row(db, scope, id).await? {
        Some(row) => Ok(hydrate(db, scope, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Whether the scope sees a client (404 otherwise).
pub async fn ensure_visible(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<()> {
    let n = clients::Entity::find_by_id(id)
        .filter(scope.condition())
        .count(db)
        .await?;
    if n == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

/// A page of the clients the scope sees.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    page: &PageRequest<Column>,
    filter: &ClientFilter,
) -> AppResult<Page<Client>> {
    let total = if page.include_total {
        Some(
            clients::Entity::find()
                .filter(filter.condition(scope))
                .count(db)
                .await?,
        )
    } else {
        None
    };
    let alternatives = filter.q_alternatives();
    let rows = if alternatives.is_empty() {
        page.apply(
            clients::Entity::find().filter(filter.base_condition(scope)),
            Column::Id,
        )
        .all(db)
        .await?
    } else {
        search_rows(db, scope, page, filter.base_condition(scope), alternatives).await?
    };
    let field = page.field.name;
    let key = |m: &clients::Model| {
        let v = match field {
            "name" => SortValue::Text(m.sort_name.clone()),
            "updated_at" => SortValue::Time(m.updated_at),
            _ => SortValue::Time(m.created_at),
        };
        (v, m.id)
    };
    let raw = page.finish(rows, key, Ok, total)?;
    Ok(Page {
        items: hydrate(db, scope, raw.items).await?,
        next_cursor: raw.next_cursor,
        total: raw.total,
    })
}

/// The rows of a page of search results (one row more than the page), in one statement of two steps.
/// First the keys: for each prefix range of `alternatives`, the id and sort value of every match,
/// read from a covering index (`idx_clients_org_*_sort`) without touching the table; the ranges
/// merged, sorted and cut to the page. Then the rows of those keys only, by primary key.
///
/// A single `WHERE ... OR ...` query left the plan to the database, and both picked badly for some
/// prefixes: walking the whole organization in name order checking every client (slow when the
/// matches are rare or late in the alphabet), or fetching every matching row before sorting (slow
/// when they are many). This costs one index entry per match and one row per result.
async fn search_rows(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    page: &PageRequest<Column>,
    base: Condition,
    alternatives: Vec<Condition>,
) -> AppResult<Vec<clients::Model>> {
    let sort = page.field.column;
    let order = page.order();
    let take = page.limit + 1;
    let after = page.after_condition(Column::Id);
    let ranges = alternatives.len() as u64;
    let mut matches: Option<SelectStatement> = None;
    for alternative in alternatives {
        let mut cond = base.clone().add(alternative);
        if let Some(after) = &after {
            cond = cond.add(after.clone());
        }
        let range = Query::select()
            .column(Column::Id)
            .column(sort)
            .from(clients::Entity)
            .cond_where(cond)
            .to_owned();
        match &mut matches {
            None => matches = Some(range),
            Some(m) => {
                m.union(UnionType::All, range);
            }
        }
    }
    let Some(mut matches) = matches else {
        return Ok(Vec::new());
    };
    // A client matching several ranges comes once per range: the first `take` distinct clients are
    // among the first `take * ranges` matches.
    matches
        .order_by(sort, order.clone())
        .order_by(Column::Id, order.clone())
        .limit(take * ranges);
    let keys = Query::select()
        .distinct()
        .column(Column::Id)
        .column(sort)
        .from_subquery(matches, Alias::new("m"))
        .order_by(sort, order.clone())
        .order_by(Column::Id, order.clone())
        .limit(take)
        .to_owned();
    let k = Alias::new("k");
    let mut select = clients::Entity::find().filter(scope.condition());
    QueryTrait::query(&mut select).join_subquery(
        JoinType::InnerJoin,
        keys,
        k.clone(),
        Expr::col((k.clone(), Column::Id)).equals((clients::Entity, Column::Id)),
    );
    Ok(select
        .order_by(Expr::col((k.clone(), sort)), order.clone())
        .order_by(Expr::col((k, Column::Id)), order)
        .all(db)
        .await?)
}

async fn check_email_free(
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

fn names(first: &str, last: &str) -> (String, String, String, String) {
    (
        normalize(first),
        normalize(last),
        normalize(&format!("{first} {last}")),
        normalize(&format!("{last} {first}")),
    )
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
) -> NewClientRows {
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
        medical_notes: Set(fields.medical_notes.flatten()),
        emergency_contact_name: Set(fields.emergency_contact_name.flatten()),
        emergency_contact_phone: Set(fields.emergency_contact_phone.flatten()),
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
    NewClientRows {
        id,
        tags: tag_rows(scope, id, &tags),
        status: status_row(scope, id, None, status, at),
        client,
        consents,
        assignments,
    }
}

/// 422 unless every trainer belongs to the organization.
async fn check_trainers(
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
    let rows = new_client_rows(scope, fields, trainer_ids, "api", now());
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
pub(crate) async fn insert_in_chunks<A>(
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
        let r = new_client_rows(scope, fields, &trainers, consent_source, at);
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

fn tag_rows(scope: &ClientScope, id: Uuid, tags: &[String]) -> Vec<client_tags::ActiveModel> {
    tags.iter()
        .map(|t| client_tags::ActiveModel {
            organization_id: Set(scope.org.0),
            client_id: Set(id),
            tag: Set(normalize(t)),
        })
        .collect()
}

async fn replace_tags(
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

fn status_row(
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

async fn record_status(
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

fn consent_row(
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

async fn record_consent(
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
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed {
            current_version: current.version,
        });
    }
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
    for (col, value) in [
        (Column::Goals, &fields.goals),
        (Column::MedicalNotes, &fields.medical_notes),
        (Column::EmergencyContactName, &fields.emergency_contact_name),
        (
            Column::EmergencyContactPhone,
            &fields.emergency_contact_phone,
        ),
    ] {
        if let Some(v) = value {
            u = u.col_expr(col, Expr::value(v.clone()));
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
    if r.rows_affected == 0 {
        let now_version = find_row(db, scope, id)
            .await?
            .map_or(current.version, |m| m.version);
        return Err(AppError::PreconditionFailed {
            current_version: now_version,
        });
    }
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
        .filter(scope.condition())
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

fn assignment_row(
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

async fn insert_assignment(
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

async fn touch(db: &impl ConnectionTrait, scope: &ClientScope, client: Uuid) -> AppResult<()> {
    clients::Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()))
        .filter(Column::Id.eq(client))
        .filter(Column::OrganizationId.eq(scope.org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// The consent history of a client, oldest first.
pub async fn consents(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    client: Uuid,
) -> AppResult<Vec<client_consents::Model>> {
    Ok(client_consents::Entity::find()
        .filter(client_consents::Column::OrganizationId.eq(scope.org.0))
        .filter(client_consents::Column::ClientId.eq(client))
        .order_by_asc(client_consents::Column::RecordedAt)
        .order_by_asc(client_consents::Column::Id)
        .all(db)
        .await?)
}

/// The ids of the organization's clients with these emails (normalised), by email.
pub async fn ids_by_email(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    emails: &[String],
) -> AppResult<HashMap<String, clients::Model>> {
    let mut found = HashMap::new();
    for part in emails.chunks(500) {
        for m in clients::Entity::find()
            .filter(Column::OrganizationId.eq(scope.org.0))
            .filter(Column::EmailNormalized.is_in(part.iter().cloned()))
            .all(db)
            .await?
        {
            if let Some(e) = m.email_normalized.clone() {
                found.insert(e, m);
            }
        }
    }
    Ok(found)
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

/// Erases a client's personal data irreversibly: the profile is overwritten with placeholders, notes,
/// tags, consents, assignments, import snapshots and stored idempotent responses mentioning the client
/// are deleted, and a linked portal account is removed. The record itself stays (pseudonymous, status
/// churned), so that figures and records the law requires to keep still add up.
///
/// On SQLite the transaction zeroes what it frees (`secure_delete=ON`); the caller then checkpoints the
/// WAL and vacuums free pages so no copy of the old values stays in the files.
pub async fn erase(db: &impl ConnectionTrait, scope: &ClientScope, id: Uuid) -> AppResult<()> {
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
    Ok(())
}

/// A portal account may be linked when it is a `client` account of the organization not linked to
/// another client.
async fn check_portal_account(
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

/// The clients of `org` among `ids` (any order; ids of other organizations are left out).
///
/// Looked up by primary key, then checked against the tenant here: with `organization_id = ? AND id
/// IN (…)` SQLite, which keeps no statistics, takes one of the many `organization_id`-first indexes
/// and reads every client of the organization (over 100 ms at 100,000 clients) to find a page's few.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    org: crate::organizations::OrgId,
    ids: &[Uuid],
) -> AppResult<Vec<clients::Model>> {
    let mut out = Vec::with_capacity(ids.len());
    for part in ids.chunks(500) {
        out.extend(
            clients::Entity::find()
                .filter(clients::Column::Id.is_in(part.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .filter(|m| m.organization_id == org.0),
        );
    }
    Ok(out)
}

/// The client record linked to a portal account, if any.
pub async fn id_by_user(
    db: &impl ConnectionTrait,
    org: crate::organizations::OrgId,
    user: Uuid,
) -> AppResult<Option<Uuid>> {
    Ok(clients::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::UserId.eq(user))
        .into_tuple::<Uuid>()
        .one(db)
        .await?)
}
