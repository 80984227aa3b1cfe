//! Clients that hang up mid-request, and requests that outlive the timeout, must not leave
//! half-written data or poisoned pooled connections.

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::helpers::{Backend, PASSWORD, TestApp, expect_problem, expect_status};
use crate::on_both_databases;

/// The raw HTTP/1.1 bytes of a sign-up request: the head and the body.
fn signup_request(app: &TestApp, i: usize) -> (Vec<u8>, Vec<u8>) {
    let body = json!({"organization_name": format!("Studio {i}"), "name": "Owner",
                      "email": format!("owner{i}@example.com"), "password": PASSWORD})
    .to_string()
    .into_bytes();
    let head = format!(
        "POST /api/v1/auth/signup HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        body.len()
    )
    .into_bytes();
    (head, body)
}

/// The count of one organization's rows and of its owner's, read in one snapshot: two separate reads
/// could fall on either side of a late sign-up's commit and see (0, 1) though the data never was.
async fn rows_of(app: &TestApp, i: usize) -> (u64, u64) {
    use fitnesscrm::db::entities::{organizations, users};
    use sea_orm::{ColumnTrait, EntityTrait, IsolationLevel, PaginatorTrait, QueryFilter};
    // PostgreSQL: repeatable read (a read-committed transaction takes a new snapshot per statement).
    // SQLite: a read transaction sees one snapshot of the WAL from its first read on.
    let isolation = (app.backend == Backend::Postgres).then_some(IsolationLevel::RepeatableRead);
    let txn = app
        .db
        .conn()
        .begin_with_config(isolation, None)
        .await
        .unwrap();
    let orgs = organizations::Entity::find()
        .filter(organizations::Column::Name.eq(format!("Studio {i}")))
        .count(&txn)
        .await
        .unwrap();
    let owners = users::Entity::find()
        .filter(users::Column::Email.eq(format!("owner{i}@example.com")))
        .count(&txn)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    (orgs, owners)
}

async fn no_connection_idle_in_transaction(app: &TestApp) {
    if app.backend == Backend::Postgres {
        let name = app
            .database_url
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let row = app.db.conn().query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '{name}' AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"),
        )).await.unwrap().unwrap();
        let stuck: i64 = row.try_get("", "n").unwrap();
        assert_eq!(
            stuck, 0,
            "no pooled connection was left inside a transaction"
        );
    }
}

on_both_databases! {
    async fn clients_disconnecting_mid_request_leave_no_half_written_data(app) {
        // Forty sign-ups (organization + owner in one transaction) over raw sockets: the even ones send
        // the whole request and close at once, the odd ones close half-way through the body.
        let mut sockets = Vec::new();
        for i in 0..40usize {
            let (head, body) = signup_request(&app, i);
            let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
            socket.write_all(&head).await.unwrap();
            if i % 2 == 0 {
                socket.write_all(&body).await.unwrap();
            } else {
                socket.write_all(&body[..body.len() / 2]).await.unwrap();
            }
            socket.flush().await.unwrap();
            sockets.push(socket);
        }
        drop(sockets);

        // A sign-up over a normal connection, queued after all of them, shows the server serves on.
        let after = app.signup("After the storm").await;
        expect_status(app.get("/api/v1/users", Some(&after.token)).await, StatusCode::OK).await;

        // A request whose body never arrived never started: none of its rows exist, at any time.
        for i in (1..40).step_by(2) {
            assert_eq!(rows_of(&app, i).await, (0, 0), "half-sent sign-up {i} wrote nothing");
        }
        // A fully sent request either completed whole or not at all. Each sign-up is one transaction,
        // so this holds at every moment; the loop only gives late handlers the chance to finish.
        for i in (0..40).step_by(2) {
            let mut rows = rows_of(&app, i).await;
            for _ in 0..50 {
                if rows != (0, 0) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                rows = rows_of(&app, i).await;
            }
            assert!(rows == (0, 0) || rows == (1, 1), "sign-up {i} is whole or absent, not {rows:?}");
        }
        no_connection_idle_in_transaction(&app).await;
        // The pool still serves every connection cleanly.
        for _ in 0..20 {
            expect_status(app.get("/api/v1/users", Some(&after.token)).await, StatusCode::OK).await;
        }
    }
}

/// A request that outlives the timeout is answered 503 while its write finishes whole.
async fn a_timed_out_write_finishes_whole(app: TestApp) {
    let owner = app.signup("Studio").await;
    // Hold the clients table with a second connection so the create must wait.
    let other = Database::connect(app.database_url.as_str()).await.unwrap();
    let txn = other.begin().await.unwrap();
    match app.backend {
        Backend::Sqlite => {
            txn.execute_unprepared("UPDATE organizations SET name = name")
                .await
        }
        Backend::Postgres => {
            txn.execute_unprepared("LOCK TABLE clients IN EXCLUSIVE MODE")
                .await
        }
    }
    .unwrap();
    let r = app
        .post(
            "/api/v1/clients",
            Some(&owner.token),
            &json!({"first_name": "Slow", "last_name": "Write"}),
        )
        .await;
    let p = expect_problem(r, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(p["detail"].as_str().unwrap().contains("too long"), "{p}");
    // The handler still waits for the lock; release it and the write completes in the background.
    txn.rollback().await.unwrap();
    let mut items = Vec::new();
    for _ in 0..200 {
        let list = expect_status(
            app.get("/api/v1/clients", Some(&owner.token)).await,
            StatusCode::OK,
        )
        .await;
        items = list["items"].as_array().unwrap().clone();
        if !items.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        items.len(),
        1,
        "the timed-out write completed after its answer"
    );
    let events = expect_status(
        app.get("/api/v1/audit-events", Some(&owner.token)).await,
        StatusCode::OK,
    )
    .await;
    let id = items[0]["id"].as_str().unwrap();
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.to_string().contains(id)),
        "the write's audit event came with it: {events}"
    );
    no_connection_idle_in_transaction(&app).await;
    for _ in 0..10 {
        expect_status(
            app.get("/api/v1/clients", Some(&owner.token)).await,
            StatusCode::OK,
        )
        .await;
    }
}

fn slow_config(c: &mut fitnesscrm::config::Config) {
    c.request_timeout = Duration::from_secs(2);
}

mod a_timed_out_request_is_a_503_and_its_write_still_completes_whole {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        a_timed_out_write_finishes_whole(TestApp::spawn_sqlite(slow_config).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = TestApp::spawn_postgres_with(slow_config).await {
            a_timed_out_write_finishes_whole(app).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_get_the_configured_session_time_limits() {
    let Some(app) = TestApp::spawn_postgres_with(|c| {
        c.database_statement_timeout = Duration::from_millis(1234);
        c.database_idle_in_transaction_timeout = Duration::from_secs(7);
    })
    .await
    else {
        return;
    };
    // Every pooled connection, not only the first: hold several at once.
    let mut txns = Vec::new();
    for _ in 0..4 {
        txns.push(app.db.conn().begin().await.unwrap());
    }
    for txn in &txns {
        let show = |setting: &str| {
            sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                format!("SHOW {setting}"),
            )
        };
        let row = txn
            .query_one_raw(show("statement_timeout"))
            .await
            .unwrap()
            .unwrap();
        let value: String = row.try_get_by_index(0).unwrap();
        assert_eq!(value, "1234ms");
        let row = txn
            .query_one_raw(show("idle_in_transaction_session_timeout"))
            .await
            .unwrap()
            .unwrap();
        let value: String = row.try_get_by_index(0).unwrap();
        assert_eq!(value, "7s");
    }
    // A statement longer than the limit is cancelled.
    let slow = app.db.conn().execute_unprepared("SELECT pg_sleep(3)").await;
    assert!(
        slow.is_err(),
        "pg_sleep(3) outlived a 1.2 s statement_timeout"
    );
}

/// SQLite is built with the query planner stability guarantee (`.cargo/config.toml`): without it a
/// cached statement with `LIMIT ?` was parsed and planned again on every execution.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_the_plans_of_cached_statements() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert!(
        app.db.plans_are_stable().await.unwrap(),
        "SQLite built without SQLITE_ENABLE_QPSG: is LIBSQLITE3_FLAGS in .cargo/config.toml?"
    );
}
