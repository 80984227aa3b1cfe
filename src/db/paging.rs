//! The query half of cursor pagination ([`crate::http::pagination`]): the keyset page of a select
//! and the whole list tail (count, page, cursor) that every repository's list shares. Here, beside
//! the other database code, so that the HTTP layer builds no query.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::AppError;
use crate::http::pagination::{Page, PageRequest, SortValue};

impl<C: ColumnTrait> PageRequest<C> {
    /// Orders `select` by the sort field and id, starts it after the cursor and fetches one row more
    /// than the page, which tells whether there is a next page.
    pub fn apply<E>(&self, select: Select<E>, id_column: E::Column) -> Select<E>
    where
        E: EntityTrait<Column = C>,
    {
        let mut select = select;
        if let Some(cond) = self.after_condition(id_column) {
            select = select.filter(cond);
        }
        select
            .order_by(self.field.column, self.order())
            .order_by(id_column, self.order())
            .limit(self.limit + 1)
    }

    /// The whole tail of a list query: counts the matches of `cond` when asked (`include_total`),
    /// fetches the page of `E` under `cond` after the cursor, and turns the rows into items with
    /// `key` (the sort value and id of a row, for the next cursor) and `map`.
    pub async fn fetch<E, T>(
        &self,
        db: &impl ConnectionTrait,
        cond: Condition,
        id_column: C,
        key: impl Fn(&E::Model) -> (SortValue, Uuid),
        map: impl FnMut(E::Model) -> Result<T, AppError>,
    ) -> Result<Page<T>, AppError>
    where
        E: EntityTrait<Column = C>,
        E::Model: FromQueryResult + Send + Sync,
    {
        let total = if self.include_total {
            Some(E::find().filter(cond.clone()).count(db).await?)
        } else {
            None
        };
        let rows = self
            .apply(E::find().filter(cond), id_column)
            .all(db)
            .await?;
        self.finish(rows, key, map, total)
    }
}
