//! The dashboard is served from figures kept in memory: they follow every change within a second (at
//! once on the instance that made it), on every instance over one database, and never cross from one
//! scope or organization to another.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::on_both_databases;

/// The freshness bound the dashboard promises.
const BOUND: Duration = Duration::from_secs(1);

/// Where to read a dashboard: the test app or a second instance.
trait Reader {
    async fn dashboard(&self, token: &str) -> Value;
}

impl Reader for TestApp {
    async fn dashboard(&self, token: &str) -> Value {
        expect_status(
            self.get("/api/v1/dashboard", Some(token)).await,
            StatusCode::OK,
        )
        .await
    }
}

impl Reader for Instance {
    async fn dashboard(&self, token: &str) -> Value {
        let r = self
            .client
            .get(format!("http://{}/api/v1/dashboard", self.addr))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        expect_status(r, StatusCode::OK).await
    }
}

/// Polls the dashboard until `field` is `want`; fails after [`BOUND`]. Returns how long it took.
async fn becomes(at: &impl Reader, token: &str, field: &str, want: Value) -> Duration {
    let started = Instant::now();
    loop {
        let d = at.dashboard(token).await;
        let got = field.split('.').fold(&d, |v, part| &v[part]);
        if *got == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < BOUND,
            "{field} is still {got} after {BOUND:?}, wanted {want}: {d}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn created(r: reqwest::Response) -> String {
    expect_status(r, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn new_client(app: &TestApp, token: &str, body: Value) -> String {
    created(app.post("/api/v1/clients", Some(token), &body).await).await
}

async fn new_trainer(app: &TestApp, owner: &Account, user: Option<&Account>) -> String {
    let mut body = json!({"first_name": "Tina", "last_name": "Trainer"});
    if let Some(u) = user {
        body["user_id"] = json!(u.user_id);
    }
    created(
        app.post("/api/v1/trainers", Some(&owner.token), &body)
            .await,
    )
    .await
}

/// A session of `trainer` and `client` starting `hours_from_now` hours from now, one hour long.
async fn new_session(
    app: &TestApp,
    token: &str,
    trainer: &str,
    client: &str,
    hours_from_now: i64,
) -> String {
    let start = chrono::Utc::now() + chrono::Duration::hours(hours_from_now);
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:00Z").to_string();
    created(
        app.post(
            "/api/v1/sessions",
            Some(token),
            &json!({"trainer_id": trainer, "client_id": client,
                "starts_at": fmt(start), "ends_at": fmt(start + chrono::Duration::hours(1))}),
        )
        .await,
    )
    .await
}

/// Whether an hour from now is still this week in Berlin (where the test organizations are).
fn this_week_in_an_hour() -> bool {
    use chrono::Datelike;
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Berlin);
    let later = now + chrono::Duration::hours(1);
    now.iso_week() == later.iso_week()
}

async fn set_status(app: &TestApp, token: &str, path: &str, status: &str) {
    expect_status(
        app.patch(path, Some(token), &json!({"status": status}))
            .await,
        StatusCode::OK,
    )
    .await;
}

on_both_databases! {
    async fn a_new_client_a_status_change_and_attendance_show_on_the_dashboard_at_once(app) {
        let owner = app.signup("Studio").await;
        let tok = &owner.token;
        let d = app.dashboard(tok).await;
        assert_eq!(d["clients_total"], 0);
        assert_eq!(app.dashboard(tok).await, d, "the same figures from the cache");

        let c = new_client(&app, tok, json!({"first_name": "A", "last_name": "A"})).await;
        // The write was made here: the very next read shows it (no waiting).
        let d = app.dashboard(tok).await;
        assert_eq!(d["clients_total"], 1, "{d}");
        assert_eq!(d["new_leads_this_month"], 1, "{d}");
        assert_eq!(d["clients_without_trainer"], 1, "{d}");

        set_status(&app, tok, &format!("/api/v1/clients/{c}"), "active").await;
        let d = app.dashboard(tok).await;
        assert_eq!(d["clients_by_status"]["active"], 1, "{d}");
        assert_eq!(d["clients_by_status"]["lead"], 0, "{d}");
        assert_eq!(d["conversions_this_month"], 1, "{d}");

        let t = new_trainer(&app, &owner, None).await;
        expect_status(app.post(&format!("/api/v1/clients/{c}/trainers"), Some(tok), &json!({"trainer_id": t})).await, StatusCode::OK).await;
        assert_eq!(app.dashboard(tok).await["clients_without_trainer"], 0);

        // Attendance over the last 30 days: one attended, one no-show (sessions that have started).
        assert_eq!(app.dashboard(tok).await["attendance_rate_30d"], Value::Null);
        let done = new_session(&app, tok, &t, &c, -5).await;
        let missed = new_session(&app, tok, &t, &c, -3).await;
        set_status(&app, tok, &format!("/api/v1/sessions/{done}"), "completed").await;
        set_status(&app, tok, &format!("/api/v1/sessions/{missed}"), "no_show").await;
        let d = app.dashboard(tok).await;
        assert_eq!(d["attendance_rate_30d"], 0.5, "{d}");
        // And within the bound anyway, however the figures got there.
        becomes(&app, tok, "attendance_rate_30d", json!(0.5)).await;
    }
}

on_both_databases! {
    async fn a_trainer_sees_their_own_figures_and_the_cache_never_mixes_them_with_the_organizations(app) {
        let owner = app.signup("Studio").await;
        let tok = &owner.token;
        let staff = app.add_user(&owner, "staff").await;
        let tom = app.add_user(&owner, "trainer").await;
        let tom_id = new_trainer(&app, &owner, Some(&tom)).await;
        let other = new_trainer(&app, &owner, None).await;
        let unlinked = app.add_user(&owner, "trainer").await;
        let mine = new_client(&app, tok, json!({"first_name": "M", "last_name": "M", "trainer_ids": [tom_id]})).await;
        let theirs = new_client(&app, tok, json!({"first_name": "T", "last_name": "T", "trainer_ids": [other]})).await;
        new_client(&app, tok, json!({"first_name": "N", "last_name": "N"})).await;
        new_session(&app, tok, &tom_id, &mine, 1).await;
        new_session(&app, tok, &other, &theirs, 1).await;

        // Read each twice, in alternating order: the second read is a cache hit.
        for _ in 0..2 {
            for (who, clients, sessions) in [(&tom, 1, 1), (&owner, 3, 2), (&staff, 3, 2), (&unlinked, 0, 0)] {
                let d = app.dashboard(&who.token).await;
                assert_eq!(d["clients_total"], clients, "{}: {d}", who.email);
                if this_week_in_an_hour() {
                    assert_eq!(d["sessions_this_week"], sessions, "{}: {d}", who.email);
                }
            }
        }
        // A change of another trainer's client leaves Tom's figures as they were, and moves the
        // organization's.
        set_status(&app, tok, &format!("/api/v1/clients/{theirs}"), "active").await;
        let d = app.dashboard(&tom.token).await;
        assert_eq!((d["clients_total"].as_u64(), d["clients_by_status"]["active"].as_u64()), (Some(1), Some(0)), "{d}");
        let d = app.dashboard(tok).await;
        assert_eq!(d["clients_by_status"]["active"], 1, "{d}");
        // Assigning a client to Tom moves his figures.
        expect_status(app.post(&format!("/api/v1/clients/{theirs}/trainers"), Some(tok), &json!({"trainer_id": tom_id})).await, StatusCode::OK).await;
        let d = app.dashboard(&tom.token).await;
        assert_eq!((d["clients_total"].as_u64(), d["clients_by_status"]["active"].as_u64()), (Some(2), Some(1)), "{d}");
        assert_eq!(app.dashboard(tok).await["clients_total"], 3);
        assert_eq!(app.dashboard(&staff.token).await["clients_total"], 3);
        assert_eq!(app.dashboard(&unlinked.token).await["clients_total"], 0);
        // Moving Tom's account to the other trainer (made here) moves his figures at once: which
        // trainer an account is, is remembered no longer than the figures are.
        let link = async |id: &str, user: Value| {
            let r = app.patch(&format!("/api/v1/trainers/{id}"), Some(tok), &json!({"user_id": user})).await;
            expect_status(r, StatusCode::OK).await;
        };
        link(&tom_id, Value::Null).await;
        assert_eq!(app.dashboard(&tom.token).await["clients_total"], 0);
        link(&other, json!(tom.user_id)).await;
        let d = app.dashboard(&tom.token).await;
        assert_eq!((d["clients_total"].as_u64(), d["clients_by_status"]["active"].as_u64()), (Some(1), Some(1)), "{d}");
    }
}

on_both_databases! {
    async fn one_organizations_figures_never_answer_for_another(app) {
        let a = app.signup("A").await;
        let b = app.signup("B").await;
        for _ in 0..2 {
            new_client(&app, &a.token, json!({"first_name": "A", "last_name": "A"})).await;
        }
        new_client(&app, &b.token, json!({"first_name": "B", "last_name": "B", "status": "active"})).await;
        for _ in 0..3 {
            let (da, db) = (app.dashboard(&a.token).await, app.dashboard(&b.token).await);
            assert_eq!((da["clients_total"].as_u64(), da["clients_by_status"]["lead"].as_u64()), (Some(2), Some(2)), "{da}");
            assert_eq!((db["clients_total"].as_u64(), db["clients_by_status"]["active"].as_u64()), (Some(1), Some(1)), "{db}");
        }
        new_client(&app, &a.token, json!({"first_name": "A", "last_name": "C"})).await;
        assert_eq!(app.dashboard(&a.token).await["clients_total"], 3);
        assert_eq!(app.dashboard(&b.token).await["clients_total"], 1);
    }
}

on_both_databases! {
    async fn a_change_on_one_instance_shows_on_anothers_dashboard_within_a_second(app) {
        let b = Instance::start(&app.database_url, |_| {}).await;
        let owner = app.signup("Studio").await;
        let tok = &owner.token;
        let t = new_trainer(&app, &owner, None).await;
        // B holds the figures from now on.
        assert_eq!(b.dashboard(tok).await["clients_total"], 0);
        assert_eq!(b.dashboard(tok).await["clients_total"], 0);

        // Each of these changes a figure and is made on A only; B has to notice on its own.
        let c = new_client(&app, tok, json!({"first_name": "A", "last_name": "A"})).await;
        let took = becomes(&b, tok, "clients_total", json!(1)).await;
        eprintln!("a new client showed on the other instance after {took:?}");
        set_status(&app, tok, &format!("/api/v1/clients/{c}"), "active").await;
        becomes(&b, tok, "clients_by_status.active", json!(1)).await;
        expect_status(app.post(&format!("/api/v1/clients/{c}/trainers"), Some(tok), &json!({"trainer_id": t})).await, StatusCode::OK).await;
        becomes(&b, tok, "clients_without_trainer", json!(0)).await;
        let done = new_session(&app, tok, &t, &c, -2).await;
        set_status(&app, tok, &format!("/api/v1/sessions/{done}"), "no_show").await;
        becomes(&b, tok, "no_shows_this_month", json!(1)).await;
        becomes(&b, tok, "attendance_rate_30d", json!(0.0)).await;
        let r = app
            .request(Method::POST, "/api/v1/clients/import", Some(tok))
            .header("content-type", "text/csv")
            .body("First Name,Surname\nIm,Ported\nAl,So\n")
            .send()
            .await
            .unwrap();
        expect_status(r, StatusCode::CREATED).await;
        becomes(&b, tok, "clients_total", json!(3)).await;
        expect_status(app.post(&format!("/api/v1/clients/{c}/erase"), Some(tok), &json!({})).await, StatusCode::NO_CONTENT).await;
        // Erasure keeps an anonymous, churned record.
        becomes(&b, tok, "clients_by_status.churned", json!(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_reads_are_counted_as_cache_hits_and_misses() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let owner = app.signup("Studio").await;
    for _ in 0..3 {
        app.dashboard(&owner.token).await;
    }
    let text = app.get("/metrics", None).await.text().await.unwrap();
    for outcome in ["hit", "miss"] {
        assert!(
            text.contains(&format!(
                "fitnesscrm_dashboard_cache_total{{outcome=\"{outcome}\"}}"
            )),
            "{text}"
        );
    }
}

on_both_databases! {
    async fn a_client_added_through_the_forms_shows_on_the_next_dashboard_page(app) {
        use crate::web::client::Web;
        let owner = app.signup("Form Gym").await;
        let web = Web::new(&app);
        web.login(&owner.email).await;
        let figure = |n: u64| format!("<span class=\"figure\">{n}</span><span>clients</span>");
        web.get("/app").await.expect(StatusCode::OK).expect_text(&figure(0));
        web.get("/app").await.expect(StatusCode::OK).expect_text(&figure(0));
        web.get("/app/clients/new").await.expect(StatusCode::OK);
        let page = web.post("/app/clients/new", &[("first_name", "Fiona"), ("last_name", "Form"), ("status", "lead")]).await;
        assert!(page.status.is_redirection(), "{}", page.body);
        // The page and the API share the figures; both see the form's client at once.
        web.get("/app").await.expect(StatusCode::OK).expect_text(&figure(1));
        assert_eq!(app.dashboard(&owner.token).await["clients_total"], 1);
    }
}
