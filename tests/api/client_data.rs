//! Getting client data in and out: CSV import (dry run, commit, duplicates, revert, bad files), CSV
//! export, the GDPR export and erasure.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Account, Backend, TestApp, expect_problem, expect_status};
use crate::on_both_databases;

async fn import(
    app: &TestApp,
    who: &Account,
    query: &str,
    csv: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/api/v1/clients/import{query}"),
        Some(&who.token),
    )
    .header("content-type", "text/csv")
    .body(csv)
    .send()
    .await
    .unwrap()
}

async fn total(app: &TestApp, who: &Account) -> u64 {
    expect_status(
        app.get("/api/v1/clients?include_total=true", Some(&who.token))
            .await,
        StatusCode::OK,
    )
    .await["total"]
        .as_u64()
        .unwrap()
}

const FILE: &str = "\u{feff}First Name,Surname,E-Mail,Mobile,DOB,Status,Tags,Shoe size\n\
Anna,Müller,anna@example.com,+49 30 1234567,1990-04-01,active,vip;morning,39\n\
Ben,Anders,ben@example.com,,,lead,,44\n\
\n\
Carla,Schmidt,,0301234567,,,,\n";

on_both_databases! {
    async fn a_dry_run_reports_every_row_and_writes_nothing_then_the_import_commits(app) {
        let owner = app.signup("Studio").await;
        let report = expect_status(import(&app, &owner, "?dry_run=true", FILE).await, StatusCode::OK).await;
        assert_eq!(report["dry_run"], true);
        assert!(report["import_id"].is_null());
        assert_eq!(report["rows"], 3);
        assert_eq!(report["created"], 3);
        assert_eq!(report["unmapped_columns"], json!(["Shoe size"]));
        assert_eq!(report["items"][2]["line"], 5, "lines count the header and blank lines");
        assert_eq!(total(&app, &owner).await, 0, "a dry run writes nothing");

        let r = import(&app, &owner, "", FILE).await;
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let report = expect_status(r, StatusCode::CREATED).await;
        assert_eq!(location, format!("/api/v1/imports/{}", report["import_id"].as_str().unwrap()));
        assert_eq!(total(&app, &owner).await, 3);
        let anna = expect_status(app.get(&format!("/api/v1/clients/{}", report["items"][0]["client_id"].as_str().unwrap()), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(anna["phone"], "+49301234567");
        assert_eq!(anna["status"], "active");
        assert_eq!(anna["source"], "import");
        assert_eq!(anna["tags"], json!(["vip", "morning"]));
        assert_eq!(anna["date_of_birth"], "1990-04-01");
    }
}

on_both_databases! {
    async fn one_bad_row_stops_the_whole_import(app) {
        let owner = app.signup("Studio").await;
        let csv = "first_name,last_name,email,date_of_birth,status\nAnna,A,anna@example.com,1990-01-01,lead\n,B,not-an-email,31.12.1990,gold\nCarl,C,anna@example.com,,\n";
        let r = import(&app, &owner, "", csv).await;
        let report = expect_status(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(report["errors"], 2);
        let bad = &report["items"][1];
        assert_eq!(bad["outcome"], "error");
        for f in ["first_name", "email", "date_of_birth", "status"] {
            assert!(bad["errors"][f].is_array(), "{f}: {bad}");
        }
        assert!(report["items"][2]["errors"]["email"][0].as_str().unwrap().contains("line 2"));
        assert_eq!(total(&app, &owner).await, 0, "nothing was written");
    }
}

on_both_databases! {
    async fn duplicates_are_skipped_updated_or_refused_as_asked(app) {
        let owner = app.signup("Studio").await;
        let existing = expect_status(app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": "Anna", "last_name": "Old", "email": "anna@example.com", "goals": "keep me"})).await, StatusCode::CREATED).await;
        let csv = "first_name,last_name,email,phone\nAnna,New,ANNA@example.com,0301112222\nBen,B,ben@example.com,\n";
        let skip = expect_status(import(&app, &owner, "?dry_run=true", csv).await, StatusCode::OK).await;
        assert_eq!((skip["created"].as_u64(), skip["skipped"].as_u64()), (Some(1), Some(1)));
        assert_eq!(skip["items"][0]["client_id"], existing["id"]);
        let refuse = expect_status(import(&app, &owner, "?dry_run=true&on_duplicate=error", csv).await, StatusCode::OK).await;
        assert_eq!(refuse["errors"], 1);
        let update = expect_status(import(&app, &owner, "?on_duplicate=update", csv).await, StatusCode::CREATED).await;
        assert_eq!((update["created"].as_u64(), update["updated"].as_u64()), (Some(1), Some(1)));
        let anna = expect_status(app.get(&format!("/api/v1/clients/{}", existing["id"].as_str().unwrap()), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(anna["last_name"], "New");
        assert_eq!(anna["phone"], "0301112222");
        assert_eq!(anna["goals"], "keep me", "empty or missing cells do not clear fields");
    }
}

on_both_databases! {
    async fn reverting_an_import_undoes_it_unless_its_records_changed_since(app) {
        let owner = app.signup("Studio").await;
        let existing = expect_status(app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": "Anna", "last_name": "Old", "email": "anna@example.com", "status": "active"})).await, StatusCode::CREATED).await;
        let existing_path = format!("/api/v1/clients/{}", existing["id"].as_str().unwrap());
        let csv = "first_name,last_name,email,status\nAnna,New,anna@example.com,paused\nBen,B,ben@example.com,\n";
        let report = expect_status(import(&app, &owner, "?on_duplicate=update", csv).await, StatusCode::CREATED).await;
        let import_path = format!("/api/v1/imports/{}", report["import_id"].as_str().unwrap());
        assert_eq!(total(&app, &owner).await, 2);
        expect_status(app.delete(&import_path, Some(&owner.token)).await, StatusCode::NO_CONTENT).await;
        assert_eq!(total(&app, &owner).await, 1, "the created client is gone");
        let anna = expect_status(app.get(&existing_path, Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(anna["last_name"], "Old");
        assert_eq!(anna["status"], "active");
        expect_problem(app.delete(&import_path, Some(&owner.token)).await, StatusCode::NOT_FOUND).await;

        // A second import whose client is then edited by hand cannot be reverted.
        let report = expect_status(import(&app, &owner, "", "first_name,last_name\nCarl,C\nDora,D\n").await, StatusCode::CREATED).await;
        let carl = report["items"][0]["client_id"].as_str().unwrap();
        app.patch(&format!("/api/v1/clients/{carl}"), Some(&owner.token), &json!({"goals": "edited"})).await;
        let p = expect_problem(app.delete(&format!("/api/v1/imports/{}", report["import_id"].as_str().unwrap()), Some(&owner.token)).await, StatusCode::CONFLICT).await;
        assert_eq!(p["conflicts"][0]["id"], carl);
        assert_eq!(total(&app, &owner).await, 3, "nothing was reverted");
    }
}

on_both_databases! {
    async fn bad_files_get_a_clear_4xx_and_change_nothing(app) {
        let owner = app.signup("Studio").await;
        let r = app.request(Method::POST, "/api/v1/clients/import", Some(&owner.token)).header("content-type", "application/json").body("{}").send().await.unwrap();
        expect_problem(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        let latin1: Vec<u8> = b"first_name,last_name\nJos\xe9,M\xfcller\n".to_vec();
        let p = expect_problem(import(&app, &owner, "", latin1).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["file"][0].as_str().unwrap().contains("UTF-8"), "{p}");
        let p = expect_problem(import(&app, &owner, "", "name,email\nAnna,a@example.com\n").await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["file"].as_array().unwrap().len() == 2, "both missing columns named: {p}");
        let mut big = String::from("first_name,last_name,goals\n");
        let filler = "x".repeat(1000);
        while big.len() <= 10 * 1024 * 1024 {
            big.push_str(&format!("A,B,{filler}\n"));
        }
        expect_problem(import(&app, &owner, "", big).await, StatusCode::PAYLOAD_TOO_LARGE).await;
        let mut many = String::from("first_name,last_name\n");
        for i in 0..50_001 {
            many.push_str(&format!("A{i},B\n"));
        }
        let p = expect_problem(import(&app, &owner, "", many).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["file"][0].as_str().unwrap().contains("50000"), "{p}");
        let staff = app.add_user(&owner, "staff").await;
        expect_problem(import(&app, &staff, "", "first_name,last_name,medical_notes\nA,B,asthma\n").await, StatusCode::FORBIDDEN).await;
        let client_user = app.add_user(&owner, "client").await;
        expect_problem(import(&app, &client_user, "", FILE).await, StatusCode::FORBIDDEN).await;
        assert_eq!(total(&app, &owner).await, 0);
    }
}

on_both_databases! {
    async fn the_csv_export_follows_the_filter_and_neutralises_formulas(app) {
        let owner = app.signup("Studio").await;
        for (first, status) in [("=HYPERLINK(\"http://evil\")", "active"), ("Anna", "active"), ("Ben", "lead"), ("@SUM(A1)", "active")] {
            expect_status(app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": first, "last_name": "X", "status": status, "goals": "-5 kg", "medical_notes": "private"})).await, StatusCode::CREATED).await;
        }
        let r = app.get("/api/v1/clients/export?status=active", Some(&owner.token)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = r.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header[1], "first_name");
        assert_eq!(header.last().unwrap(), "medical_notes");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3, "only active clients");
        let firsts: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
        assert!(firsts.contains(&"'=HYPERLINK(\"http://evil\")") && firsts.contains(&"'@SUM(A1)") && firsts.contains(&"Anna"), "{firsts:?}");
        assert!(rows.iter().all(|r| &r[9] == "'-5 kg"));

        let staff = app.add_user(&owner, "staff").await;
        let text = app.get("/api/v1/clients/export", Some(&staff.token)).await.text().await.unwrap();
        assert!(!text.contains("medical_notes") && !text.contains("private"), "staff exports carry no health data");
        let trainer = app.add_user(&owner, "trainer").await;
        expect_problem(app.get("/api/v1/clients/export", Some(&trainer.token)).await, StatusCode::FORBIDDEN).await;
    }
}

on_both_databases! {
    async fn a_large_export_streams_every_client_once(app) {
        let owner = app.signup("Studio").await;
        let mut csv = String::from("first_name,last_name\n");
        for i in 0..1234 {
            csv.push_str(&format!("F{i:04},L{:04}\n", 1233 - i));
        }
        expect_status(import(&app, &owner, "", csv).await, StatusCode::CREATED).await;
        let text = app.get("/api/v1/clients/export", Some(&owner.token)).await.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let lasts: Vec<String> = reader.records().map(|r| r.unwrap()[2].to_owned()).collect();
        let expected: Vec<String> = (0..1234).map(|i| format!("L{i:04}")).collect();
        assert_eq!(lasts, expected, "sorted by name, each once, across batches");
        // Compressed too (a regression: the stream was polled after its end and the server panicked).
        let r = app.request(Method::GET, "/api/v1/clients/export", Some(&owner.token)).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(r.headers()["content-encoding"], "gzip");
        let gz = r.bytes().await.unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
        assert_eq!(text.lines().count(), 1235);
    }
}

on_both_databases! {
    async fn the_personal_data_export_holds_everything_about_the_person(app) {
        let owner = app.signup("Studio").await;
        let portal = app.add_user(&owner, "client").await;
        let c = expect_status(app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": "Anna", "last_name": "A", "medical_notes": "asthma", "consent_email": true})).await, StatusCode::CREATED).await;
        let id = c["id"].as_str().unwrap();
        expect_status(app.post(&format!("/api/v1/clients/{id}/notes"), Some(&owner.token), &json!({"body": "likes mornings"})).await, StatusCode::CREATED).await;
        expect_status(app.patch(&format!("/api/v1/clients/{id}"), Some(&owner.token), &json!({"user_id": portal.user_id, "status": "trial"})).await, StatusCode::OK).await;
        let export = expect_status(app.get(&format!("/api/v1/clients/{id}/export"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(export["client"]["medical_notes"], "asthma");
        assert_eq!(export["notes"][0]["body"], "likes mornings");
        assert_eq!(export["status_history"].as_array().unwrap().len(), 2);
        assert_eq!(export["consents"][0]["channel"], "email");
        assert!(export["timeline"].as_array().unwrap().len() >= 4);
        // The person fetches their own export through the portal; nobody else's.
        let own = expect_status(app.get(&format!("/api/v1/clients/{id}/export"), Some(&portal.token)).await, StatusCode::OK).await;
        assert_eq!(own["client"]["id"], id);
        let other = expect_status(app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": "B", "last_name": "B"})).await, StatusCode::CREATED).await;
        expect_problem(app.get(&format!("/api/v1/clients/{}/export", other["id"].as_str().unwrap()), Some(&portal.token)).await, StatusCode::NOT_FOUND).await;
        let staff = app.add_user(&owner, "staff").await;
        expect_problem(app.get(&format!("/api/v1/clients/{id}/export"), Some(&staff.token)).await, StatusCode::FORBIDDEN).await;
        let portal_view = expect_status(app.get(&format!("/api/v1/clients/{id}"), Some(&portal.token)).await, StatusCode::OK).await;
        assert!(portal_view.get("medical_notes").is_none());
    }
}

on_both_databases! {
    async fn erasure_removes_personal_data_everywhere_it_is_held(app) {
        let owner = app.signup("Studio").await;
        let portal = app.add_user(&owner, "client").await;
        let marker = format!("zqxmarker{}", uuid::Uuid::now_v7().simple());
        let c = app.request(Method::POST, "/api/v1/clients", Some(&owner.token)).header("idempotency-key", "erase-me")
            .json(&json!({"first_name": marker, "last_name": marker, "email": format!("{marker}@example.com"),
                          "phone": "+4930999888", "medical_notes": marker, "goals": marker, "tags": [marker[..30].to_owned()],
                          "custom_fields": {"x": marker}, "consent_email": true}))
            .send().await.unwrap();
        let c: Value = expect_status(c, StatusCode::CREATED).await;
        let id = c["id"].as_str().unwrap().to_owned();
        expect_status(app.post(&format!("/api/v1/clients/{id}/notes"), Some(&owner.token), &json!({"body": marker})).await, StatusCode::CREATED).await;
        expect_status(app.patch(&format!("/api/v1/clients/{id}"), Some(&owner.token), &json!({"user_id": portal.user_id})).await, StatusCode::OK).await;

        let staff = app.add_user(&owner, "staff").await;
        expect_problem(app.post(&format!("/api/v1/clients/{id}/erase"), Some(&staff.token), &json!({})).await, StatusCode::FORBIDDEN).await;
        expect_status(app.post(&format!("/api/v1/clients/{id}/erase"), Some(&owner.token), &json!({})).await, StatusCode::NO_CONTENT).await;

        let after = expect_status(app.get(&format!("/api/v1/clients/{id}"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(after["first_name"], "Erased");
        assert!(after["email"].is_null() && after["medical_notes"].is_null() && after["phone"].is_null());
        assert_eq!(after["tags"], json!([]));
        assert!(!after.to_string().contains(&marker));
        let found = expect_status(app.get(&format!("/api/v1/clients?q={}", &marker[..12]), Some(&owner.token)).await, StatusCode::OK).await;
        assert!(found["items"].as_array().unwrap().is_empty(), "search columns are erased too");
        let notes = expect_status(app.get(&format!("/api/v1/clients/{id}/notes"), Some(&owner.token)).await, StatusCode::OK).await;
        assert!(notes["items"].as_array().unwrap().is_empty());
        expect_problem(app.get("/api/v1/me", Some(&portal.token)).await, StatusCode::UNAUTHORIZED).await;
        let export = expect_status(app.get(&format!("/api/v1/clients/{id}/export"), Some(&owner.token)).await, StatusCode::OK).await;
        assert!(!export.to_string().contains(&marker));

        if app.backend == Backend::Sqlite {
            // No copy of the marker anywhere in the database files, freed pages and WAL included.
            let path = app.database_url.trim_start_matches("sqlite://").split('?').next().unwrap().to_owned();
            for file in [path.clone(), format!("{path}-wal")] {
                if let Ok(bytes) = std::fs::read(&file) {
                    let found = bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
                    assert!(!found, "the marker is still in {file}");
                }
            }
        }
    }
}
