//! Scheduling: sessions with conflicts, working hours and the status lifecycle; cancellation policy;
//! classes with waitlists, promotion and concurrent booking; check-in.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, expect_problem, expect_status};
use crate::on_both_databases;

struct Studio {
    owner: Account,
    trainer_id: String,
    other_trainer_id: String,
    client_id: String,
    other_client_id: String,
}

async fn studio(app: &TestApp) -> Studio {
    let owner = app.signup("Studio").await;
    let t = |name: &str| json!({"first_name": "T", "last_name": name});
    let trainer_id = expect_status(
        app.post("/api/v1/trainers", Some(&owner.token), &t("One"))
            .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_trainer_id = expect_status(
        app.post("/api/v1/trainers", Some(&owner.token), &t("Two"))
            .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = |name: &str| json!({"first_name": "C", "last_name": name});
    let client_id = expect_status(
        app.post("/api/v1/clients", Some(&owner.token), &c("One"))
            .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_client_id = expect_status(
        app.post("/api/v1/clients", Some(&owner.token), &c("Two"))
            .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Studio {
        owner,
        trainer_id,
        other_trainer_id,
        client_id,
        other_client_id,
    }
}

fn at(day_offset: i64, hour: u32, minute: u32) -> String {
    let d = chrono::Utc::now().date_naive() + chrono::Duration::days(day_offset);
    format!("{}T{:02}:{:02}:00Z", d, hour, minute)
}

async fn session(
    app: &TestApp,
    token: &str,
    trainer: &str,
    client: &str,
    start: &str,
    end: &str,
) -> reqwest::Response {
    app.post(
        "/api/v1/sessions",
        Some(token),
        &json!({"trainer_id": trainer, "client_id": client, "starts_at": start, "ends_at": end}),
    )
    .await
}

on_both_databases! {
    async fn a_double_booked_trainer_or_client_gets_a_409_listing_the_conflicts(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let first = expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(3, 9, 0), &at(3, 10, 0)).await, StatusCode::CREATED).await;
        assert_eq!(first["status"], "scheduled");
        // Same trainer, other client, overlapping.
        let p = expect_problem(session(&app, tok, &s.trainer_id, &s.other_client_id, &at(3, 9, 30), &at(3, 10, 30)).await, StatusCode::CONFLICT).await;
        assert_eq!(p["conflicts"][0]["id"], first["id"]);
        assert_eq!(p["conflicts"][0]["with"], "trainer");
        // Same client, other trainer.
        let p = expect_problem(session(&app, tok, &s.other_trainer_id, &s.client_id, &at(3, 8, 30), &at(3, 9, 30)).await, StatusCode::CONFLICT).await;
        assert_eq!(p["conflicts"][0]["with"], "client");
        // Back to back is fine.
        expect_status(session(&app, tok, &s.trainer_id, &s.other_client_id, &at(3, 10, 0), &at(3, 11, 0)).await, StatusCode::CREATED).await;
        // Owners may override; staff may not.
        let staff = app.add_user(&s.owner, "staff").await;
        let body = json!({"trainer_id": s.trainer_id, "client_id": s.other_client_id, "starts_at": at(3, 9, 15), "ends_at": at(3, 9, 45)});
        expect_problem(app.post("/api/v1/sessions?allow_conflict=true", Some(&staff.token), &body).await, StatusCode::FORBIDDEN).await;
        expect_status(app.post("/api/v1/sessions?allow_conflict=true", Some(tok), &body).await, StatusCode::CREATED).await;
        let p = expect_problem(session(&app, tok, &s.trainer_id, &s.client_id, &at(3, 10, 0), &at(3, 9, 0)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["ends_at"].is_array());
    }
}

on_both_databases! {
    async fn working_hours_and_time_off_limit_bookings_unless_overridden(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let day = chrono::Utc::now().date_naive() + chrono::Duration::days(7);
        let weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][chrono::Datelike::weekday(&day).num_days_from_monday() as usize];
        // The organization is in Europe/Berlin: 09:00-12:00 local is 07:00/08:00-10:00/11:00 UTC.
        let r = app.request(reqwest::Method::PUT, &format!("/api/v1/trainers/{}/working-hours", s.trainer_id), Some(tok))
            .json(&json!({"hours": [{"weekday": weekday, "start": "06:00", "end": "20:00"}]})).send().await.unwrap();
        expect_status(r, StatusCode::OK).await;
        expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(7, 10, 0), &at(7, 11, 0)).await, StatusCode::CREATED).await;
        let p = expect_problem(session(&app, tok, &s.trainer_id, &s.client_id, &at(7, 20, 0), &at(7, 21, 0)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["starts_at"][0].as_str().unwrap().contains("working hours"), "{p}");
        let body = json!({"trainer_id": s.trainer_id, "client_id": s.client_id, "starts_at": at(7, 20, 0), "ends_at": at(7, 21, 0)});
        expect_status(app.post("/api/v1/sessions?allow_outside_hours=true", Some(tok), &body).await, StatusCode::CREATED).await;
        let off = json!({"starts_at": at(7, 12, 0), "ends_at": at(7, 14, 0), "reason": "dentist"});
        expect_status(app.post(&format!("/api/v1/trainers/{}/time-off", s.trainer_id), Some(tok), &off).await, StatusCode::CREATED).await;
        let p = expect_problem(session(&app, tok, &s.trainer_id, &s.other_client_id, &at(7, 13, 0), &at(7, 13, 30)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["starts_at"][0].as_str().unwrap().contains("away"), "{p}");
        let bad = app.request(reqwest::Method::PUT, &format!("/api/v1/trainers/{}/working-hours", s.trainer_id), Some(tok))
            .json(&json!({"hours": [{"weekday": "funday", "start": "25:00", "end": "08:00"}]})).send().await.unwrap();
        let p = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["hours[0].weekday"].is_array() && p["errors"]["hours[0].start"].is_array(), "{p}");
    }
}

on_both_databases! {
    async fn the_session_lifecycle_is_enforced_and_late_cancellations_are_flagged(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let soon = expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(0, 23, 0), &at(0, 23, 30)).await, StatusCode::CREATED).await;
        let path = format!("/api/v1/sessions/{}", soon["id"].as_str().unwrap());
        let done = expect_status(app.patch(&path, Some(tok), &json!({"status": "completed"})).await, StatusCode::OK).await;
        assert_eq!(done["status"], "completed");
        let p = expect_problem(app.patch(&path, Some(tok), &json!({"starts_at": at(5, 9, 0), "ends_at": at(5, 10, 0)})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["starts_at"][0].as_str().unwrap().contains("cannot move"));
        expect_problem(app.patch(&path, Some(tok), &json!({"status": "cancelled"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        // Inside the 24-hour window: a late cancellation.
        let late = expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(1, 0, 30), &at(1, 1, 0)).await, StatusCode::CREATED).await;
        let c = expect_status(app.post(&format!("/api/v1/sessions/{}/cancel", late["id"].as_str().unwrap()), Some(tok), &json!({})).await, StatusCode::OK).await;
        assert_eq!((c["status"].as_str(), c["late_cancel"].as_bool()), (Some("cancelled"), Some(true)));
        expect_problem(app.patch(&format!("/api/v1/sessions/{}", late["id"].as_str().unwrap()), Some(tok), &json!({"status": "completed"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        // Well ahead: not late. Moving keeps conflict checks; a cancelled session frees the slot.
        let early = expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(10, 9, 0), &at(10, 10, 0)).await, StatusCode::CREATED).await;
        let moved = expect_status(app.patch(&format!("/api/v1/sessions/{}", early["id"].as_str().unwrap()), Some(tok), &json!({"starts_at": at(10, 11, 0), "ends_at": at(10, 12, 0), "version": 1})).await, StatusCode::OK).await;
        assert_eq!(moved["version"], 2);
        let c = expect_status(app.post(&format!("/api/v1/sessions/{}/cancel", early["id"].as_str().unwrap()), Some(tok), &json!({})).await, StatusCode::OK).await;
        assert_eq!(c["late_cancel"], false);
        expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(10, 11, 0), &at(10, 12, 0)).await, StatusCode::CREATED).await;
    }
}

async fn portal_for(app: &TestApp, owner: &Account, client_id: &str) -> Account {
    let portal = app.add_user(owner, "client").await;
    expect_status(
        app.patch(
            &format!("/api/v1/clients/{client_id}"),
            Some(&owner.token),
            &json!({"user_id": portal.user_id}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    portal
}

on_both_databases! {
    async fn clients_see_and_cancel_only_their_own_sessions_when_the_policy_allows(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let mine = expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(5, 9, 0), &at(5, 10, 0)).await, StatusCode::CREATED).await;
        let theirs = expect_status(session(&app, tok, &s.trainer_id, &s.other_client_id, &at(5, 11, 0), &at(5, 12, 0)).await, StatusCode::CREATED).await;
        let portal = portal_for(&app, &s.owner, &s.client_id).await;
        let list = expect_status(app.get("/api/v1/sessions?include_total=true", Some(&portal.token)).await, StatusCode::OK).await;
        assert_eq!(list["total"], 1);
        assert!(list["items"][0].get("check_in_code").is_none(), "clients do not see check-in codes");
        expect_problem(app.get(&format!("/api/v1/sessions/{}", theirs["id"].as_str().unwrap()), Some(&portal.token)).await, StatusCode::NOT_FOUND).await;
        expect_problem(session(&app, &portal.token, &s.trainer_id, &s.client_id, &at(6, 9, 0), &at(6, 10, 0)).await, StatusCode::FORBIDDEN).await;
        expect_status(app.patch("/api/v1/organization", Some(tok), &json!({"clients_may_cancel": false})).await, StatusCode::OK).await;
        let cancel = format!("/api/v1/sessions/{}/cancel", mine["id"].as_str().unwrap());
        expect_problem(app.post(&cancel, Some(&portal.token), &json!({})).await, StatusCode::FORBIDDEN).await;
        expect_status(app.patch("/api/v1/organization", Some(tok), &json!({"clients_may_cancel": true})).await, StatusCode::OK).await;
        expect_status(app.post(&cancel, Some(&portal.token), &json!({})).await, StatusCode::OK).await;
    }
}

async fn class(app: &TestApp, s: &Studio, capacity: i64, waitlist: i64, day: i64) -> Value {
    expect_status(app.post("/api/v1/classes", Some(&s.owner.token), &json!({
        "name": "HIIT", "trainer_id": s.trainer_id, "starts_at": at(day, 18, 0), "ends_at": at(day, 19, 0),
        "capacity": capacity, "waitlist_capacity": waitlist})).await, StatusCode::CREATED).await
}

/// How many events the organization's audit trail holds.
async fn audit_count(app: &TestApp, token: &str) -> u64 {
    let page = expect_status(
        app.get("/api/v1/audit-events?limit=1&sort=-seq", Some(token))
            .await,
        StatusCode::OK,
    )
    .await;
    page["items"][0]["seq"].as_u64().unwrap()
}

async fn new_client(app: &TestApp, owner: &Account, n: usize) -> String {
    expect_status(
        app.post(
            "/api/v1/clients",
            Some(&owner.token),
            &json!({"first_name": "W", "last_name": format!("L{n}")}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_both_databases! {
    async fn a_full_class_waitlists_in_order_and_a_cancellation_promotes_the_first(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let c = class(&app, &s, 2, 2, 4).await;
        let bookings = format!("/api/v1/classes/{}/bookings", c["id"].as_str().unwrap());
        let mut ids = Vec::new();
        for n in 0..4 {
            let client = new_client(&app, &s.owner, n).await;
            let b = expect_status(app.post(&bookings, Some(tok), &json!({"client_id": client})).await, StatusCode::CREATED).await;
            ids.push((client, b));
        }
        assert_eq!(ids[1].1["status"], "booked");
        assert_eq!((ids[2].1["status"].as_str(), ids[2].1["position"].as_i64()), (Some("waitlisted"), Some(1)));
        assert_eq!(ids[3].1["position"], 2);
        let full = new_client(&app, &s.owner, 9).await;
        let events_before = audit_count(&app, tok).await;
        let p = expect_problem(app.post(&bookings, Some(tok), &json!({"client_id": full})).await, StatusCode::CONFLICT).await;
        assert_eq!(p["detail"], "The class and its waitlist are full.");
        let p = expect_problem(app.post(&bookings, Some(tok), &json!({"client_id": ids[0].0})).await, StatusCode::CONFLICT).await;
        assert_eq!(p["detail"], "This client already has a place in this class (booked).");
        assert_eq!(p["conflicts"][0]["id"], ids[0].1["id"], "the place already held is named");
        let p = expect_problem(app.post(&bookings, Some(tok), &json!({"client_id": ids[3].0})).await, StatusCode::CONFLICT).await;
        assert_eq!(p["detail"], "This client already has a place in this class (waitlisted).");
        assert_eq!(audit_count(&app, tok).await, events_before, "a refused booking writes nothing");

        expect_status(app.delete(&format!("{bookings}/{}", ids[0].1["id"].as_str().unwrap()), Some(tok)).await, StatusCode::NO_CONTENT).await;
        let roster = expect_status(app.get(&bookings, Some(tok)).await, StatusCode::OK).await;
        let by_id = |id: &Value| roster["items"].as_array().unwrap().iter().find(|b| &b["id"] == id).unwrap().clone();
        assert_eq!(by_id(&ids[2].1["id"])["status"], "booked", "the first on the waitlist is promoted");
        assert_eq!(by_id(&ids[3].1["id"])["position"], 1, "the rest move up");
        assert_eq!(by_id(&ids[0].1["id"])["status"], "cancelled");
        let cls = expect_status(app.get(&format!("/api/v1/classes/{}", c["id"].as_str().unwrap()), Some(tok)).await, StatusCode::OK).await;
        assert_eq!((cls["booked"].as_u64(), cls["waitlisted"].as_u64()), (Some(2), Some(1)));
        // The cancelled client may book again (onto the waitlist).
        let again = expect_status(app.post(&bookings, Some(tok), &json!({"client_id": ids[0].0})).await, StatusCode::CREATED).await;
        assert_eq!(again["position"], 2);
    }
}

on_both_databases! {
    async fn fifty_simultaneous_bookings_for_ten_places_book_exactly_ten(app) {
        let s = studio(&app).await;
        let c = class(&app, &s, 10, 15, 6).await;
        let bookings = format!("/api/v1/classes/{}/bookings", c["id"].as_str().unwrap());
        let mut clients = Vec::new();
        let mut csv = String::from("first_name,last_name\n");
        for n in 0..50 { csv.push_str(&format!("Rush,R{n:02}\n")); }
        let r = app.request(reqwest::Method::POST, "/api/v1/clients/import", Some(&s.owner.token)).header("content-type", "text/csv").body(csv).send().await.unwrap();
        let report = expect_status(r, StatusCode::CREATED).await;
        for item in report["items"].as_array().unwrap() { clients.push(item["client_id"].as_str().unwrap().to_owned()); }
        let mut tasks = Vec::new();
        for client in clients {
            let (client_http, url, token) = (app.client.clone(), app.url(&bookings), s.owner.token.clone());
            tasks.push(tokio::spawn(async move {
                client_http.post(url).bearer_auth(token).json(&json!({"client_id": client})).send().await.unwrap().status()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks { statuses.push(t.await.unwrap()); }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 25, "10 booked + 15 waitlisted: {statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 25);
        let roster = expect_status(app.get(&bookings, Some(&s.owner.token)).await, StatusCode::OK).await;
        let items = roster["items"].as_array().unwrap();
        assert_eq!(items.iter().filter(|b| b["status"] == "booked").count(), 10, "never 11");
        let mut positions: Vec<i64> = items.iter().filter(|b| b["status"] == "waitlisted").map(|b| b["position"].as_i64().unwrap()).collect();
        positions.sort();
        assert_eq!(positions, (1..=15).collect::<Vec<_>>(), "waitlist positions are unique and gap-free");
    }
}

on_both_databases! {
    async fn clients_book_within_the_window_and_check_in_with_the_code(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let portal = portal_for(&app, &s.owner, &s.client_id).await;
        let far = class(&app, &s, 5, 0, 60).await;
        let p = expect_problem(app.post(&format!("/api/v1/classes/{}/bookings", far["id"].as_str().unwrap()), Some(&portal.token), &json!({})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["detail"].as_str().unwrap().contains("opens"));
        let c = class(&app, &s, 5, 0, 2).await;
        let bookings = format!("/api/v1/classes/{}/bookings", c["id"].as_str().unwrap());
        expect_problem(app.post(&bookings, Some(&portal.token), &json!({"client_id": s.other_client_id})).await, StatusCode::FORBIDDEN).await;
        let b = expect_status(app.post(&bookings, Some(&portal.token), &json!({})).await, StatusCode::CREATED).await;
        assert_eq!(b["client_id"], s.client_id.as_str());
        let roster = expect_status(app.get(&bookings, Some(&portal.token)).await, StatusCode::OK).await;
        assert_eq!(roster["items"].as_array().unwrap().len(), 1, "a client sees only their own booking");
        let check_in = format!("{bookings}/{}/check-in", b["id"].as_str().unwrap());
        let p = expect_problem(app.post(&check_in, Some(&portal.token), &json!({"code": "000000x"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["code"].is_array());
        // The code is on the class for staff (here: read from the database as the front desk would show it).
        use sea_orm::EntityTrait;
        let code = fitnesscrm::db::entities::classes::Entity::find_by_id(uuid::Uuid::parse_str(c["id"].as_str().unwrap()).unwrap()).one(app.db.conn()).await.unwrap().unwrap().check_in_code;
        let done = expect_status(app.post(&check_in, Some(&portal.token), &json!({"code": code})).await, StatusCode::OK).await;
        assert!(done["checked_in_at"].is_string());
        // Staff check in without a code.
        let sess = expect_status(session(&app, tok, &s.trainer_id, &s.other_client_id, &at(2, 8, 0), &at(2, 9, 0)).await, StatusCode::CREATED).await;
        let done = expect_status(app.post(&format!("/api/v1/sessions/{}/check-in", sess["id"].as_str().unwrap()), Some(tok), &json!({})).await, StatusCode::OK).await;
        assert_eq!(done["check_in_method"], "staff");
    }
}

on_both_databases! {
    async fn schedules_are_kept_apart_by_organization(app) {
        let s = studio(&app).await;
        let other = app.signup("Other").await;
        let sess = expect_status(session(&app, &s.owner.token, &s.trainer_id, &s.client_id, &at(3, 9, 0), &at(3, 10, 0)).await, StatusCode::CREATED).await;
        let c = class(&app, &s, 5, 0, 3).await;
        expect_problem(app.get(&format!("/api/v1/sessions/{}", sess["id"].as_str().unwrap()), Some(&other.token)).await, StatusCode::NOT_FOUND).await;
        expect_problem(app.get(&format!("/api/v1/classes/{}", c["id"].as_str().unwrap()), Some(&other.token)).await, StatusCode::NOT_FOUND).await;
        let list = expect_status(app.get("/api/v1/sessions?include_total=true", Some(&other.token)).await, StatusCode::OK).await;
        assert_eq!(list["total"], 0);
        // Another organization's trainer or client cannot be booked.
        let p = expect_problem(session(&app, &other.token, &s.trainer_id, &s.client_id, &at(4, 9, 0), &at(4, 10, 0)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["trainer_id"].is_array() && p["errors"]["client_id"].is_array());
        expect_problem(app.post(&format!("/api/v1/classes/{}/bookings", c["id"].as_str().unwrap()), Some(&other.token), &json!({"client_id": s.client_id})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}

on_both_databases! {
    async fn agendas_attendance_timeline_and_dashboard_show_the_schedule(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let a = expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(1, 9, 0), &at(1, 10, 0)).await, StatusCode::CREATED).await;
        let b = expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(1, 11, 0), &at(1, 12, 0)).await, StatusCode::CREATED).await;
        class(&app, &s, 5, 0, 1).await;
        expect_status(session(&app, tok, &s.other_trainer_id, &s.other_client_id, &at(1, 9, 0), &at(1, 10, 0)).await, StatusCode::CREATED).await;
        let date = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
        let day = expect_status(app.get(&format!("/api/v1/agenda?trainer_id={}&date={date}", s.trainer_id), Some(tok)).await, StatusCode::OK).await;
        let kinds: Vec<&str> = day["items"].as_array().unwrap().iter().map(|i| i["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["session", "session", "class"]);
        assert_eq!(day["timezone"], "Europe/Berlin");
        let week = expect_status(app.get(&format!("/api/v1/agenda?trainer_id={}&date={date}&view=week", s.trainer_id), Some(tok)).await, StatusCode::OK).await;
        assert!(week["items"].as_array().unwrap().len() >= 3);
        expect_problem(app.get("/api/v1/agenda", Some(tok)).await, StatusCode::BAD_REQUEST).await;

        app.patch(&format!("/api/v1/sessions/{}", a["id"].as_str().unwrap()), Some(tok), &json!({"status": "completed"})).await;
        app.patch(&format!("/api/v1/sessions/{}", b["id"].as_str().unwrap()), Some(tok), &json!({"status": "no_show"})).await;
        let att = expect_status(app.get(&format!("/api/v1/clients/{}/attendance", s.client_id), Some(tok)).await, StatusCode::OK).await;
        assert_eq!((att["attended"].as_u64(), att["no_shows"].as_u64()), (Some(1), Some(1)));
        assert_eq!(att["rate"], 0.5);
        let timeline = expect_status(app.get(&format!("/api/v1/clients/{}/timeline", s.client_id), Some(tok)).await, StatusCode::OK).await;
        assert_eq!(timeline["items"].as_array().unwrap().iter().filter(|e| e["kind"] == "session").count(), 2);
        let dash = expect_status(app.get("/api/v1/dashboard", Some(tok)).await, StatusCode::OK).await;
        // Tomorrow is in this week unless today is Sunday (in Berlin).
        let berlin_today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Berlin).date_naive();
        if chrono::Datelike::weekday(&berlin_today) != chrono::Weekday::Sun {
            assert_eq!(dash["sessions_this_week"], 4, "three sessions and a class: {dash}");
        }
        assert_eq!(dash["no_shows_this_month"], 1);
        assert!(dash.get("no_shows_this_month").is_some() && dash.get("attendance_rate_30d").is_some());
    }
}

on_both_databases! {
    async fn a_weekly_series_keeps_its_local_time_across_daylight_saving(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        // Berlin moves its clocks on 28 March 2027: 07:00 local is 06:00Z before and 05:00Z after.
        let r = app.post("/api/v1/session-series", Some(tok), &json!({
            "trainer_id": s.trainer_id, "client_id": s.client_id, "first_starts_at": "2027-03-16T07:00:00",
            "duration_minutes": 60, "timezone": "Europe/Berlin", "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4"})).await;
        let body = expect_status(r, StatusCode::CREATED).await;
        let starts: Vec<&str> = body["sessions"].as_array().unwrap().iter().map(|x| x["starts_at"].as_str().unwrap()).collect();
        assert_eq!(starts, ["2027-03-16T06:00:00Z", "2027-03-23T06:00:00Z", "2027-03-30T05:00:00Z", "2027-04-06T05:00:00Z"]);
        assert_eq!(body["series"]["rrule"], "FREQ=WEEKLY;BYDAY=TU;COUNT=4");
        let series_id = body["series"]["id"].as_str().unwrap().to_owned();

        // This and following: the third moves to 08:00 local, and so does the fourth; the first two stay.
        let third = body["sessions"][2]["id"].as_str().unwrap();
        let r = app.patch(&format!("/api/v1/sessions/{third}?apply_to=following"), Some(tok), &json!({"starts_at": "2027-03-30T06:00:00Z", "ends_at": "2027-03-30T07:00:00Z"})).await;
        expect_status(r, StatusCode::OK).await;
        let after = expect_status(app.get(&format!("/api/v1/session-series/{series_id}"), Some(tok)).await, StatusCode::OK).await;
        let starts: Vec<&str> = after["sessions"].as_array().unwrap().iter().map(|x| x["starts_at"].as_str().unwrap()).collect();
        assert_eq!(starts, ["2027-03-16T06:00:00Z", "2027-03-23T06:00:00Z", "2027-03-30T06:00:00Z", "2027-04-06T06:00:00Z"]);

        // Cancel all.
        let first = after["sessions"][0]["id"].as_str().unwrap();
        expect_status(app.post(&format!("/api/v1/sessions/{first}/cancel?apply_to=all"), Some(tok), &json!({})).await, StatusCode::OK).await;
        let after = expect_status(app.get(&format!("/api/v1/session-series/{series_id}"), Some(tok)).await, StatusCode::OK).await;
        assert!(after["sessions"].as_array().unwrap().iter().all(|x| x["status"] == "cancelled"));
    }
}

on_both_databases! {
    async fn a_series_is_checked_whole_before_anything_is_written(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        // An existing session on the third Tuesday.
        expect_status(app.post("/api/v1/sessions", Some(tok), &json!({"trainer_id": s.trainer_id, "client_id": s.other_client_id, "starts_at": "2027-02-16T06:30:00Z", "ends_at": "2027-02-16T07:30:00Z"})).await, StatusCode::CREATED).await;
        let series = json!({"trainer_id": s.trainer_id, "client_id": s.client_id, "first_starts_at": "2027-02-02T07:00:00",
            "duration_minutes": 60, "timezone": "Europe/Berlin", "rrule": "FREQ=WEEKLY;COUNT=6"});
        let p = expect_problem(app.post("/api/v1/session-series", Some(tok), &series).await, StatusCode::CONFLICT).await;
        assert_eq!(p["conflicts"].as_array().unwrap().len(), 1);
        assert_eq!(p["conflicts"][0]["occurrence_starts_at"], "2027-02-16T06:00:00Z");
        let list = expect_status(app.get(&format!("/api/v1/sessions?include_total=true&client_id={}", s.client_id), Some(tok)).await, StatusCode::OK).await;
        assert_eq!(list["total"], 0, "nothing of the series was written");
        let p = expect_problem(app.post("/api/v1/session-series", Some(tok), &json!({"trainer_id": s.trainer_id, "client_id": s.client_id, "first_starts_at": "2027-02-02T07:00:00", "duration_minutes": 60, "timezone": "Europe/Berlin", "rrule": "FREQ=DAILY;COUNT=1000"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["rrule"].is_array(), "{p}");
        let p = expect_problem(app.post("/api/v1/session-series", Some(tok), &json!({"trainer_id": s.trainer_id, "client_id": s.client_id, "first_starts_at": "soon", "duration_minutes": 5, "timezone": "Nowhere/Land", "rrule": "FREQ=YEARLY"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        for f in ["duration_minutes", "timezone", "rrule"] { assert!(p["errors"][f].is_array(), "{f}: {p}"); }
    }
}

fn parse_ics(text: &str) -> Vec<(String, String, String)> {
    use icalendar::Component;
    let cal: icalendar::Calendar = text.parse().unwrap();
    cal.components
        .iter()
        .filter_map(|c| c.as_event())
        .map(|e| {
            (
                e.get_uid().unwrap().to_owned(),
                e.property_value("SEQUENCE").unwrap_or("0").to_owned(),
                e.property_value("STATUS").unwrap_or("").to_owned(),
            )
        })
        .collect()
}

on_both_databases! {
    async fn calendar_feeds_are_valid_show_updates_and_cancellations_and_rotate(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let sess = expect_status(session(&app, tok, &s.trainer_id, &s.client_id, &at(3, 9, 0), &at(3, 10, 0)).await, StatusCode::CREATED).await;
        class(&app, &s, 5, 0, 3).await;
        let feed = expect_status(app.post(&format!("/api/v1/trainers/{}/calendar-feed", s.trainer_id), Some(tok), &json!({})).await, StatusCode::OK).await;
        let url = feed["url"].as_str().unwrap().to_owned();
        let path = url.split_once("/calendar/").map(|(_, p)| format!("/calendar/{p}")).unwrap();
        let r = app.get(&path, None).await;
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
        let events = parse_ics(&r.text().await.unwrap());
        assert_eq!(events.len(), 2);
        let uid = format!("session-{}@fitnesscrm", sess["id"].as_str().unwrap());
        assert!(events.iter().any(|(u, seq, st)| u == &uid && seq == "0" && st == "CONFIRMED"));
        app.patch(&format!("/api/v1/sessions/{}", sess["id"].as_str().unwrap()), Some(tok), &json!({"starts_at": at(3, 11, 0), "ends_at": at(3, 12, 0)})).await;
        let events = parse_ics(&app.get(&path, None).await.text().await.unwrap());
        assert!(events.iter().any(|(u, seq, _)| u == &uid && seq == "1"), "a move raises SEQUENCE: {events:?}");
        app.post(&format!("/api/v1/sessions/{}/cancel", sess["id"].as_str().unwrap()), Some(tok), &json!({})).await;
        let events = parse_ics(&app.get(&path, None).await.text().await.unwrap());
        assert!(events.iter().any(|(u, seq, st)| u == &uid && seq == "2" && st == "CANCELLED"), "{events:?}");
        // Rotating makes the old URL a 404.
        expect_status(app.post(&format!("/api/v1/trainers/{}/calendar-feed", s.trainer_id), Some(tok), &json!({})).await, StatusCode::OK).await;
        expect_problem(app.get(&path, None).await, StatusCode::NOT_FOUND).await;
        // A client makes their own feed, not another's.
        let portal = portal_for(&app, &s.owner, &s.client_id).await;
        expect_status(app.post(&format!("/api/v1/clients/{}/calendar-feed", s.client_id), Some(&portal.token), &json!({})).await, StatusCode::OK).await;
        expect_problem(app.post(&format!("/api/v1/clients/{}/calendar-feed", s.other_client_id), Some(&portal.token), &json!({})).await, StatusCode::NOT_FOUND).await;
        expect_problem(app.post(&format!("/api/v1/trainers/{}/calendar-feed", s.trainer_id), Some(&portal.token), &json!({})).await, StatusCode::FORBIDDEN).await;
    }
}

on_both_databases! {
    async fn classes_filter_by_client_and_status(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let a = class(&app, &s, 5, 0, 2).await;
        let b = class(&app, &s, 5, 0, 3).await;
        expect_status(app.post(&format!("/api/v1/classes/{}/bookings", a["id"].as_str().unwrap()), Some(tok), &json!({"client_id": s.client_id})).await, StatusCode::CREATED).await;
        expect_status(app.post(&format!("/api/v1/classes/{}/cancel", b["id"].as_str().unwrap()), Some(tok), &json!({})).await, StatusCode::OK).await;
        let mine = expect_status(app.get(&format!("/api/v1/classes?client_id={}&include_total=true", s.client_id), Some(tok)).await, StatusCode::OK).await;
        assert_eq!(mine["total"], 1);
        assert_eq!(mine["items"][0]["id"], a["id"]);
        let cancelled = expect_status(app.get("/api/v1/classes?status=cancelled&include_total=true", Some(tok)).await, StatusCode::OK).await;
        assert_eq!(cancelled["total"], 1);
        assert_eq!(cancelled["items"][0]["id"], b["id"]);
        expect_problem(app.get("/api/v1/classes?status=gone", Some(tok)).await, StatusCode::BAD_REQUEST).await;
    }
}

on_both_databases! {
    async fn check_in_codes_cannot_be_walked(app) {
        let s = studio(&app).await;
        let portal = portal_for(&app, &s.owner, &s.client_id).await;
        let c = class(&app, &s, 5, 0, 2).await;
        let bookings = format!("/api/v1/classes/{}/bookings", c["id"].as_str().unwrap());
        let b = expect_status(app.post(&bookings, Some(&portal.token), &json!({})).await, StatusCode::CREATED).await;
        let check_in = format!("{bookings}/{}/check-in", b["id"].as_str().unwrap());
        for guess in 0..10 {
            let wrong = format!("x{guess:05}");
            expect_problem(app.post(&check_in, Some(&portal.token), &json!({"code": wrong})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        // Ten wrong codes close the class's codes for the window, the right one included.
        use sea_orm::EntityTrait;
        let code = fitnesscrm::db::entities::classes::Entity::find_by_id(uuid::Uuid::parse_str(c["id"].as_str().unwrap()).unwrap()).one(app.db.conn()).await.unwrap().unwrap().check_in_code;
        let r = app.post(&check_in, Some(&portal.token), &json!({"code": code})).await;
        assert!(r.headers().contains_key("retry-after"));
        expect_problem(r, StatusCode::TOO_MANY_REQUESTS).await;
        // Staff check in without a code, and are not held up by it.
        let done = expect_status(app.post(&check_in, Some(&s.owner.token), &json!({})).await, StatusCode::OK).await;
        assert!(done["checked_in_at"].is_string(), "{done}");
    }
}

on_both_databases! {
    async fn a_trainer_sees_other_trainers_sessions_at_a_location_only_as_busy(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let me = app.add_user(&s.owner, "trainer").await;
        let mine = expect_status(app.post("/api/v1/trainers", Some(tok), &json!({"first_name": "Mia", "last_name": "Mine", "user_id": me.user_id})).await, StatusCode::CREATED).await;
        let mine = mine["id"].as_str().unwrap().to_owned();
        let hall = expect_status(app.post("/api/v1/locations", Some(tok), &json!({"name": "Hall", "timezone": "Europe/Berlin"})).await, StatusCode::CREATED).await;
        let hall = hall["id"].as_str().unwrap().to_owned();
        let book = |trainer: String, client: String, h: u32| {
            let body = json!({"trainer_id": trainer, "client_id": client, "starts_at": at(3, h, 0), "ends_at": at(3, h + 1, 0), "location_id": hall});
            let app = &app;
            async move { app.post("/api/v1/sessions", Some(tok), &body).await }
        };
        let theirs = expect_status(book(s.trainer_id.clone(), s.client_id.clone(), 9).await, StatusCode::CREATED).await;
        expect_status(book(mine.clone(), s.other_client_id.clone(), 11).await, StatusCode::CREATED).await;
        let date = at(3, 9, 0)[..10].to_owned();
        let agenda = expect_status(app.get(&format!("/api/v1/agenda?location_id={hall}&date={date}"), Some(&me.token)).await, StatusCode::OK).await;
        let items = agenda["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{agenda}");
        let other = items.iter().find(|i| i["id"] == theirs["id"]).unwrap();
        assert_eq!(other["busy"], true);
        assert!(other["client_id"].is_null(), "{other}");
        assert_eq!(other["title"], "busy");
        let own = items.iter().find(|i| i["trainer_id"] == mine.as_str()).unwrap();
        assert_eq!(own["busy"], false);
        assert_eq!(own["client_id"], s.other_client_id.as_str());
        // Staff see everything.
        let staff_view = expect_status(app.get(&format!("/api/v1/agenda?location_id={hall}&date={date}"), Some(tok)).await, StatusCode::OK).await;
        assert!(staff_view["items"].as_array().unwrap().iter().all(|i| i["busy"] == false && !i["client_id"].is_null()));
        // The calendar page names no client of another trainer either.
        let theirs_client = expect_status(app.get(&format!("/api/v1/clients/{}", s.client_id), Some(tok)).await, StatusCode::OK).await;
        let web = crate::web::client::Web::new(&app);
        web.login(&me.email).await;
        let page = web.get(&format!("/app/calendar?location_id={hall}&date={date}")).await;
        page.expect(StatusCode::OK).expect_text("Busy");
        let name = format!("{} {}", theirs_client["first_name"].as_str().unwrap(), theirs_client["last_name"].as_str().unwrap());
        assert!(!page.body.contains(&name), "{name} shown to another trainer");
        assert!(!page.body.contains(theirs["id"].as_str().unwrap()), "no link to the session");
    }
}

on_both_databases! {
    async fn dates_outside_the_sane_years_are_422_naming_the_field(app) {
        let s = studio(&app).await;
        let tok = &s.owner.token;
        let p = expect_problem(app.get(&format!("/api/v1/agenda?trainer_id={}&date=-9999-01-01", s.trainer_id), Some(tok)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["date"].is_array(), "{p}");
        let p = expect_problem(app.get("/api/v1/sessions?from=%2B99999-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", Some(tok)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["from"].is_array(), "{p}");
        let body = json!({"trainer_id": s.trainer_id, "client_id": s.client_id, "starts_at": "+99999-01-01T09:00:00Z", "ends_at": "-9999-01-01T10:00:00Z"});
        let p = expect_problem(app.post("/api/v1/sessions", Some(tok), &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["starts_at"].is_array() && p["errors"]["ends_at"].is_array(), "{p}");
        let p = expect_problem(app.post("/api/v1/clients", Some(tok), &json!({"first_name": "A", "last_name": "B", "date_of_birth": "1850-01-01"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["date_of_birth"].is_array(), "{p}");
        // Pages too.
        let web = crate::web::client::Web::new(&app);
        web.login(&s.owner.email).await;
        web.get("/app/calendar?date=-9999-01-01").await.expect(StatusCode::UNPROCESSABLE_ENTITY).expect_text("date");
        web.get("/app/clients/new").await.expect(StatusCode::OK);
        web.post("/app/clients/new", &[("first_name", "A"), ("last_name", "B"), ("date_of_birth", "1850-01-01")]).await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("date_of_birth: the year must be between 1900 and 2200");
    }
}
