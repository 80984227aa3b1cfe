//! The queries of the double-booking check: who is busy when, and the locks that serialise bookings.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;

use super::model::Conflict;
use crate::db::entities::{class_bookings, classes, training_sessions};
use crate::error::AppResult;
use crate::organizations::OrgId;

/// Takes the transaction-scoped locks that serialise bookings of these people (PostgreSQL).
pub async fn lock_people(db: &impl ConnectionTrait, people: &[Uuid]) -> AppResult<()> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let mut ids: Vec<Uuid> = people.to_vec();
    ids.sort();
    ids.dedup();
    for id in ids {
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [format!("schedule:{id}").into()],
        ))
        .await?;
    }
    Ok(())
}

/// Everything overlapping `[start, end)` for this trainer and (when given) client, except the item
/// being moved (`except`, with any siblings moving with it).
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    trainer: Uuid,
    client: Option<Uuid>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: &[Uuid],
) -> AppResult<Vec<Conflict>> {
    use training_sessions::Column as S;
    let mut out = Vec::new();
    // Nothing lasts more than 12 hours (`sessions::check_times`), so an overlapping item starts after
    // `start - 12h`: with that lower bound each query reads only a few index entries. The trainer's and
    // the client's sessions are read apart, each through its own `(organization, person, starts_at)`
    // index; as one `trainer OR client` query SQLite walked the organization's time index instead.
    let earliest = start - chrono::Duration::hours(12);
    let mut people = vec![(S::TrainerId, trainer)];
    if let Some(c) = client {
        people.push((S::ClientId, c));
    }
    let mut seen = std::collections::HashSet::new();
    for (column, person) in people {
        let mut sessions = training_sessions::Entity::find()
            .filter(S::OrganizationId.eq(org.0))
            .filter(column.eq(person))
            .filter(S::StartsAt.lt(end))
            .filter(S::StartsAt.gt(earliest))
            .filter(S::EndsAt.gt(start))
            .filter(S::Status.is_in(["scheduled", "completed"]));
        if !except.is_empty() {
            sessions = sessions.filter(S::Id.is_not_in(except.iter().copied()));
        }
        for s in sessions.all(db).await? {
            if !seen.insert(s.id) {
                continue;
            }
            let with = if s.trainer_id == trainer {
                "trainer"
            } else {
                "client"
            };
            out.push(Conflict {
                kind: "session".into(),
                id: s.id,
                with: with.into(),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
            });
        }
    }
    use classes::Column as C;
    let mut taught = classes::Entity::find()
        .filter(C::OrganizationId.eq(org.0))
        .filter(C::TrainerId.eq(trainer))
        .filter(C::Status.eq("scheduled"))
        .filter(C::StartsAt.lt(end))
        .filter(C::StartsAt.gt(earliest))
        .filter(C::EndsAt.gt(start));
    if !except.is_empty() {
        taught = taught.filter(C::Id.is_not_in(except.iter().copied()));
    }
    for c in taught.all(db).await? {
        out.push(Conflict {
            kind: "class".into(),
            id: c.id,
            with: "trainer".into(),
            starts_at: c.starts_at,
            ends_at: c.ends_at,
        });
    }
    if let Some(client) = client {
        let mut q = classes::Entity::find()
            .filter(C::OrganizationId.eq(org.0))
            .filter(
                C::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(class_bookings::Column::ClassId)
                        .from(class_bookings::Entity)
                        .and_where(class_bookings::Column::OrganizationId.eq(org.0))
                        .and_where(class_bookings::Column::ClientId.eq(client))
                        .and_where(class_bookings::Column::Status.eq("booked"))
                        .to_owned(),
                ),
            )
            .filter(C::Status.eq("scheduled"))
            .filter(C::StartsAt.lt(end))
            .filter(C::StartsAt.gt(earliest))
            .filter(C::EndsAt.gt(start));
        if !except.is_empty() {
            q = q.filter(C::Id.is_not_in(except.iter().copied()));
        }
        for c in q.all(db).await? {
            out.push(Conflict {
                kind: "class".into(),
                id: c.id,
                with: "client".into(),
                starts_at: c.starts_at,
                ends_at: c.ends_at,
            });
        }
    }
    out.sort_by_key(|c| (c.starts_at, c.id));
    Ok(out)
}
