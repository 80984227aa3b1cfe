//! The client file: validation, lifecycle, search, assignments, notes, timeline, dashboard, and who may
//! see and change what.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, expect_problem, expect_status};
use crate::on_both_databases;

async fn trainer_for(
    app: &TestApp,
    owner: &Account,
    user: Option<&Account>,
    last_name: &str,
) -> String {
    let mut body = json!({"first_name": "Tina", "last_name": last_name});
    if let Some(u) = user {
        body["user_id"] = json!(u.user_id);
    }
    let t = expect_status(
        app.post("/api/v1/trainers", Some(&owner.token), &body)
            .await,
        StatusCode::CREATED,
    )
    .await;
    t["id"].as_str().unwrap().to_owned()
}

async fn client(app: &TestApp, token: &str, body: Value) -> Value {
    expect_status(
        app.post("/api/v1/clients", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await
}

on_both_databases! {
    async fn a_client_is_created_with_normalised_fields_and_defaults(app) {
        let owner = app.signup("Studio").await;
        let c = client(&app, &owner.token, json!({
            "first_name": " Anna ", "last_name": "Müller", "email": "Anna.Mueller@Example.com",
            "phone": "+49 (30) 123-4567", "date_of_birth": "1990-04-01", "tags": ["VIP", "vip", "Morning"],
            "custom_fields": {"shoe_size": 39, "referrer": "Ben"}, "medical_notes": "Knee surgery 2019",
        })).await;
        assert_eq!(c["first_name"], "Anna");
        assert_eq!(c["email"], "anna.mueller@example.com");
        assert_eq!(c["phone"], "+49301234567");
        assert_eq!(c["status"], "lead");
        assert_eq!(c["source"], "api");
        assert_eq!(c["tags"], json!(["VIP", "Morning"]));
        assert_eq!(c["custom_fields"]["shoe_size"], 39);
        assert_eq!(c["medical_notes"], "Knee surgery 2019");
        assert_eq!(c["version"], 1);
    }
}

on_both_databases! {
    async fn every_invalid_client_field_is_listed_in_one_422(app) {
        let owner = app.signup("Studio").await;
        let r = app.post("/api/v1/clients", Some(&owner.token), &json!({
            "first_name": "", "last_name": "x".repeat(101), "email": "nope", "phone": "call me",
            "date_of_birth": "1850-01-01", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>(),
            "custom_fields": {"nested": {"a": 1}}, "goals": "g".repeat(2001),
            "emergency_contact_phone": "12",
        })).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        for f in ["first_name", "last_name", "email", "phone", "date_of_birth", "tags", "custom_fields", "goals", "emergency_contact_phone"] {
            assert!(p["errors"][f].is_array(), "{f} not reported: {p}");
        }
        let r = app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": "A", "last_name": "B", "status": "vip", "date_of_birth": "2999-01-01"})).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["status"].is_array(), "{p}");
        let r = app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": "A", "last_name": "B", "date_of_birth": "2999-01-01"})).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["date_of_birth"][0].as_str().unwrap().contains("between 1900 and 2200"), "{p}");
        let r = app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": "A", "last_name": "B", "date_of_birth": "2199-01-01"})).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["date_of_birth"][0].as_str().unwrap().contains("past"), "{p}");
    }
}

on_both_databases! {
    async fn a_duplicate_email_is_a_409_naming_the_existing_client(app) {
        let owner = app.signup("Studio").await;
        let first = client(&app, &owner.token, json!({"first_name": "A", "last_name": "B", "email": "same@example.com"})).await;
        let r = app.post("/api/v1/clients", Some(&owner.token), &json!({"first_name": "C", "last_name": "D", "email": "SAME@example.com"})).await;
        let p = expect_problem(r, StatusCode::CONFLICT).await;
        assert_eq!(p["conflicts"][0]["id"], first["id"]);
        let other = client(&app, &owner.token, json!({"first_name": "E", "last_name": "F", "email": "other@example.com"})).await;
        let r = app.patch(&format!("/api/v1/clients/{}", other["id"].as_str().unwrap()), Some(&owner.token), &json!({"email": "same@example.com"})).await;
        expect_problem(r, StatusCode::CONFLICT).await;
        // Another organization may have a client with the same email.
        let b = app.signup("Other").await;
        client(&app, &b.token, json!({"first_name": "A", "last_name": "B", "email": "same@example.com"})).await;
    }
}

on_both_databases! {
    async fn the_lifecycle_allows_only_its_moves_and_records_each(app) {
        let owner = app.signup("Studio").await;
        let c = client(&app, &owner.token, json!({"first_name": "A", "last_name": "B"})).await;
        let path = format!("/api/v1/clients/{}", c["id"].as_str().unwrap());
        for status in ["trial", "active", "paused", "active", "churned", "active"] {
            let r = app.patch(&path, Some(&owner.token), &json!({"status": status})).await;
            assert_eq!(expect_status(r, StatusCode::OK).await["status"], status);
        }
        let p = expect_problem(app.patch(&path, Some(&owner.token), &json!({"status": "lead"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["status"][0].as_str().unwrap().contains("allowed"), "{p}");
        let timeline = expect_status(app.get(&format!("{path}/timeline"), Some(&owner.token)).await, StatusCode::OK).await;
        let moves: Vec<String> = timeline["items"].as_array().unwrap().iter()
            .filter(|e| e["kind"] == "status_change")
            .map(|e| format!("{}>{}", e["data"]["from"].as_str().unwrap_or("-"), e["data"]["to"].as_str().unwrap()))
            .collect();
        assert_eq!(moves, ["churned>active", "active>churned", "paused>active", "active>paused", "trial>active", "lead>trial", "->lead"]);
        assert!(timeline["items"][0]["actor_id"].as_str() == Some(owner.user_id.as_str()));
    }
}

on_both_databases! {
    async fn patch_changes_only_what_it_names_and_null_clears(app) {
        let owner = app.signup("Studio").await;
        let c = client(&app, &owner.token, json!({"first_name": "A", "last_name": "B", "phone": "0301234567", "goals": "Run 10k"})).await;
        let path = format!("/api/v1/clients/{}", c["id"].as_str().unwrap());
        let r = app.request(reqwest::Method::PATCH, &path, Some(&owner.token)).header("if-match", "1")
            .json(&json!({"phone": null, "tags": ["new"]})).send().await.unwrap();
        let after = expect_status(r, StatusCode::OK).await;
        assert!(after["phone"].is_null());
        assert_eq!(after["goals"], "Run 10k");
        assert_eq!(after["tags"], json!(["new"]));
        assert_eq!(after["version"], 2);
        let r = app.request(reqwest::Method::PATCH, &path, Some(&owner.token)).header("if-match", "1")
            .json(&json!({"goals": "stale"})).send().await.unwrap();
        expect_problem(r, StatusCode::PRECONDITION_FAILED).await;
    }
}

on_both_databases! {
    async fn search_matches_name_email_and_phone_prefixes_without_regard_to_case(app) {
        let owner = app.signup("Studio").await;
        for (first, last, email, phone) in [
            ("Anna", "Müller", "anna@example.com", "+4930111222"),
            ("Ben", "Anders", "ben@work.org", "0170999888"),
            ("Carla", "Schmidt", "carla@example.com", "0301234"),
            ("Ánh", "Nguyen", "anh@example.com", "0401234"),
        ] {
            client(&app, &owner.token, json!({"first_name": first, "last_name": last, "email": email, "phone": phone})).await;
        }
        let names = |v: Value| -> Vec<String> { v["items"].as_array().unwrap().iter().map(|c| c["first_name"].as_str().unwrap().to_owned()).collect() };
        let search = |q: &str| {
            let path = format!("/api/v1/clients?q={}", urlencode(q));
            let (app, token) = (&app, owner.token.clone());
            async move { app.get(&path, Some(&token)).await }
        };
        assert_eq!(names(expect_status(search("an").await, StatusCode::OK).await), ["Ben", "Anna", "Ánh"], "first or last name or email, sorted by family name");
        assert_eq!(names(expect_status(search("MÜL").await, StatusCode::OK).await), ["Anna"]);
        assert_eq!(names(expect_status(search("anna mü").await, StatusCode::OK).await), ["Anna"], "full name");
        assert_eq!(names(expect_status(search("ánh").await, StatusCode::OK).await), ["Ánh"]);
        assert_eq!(names(expect_status(search("ben@").await, StatusCode::OK).await), ["Ben"]);
        assert_eq!(names(expect_status(search("0170").await, StatusCode::OK).await), ["Ben"]);
        assert_eq!(names(expect_status(search("+49 30").await, StatusCode::OK).await), ["Anna"]);
        assert!(names(expect_status(search("zzz").await, StatusCode::OK).await).is_empty());
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

on_both_databases! {
    async fn lists_filter_by_status_tag_and_trainer_and_page_in_order(app) {
        let owner = app.signup("Studio").await;
        let t1 = trainer_for(&app, &owner, None, "One").await;
        let t2 = trainer_for(&app, &owner, None, "Two").await;
        for i in 0..12 {
            let status = if i % 3 == 0 { "active" } else { "lead" };
            let tags = if i % 2 == 0 { json!(["Even"]) } else { json!([]) };
            let trainer = if i < 5 { json!([t1]) } else { json!([t2]) };
            client(&app, &owner.token, json!({"first_name": format!("C{i:02}"), "last_name": format!("L{i:02}"), "status": status, "tags": tags, "trainer_ids": trainer})).await;
        }
        let total = |q: &str| {
            let q = q.to_owned();
            let app = &app;
            let token = owner.token.clone();
            async move { expect_status(app.get(&format!("/api/v1/clients?include_total=true&{q}"), Some(&token)).await, StatusCode::OK).await["total"].as_u64().unwrap() }
        };
        assert_eq!(total("").await, 12);
        assert_eq!(total("status=active").await, 4);
        assert_eq!(total("tag=even").await, 6);
        assert_eq!(total(&format!("trainer_id={t1}")).await, 5);
        assert_eq!(total(&format!("trainer_id={t2}&status=active&tag=EVEN")).await, 1);

        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = expect_status(app.get(&format!("/api/v1/clients?limit=5&sort=-name{cursor}"), Some(&owner.token)).await, StatusCode::OK).await;
            seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["last_name"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() { Some(c) => cursor = format!("&cursor={c}"), None => break }
        }
        let expected: Vec<String> = (0..12).rev().map(|i| format!("L{i:02}")).collect();
        assert_eq!(seen, expected);
        expect_problem(app.get("/api/v1/clients?status=gold", Some(&owner.token)).await, StatusCode::BAD_REQUEST).await;
        expect_problem(app.get("/api/v1/clients?trainer_id=nope", Some(&owner.token)).await, StatusCode::BAD_REQUEST).await;
    }
}

on_both_databases! {
    async fn assignments_add_change_and_remove_trainers(app) {
        let owner = app.signup("Studio").await;
        let t1 = trainer_for(&app, &owner, None, "One").await;
        let t2 = trainer_for(&app, &owner, None, "Two").await;
        let c = client(&app, &owner.token, json!({"first_name": "A", "last_name": "B", "trainer_ids": [t1]})).await;
        assert_eq!(c["trainers"][0]["role"], "primary");
        let path = format!("/api/v1/clients/{}/trainers", c["id"].as_str().unwrap());
        let after = expect_status(app.post(&path, Some(&owner.token), &json!({"trainer_id": t2, "role": "Nutrition"})).await, StatusCode::OK).await;
        assert_eq!(after["trainer_ids"], json!([t1, t2]));
        assert_eq!(after["trainers"][1]["role"], "nutrition");
        expect_status(app.delete(&format!("{path}/{t1}"), Some(&owner.token)).await, StatusCode::NO_CONTENT).await;
        expect_problem(app.delete(&format!("{path}/{t1}"), Some(&owner.token)).await, StatusCode::NOT_FOUND).await;
        let now = expect_status(app.get(&format!("/api/v1/clients/{}", c["id"].as_str().unwrap()), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(now["trainer_ids"], json!([t2]));
        let p = expect_problem(app.post(&path, Some(&owner.token), &json!({"trainer_id": uuid::Uuid::now_v7()})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["trainer_id"].is_array());
    }
}

on_both_databases! {
    async fn notes_and_assignments_join_the_timeline_newest_first(app) {
        let owner = app.signup("Studio").await;
        let t = trainer_for(&app, &owner, None, "One").await;
        let c = client(&app, &owner.token, json!({"first_name": "A", "last_name": "B"})).await;
        let id = c["id"].as_str().unwrap();
        for i in 0..3 {
            expect_status(app.post(&format!("/api/v1/clients/{id}/notes"), Some(&owner.token), &json!({"body": format!("note {i}"), "pinned": i == 0})).await, StatusCode::CREATED).await;
        }
        expect_status(app.post(&format!("/api/v1/clients/{id}/trainers"), Some(&owner.token), &json!({"trainer_id": t})).await, StatusCode::OK).await;
        app.patch(&format!("/api/v1/clients/{id}"), Some(&owner.token), &json!({"consent_email": true})).await;
        let notes = expect_status(app.get(&format!("/api/v1/clients/{id}/notes"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(notes["items"][0]["body"], "note 0", "pinned first");
        assert_eq!(notes["items"][1]["body"], "note 2");
        let mut kinds = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = expect_status(app.get(&format!("/api/v1/clients/{id}/timeline?limit=2{cursor}"), Some(&owner.token)).await, StatusCode::OK).await;
            kinds.extend(page["items"].as_array().unwrap().iter().map(|e| {
                let kind = e["kind"].as_str().unwrap();
                if kind == "audit" { format!("audit:{}", e["data"]["action"].as_str().unwrap()) } else { kind.to_owned() }
            }));
            match page["next_cursor"].as_str() { Some(c) => cursor = format!("&cursor={c}"), None => break }
        }
        // A change and its audit event carry the same time; ties are ordered by id, newest first.
        kinds.sort_by_key(|k| !k.starts_with("audit"));
        assert_eq!(kinds.iter().filter(|k| k.starts_with("audit")).cloned().collect::<Vec<_>>(), ["audit:client.updated", "audit:client.created"]);
        let rest: Vec<&String> = kinds.iter().filter(|k| !k.starts_with("audit")).collect();
        assert_eq!(rest, ["consent", "trainer_assigned", "note", "note", "note", "status_change"]);
        expect_problem(app.post(&format!("/api/v1/clients/{id}/notes"), Some(&owner.token), &json!({"body": "  "})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}

on_both_databases! {
    async fn trainers_see_and_edit_only_their_clients(app) {
        let owner = app.signup("Studio").await;
        let tom = app.add_user(&owner, "trainer").await;
        let tom_id = trainer_for(&app, &owner, Some(&tom), "Tom").await;
        let other_trainer = trainer_for(&app, &owner, None, "Other").await;
        let mine = client(&app, &owner.token, json!({"first_name": "Mine", "last_name": "M", "trainer_ids": [tom_id], "medical_notes": "asthma"})).await;
        let theirs = client(&app, &owner.token, json!({"first_name": "Theirs", "last_name": "T", "trainer_ids": [other_trainer]})).await;
        let list = expect_status(app.get("/api/v1/clients?include_total=true", Some(&tom.token)).await, StatusCode::OK).await;
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["medical_notes"], "asthma", "a client's trainer sees medical notes");
        let mine_path = format!("/api/v1/clients/{}", mine["id"].as_str().unwrap());
        let theirs_path = format!("/api/v1/clients/{}", theirs["id"].as_str().unwrap());
        expect_status(app.get(&mine_path, Some(&tom.token)).await, StatusCode::OK).await;
        expect_status(app.patch(&mine_path, Some(&tom.token), &json!({"goals": "more"})).await, StatusCode::OK).await;
        expect_problem(app.get(&theirs_path, Some(&tom.token)).await, StatusCode::NOT_FOUND).await;
        expect_problem(app.patch(&theirs_path, Some(&tom.token), &json!({"goals": "x"})).await, StatusCode::NOT_FOUND).await;
        expect_problem(app.get(&format!("{theirs_path}/notes"), Some(&tom.token)).await, StatusCode::NOT_FOUND).await;
        expect_problem(app.get(&format!("{theirs_path}/timeline"), Some(&tom.token)).await, StatusCode::NOT_FOUND).await;
        expect_problem(app.delete(&mine_path, Some(&tom.token)).await, StatusCode::FORBIDDEN).await;
        expect_problem(app.post(&format!("{mine_path}/trainers"), Some(&tom.token), &json!({"trainer_id": other_trainer})).await, StatusCode::FORBIDDEN).await;
        // A trainer's new client is theirs.
        let new = client(&app, &tom.token, json!({"first_name": "New", "last_name": "N"})).await;
        assert_eq!(new["trainer_ids"], json!([tom_id]));
        let dash = expect_status(app.get("/api/v1/dashboard", Some(&tom.token)).await, StatusCode::OK).await;
        assert_eq!(dash["clients_total"], 2);
    }
}

on_both_databases! {
    async fn staff_never_see_or_write_medical_notes(app) {
        let owner = app.signup("Studio").await;
        let staff = app.add_user(&owner, "staff").await;
        let c = client(&app, &owner.token, json!({"first_name": "A", "last_name": "B", "medical_notes": "diabetes"})).await;
        let path = format!("/api/v1/clients/{}", c["id"].as_str().unwrap());
        let seen = expect_status(app.get(&path, Some(&staff.token)).await, StatusCode::OK).await;
        assert!(seen.get("medical_notes").is_none(), "{seen}");
        let list = expect_status(app.get("/api/v1/clients", Some(&staff.token)).await, StatusCode::OK).await;
        assert!(list["items"][0].get("medical_notes").is_none());
        assert!(!list.to_string().contains("diabetes"));
        expect_problem(app.patch(&path, Some(&staff.token), &json!({"medical_notes": "x"})).await, StatusCode::FORBIDDEN).await;
        expect_problem(app.post("/api/v1/clients", Some(&staff.token), &json!({"first_name": "A", "last_name": "B", "medical_notes": "x"})).await, StatusCode::FORBIDDEN).await;
        expect_status(app.patch(&path, Some(&staff.token), &json!({"goals": "front desk may edit the rest"})).await, StatusCode::OK).await;
        let by_owner = expect_status(app.get(&path, Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(by_owner["medical_notes"], "diabetes");
    }
}

// The access matrix: every role against every client endpoint, for a client of the caller's
// organization (assigned to the trainer) and one of another organization.
on_both_databases! {
    async fn the_access_matrix_holds_for_every_role_and_endpoint(app) {
        let owner = app.signup("Studio").await;
        let other_org = app.signup("Elsewhere").await;
        let trainer = app.add_user(&owner, "trainer").await;
        let trainer_id = trainer_for(&app, &owner, Some(&trainer), "T").await;
        let accounts = [
            ("owner", owner.clone()),
            ("admin", app.add_user(&owner, "admin").await),
            ("staff", app.add_user(&owner, "staff").await),
            ("trainer", trainer.clone()),
            ("client", app.add_user(&owner, "client").await),
        ];
        let foreign = client(&app, &other_org.token, json!({"first_name": "F", "last_name": "F"})).await;
        let foreign_id = foreign["id"].as_str().unwrap().to_owned();
        for (role, account) in &accounts {
            let own = client(&app, &owner.token, json!({"first_name": "O", "last_name": role, "trainer_ids": [trainer_id]})).await;
            let own_id = own["id"].as_str().unwrap().to_owned();
            let reads_clients = *role != "client";
            let front_desk = matches!(*role, "owner" | "admin" | "staff");
            let manager = matches!(*role, "owner" | "admin");
            let expect = |ok: bool, success: StatusCode| if ok { success } else { StatusCode::FORBIDDEN };
            let tok = Some(account.token.as_str());
            let list = app.get("/api/v1/clients", tok).await;
            assert_eq!(list.status(), expect(reads_clients, StatusCode::OK), "{role} list");
            let get = app.get(&format!("/api/v1/clients/{own_id}"), tok).await;
            assert_eq!(get.status(), if reads_clients { StatusCode::OK } else { StatusCode::NOT_FOUND }, "{role} get own");
            let patch = app.patch(&format!("/api/v1/clients/{own_id}"), tok, &json!({"goals": "g"})).await;
            assert_eq!(patch.status(), expect(reads_clients, StatusCode::OK), "{role} patch own");
            let note = app.post(&format!("/api/v1/clients/{own_id}/notes"), tok, &json!({"body": "hi"})).await;
            assert_eq!(note.status(), expect(reads_clients, StatusCode::CREATED), "{role} note");
            let timeline = app.get(&format!("/api/v1/clients/{own_id}/timeline"), tok).await;
            assert_eq!(timeline.status(), expect(reads_clients, StatusCode::OK), "{role} timeline");
            let assign = app.post(&format!("/api/v1/clients/{own_id}/trainers"), tok, &json!({"trainer_id": trainer_id})).await;
            assert_eq!(assign.status(), expect(front_desk, StatusCode::OK), "{role} assign");
            let dash = app.get("/api/v1/dashboard", tok).await;
            assert_eq!(dash.status(), expect(reads_clients, StatusCode::OK), "{role} dashboard");
            // Another organization's client is invisible to everyone: 404 (or 403 where the role may
            // not use the endpoint at all).
            for (method, path) in [
                (reqwest::Method::GET, format!("/api/v1/clients/{foreign_id}")),
                (reqwest::Method::PATCH, format!("/api/v1/clients/{foreign_id}")),
                (reqwest::Method::GET, format!("/api/v1/clients/{foreign_id}/notes")),
                (reqwest::Method::GET, format!("/api/v1/clients/{foreign_id}/timeline")),
                (reqwest::Method::DELETE, format!("/api/v1/clients/{foreign_id}")),
            ] {
                let r = app.request(method.clone(), &path, tok).json(&json!({})).send().await.unwrap();
                assert!(matches!(r.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{role} {method} {path}: {}", r.status());
            }
            let delete = app.delete(&format!("/api/v1/clients/{own_id}"), tok).await;
            assert_eq!(delete.status(), expect(manager, StatusCode::NO_CONTENT), "{role} delete");
        }
        let still = expect_status(app.get(&format!("/api/v1/clients/{foreign_id}"), Some(&other_org.token)).await, StatusCode::OK).await;
        assert_eq!(still["version"], 1, "nothing touched the other organization's client");
    }
}

on_both_databases! {
    async fn the_dashboard_counts_statuses_leads_conversions_and_unassigned(app) {
        let owner = app.signup("Studio").await;
        let t = trainer_for(&app, &owner, None, "One").await;
        let a = client(&app, &owner.token, json!({"first_name": "A", "last_name": "A"})).await;
        client(&app, &owner.token, json!({"first_name": "B", "last_name": "B", "trainer_ids": [t]})).await;
        client(&app, &owner.token, json!({"first_name": "C", "last_name": "C", "status": "active"})).await;
        app.patch(&format!("/api/v1/clients/{}", a["id"].as_str().unwrap()), Some(&owner.token), &json!({"status": "active"})).await;
        let d = expect_status(app.get("/api/v1/dashboard", Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(d["clients_by_status"]["lead"], 1);
        assert_eq!(d["clients_by_status"]["active"], 2);
        assert_eq!(d["clients_by_status"]["churned"], 0);
        assert_eq!(d["clients_total"], 3);
        assert_eq!(d["new_leads_this_month"], 2);
        assert_eq!(d["conversions_this_month"], 1);
        assert_eq!(d["clients_without_trainer"], 2);
    }
}

on_both_databases! {
    async fn every_change_to_a_client_is_audited_with_field_names_only(app) {
        let owner = app.signup("Studio").await;
        let t = trainer_for(&app, &owner, None, "One").await;
        let c = client(&app, &owner.token, json!({"first_name": "Secret", "last_name": "Person", "email": "secret.person@example.com", "medical_notes": "secret diagnosis"})).await;
        let id = c["id"].as_str().unwrap();
        app.patch(&format!("/api/v1/clients/{id}"), Some(&owner.token), &json!({"medical_notes": "another secret", "status": "trial"})).await;
        app.post(&format!("/api/v1/clients/{id}/trainers"), Some(&owner.token), &json!({"trainer_id": t})).await;
        app.post(&format!("/api/v1/clients/{id}/notes"), Some(&owner.token), &json!({"body": "secret note"})).await;
        let events = expect_status(app.get(&format!("/api/v1/audit-events?subject_client_id={id}&sort=seq"), Some(&owner.token)).await, StatusCode::OK).await;
        let actions: Vec<&str> = events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["client.created", "client.updated", "client.trainer_assigned", "client_note.created"]);
        let update = &events["items"][1];
        assert_eq!(update["changed_fields"], json!(["medical_notes", "status"]));
        assert_eq!(update["actor_id"], owner.user_id.as_str());
        assert_eq!(update["source"], "api");
        let text = events.to_string();
        assert!(!text.contains("secret") && !text.contains("Secret"), "no personal values in the audit trail: {text}");
        let export = expect_status(app.get(&format!("/api/v1/clients/{id}/export"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(export["audit_events"].as_array().unwrap().len(), 4);
        expect_status(app.post(&format!("/api/v1/clients/{id}/erase"), Some(&owner.token), &json!({})).await, StatusCode::NO_CONTENT).await;
        let reports = fitnesscrm::audit::verify(app.db.conn(), None).await.unwrap();
        assert!(reports.iter().all(|r| r.is_intact()), "the chain stays intact through erasure");
        let events = expect_status(app.get(&format!("/api/v1/audit-events?subject_client_id={id}"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(events["items"][0]["action"], "client.erased");
    }
}
