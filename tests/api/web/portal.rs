//! The public booking page and the client portal: self-sign-up, booking, waitlists and promotion,
//! cancellation rules, access, the data export and escaping.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::client::Web;
use crate::helpers::{Account, Backend, PASSWORD, TestApp, expect_status};
use crate::on_both_databases;

struct Studio {
    owner: Account,
    slug: String,
    trainer_id: String,
}

async fn studio(app: &TestApp, name: &str) -> Studio {
    let owner = app.signup(name).await;
    let org = expect_status(
        app.get("/api/v1/organization", Some(&owner.token)).await,
        StatusCode::OK,
    )
    .await;
    let trainer = expect_status(
        app.post(
            "/api/v1/trainers",
            Some(&owner.token),
            &json!({"first_name": "Tara", "last_name": "Teachwell"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    Studio {
        slug: org["slug"].as_str().unwrap().to_owned(),
        trainer_id: trainer["id"].as_str().unwrap().to_owned(),
        owner,
    }
}

fn at(day_offset: i64, hour: u32) -> String {
    let d = chrono::Utc::now().date_naive() + chrono::Duration::days(day_offset);
    format!("{d}T{hour:02}:00:00Z")
}

/// A class in `day` days; returns its id.
async fn class(app: &TestApp, s: &Studio, name: &str, capacity: i64, waitlist: i64) -> String {
    let c: Value = expect_status(
        app.post(
            "/api/v1/classes",
            Some(&s.owner.token),
            &json!({"name": name, "trainer_id": s.trainer_id, "starts_at": at(2, 17),
                "ends_at": at(2, 18), "capacity": capacity, "waitlist_capacity": waitlist}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    c["id"].as_str().unwrap().to_owned()
}

/// A visitor signs up on the booking page (for `class`, if given); returns the logged-in browser and
/// the email.
async fn client_signs_up(app: &TestApp, slug: &str, first: &str, class: &str) -> (Web, String) {
    let web = Web::new(app);
    let email = format!(
        "{}.{}@example.com",
        first.to_lowercase(),
        uuid::Uuid::now_v7().simple()
    );
    web.get(&format!("/book/{slug}/signup?class={class}"))
        .await
        .expect(StatusCode::OK);
    let page = web
        .post(
            &format!("/book/{slug}/signup"),
            &[
                ("first_name", first),
                ("last_name", "Client"),
                ("email", &email),
                ("password", PASSWORD),
                ("consent_email", "on"),
                ("class", class),
            ],
        )
        .await;
    page.expect_redirect("/portal");
    (web, email)
}

/// Posts a portal action from the page at `from` and returns the page the redirect leads to.
async fn act(web: &Web, from: &str, action: &str) -> super::client::Page {
    web.get(from).await.expect(StatusCode::OK);
    let r = web.post(action, &[("next", from)]).await;
    r.expect_redirect(from);
    web.get(r.location().unwrap()).await
}

#[tokio::test]
async fn the_public_page_lists_the_classes_and_unknown_organizations_are_404() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let s = studio(&app, "Open Studio").await;
    let id = class(&app, &s, "Morning Flow", 12, 3).await;
    let visitor = Web::new(&app);
    visitor
        .get(&format!("/book/{}", s.slug))
        .await
        .expect(StatusCode::OK)
        .expect_text("Classes at Open Studio")
        .expect_text("Morning Flow")
        .expect_text("with Tara")
        .expect_text("12 places left")
        .expect_text(&format!("href=\"/book/{}/signup?class={id}\"", s.slug))
        .expect_text(&format!("href=\"/login?next=/portal/classes/{id}\""));
    let page = visitor.get("/book/no-such-studio").await;
    page.expect(StatusCode::NOT_FOUND);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // A client of the studio gets a Book button that posts, and other clients' names never show.
    let (web, _) = client_signs_up(&app, &s.slug, "Priya", "").await;
    web.get(&format!("/book/{}", s.slug))
        .await
        .expect_text(&format!("action=\"/portal/classes/{id}/book\""));
    act(
        &web,
        &format!("/book/{}", s.slug),
        &format!("/portal/classes/{id}/book"),
    )
    .await;
    let public = visitor.get(&format!("/book/{}", s.slug)).await;
    public.expect_text("11 places left");
    assert!(!public.body.contains("Priya"));
}

#[tokio::test]
async fn a_client_signs_up_with_errors_by_field_then_lands_on_the_class_they_wanted() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let s = studio(&app, "Signup Studio").await;
    let id = class(&app, &s, "Spin", 10, 0).await;
    let web = Web::new(&app);
    let path = format!("/book/{}/signup", s.slug);
    web.get(&format!("{path}?class={id}"))
        .await
        .expect(StatusCode::OK)
        .expect_text("Sign up at Signup Studio");
    web.post(
        &path,
        &[
            ("first_name", ""),
            ("last_name", ""),
            ("email", "not-an-email"),
            ("password", "short"),
            ("class", &id),
        ],
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY)
    .expect_text("id=\"e-first_name\"")
    .expect_text("id=\"e-last_name\"")
    .expect_text("id=\"e-email\"")
    .expect_text("id=\"e-password\"")
    .expect_text("value=\"not-an-email\"");
    // The password typed is never sent back in the page.
    let refused = web
        .post(
            &path,
            &[
                ("first_name", "Sam"),
                ("last_name", ""),
                ("email", "sam@example.com"),
                ("password", "a-secret-passphrase"),
                ("class", &id),
            ],
        )
        .await;
    refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.body.contains("a-secret-passphrase"));
    let email = format!("sam.{}@example.com", uuid::Uuid::now_v7().simple());
    let r = web
        .post(
            &path,
            &[
                ("first_name", "Sam"),
                ("last_name", "Signup"),
                ("email", &email),
                ("password", PASSWORD),
                ("class", &id),
            ],
        )
        .await;
    r.expect_redirect(&format!("/portal/classes/{id}"));
    web.get(r.location().unwrap())
        .await
        .expect(StatusCode::OK)
        .expect_text("Spin")
        .expect_text("Book");
    web.get("/portal")
        .await
        .expect(StatusCode::OK)
        .expect_text("My bookings");
    // The studio sees a new lead from online booking, linked to the account.
    let found = expect_status(
        app.get(&format!("/api/v1/clients?q={email}"), Some(&s.owner.token))
            .await,
        StatusCode::OK,
    )
    .await;
    let c = &found["items"][0];
    assert_eq!(c["status"], "lead");
    assert_eq!(c["source"], "online booking");
    assert!(c["user_id"].is_string());
    // The same email again is an error on the email field.
    let again = Web::new(&app);
    again.get(&path).await;
    again
        .post(
            &path,
            &[
                ("first_name", "Sam"),
                ("last_name", "Again"),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("id=\"e-email\"")
        .expect_text("already exists");
}

on_both_databases! {
    async fn booking_a_full_class_waitlists_and_a_cancellation_promotes_the_first_waiting(app) {
        let s = studio(&app, "Wait Studio").await;
        let id = class(&app, &s, "Power Yoga", 1, 2).await;
        let book = format!("/portal/classes/{id}/book");
        let cancel = format!("/portal/classes/{id}/cancel");
        let (a, _) = client_signs_up(&app, &s.slug, "Ann", "").await;
        let (b, _) = client_signs_up(&app, &s.slug, "Ben", "").await;
        let (c, _) = client_signs_up(&app, &s.slug, "Cai", "").await;
        act(&a, "/portal/classes", &book).await.expect_text("Booked. See you there!");
        a.get("/portal").await.expect_text("Power Yoga").expect_text("Booked");
        act(&b, "/portal/classes", &book).await.expect_text("position 1");
        b.get("/portal").await.expect_text("Waitlisted — position 1 of 1");
        act(&c, "/portal/classes", &book).await;
        c.get("/portal").await.expect_text("Waitlisted — position 2 of 2");
        // Leaving the waitlist.
        act(&c, "/portal", &cancel).await.expect_text("You have left the waitlist.");
        let page = c.get("/portal").await;
        assert!(!page.body.contains("Power Yoga"));
        // The booked client cancels: the first waiting is promoted.
        act(&a, "/portal", &cancel).await.expect_text("Your booking is cancelled.");
        let page = b.get("/portal").await;
        page.expect_text("Power Yoga").expect_text("Booked");
        assert!(!page.body.contains("Waitlisted"));
        b.get(&format!("/portal/classes/{id}")).await.expect_text("Cancel booking");
    }
}

on_both_databases! {
    async fn clients_cannot_cancel_when_the_studio_does_not_allow_it(app) {
        let s = studio(&app, "Strict Studio").await;
        let id = class(&app, &s, "Boxing", 5, 0).await;
        let (web, _) = client_signs_up(&app, &s.slug, "Dana", "").await;
        act(&web, "/portal/classes", &format!("/portal/classes/{id}/book")).await;
        expect_status(
            app.patch("/api/v1/organization", Some(&s.owner.token), &json!({"clients_may_cancel": false})).await,
            StatusCode::OK,
        )
        .await;
        act(&web, "/portal", &format!("/portal/classes/{id}/cancel"))
            .await
            .expect_text("This studio does not let clients cancel themselves; please call.");
        web.get("/portal").await.expect_text("Boxing").expect_text("Booked");
    }
}

#[tokio::test]
async fn clients_stay_in_the_portal_and_see_only_their_own() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let s = studio(&app, "Own Studio").await;
    let id = class(&app, &s, "Pilates", 5, 0).await;
    let (a, _) = client_signs_up(&app, &s.slug, "Eve", "").await;
    let (b, _) = client_signs_up(&app, &s.slug, "Finn", "").await;
    act(&a, "/portal/classes", &format!("/portal/classes/{id}/book")).await;
    a.get("/app").await.expect_redirect("/portal");
    // Finn has no place in the class: there is nothing of Eve's to cancel.
    b.get("/portal").await;
    b.post(&format!("/portal/classes/{id}/cancel"), &[])
        .await
        .expect(StatusCode::NOT_FOUND);
    a.get("/portal").await.expect_text("Pilates");
    // Another studio's class is not there.
    let other = studio(&app, "Other Studio").await;
    let theirs = class(&app, &other, "Elsewhere", 5, 0).await;
    a.get(&format!("/portal/classes/{theirs}"))
        .await
        .expect(StatusCode::NOT_FOUND);
    a.get("/portal").await;
    a.post(&format!("/portal/classes/{theirs}/book"), &[])
        .await
        .expect(StatusCode::NOT_FOUND);
    // Staff opening the portal go to the app.
    let staff = Web::new(&app);
    staff.signup("Staff Studio").await;
    staff.get("/portal").await.expect_redirect("/app");
    staff.get("/portal/classes").await.expect_redirect("/app");
    // Visitors are asked to log in.
    Web::new(&app)
        .get("/portal")
        .await
        .expect_redirect("/login");
}

#[tokio::test]
async fn the_data_export_downloads_the_clients_own_data_only() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let s = studio(&app, "Data Studio").await;
    let (a, email) = client_signs_up(&app, &s.slug, "Gia", "").await;
    let (_, other_email) = client_signs_up(&app, &s.slug, "Hal", "").await;
    a.get("/portal/data")
        .await
        .expect(StatusCode::OK)
        .expect_text("/portal/data/export.json");
    let page = a.get("/portal/data/export.json").await;
    page.expect(StatusCode::OK);
    assert!(
        page.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let data: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(data["client"]["email"], email.as_str());
    assert_eq!(data["client"]["first_name"], "Gia");
    assert!(!page.body.contains(&other_email));
    a.get("/portal/profile")
        .await
        .expect(StatusCode::OK)
        .expect_text(&email)
        .expect_text("ask the studio");
}

#[tokio::test]
async fn class_names_are_escaped_on_the_booking_page_and_in_the_portal() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let s = studio(&app, "Escape Studio").await;
    let id = class(&app, &s, "<script>alert(1)</script>", 5, 0).await;
    let escaped = "&#60;script&#62;alert(1)&#60;/script&#62;";
    let page = Web::new(&app).get(&format!("/book/{}", s.slug)).await;
    page.expect_text(escaped);
    assert!(!page.body.contains("<script>alert(1)"));
    let (web, _) = client_signs_up(&app, &s.slug, "Ida", "").await;
    act(
        &web,
        "/portal/classes",
        &format!("/portal/classes/{id}/book"),
    )
    .await;
    for path in ["/portal", "/portal/classes"] {
        let page = web.get(path).await;
        page.expect_text(escaped);
        assert!(!page.body.contains("<script>alert(1)"), "{path}");
    }
    let page = web.get(&format!("/portal/classes/{id}")).await;
    page.expect_text(escaped);
    assert!(!page.body.contains("<script>alert(1)"));
}

on_both_databases! {
    async fn clients_cancel_their_personal_sessions_in_the_portal_when_allowed(app) {
        let s = studio(&app, "Session Studio").await;
        let (web, email) = client_signs_up(&app, &s.slug, "Jo", "").await;
        let found = expect_status(
            app.get(&format!("/api/v1/clients?q={email}"), Some(&s.owner.token)).await,
            StatusCode::OK,
        )
        .await;
        let client_id = found["items"][0]["id"].as_str().unwrap().to_owned();
        let session = expect_status(
            app.post(
                "/api/v1/sessions",
                Some(&s.owner.token),
                &json!({"trainer_id": s.trainer_id, "client_id": client_id, "starts_at": at(5, 9), "ends_at": at(5, 10)}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let id = session["id"].as_str().unwrap();
        web.get("/portal").await.expect_text("Personal sessions").expect_text("with Tara");
        expect_status(
            app.patch("/api/v1/organization", Some(&s.owner.token), &json!({"clients_may_cancel": false})).await,
            StatusCode::OK,
        )
        .await;
        let r = web.post(&format!("/portal/sessions/{id}/cancel"), &[]).await;
        r.expect_redirect("/portal");
        web.get("/portal")
            .await
            .expect_text("This studio does not let clients cancel themselves; please call.")
            .expect_text(&format!("/portal/sessions/{id}/cancel"));
        expect_status(
            app.patch("/api/v1/organization", Some(&s.owner.token), &json!({"clients_may_cancel": true})).await,
            StatusCode::OK,
        )
        .await;
        web.post(&format!("/portal/sessions/{id}/cancel"), &[]).await.expect_redirect("/portal");
        let page = web.get("/portal").await;
        page.expect_text("Your session is cancelled.");
        assert!(!page.body.contains(&format!("/portal/sessions/{id}/cancel")));
    }
}
