//! Cursor pagination: `limit`, `cursor`, `sort`, `include_total`, the `{items, next_cursor, total}`
//! envelope, and the keyset condition that makes every page an index range scan.
//!
//! A cursor is opaque to clients: URL-safe base64 of the sort it was made for, the sort value of the
//! last item and that item's id (the tie-breaker). A cursor made for another sort is a 400.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, Order};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppError;

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page size.
pub const MAX_LIMIT: u64 = 200;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// The number of items matching the filter, when `include_total=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// The type of a sortable column, which says how its cursor value is read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    /// A text column.
    Text,
    /// A timestamp column.
    Time,
    /// An integer column (such as a sequence number).
    Integer,
}

/// A field a list may be sorted by.
#[derive(Debug, Clone, Copy)]
pub struct SortField<C> {
    /// The public name in `sort`.
    pub name: &'static str,
    /// The column behind it.
    pub column: C,
    /// Its type.
    pub kind: SortKind,
}

/// A value of a sort column, as carried in a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    /// A timestamp (tried first: a text that parses as one would be ambiguous, so kinds are checked).
    Time(DateTime<Utc>),
    /// A text.
    Text(String),
    /// An integer (a JSON number, which neither of the above accepts).
    Int(i64),
}

impl SortValue {
    fn into_db(self) -> sea_orm::Value {
        match self {
            SortValue::Time(t) => t.into(),
            SortValue::Text(s) => s.into(),
            SortValue::Int(i) => i.into(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct CursorData {
    s: String,
    v: SortValue,
    id: Uuid,
}

/// The list parameters every list endpoint accepts, validated.
#[derive(Debug, Clone)]
pub struct PageRequest<C> {
    /// Page size.
    pub limit: u64,
    /// The field sorted by.
    pub field: SortField<C>,
    /// Descending?
    pub desc: bool,
    sort: String,
    after: Option<(SortValue, Uuid)>,
    /// Whether to count all matches.
    pub include_total: bool,
}

impl<C: ColumnTrait> PageRequest<C> {
    /// Validates `limit`, `sort` (one of `fields`, `-` for descending) and `cursor`.
    pub fn parse(
        fields: &[SortField<C>],
        default_sort: &str,
        limit: Option<u64>,
        cursor: Option<&str>,
        sort: Option<&str>,
        include_total: Option<bool>,
    ) -> Result<Self, AppError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::bad_param(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let sort = sort.unwrap_or(default_sort).to_owned();
        let (desc, name) = match sort.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, sort.as_str()),
        };
        let Some(field) = fields.iter().find(|f| f.name == name).copied() else {
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            return Err(AppError::bad_param(
                "sort",
                format!(
                    "must be one of {}, optionally prefixed with -",
                    names.join(", ")
                ),
            ));
        };
        let after = match cursor {
            None | Some("") => None,
            Some(raw) => {
                let bad = || AppError::bad_param("cursor", "is not a cursor from this list");
                let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
                let data: CursorData = serde_json::from_slice(&bytes).map_err(|_| bad())?;
                let kind_ok = matches!(
                    (&data.v, field.kind),
                    (SortValue::Time(_), SortKind::Time)
                        | (SortValue::Text(_), SortKind::Text)
                        | (SortValue::Int(_), SortKind::Integer)
                );
                if data.s != sort || !kind_ok {
                    return Err(AppError::bad_param(
                        "cursor",
                        "was made for another sort order",
                    ));
                }
                Some((data.v, data.id))
            }
        };
        Ok(Self {
            limit,
            field,
            desc,
            sort,
            after,
            include_total: include_total.unwrap_or(false),
        })
    }

    /// The same request with a larger page, for internal batch reads (exports).
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// Continues after the last item of a page, by its sort value and id.
    pub fn after(mut self, value: SortValue, id: Uuid) -> Self {
        self.after = Some((value, id));
        self
    }

    /// The direction of the sort.
    pub fn order(&self) -> Order {
        if self.desc { Order::Desc } else { Order::Asc }
    }

    /// The keyset condition "after the cursor" (sort value, then id), when there is a cursor.
    pub fn after_condition(&self, id_column: C) -> Option<Condition> {
        let (value, id) = self.after.clone()?;
        let value = value.into_db();
        let col = self.field.column;
        // The first bound is implied by the second, but PostgreSQL cannot use an OR as an index
        // range: without it, a deep page scans every row before the cursor.
        Some(if self.desc {
            Condition::all().add(col.lte(value.clone())).add(
                Condition::any()
                    .add(col.lt(value.clone()))
                    .add(Condition::all().add(col.eq(value)).add(id_column.lt(id))),
            )
        } else {
            Condition::all().add(col.gte(value.clone())).add(
                Condition::any()
                    .add(col.gt(value.clone()))
                    .add(Condition::all().add(col.eq(value)).add(id_column.gt(id))),
            )
        })
    }

    /// Cuts the fetched rows to the page and makes the cursor of the next page from the last item.
    pub fn finish<M, T>(
        &self,
        mut rows: Vec<M>,
        key: impl Fn(&M) -> (SortValue, Uuid),
        map: impl FnMut(M) -> Result<T, AppError>,
        total: Option<u64>,
    ) -> Result<Page<T>, AppError> {
        let has_more = rows.len() as u64 > self.limit;
        rows.truncate(usize::try_from(self.limit).unwrap_or(usize::MAX));
        let next_cursor = if has_more {
            rows.last().map(|last| {
                let (v, id) = key(last);
                let data = CursorData {
                    s: self.sort.clone(),
                    v,
                    id,
                };
                URL_SAFE_NO_PAD.encode(serde_json::to_vec(&data).unwrap_or_default())
            })
        } else {
            None
        };
        let items = rows.into_iter().map(map).collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            next_cursor,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::entities::audit_events::Column;

    const FIELDS: [SortField<Column>; 2] = [
        SortField {
            name: "seq",
            column: Column::Seq,
            kind: SortKind::Integer,
        },
        SortField {
            name: "action",
            column: Column::Action,
            kind: SortKind::Text,
        },
    ];

    fn parse(sort: &str, cursor: Option<&str>) -> Result<PageRequest<Column>, AppError> {
        PageRequest::parse(&FIELDS, "-seq", Some(2), cursor, Some(sort), None)
    }

    #[test]
    fn integer_cursors_round_trip_and_belong_to_their_sort() {
        let page = parse("-seq", None).unwrap();
        let id = Uuid::now_v7();
        let rows = vec![(9_i64, Uuid::nil()), (8, id), (7, Uuid::max())];
        let done = page
            .finish(rows, |r| (SortValue::Int(r.0), r.1), |r| Ok(r.0), None)
            .unwrap();
        assert_eq!(done.items, [9, 8]);
        let cursor = done.next_cursor.unwrap();
        let next = parse("-seq", Some(&cursor)).unwrap();
        assert_eq!(next.after, Some((SortValue::Int(8), id)));
        assert!(
            parse("seq", Some(&cursor)).is_err(),
            "made for another order"
        );
        assert!(
            parse("action", Some(&cursor)).is_err(),
            "made for another field"
        );
    }

    #[test]
    fn a_cursor_value_of_the_wrong_kind_is_refused() {
        let forge = |s: &str, v: SortValue| {
            URL_SAFE_NO_PAD.encode(
                serde_json::to_vec(&CursorData {
                    s: s.to_owned(),
                    v,
                    id: Uuid::nil(),
                })
                .unwrap(),
            )
        };
        assert!(parse("-seq", Some(&forge("-seq", SortValue::Text("8".into())))).is_err());
        assert!(parse("action", Some(&forge("action", SortValue::Int(8)))).is_err());
        assert!(
            parse(
                "action",
                Some(&forge("action", SortValue::Text("8".into())))
            )
            .is_ok()
        );
    }
}
