//! The dashboard is a read model: these are its aggregate queries over the client and scheduling
//! tables, each limited to the caller's scope (the client scope's condition comes from the client
//! repository, the schedule scope's from the sessions').

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};

use crate::clients::access::{ClientScope, Visibility};
use crate::clients::repo::visible;
use crate::db::entities::{
    audit_events, classes, client_status_changes, client_trainers, clients, organizations,
    training_sessions,
};
use crate::error::AppResult;
use crate::organizations::OrgId;
use crate::scheduling::access::{ScheduleScope, Who};

use training_sessions::Column as S;

/// The figures about clients in a scope.
#[derive(Debug, Default)]
pub struct ClientCounts {
    /// Clients per stored status.
    pub by_status: BTreeMap<String, u64>,
    /// New leads since the month start.
    pub new_leads: u64,
    /// Lead or trial to active since the month start.
    pub conversions: u64,
    /// Clients without a trainer.
    pub without_trainer: u64,
}

/// Counts the clients of a scope by status, its new leads and conversions since `since`, and those
/// without a trainer.
pub async fn client_counts(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    since: DateTime<Utc>,
) -> AppResult<ClientCounts> {
    let rows: Vec<(String, i64)> = clients::Entity::find()
        .select_only()
        .column(clients::Column::Status)
        .column_as(Expr::col(clients::Column::Id).count(), "n")
        .filter(visible(scope))
        .group_by(clients::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let by_status: BTreeMap<String, u64> = rows
        .into_iter()
        .map(|(status, n)| (status, u64::try_from(n).unwrap_or(0)))
        .collect();
    let total: u64 = by_status.values().sum();
    let in_scope = || {
        Query::select()
            .column(clients::Column::Id)
            .from(clients::Entity)
            .cond_where(visible(scope))
            .to_owned()
    };
    let whole_org = matches!(scope.visibility, Visibility::All);
    let changes = || {
        let q = client_status_changes::Entity::find()
            .filter(client_status_changes::Column::OrganizationId.eq(scope.org.0))
            .filter(client_status_changes::Column::ChangedAt.gte(since));
        // Seeing the whole organization needs no list of its client ids (100,000 of them).
        if whole_org {
            q
        } else {
            q.filter(client_status_changes::Column::ClientId.in_subquery(in_scope()))
        }
    };
    let new_leads = changes()
        .filter(client_status_changes::Column::FromStatus.is_null())
        .filter(client_status_changes::Column::ToStatus.eq("lead"))
        .count(db)
        .await?;
    let conversions = changes()
        .filter(client_status_changes::Column::FromStatus.is_in(["lead", "trial"]))
        .filter(client_status_changes::Column::ToStatus.eq("active"))
        .count(db)
        .await?;
    let without_trainer = if whole_org {
        // Every assignment is of a client of this organization: the clients without one are the
        // rest, counted from the assignments' index instead of probing it once per client.
        let assigned: Option<i64> = client_trainers::Entity::find()
            .select_only()
            .column_as(
                Expr::col(client_trainers::Column::ClientId).count_distinct(),
                "n",
            )
            .filter(client_trainers::Column::OrganizationId.eq(scope.org.0))
            .into_tuple()
            .one(db)
            .await?;
        total.saturating_sub(u64::try_from(assigned.unwrap_or(0)).unwrap_or(0))
    } else {
        clients::Entity::find()
            .filter(visible(scope))
            .filter(
                clients::Column::Id.not_in_subquery(
                    Query::select()
                        .column(client_trainers::Column::ClientId)
                        .from(client_trainers::Entity)
                        .and_where(client_trainers::Column::OrganizationId.eq(scope.org.0))
                        .to_owned(),
                ),
            )
            .count(db)
            .await?
    };
    Ok(ClientCounts {
        by_status,
        new_leads,
        conversions,
        without_trainer,
    })
}

fn sessions(scope: &ScheduleScope) -> sea_orm::Select<training_sessions::Entity> {
    training_sessions::Entity::find().filter(crate::scheduling::sessions::scope_condition(scope))
}

/// Sessions and classes (not cancelled) starting in `[from, to)` in a schedule scope.
pub async fn booked_between(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<u64> {
    let mut n = sessions(scope)
        .filter(S::Status.ne("cancelled"))
        .filter(S::StartsAt.gte(from))
        .filter(S::StartsAt.lt(to))
        .count(db)
        .await?;
    let classes_q = classes::Entity::find()
        .filter(classes::Column::OrganizationId.eq(scope.org.0))
        .filter(classes::Column::Status.ne("cancelled"));
    let classes_q = match scope.who {
        Who::All => Some(classes_q),
        Who::Trainer(t) => Some(classes_q.filter(classes::Column::TrainerId.eq(t))),
        _ => None,
    };
    if let Some(q) = classes_q {
        n += q
            .filter(classes::Column::StartsAt.gte(from))
            .filter(classes::Column::StartsAt.lt(to))
            .count(db)
            .await?;
    }
    Ok(n)
}

/// Sessions (not cancelled, no classes) starting in `[from, to)` in a schedule scope.
pub async fn sessions_between(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(sessions(scope)
        .filter(S::Status.ne("cancelled"))
        .filter(S::StartsAt.gte(from))
        .filter(S::StartsAt.lt(to))
        .count(db)
        .await?)
}

/// Sessions marked no-show starting in `[from, to)`.
pub async fn no_shows_between(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(sessions(scope)
        .filter(S::Status.eq("no_show"))
        .filter(S::StartsAt.gte(from))
        .filter(S::StartsAt.lt(to))
        .count(db)
        .await?)
}

/// Sessions attended (completed or checked in, not a no-show) starting in `[from, to]`.
pub async fn attended_between(
    db: &impl ConnectionTrait,
    scope: &ScheduleScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(sessions(scope)
        .filter(S::StartsAt.gte(from))
        .filter(S::StartsAt.lte(to))
        .filter(S::Status.ne("cancelled"))
        .filter(S::Status.ne("no_show"))
        .filter(
            Condition::any()
                .add(S::Status.eq("completed"))
                .add(S::CheckedInAt.is_not_null()),
        )
        .count(db)
        .await?)
}

/// The last audit `seq` of an organization (0 before its first event): one read of the end of the
/// `(organization_id, seq)` index.
pub async fn audit_seq(db: &impl ConnectionTrait, org: OrgId) -> AppResult<i64> {
    let seq: Option<Option<i64>> = audit_events::Entity::find()
        .select_only()
        .column_as(Expr::col(audit_events::Column::Seq).max(), "seq")
        .filter(audit_events::Column::OrganizationId.eq(org.0))
        .into_tuple()
        .one(db)
        .await?;
    Ok(seq.flatten().unwrap_or(0))
}

/// The last audit `seq` of each of these organizations (0 before its first event; an organization
/// that does not exist is left out), in one query: per organization a `max(seq)` subquery, which both
/// databases answer from the end of the `(organization_id, seq)` index, however long the chain.
pub async fn audit_seqs(
    db: &impl ConnectionTrait,
    orgs: &[OrgId],
) -> AppResult<HashMap<OrgId, i64>> {
    if orgs.is_empty() {
        return Ok(HashMap::new());
    }
    let last = Query::select()
        .expr(Expr::col((audit_events::Entity, audit_events::Column::Seq)).max())
        .from(audit_events::Entity)
        .and_where(
            Expr::col((audit_events::Entity, audit_events::Column::OrganizationId))
                .equals((organizations::Entity, organizations::Column::Id)),
        )
        .to_owned();
    let rows: Vec<(uuid::Uuid, Option<i64>)> = organizations::Entity::find()
        .select_only()
        .column(organizations::Column::Id)
        .column_as(Expr::SubQuery(None, Box::new(last.into())), "seq")
        .filter(organizations::Column::Id.is_in(orgs.iter().map(|o| o.0)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, seq)| (OrgId(id), seq.unwrap_or(0)))
        .collect())
}
