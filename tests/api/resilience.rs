//! Clients that hang up mid-request must not leave half-written data or poisoned pooled connections.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, expect_status};
use crate::on_both_databases;

on_both_databases! {
    async fn clients_disconnecting_mid_request_leave_no_half_written_data(app) {
        // Forty sign-ups (organization + owner in one transaction) whose clients give up after
        // 1–200 ms, many of them while the server is still working.
        let mut tasks = Vec::new();
        for i in 0..40u64 {
            let client = reqwest::Client::builder().timeout(Duration::from_millis(1 + (i * 5) % 200)).build().unwrap();
            let url = app.url("/api/v1/auth/signup");
            tasks.push(tokio::spawn(async move {
                let _ = client
                    .post(url)
                    .json(&json!({"organization_name": format!("Studio {i}"), "name": "Owner",
                                  "email": format!("owner{i}@example.com"), "password": PASSWORD}))
                    .send()
                    .await;
            }));
        }
        for t in tasks { t.await.unwrap(); }
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        use fitnesscrm::db::entities::{organizations, users};
        // The handlers go on after their clients left: wait until nothing changes for two seconds.
        let mut orgs = 0;
        let mut unchanged = 0;
        for _ in 0..300 {
            let now = organizations::Entity::find().count(app.db.conn()).await.unwrap();
            unchanged = if now == orgs { unchanged + 1 } else { 0 };
            orgs = now;
            if unchanged >= 10 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Requests whose clients left before sending the whole body never start; the rest complete.
        assert!(orgs >= 20, "requests whose clients left after sending still complete ({orgs} of 40)");
        let owners = users::Entity::find().filter(users::Column::Role.eq("owner")).count(app.db.conn()).await.unwrap();
        assert_eq!(orgs, owners, "every organization has its owner and no owner lacks one");

        if app.backend == Backend::Postgres {
            let name = app.database_url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
            use sea_orm::ConnectionTrait;
            let row = app.db.conn().query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                format!("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '{name}' AND state LIKE 'idle in transaction%'"),
            )).await.unwrap().unwrap();
            let stuck: i64 = row.try_get("", "n").unwrap();
            assert_eq!(stuck, 0, "no pooled connection was left inside a transaction");
        }
        // The pool still serves every connection cleanly.
        let owner = app.signup("After the storm").await;
        for _ in 0..20 {
            expect_status(app.get("/api/v1/users", Some(&owner.token)).await, StatusCode::OK).await;
        }
    }
}
