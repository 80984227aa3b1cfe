//! Encryption at rest: the sensitive fields reach neither the SQLite file nor a PostgreSQL dump in
//! plain text, read back whole through the API, and `fitnesscrm keys rotate` re-seals them (and
//! values from before encryption) under a new key, after which a process without it cannot start.

use fitnesscrm::db::sealed::{Keyring, SEALED, SealedColumn};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::cli::run;
use crate::helpers::{Account, Backend, TEST_DATA_KEY, TestApp, expect_status};
use crate::on_both_databases;

/// Everything the database keeps on disk: the SQLite file and its write-ahead log, or a
/// `pg_dump` of the PostgreSQL database.
async fn raw_storage(app: &TestApp) -> Vec<u8> {
    match app.backend {
        Backend::Sqlite => {
            let path = app
                .database_url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            let mut bytes = std::fs::read(&path).unwrap();
            if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
                bytes.extend(wal);
            }
            bytes
        }
        Backend::Postgres => {
            let out = std::process::Command::new("pg_dump")
                .arg("--dbname")
                .arg(&app.database_url)
                .output()
                .expect("pg_dump (postgresql-client) is installed");
            assert!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("CREATE TABLE public.clients"),
                "the dump holds the schema: the search below looks at the right thing"
            );
            out.stdout
        }
    }
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// `POST /api/v1/clients` of a client whose sensitive fields contain `marker`, with a fixed
/// `Idempotency-Key`.
async fn create_idempotently(app: &TestApp, owner: &Account, marker: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/clients", Some(&owner.token))
        .header("idempotency-key", "sealed-1")
        .json(&json!({
            "first_name": "Dana",
            "last_name": "Sealed",
            "email": "dana@example.com",
            "medical_notes": format!("{marker} medical"),
            "emergency_contact_name": format!("{marker} contact"),
            "emergency_contact_phone": "+49 30 1234567",
        }))
        .send()
        .await
        .unwrap()
}

/// A client with every sensitive field set to something containing `marker`, created with an
/// `Idempotency-Key` (so its response is kept), with a note, then changed by an import (whose
/// snapshot keeps the old values).
async fn sensitive_client(app: &TestApp, owner: &Account, marker: &str) -> Value {
    let created = create_idempotently(app, owner, marker).await;
    let client = expect_status(created, StatusCode::CREATED).await;
    let id = client["id"].as_str().unwrap().to_owned();
    expect_status(
        app.post(
            &format!("/api/v1/clients/{id}/notes"),
            Some(&owner.token),
            &json!({"body": format!("{marker} note")}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let csv = format!(
        "first_name,last_name,email,medical_notes\nDana,Sealed,dana@example.com,{marker} imported\n"
    );
    expect_status(
        app.request(
            Method::POST,
            "/api/v1/clients/import?on_duplicate=update",
            Some(&owner.token),
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    client
}

/// Every non-null value of every sealed column, with its row key.
async fn stored_values(app: &TestApp) -> Vec<(&'static SealedColumn, String, String)> {
    let mut out = Vec::new();
    for column in &SEALED {
        let keys = column
            .key
            .iter()
            .map(|k| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {keys}, \"{c}\" FROM \"{t}\" WHERE \"{c}\" IS NOT NULL",
            c = column.column,
            t = column.table
        );
        let conn = app.db.conn();
        for row in conn
            .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .unwrap()
        {
            let row_key = column
                .key
                .iter()
                .map(|k| row.try_get::<uuid::Uuid>("", k).unwrap().to_string())
                .collect::<Vec<_>>()
                .join("/");
            let value: String = row.try_get("", column.column).unwrap();
            out.push((column, row_key, value));
        }
    }
    out
}

on_both_databases! {
    async fn sensitive_fields_are_sealed_at_rest_and_read_back_whole(app) {
        let owner = app.signup("Sealed Studio").await;
        let marker = format!("MARK{}", uuid::Uuid::now_v7().simple());
        let client = sensitive_client(&app, &owner, &marker).await;
        let id = client["id"].as_str().unwrap();
        let setup = expect_status(
            app.post("/api/v1/me/mfa/totp", Some(&owner.token), &json!({})).await,
            StatusCode::OK,
        )
        .await;
        let totp_secret = setup["secret"].as_str().unwrap().to_owned();

        // Read back whole through the API, and replayed whole from the sealed idempotency record.
        let now = expect_status(app.get(&format!("/api/v1/clients/{id}"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(now["medical_notes"], format!("{marker} imported"));
        assert_eq!(now["emergency_contact_name"], format!("{marker} contact"));
        assert_eq!(now["emergency_contact_phone"], "+49301234567");
        let notes = expect_status(app.get(&format!("/api/v1/clients/{id}/notes"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(notes["items"][0]["body"], format!("{marker} note"), "{notes}");
        let replay = create_idempotently(&app, &owner, &marker).await;
        assert_eq!(replay.headers()["idempotent-replayed"], "true");
        let replayed = expect_status(replay, StatusCode::CREATED).await;
        assert_eq!(replayed["medical_notes"], format!("{marker} medical"));

        // On disk: every sensitive value is sealed, and neither marker nor secret is anywhere.
        let values = stored_values(&app).await;
        let tables: std::collections::BTreeSet<String> =
            values.iter().map(|(c, _, _)| format!("{}.{}", c.table, c.column)).collect();
        for expected in [
            "clients.medical_notes",
            "clients.emergency_contact_name",
            "clients.emergency_contact_phone",
            "client_notes.body",
            "users.totp_pending_secret",
            "import_items.previous",
            "idempotency_keys.response_body",
        ] {
            assert!(tables.contains(expected), "{expected} holds a value in this test: {tables:?}");
        }
        for (column, _, value) in &values {
            assert!(value.starts_with("fcrm1."), "{}.{} is sealed: {value}", column.table, column.column);
        }
        if app.backend == Backend::Sqlite {
            app.execute("PRAGMA wal_checkpoint(TRUNCATE)").await;
        }
        let raw = raw_storage(&app).await;
        assert!(holds(&raw, "Sealed Studio"), "the search finds what is stored in plain text");
        assert!(!holds(&raw, &marker), "a sensitive field is on disk in plain text");
        assert!(!holds(&raw, &totp_secret), "the TOTP secret is on disk in plain text");
        assert!(!holds(&raw, "+49301234567"), "the emergency phone is on disk in plain text");
    }
}

/// `fitnesscrm keys <args>` on the app's database with `FITNESSCRM_DATA_KEYS=<data_keys>`.
fn keys(app: &TestApp, data_keys: &str, args: &[&str]) -> (i32, String, String) {
    let args: Vec<&str> = std::iter::once("keys")
        .chain(args.iter().copied())
        .collect();
    run(
        &[
            ("DATABASE_URL", app.database_url.as_str()),
            ("FITNESSCRM_DATA_KEYS", data_keys),
            ("FITNESSCRM_LOG_LEVEL", "warn"),
        ],
        &args,
        None,
    )
}

on_both_databases! {
    async fn keys_rotate_reseals_everything_under_the_new_key_and_retires_the_old(app) {
        let owner = app.signup("Rotating Studio").await;
        let marker = format!("ROT{}", uuid::Uuid::now_v7().simple());
        let client = sensitive_client(&app, &owner, &marker).await;
        assert!(client["id"].is_string());
        // A value from before encryption at rest, in plain text.
        let legacy = expect_status(
            app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": "Lee", "last_name": "Legacy"})).await,
            StatusCode::CREATED,
        )
        .await;
        let legacy_id = legacy["id"].as_str().unwrap();
        let literal = match app.backend {
            Backend::Sqlite => format!("X'{}'", legacy_id.replace('-', "")),
            Backend::Postgres => format!("'{legacy_id}'"),
        };
        app.execute(&format!(
            "UPDATE clients SET medical_notes = '{marker} legacy' WHERE id = {literal}"
        ))
        .await;
        let before = stored_values(&app).await;
        let plain: Vec<(String, String)> = before
            .iter()
            .map(|(c, row, v)| {
                let opened = Keyring::parse(TEST_DATA_KEY).unwrap().open(c, row, v.clone()).unwrap();
                (format!("{}.{}/{row}", c.table, c.column), opened)
            })
            .collect();

        let new_key = fitnesscrm::db::sealed::generate_key();
        let (code, out, err) = keys(&app, &format!("{new_key},{TEST_DATA_KEY}"), &["rotate", "--batch", "2"]);
        assert_eq!(code, 0, "{out}{err}");
        let old_id = Keyring::parse(TEST_DATA_KEY).unwrap().current_id().to_owned();
        let new_ring = Keyring::parse(&new_key).unwrap();
        assert!(out.contains(&format!("retired data key(s) {old_id}")), "{out}");
        assert!(out.contains(&format!("{} value(s) re-sealed", before.len())), "{out}");

        // Everything is now sealed under the new key alone, and opens to what it was.
        let after = stored_values(&app).await;
        assert_eq!(after.len(), before.len());
        for (c, row, v) in after {
            assert!(v.starts_with(&format!("fcrm1.{}.", new_ring.current_id())), "{v}");
            let name = format!("{}.{}/{row}", c.table, c.column);
            let expected = &plain.iter().find(|(n, _)| *n == name).unwrap().1;
            assert_eq!(&new_ring.open(c, &row, v).unwrap(), expected, "{name}");
        }
        assert!(plain.iter().any(|(_, p)| p == &format!("{marker} legacy")));
        if app.backend == Backend::Sqlite {
            app.execute("PRAGMA wal_checkpoint(TRUNCATE)").await;
        }
        assert!(!holds(&raw_storage(&app).await, &marker));

        // A process given only the retired key refuses to start, naming the key it lacks.
        let (code, _, err) = keys(&app, TEST_DATA_KEY, &["rotate"]);
        assert_ne!(code, 0);
        assert!(err.contains(new_ring.current_id()) && err.contains("FITNESSCRM_DATA_KEYS"), "{err}");
    }
}
