//! The client list: filters, keyset pages and the prefix search over names, email and phone.

use sea_orm::sea_query::{Alias, Expr, JoinType, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QueryTrait,
};
use uuid::Uuid;

use super::super::access::ClientScope;
use super::super::model::{Client, ClientStatus};
use crate::db::entities::{client_tags, client_trainers, clients};
use crate::error::AppResult;
use crate::http::pagination::{Page, PageRequest, SortValue};
use crate::validation::{normalize, phone_digits, prefix_upper_bound};

use super::rows::{ClientRow, hydrate, visible, with_assignments};
use clients::Column;

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

pub(super) fn prefix(col: Column, value: &str) -> Condition {
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
        let mut cond = visible(scope);
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
        let select = page.apply(
            clients::Entity::find().filter(filter.base_condition(scope)),
            Column::Id,
        );
        with_assignments(db, select).all(db).await?
    } else {
        search_rows(db, scope, page, filter.base_condition(scope), alternatives).await?
    };
    let field = page.field.name;
    let key = |row: &ClientRow| {
        let m = &row.client;
        let v = match field {
            "name" => SortValue::Text(m.sort_name.clone()),
            "updated_at" => SortValue::Time(m.updated_at),
            _ => SortValue::Time(m.created_at),
        };
        (v, m.id)
    };
    let raw = page.finish(rows, key, Ok, total)?;
    Ok(Page {
        items: hydrate(scope, raw.items)?,
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
pub(super) async fn search_rows(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    page: &PageRequest<Column>,
    base: Condition,
    alternatives: Vec<Condition>,
) -> AppResult<Vec<ClientRow>> {
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
    let mut select = clients::Entity::find().filter(visible(scope));
    QueryTrait::query(&mut select).join_subquery(
        JoinType::InnerJoin,
        keys,
        k.clone(),
        Expr::col((k.clone(), Column::Id)).equals((clients::Entity, Column::Id)),
    );
    let select = select
        .order_by(Expr::col((k.clone(), sort)), order.clone())
        .order_by(Expr::col((k, Column::Id)), order);
    Ok(with_assignments(db, select).all(db).await?)
}
