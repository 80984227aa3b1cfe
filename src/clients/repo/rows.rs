//! The shared part of the client repository: the scope condition every query filters by, the
//! sort fields, the row-to-client mapping and the lookups of single clients that the other parts
//! (list, write, update, erase) build on.

use crate::db::sealed::SealedColumn;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QuerySelect, Select, SelectModel, Selector,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::super::access::{ClientScope, Visibility};
use super::super::model::{Assignment, Client, ClientStatus};
use crate::db::entities::{client_trainers, clients};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{PageRequest, SortField, SortKind};
use crate::validation::normalize;

use clients::Column;

/// A page request of the client list (its sort columns are the repository's business).
pub type ClientPageRequest = PageRequest<Column>;

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

/// The condition that limits a query on `clients` to what `scope` sees.
pub fn visible(scope: &ClientScope) -> Condition {
    let base = Condition::all().add(clients::Column::OrganizationId.eq(scope.org.0));
    match scope.visibility {
        Visibility::All => base,
        Visibility::Assigned(trainer) => base.add(
            clients::Column::Id.in_subquery(
                Query::select()
                    .column(client_trainers::Column::ClientId)
                    .from(client_trainers::Entity)
                    .and_where(client_trainers::Column::OrganizationId.eq(scope.org.0))
                    .and_where(client_trainers::Column::TrainerId.eq(trainer))
                    .to_owned(),
            ),
        ),
        Visibility::Own(user) => base.add(clients::Column::UserId.eq(user)),
        Visibility::Nothing => base.add(Expr::val(1).eq(0)),
    }
}

pub(super) fn names(first: &str, last: &str) -> (String, String, String, String) {
    (
        normalize(first),
        normalize(last),
        normalize(&format!("{first} {last}")),
        normalize(&format!("{last} {first}")),
    )
}

/// A client's row with its assignments, read in the same statement ([`with_assignments`]).
#[derive(Debug, FromQueryResult)]
pub(super) struct ClientRow {
    /// The `clients` row.
    #[sea_orm(nested)]
    pub client: clients::Model,
    /// `[[trainer_id, role, since], ...]` in the order they were assigned, as JSON text; NULL or
    /// `[]` when the client has none.
    pub assignments: Option<String>,
}

/// The alias of the assignments column.
const ASSIGNMENTS: &str = "assignments";

/// A client's assignments as one JSON array, a correlated subquery on the row of `clients` (served
/// by `idx_client_trainers_org_client`). SQLite holds a uuid as 16 bytes, which JSON cannot: there
/// it is written in hex, which `Uuid` reads back. Reading them here rather than in a second
/// statement saves a round trip per request: on SQLite each statement is a hand-off to the
/// connection's thread and back, on PostgreSQL a network round trip.
fn assignments_column(backend: DbBackend) -> Expr {
    Expr::cust(match backend {
        DbBackend::Postgres => {
            r#"(SELECT json_agg(json_build_array(ct.trainer_id, ct.role, ct.created_at) ORDER BY ct.created_at)::text FROM client_trainers AS ct WHERE ct.organization_id = "clients"."organization_id" AND ct.client_id = "clients"."id")"#
        }
        _ => {
            r#"(SELECT json_group_array(json_array(hex(ct.trainer_id), ct.role, ct.created_at) ORDER BY ct.created_at) FROM client_trainers AS ct WHERE ct.organization_id = "clients"."organization_id" AND ct.client_id = "clients"."id")"#
        }
    })
}

/// `select` (of `clients`) with each row's assignments, read as [`ClientRow`]s.
pub(super) fn with_assignments(
    db: &impl ConnectionTrait,
    select: Select<clients::Entity>,
) -> Selector<SelectModel<ClientRow>> {
    select
        .expr_as(assignments_column(db.get_database_backend()), ASSIGNMENTS)
        .into_model::<ClientRow>()
}

/// Turns rows read [`with_assignments`] into clients.
pub(super) fn hydrate(scope: &ClientScope, rows: Vec<ClientRow>) -> AppResult<Vec<Client>> {
    rows.into_iter()
        .map(|row| {
            let trainers = parse_assignments(&row)?;
            to_client(scope, row.client, trainers)
        })
        .collect()
}

fn parse_assignments(row: &ClientRow) -> AppResult<Vec<Assignment>> {
    let Some(json) = row.assignments.as_deref() else {
        return Ok(Vec::new());
    };
    let list: Vec<(Uuid, String, DateTime<Utc>)> = serde_json::from_str(json).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "client {} has unreadable assignments: {e}",
            row.client.id
        ))
    })?;
    Ok(list
        .into_iter()
        .map(|(trainer_id, role, assigned_at)| Assignment {
            trainer_id,
            role,
            assigned_at,
        })
        .collect())
}

/// The sealed columns of `clients` ([`crate::db::sealed`]).
pub(crate) use crate::db::sealed::{
    CLIENTS_EMERGENCY_NAME as EMERGENCY_NAME, CLIENTS_EMERGENCY_PHONE as EMERGENCY_PHONE,
    CLIENTS_MEDICAL_NOTES as MEDICAL_NOTES,
};

/// A value of the sealed column `column` of client `id`, sealed for writing.
pub(crate) fn sealed(
    column: &SealedColumn,
    id: Uuid,
    value: Option<&str>,
) -> AppResult<Option<String>> {
    Ok(crate::db::sealed::seal_opt(column, &id, value)?)
}

/// A value read from the sealed column `column` of client `id`, opened.
pub(crate) fn opened(
    column: &SealedColumn,
    id: Uuid,
    stored: Option<String>,
) -> AppResult<Option<String>> {
    Ok(crate::db::sealed::open_opt(column, &id, stored)?)
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
        medical_notes: if scope.medical {
            Some(opened(&MEDICAL_NOTES, m.id, m.medical_notes)?)
        } else {
            None
        },
        emergency_contact_name: opened(&EMERGENCY_NAME, m.id, m.emergency_contact_name)?,
        emergency_contact_phone: opened(&EMERGENCY_PHONE, m.id, m.emergency_contact_phone)?,
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
    Ok(visible_by_id(scope, id).one(db).await?)
}

/// The client `id`, if the scope sees it.
fn visible_by_id(scope: &ClientScope, id: Uuid) -> Select<clients::Entity> {
    clients::Entity::find_by_id(id).filter(visible(scope))
}

/// One client the scope sees.
pub async fn get(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<Option<Client>> {
    match with_assignments(db, visible_by_id(scope, id))
        .one(db)
        .await?
    {
        Some(row) => Ok(hydrate(scope, vec![row])?.pop()),
        None => Ok(None),
    }
}

/// Whether the scope sees a client (404 otherwise).
pub async fn ensure_visible(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<()> {
    let n = visible_by_id(scope, id).count(db).await?;
    if n == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
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
