//! The database's record of the data keys in use ([`register`]), and re-sealing under a new key
//! ([`rotate`]).

use std::collections::BTreeSet;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::{Keyring, PREFIX, SEALED, SealedColumn, keyring};
use crate::db::Db;

#[derive(Debug, FromQueryResult)]
struct KeyRow {
    id: String,
}

/// Records the sealing key's id in `data_keys`, after checking that this process holds every key
/// the database lists: otherwise it would write what other instances cannot read, or fail to read
/// what they wrote. Checked again after the insert, so that two instances starting at once with
/// different keys both refuse.
pub async fn register(db: &Db) -> anyhow::Result<()> {
    let keyring = keyring();
    let conn = db.conn();
    check_known(conn, &keyring).await?;
    let backend = conn.get_database_backend();
    let insert = Query::insert()
        .into_table(Alias::new("data_keys"))
        .columns([Alias::new("id"), Alias::new("created_at")])
        .values_panic([keyring.current_id().into(), crate::db::now().into()])
        .on_conflict(OnConflict::column(Alias::new("id")).do_nothing().to_owned())
        .to_owned();
    conn.execute_raw(backend.build(&insert)).await?;
    check_known(conn, &keyring).await
}

async fn listed_keys(conn: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let select = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("data_keys"))
        .to_owned();
    Ok(
        KeyRow::find_by_statement(conn.get_database_backend().build(&select))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect(),
    )
}

async fn check_known(conn: &impl ConnectionTrait, keyring: &Keyring) -> anyhow::Result<()> {
    let ours = keyring.ids();
    let missing: Vec<String> = listed_keys(conn)
        .await?
        .into_iter()
        .filter(|id| !ours.contains(&id.as_str()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the database holds values sealed under data key(s) {} which this process was not given \
         (it has {}); set FITNESSCRM_DATA_KEYS to the keys the other instances use (docs/SECURITY.md)",
        missing.join(", "),
        ours.join(", ")
    )
}

/// What [`rotate`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// Values re-sealed under the sealing key (plain ones included).
    pub resealed: u64,
    /// Values changed by someone else between reading and re-sealing, left to them.
    pub skipped: u64,
    /// Values still not sealed under the sealing key at the end (written meanwhile by an instance
    /// that still seals under an older key): no key is retired then.
    pub left: u64,
    /// Key ids no longer in use, removed from `data_keys`.
    pub retired: Vec<String>,
}

/// One value to re-seal.
struct Stale {
    key: Vec<sea_orm::Value>,
    row: String,
    stored: String,
}

/// Re-seals every value not sealed under the sealing key, `batch` rows per transaction, while
/// the server keeps serving: a row is rewritten only if it still holds what was read (a write in
/// between already sealed it under the sealing key, which every instance must have). Then removes
/// the ids of the keys that seal nothing any more from `data_keys`, after which they may be
/// dropped from the configuration.
pub async fn rotate(db: &Db, batch: u64) -> anyhow::Result<Rotated> {
    let keyring = keyring();
    register(db).await?;
    let mut done = Rotated::default();
    for column in &SEALED {
        let mut exclude: BTreeSet<String> = BTreeSet::new();
        loop {
            let stale = stale_values(db.conn(), &keyring, column, batch, &exclude).await?;
            if stale.is_empty() {
                break;
            }
            let txn = db.begin_write().await?;
            for value in stale {
                let plain = keyring.open(column, &value.row, value.stored.clone())?;
                let resealed = keyring.seal(column, &value.row, &plain)?;
                let mut update = Query::update();
                update
                    .table(Alias::new(column.table))
                    .value(Alias::new(column.column), resealed)
                    .and_where(Expr::col(Alias::new(column.column)).eq(value.stored));
                for (name, key) in column.key.iter().zip(value.key) {
                    update.and_where(Expr::col(Alias::new(*name)).eq(key));
                }
                let changed = txn
                    .execute_raw(txn.get_database_backend().build(&update))
                    .await?
                    .rows_affected();
                if changed == 0 {
                    done.skipped += 1;
                    exclude.insert(value.row);
                } else {
                    done.resealed += 1;
                }
            }
            txn.commit().await?;
        }
    }
    // Retire only what seals nothing any more: a value written meanwhile under an older key (by
    // an instance not yet given the new one) keeps that key listed, and in use.
    for column in &SEALED {
        done.left += stale_values(db.conn(), &keyring, column, batch, &BTreeSet::new())
            .await?
            .len() as u64;
    }
    if done.left > 0 {
        return Ok(done);
    }
    let current = keyring.current_id().to_owned();
    for id in listed_keys(db.conn()).await? {
        if id != current {
            let delete = Query::delete()
                .from_table(Alias::new("data_keys"))
                .and_where(Expr::col(Alias::new("id")).eq(id.clone()))
                .to_owned();
            db.conn()
                .execute_raw(db.conn().get_database_backend().build(&delete))
                .await?;
            done.retired.push(id);
        }
    }
    Ok(done)
}

/// Up to `batch` values of `column` not sealed under the sealing key, except the rows in `exclude`.
async fn stale_values(
    conn: &impl ConnectionTrait,
    keyring: &Keyring,
    column: &SealedColumn,
    batch: u64,
    exclude: &BTreeSet<String>,
) -> anyhow::Result<Vec<Stale>> {
    let backend = conn.get_database_backend();
    let current = format!("{PREFIX}{}.%", keyring.current_id());
    let mut select = Query::select();
    for name in column.key {
        select.column(Alias::new(*name));
    }
    select
        .column(Alias::new(column.column))
        .from(Alias::new(column.table))
        .and_where(Expr::col(Alias::new(column.column)).is_not_null())
        .and_where(Expr::col(Alias::new(column.column)).not_like(current))
        .limit(batch + exclude.len() as u64);
    let rows = conn.query_all_raw(backend.build(&select)).await?;
    let mut out = Vec::new();
    for row in rows {
        let mut key = Vec::new();
        let mut names = Vec::new();
        for name in column.key {
            let id: uuid::Uuid = row.try_get("", name)?;
            names.push(id.to_string());
            key.push(id.into());
        }
        let stored: String = row.try_get("", column.column)?;
        let row = names.join("/");
        if keyring.is_current(&stored) || exclude.contains(&row) {
            continue;
        }
        out.push(Stale { key, row, stored });
        if out.len() as u64 >= batch {
            break;
        }
    }
    Ok(out)
}
