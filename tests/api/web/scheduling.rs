//! Web pages: scheduling — calendar, my day, booking sessions and series (with conflicts), moving and
//! cancelling, classes with roster, waitlist and check-in, trainers; access and escaping.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::client::Web;
use crate::helpers::{Account, TestApp, expect_status};
use crate::on_both_databases;

const XSS: &str = "<script>alert(1)</script>";
const XSS_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

struct Studio {
    owner: Account,
    trainer_id: String,
    other_trainer_id: String,
    client_id: String,
    other_client_id: String,
}

async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    expect_status(
        app.post(path, Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// An organization (Europe/Berlin) with two trainers and two clients, and a browser logged in as
/// its owner.
async fn studio(app: &TestApp, client_last_name: &str) -> (Studio, Web) {
    let owner = app.signup("Web Studio").await;
    let t = |name: &str| json!({"first_name": "Tina", "last_name": name});
    let trainer_id = create(app, &owner.token, "/api/v1/trainers", t("Trainer")).await;
    let other_trainer_id = create(app, &owner.token, "/api/v1/trainers", t("Other")).await;
    let c = |name: &str| json!({"first_name": "Carl", "last_name": name});
    let client_id = create(app, &owner.token, "/api/v1/clients", c(client_last_name)).await;
    let other_client_id = create(app, &owner.token, "/api/v1/clients", c("Second")).await;
    let web = Web::new(app);
    web.login(&owner.email).await;
    (
        Studio {
            owner,
            trainer_id,
            other_trainer_id,
            client_id,
            other_client_id,
        },
        web,
    )
}

async fn api_session(
    app: &TestApp,
    s: &Studio,
    trainer: &str,
    client: &str,
    start: &str,
    end: &str,
) -> String {
    create(
        app,
        &s.owner.token,
        "/api/v1/sessions",
        json!({"trainer_id": trainer, "client_id": client, "starts_at": start, "ends_at": end}),
    )
    .await
}

async fn api_get(app: &TestApp, token: &str, path: &str) -> Value {
    expect_status(app.get(path, Some(token)).await, StatusCode::OK).await
}

fn id_of(location: Option<&str>, prefix: &str) -> String {
    location
        .and_then(|l| l.strip_prefix(prefix))
        .expect("redirect to the new item")
        .to_owned()
}

on_both_databases! {
    async fn the_calendar_shows_a_day_and_a_week_in_the_organization_time_zone(app) {
        let (s, web) = studio(&app, "Calendar").await;
        // 09:00 UTC on a Monday in January is 10:00 in Berlin.
        let id = api_session(&app, &s, &s.trainer_id, &s.client_id, "2030-01-14T09:00:00Z", "2030-01-14T10:00:00Z").await;
        let day = web
            .get(&format!("/app/calendar?view=day&date=2030-01-14&trainer_id={}", s.trainer_id))
            .await;
        day.expect(StatusCode::OK)
            .expect_text("10:00")
            .expect_text("Carl Calendar")
            .expect_text("personal session")
            .expect_text(&format!("/app/sessions/{id}"))
            .expect_text("Europe/Berlin");
        assert!(!day.body.contains("9:00"), "times are shown in UTC: {}", day.body);
        let week = web
            .get(&format!("/app/calendar?view=week&date=2030-01-16&trainer_id={}", s.trainer_id))
            .await;
        week.expect(StatusCode::OK).expect_text("10:00").expect_text("Carl Calendar");
        assert_eq!(week.body.matches("class=\"day").count(), 7);
        // Prev/next go by a week; the other trainer's calendar is empty.
        week.expect_text("date=2030-01-07").expect_text("date=2030-01-21");
        web.get(&format!("/app/calendar?view=week&date=2030-01-14&trainer_id={}", s.other_trainer_id))
            .await
            .expect(StatusCode::OK)
            .expect_text("Nothing booked");
        // Staff without a pick see everyone.
        web.get("/app/calendar?view=day&date=2030-01-14").await.expect_text("Carl Calendar");
    }
}

on_both_databases! {
    async fn a_session_is_booked_through_the_form_and_a_clash_lists_the_conflict(app) {
        let (s, web) = studio(&app, "Booked").await;
        web.get("/app/sessions/new").await.expect(StatusCode::OK).expect_text("Book a session");
        let page = web
            .post(
                "/app/sessions/new",
                &[
                    ("trainer_id", &s.trainer_id),
                    ("client_id", &s.client_id),
                    ("starts_at", "2030-01-15T10:00"),
                    ("duration_minutes", "60"),
                    ("kind", "personal"),
                    ("notes", "first"),
                ],
            )
            .await;
        page.expect_redirect("/app/sessions/");
        let id = id_of(page.location(), "/app/sessions/");
        let stored = api_get(&app, &s.owner.token, &format!("/api/v1/sessions/{id}")).await;
        assert_eq!(stored["starts_at"], "2030-01-15T09:00:00Z");
        assert_eq!(stored["ends_at"], "2030-01-15T10:00:00Z");
        web.get(&format!("/app/sessions/{id}")).await.expect(StatusCode::OK).expect_text("Carl Booked");

        // The same trainer at an overlapping time: the form comes back with the conflict listed.
        web.get("/app/sessions/new").await;
        let clash = web
            .post(
                "/app/sessions/new",
                &[
                    ("trainer_id", &s.trainer_id),
                    ("client_id", &s.other_client_id),
                    ("starts_at", "2030-01-15T10:30"),
                    ("duration_minutes", "45"),
                    ("kind", "online"),
                    ("notes", "keep me"),
                ],
            )
            .await;
        clash
            .expect(StatusCode::CONFLICT)
            .expect_text("class=\"conflicts\"")
            .expect_text("Tina Trainer")
            .expect_text("a personal session with Carl Booked")
            .expect_text(&format!("/app/sessions/{id}"))
            .expect_text("value=\"2030-01-15T10:30\"")
            .expect_text("value=\"45\"")
            .expect_text("keep me")
            .expect_text("value=\"online\" selected");
        // A bad length is shown by its field.
        let bad = web
            .post(
                "/app/sessions/new",
                &[
                    ("trainer_id", &s.trainer_id),
                    ("client_id", &s.client_id),
                    ("starts_at", "2030-01-16T10:00"),
                    ("duration_minutes", "800"),
                ],
            )
            .await;
        bad.expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("id=\"e-duration_minutes\"")
            .expect_text("at most 12 hours");
        // An end time instead of a length; a bad one is shown on the end field.
        let page = web
            .post(
                "/app/sessions/new",
                &[
                    ("trainer_id", &s.trainer_id),
                    ("client_id", &s.client_id),
                    ("starts_at", "2030-01-16T10:00"),
                    ("duration_minutes", "60"),
                    ("ends_at", "2030-01-16T10:30"),
                ],
            )
            .await;
        page.expect_redirect("/app/sessions/");
        let short = id_of(page.location(), "/app/sessions/");
        let stored = api_get(&app, &s.owner.token, &format!("/api/v1/sessions/{short}")).await;
        assert_eq!(stored["ends_at"], "2030-01-16T09:30:00Z");
        web.get("/app/sessions/new").await;
        web.post(
            "/app/sessions/new",
            &[
                ("trainer_id", &s.trainer_id),
                ("client_id", &s.client_id),
                ("starts_at", "2030-01-17T10:00"),
                ("duration_minutes", "60"),
                ("ends_at", "2030-01-17T09:00"),
            ],
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("id=\"e-ends_at\"");

        // Owners may book over a clash by ticking the override; staff are not offered it.
        web.get("/app/sessions/new").await.expect_text("name=\"allow_conflict\"");
        web.post(
            "/app/sessions/new",
            &[
                ("trainer_id", &s.trainer_id),
                ("client_id", &s.other_client_id),
                ("starts_at", "2030-01-15T10:30"),
                ("duration_minutes", "45"),
                ("allow_conflict", "on"),
            ],
        )
        .await
        .expect_redirect("/app/sessions/");
        let staff = app.add_user(&s.owner, "staff").await;
        let desk = Web::new(&app);
        desk.login(&staff.email).await;
        let form = desk.get("/app/sessions/new").await;
        form.expect(StatusCode::OK);
        assert!(!form.body.contains("allow_conflict"));
    }
}

on_both_databases! {
    async fn a_weekly_series_is_created_and_moving_this_and_following_leaves_earlier_ones(app) {
        let (s, web) = studio(&app, "Series").await;
        web.get("/app/sessions/new").await;
        let page = web
            .post(
                "/app/sessions/new",
                &[
                    ("trainer_id", &s.trainer_id),
                    ("client_id", &s.client_id),
                    ("starts_at", "2030-01-14T10:00"),
                    ("duration_minutes", "60"),
                    ("kind", "personal"),
                    ("repeat", "on"),
                    ("byday", "MO"),
                    ("interval", "1"),
                    ("ends", "count"),
                    ("count", "4"),
                ],
            )
            .await;
        page.expect_redirect("/app/sessions/");
        let list = api_get(
            &app,
            &s.owner.token,
            &format!("/api/v1/sessions?trainer_id={}", s.trainer_id),
        )
        .await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 4);
        let starts: Vec<&str> = items.iter().map(|i| i["starts_at"].as_str().unwrap()).collect();
        assert_eq!(starts[0], "2030-01-14T09:00:00Z");
        assert_eq!(starts[3], "2030-02-04T09:00:00Z");
        let second = items[1]["id"].as_str().unwrap().to_owned();

        let detail = web.get(&format!("/app/sessions/{second}")).await;
        detail.expect(StatusCode::OK).expect_text("name=\"scope\" value=\"following\"");
        web.post(
            &format!("/app/sessions/{second}/move"),
            &[("starts_at", "2030-01-21T11:00"), ("duration_minutes", "60"), ("scope", "following")],
        )
        .await
        .expect_redirect(&format!("/app/sessions/{second}"));
        let list = api_get(
            &app,
            &s.owner.token,
            &format!("/api/v1/sessions?trainer_id={}", s.trainer_id),
        )
        .await;
        let starts: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["starts_at"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            starts,
            [
                "2030-01-14T09:00:00Z",
                "2030-01-21T10:00:00Z",
                "2030-01-28T10:00:00Z",
                "2030-02-04T10:00:00Z"
            ]
        );
    }
}

on_both_databases! {
    async fn a_session_is_cancelled_checked_in_and_marked_from_its_page(app) {
        let (s, web) = studio(&app, "Cancel").await;
        let a = api_session(&app, &s, &s.trainer_id, &s.client_id, "2030-03-04T09:00:00Z", "2030-03-04T10:00:00Z").await;
        let b = api_session(&app, &s, &s.trainer_id, &s.client_id, "2030-03-05T09:00:00Z", "2030-03-05T10:00:00Z").await;
        web.get(&format!("/app/sessions/{a}")).await.expect(StatusCode::OK);
        web.post(&format!("/app/sessions/{a}/cancel"), &[("scope", "this")])
            .await
            .expect_redirect(&format!("/app/sessions/{a}"));
        web.get(&format!("/app/sessions/{a}"))
            .await
            .expect_text("Session cancelled.")
            .expect_text("badge cancelled");
        let stored = api_get(&app, &s.owner.token, &format!("/api/v1/sessions/{a}")).await;
        assert_eq!(stored["status"], "cancelled");

        web.get(&format!("/app/sessions/{b}")).await;
        web.post(&format!("/app/sessions/{b}/check-in"), &[])
            .await
            .expect_redirect(&format!("/app/sessions/{b}"));
        web.get(&format!("/app/sessions/{b}")).await;
        web.post(&format!("/app/sessions/{b}/status"), &[("status", "completed")])
            .await
            .expect_redirect(&format!("/app/sessions/{b}"));
        let stored = api_get(&app, &s.owner.token, &format!("/api/v1/sessions/{b}")).await;
        assert_eq!(stored["status"], "completed");
        assert!(stored["checked_in_at"].is_string());
        // A completed session cannot become a no-show: the page says why.
        web.get(&format!("/app/sessions/{b}")).await;
        web.post(&format!("/app/sessions/{b}/status"), &[("status", "no_show")])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("cannot become");
    }
}

on_both_databases! {
    async fn a_full_class_waitlists_and_a_cancellation_promotes_the_first_waiting(app) {
        let (s, web) = studio(&app, "Roster").await;
        let third = create(&app, &s.owner.token, "/api/v1/clients", json!({"first_name": "Wanda", "last_name": "Third"})).await;
        web.get("/app/classes").await.expect(StatusCode::OK).expect_text("Schedule a class");
        let page = web
            .post(
                "/app/classes/new",
                &[
                    ("name", "Morning Yoga"),
                    ("trainer_id", &s.trainer_id),
                    ("starts_at", "2030-04-01T08:00"),
                    ("duration_minutes", "60"),
                    ("capacity", "1"),
                    ("waitlist_capacity", "2"),
                ],
            )
            .await;
        page.expect_redirect("/app/classes/");
        let class = id_of(page.location(), "/app/classes/");
        web.get("/app/classes?from=2030-03-01").await.expect_text("Morning Yoga");

        web.get(&format!("/app/classes/{class}")).await.expect(StatusCode::OK);
        web.post(&format!("/app/classes/{class}/bookings"), &[("client_id", &s.client_id)])
            .await
            .expect_redirect(&format!("/app/classes/{class}"));
        web.get(&format!("/app/classes/{class}")).await;
        web.post(&format!("/app/classes/{class}/bookings"), &[("client_id", &s.other_client_id)])
            .await
            .expect_redirect(&format!("/app/classes/{class}"));
        let roster = web.get(&format!("/app/classes/{class}")).await;
        roster
            .expect_text("waitlisted at position 1")
            .expect_text("Carl Roster")
            .expect_text("Carl Second")
            .expect_text("#1");
        web.post(&format!("/app/classes/{class}/bookings"), &[("client_id", &third)])
            .await
            .expect_redirect(&format!("/app/classes/{class}"));
        web.get(&format!("/app/classes/{class}")).await.expect_text("#2");

        let bookings = api_get(&app, &s.owner.token, &format!("/api/v1/classes/{class}/bookings")).await;
        let id_of_client = |c: &str| {
            bookings["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["client_id"] == c)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let first = id_of_client(&s.client_id);
        let second = id_of_client(&s.other_client_id);
        web.post(&format!("/app/classes/{class}/bookings/{first}/cancel"), &[])
            .await
            .expect_redirect(&format!("/app/classes/{class}"));
        let roster = web.get(&format!("/app/classes/{class}")).await;
        roster.expect_text("Booking cancelled.");
        // Carl Second is now booked (a check-in button names him); Wanda moved up to #1.
        roster
            .expect_text("aria-label=\"Check in Carl Second\"")
            .expect_text("Wanda Third <span class=\"badge waitlisted\">waitlisted #1");
        web.post(&format!("/app/classes/{class}/bookings/{second}/check-in"), &[])
            .await
            .expect_redirect(&format!("/app/classes/{class}"));
        web.get(&format!("/app/classes/{class}")).await.expect_text("checked in");
        let bookings = api_get(&app, &s.owner.token, &format!("/api/v1/classes/{class}/bookings")).await;
        let promoted = bookings["items"].as_array().unwrap().iter().find(|b| b["id"] == second.as_str()).unwrap();
        assert_eq!(promoted["status"], "booked");
        assert!(promoted["checked_in_at"].is_string());
    }
}

on_both_databases! {
    async fn a_trainer_sees_only_their_own_calendar_and_day(app) {
        let (s, _owner_web) = studio(&app, "Mine").await;
        let account = app.add_user(&s.owner, "trainer").await;
        let me = create(
            &app,
            &s.owner.token,
            "/api/v1/trainers",
            json!({"first_name": "Terry", "last_name": "Linked", "user_id": account.user_id}),
        )
        .await;
        let today = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
        let mine_start = format!("{today}T09:00:00Z");
        let mine_end = format!("{today}T10:00:00Z");
        let mine = api_session(&app, &s, &me, &s.client_id, &mine_start, &mine_end).await;
        let theirs = api_session(&app, &s, &s.trainer_id, &s.other_client_id, &mine_start, &mine_end).await;
        let web = Web::new(&app);
        web.login(&account.email).await;
        let nav = web.get("/app/my-day").await;
        nav.expect(StatusCode::OK).expect_text("href=\"/app/my-day\"");
        let cal = web.get(&format!("/app/calendar?view=week&date={today}")).await;
        cal.expect(StatusCode::OK)
            .expect_text(&format!("/app/sessions/{mine}"))
            .expect_text("Terry Linked");
        assert!(!cal.body.contains(&theirs), "a trainer sees another trainer's session");
        web.get(&format!("/app/calendar?trainer_id={}", s.trainer_id))
            .await
            .expect(StatusCode::FORBIDDEN);
        web.get(&format!("/app/sessions/{theirs}")).await.expect(StatusCode::NOT_FOUND);
        web.get(&format!("/app/sessions/{mine}")).await.expect(StatusCode::OK);

        // My day: sessions of today only. Book one for today (late in the day, Berlin time).
        let now = chrono::Utc::now();
        let start = now + chrono::Duration::minutes(5);
        let today_id = create(
            &app,
            &s.owner.token,
            "/api/v1/sessions",
            json!({"trainer_id": me, "client_id": s.client_id, "starts_at": start, "ends_at": start + chrono::Duration::minutes(15)}),
        )
        .await;
        let day = web.get("/app/my-day").await;
        // The session may fall on tomorrow in Berlin near midnight; only assert when it is today there.
        let berlin = chrono_tz::Europe::Berlin;
        if start.with_timezone(&berlin).date_naive() == now.with_timezone(&berlin).date_naive() {
            day.expect_text(&format!("/app/sessions/{today_id}/check-in"));
            web.post(&format!("/app/sessions/{today_id}/check-in"), &[("back", "/app/my-day")])
                .await
                .expect_redirect("/app/my-day");
            web.get("/app/my-day").await.expect_text("checked in");
        }
        assert!(!day.body.contains(&theirs));
    }
}

on_both_databases! {
    async fn another_organizations_session_and_class_are_not_found(app) {
        let (s, _web) = studio(&app, "Tenant").await;
        let id = api_session(&app, &s, &s.trainer_id, &s.client_id, "2030-05-06T09:00:00Z", "2030-05-06T10:00:00Z").await;
        let class = create(
            &app,
            &s.owner.token,
            "/api/v1/classes",
            json!({"name": "Spin", "trainer_id": s.trainer_id, "starts_at": "2030-05-07T09:00:00Z", "ends_at": "2030-05-07T10:00:00Z", "capacity": 5}),
        )
        .await;
        let other = Web::new(&app);
        other.signup("Elsewhere").await;
        other.get(&format!("/app/sessions/{id}")).await.expect(StatusCode::NOT_FOUND);
        other.get(&format!("/app/classes/{class}")).await.expect(StatusCode::NOT_FOUND);
        other.get(&format!("/app/trainers/{}", s.trainer_id)).await.expect(StatusCode::NOT_FOUND);
        other.get("/app/calendar").await;
        other
            .post(&format!("/app/sessions/{id}/cancel"), &[])
            .await
            .expect(StatusCode::NOT_FOUND);
        let stored = api_get(&app, &s.owner.token, &format!("/api/v1/sessions/{id}")).await;
        assert_eq!(stored["status"], "scheduled");
    }
}

on_both_databases! {
    async fn names_with_markup_are_escaped_on_the_calendar_session_and_roster(app) {
        let (s, web) = studio(&app, XSS).await;
        let id = api_session(&app, &s, &s.trainer_id, &s.client_id, "2030-06-03T09:00:00Z", "2030-06-03T10:00:00Z").await;
        let class = create(
            &app,
            &s.owner.token,
            "/api/v1/classes",
            json!({"name": XSS, "trainer_id": s.other_trainer_id, "starts_at": "2030-06-03T12:00:00Z", "ends_at": "2030-06-03T13:00:00Z", "capacity": 5}),
        )
        .await;
        expect_status(
            app.post(&format!("/api/v1/classes/{class}/bookings"), Some(&s.owner.token), &json!({"client_id": s.client_id})).await,
            StatusCode::CREATED,
        )
        .await;
        for path in [
            "/app/calendar?view=day&date=2030-06-03".to_owned(),
            format!("/app/sessions/{id}"),
            format!("/app/classes/{class}"),
            "/app/classes?from=2030-06-01".to_owned(),
        ] {
            let page = web.get(&path).await;
            page.expect(StatusCode::OK).expect_text(XSS_ESCAPED);
            assert!(!page.body.contains("<script>alert(1)"), "{path} is not escaped");
        }
    }
}

on_both_databases! {
    async fn trainers_are_listed_added_and_given_working_hours_and_time_off(app) {
        let (s, web) = studio(&app, "Hours").await;
        web.get("/app/trainers").await.expect(StatusCode::OK).expect_text("Tina Trainer");
        let page = web.post("/app/trainers/new", &[("first_name", "Nora"), ("last_name", "New")]).await;
        page.expect_redirect("/app/trainers/");
        let id = id_of(page.location(), "/app/trainers/");
        web.get(&format!("/app/trainers/{id}")).await.expect(StatusCode::OK).expect_text("Working hours");
        web.post(&format!("/app/trainers/{id}/hours"), &[("start_mon_0", "09:00"), ("end_mon_0", "17:00")])
            .await
            .expect_redirect(&format!("/app/trainers/{id}"));
        let week = api_get(&app, &s.owner.token, &format!("/api/v1/trainers/{id}/working-hours")).await;
        assert_eq!(week["hours"][0]["weekday"], "mon");
        assert_eq!(week["hours"][0]["start"], "09:00");
        web.get(&format!("/app/trainers/{id}")).await.expect_text("value=\"17:00\"");
        // Outside the hours now: booking shows the reason by the start field.
        web.get("/app/sessions/new").await;
        web.post(
            "/app/sessions/new",
            &[("trainer_id", &id), ("client_id", &s.client_id), ("starts_at", "2030-01-14T18:00"), ("duration_minutes", "60")],
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("id=\"e-starts_at\"");
        web.get(&format!("/app/trainers/{id}")).await;
        web.post(
            &format!("/app/trainers/{id}/time-off"),
            &[("starts_at", "2030-02-01T00:00"), ("ends_at", "2030-02-08T00:00"), ("reason", "Holiday")],
        )
        .await
        .expect_redirect(&format!("/app/trainers/{id}"));
        web.get(&format!("/app/trainers/{id}")).await.expect_text("Holiday");
        web.post(&format!("/app/trainers/{id}/feed"), &[])
            .await
            .expect(StatusCode::OK)
            .expect_text(".ics");
        web.get("/app/my-day").await.expect(StatusCode::OK).expect_text("Today");
    }
}

on_both_databases! {
    async fn a_location_calendar_uses_the_location_time_zone_and_a_class_clash_is_listed(app) {
        let (s, web) = studio(&app, "Place").await;
        let london = create(
            &app,
            &s.owner.token,
            "/api/v1/locations",
            json!({"name": "London Loft", "timezone": "Europe/London"}),
        )
        .await;
        create(
            &app,
            &s.owner.token,
            "/api/v1/sessions",
            json!({"trainer_id": s.trainer_id, "client_id": s.client_id, "location_id": london,
                   "starts_at": "2030-01-14T09:00:00Z", "ends_at": "2030-01-14T10:00:00Z"}),
        )
        .await;
        // 09:00 UTC is 09:00 in London in January (10:00 in the organization's Berlin).
        let page = web
            .get(&format!("/app/calendar?view=day&date=2030-01-14&location_id={london}"))
            .await;
        page.expect(StatusCode::OK)
            .expect_text("Calendar of London Loft")
            .expect_text("Europe/London")
            .expect_text("Carl Place");
        assert!(
            page.body.contains("<strong>9:00") && !page.body.contains("<strong>10:00"),
            "{}",
            page.body
        );

        // A class over the trainer's session: the form comes back with the session listed.
        web.get("/app/classes").await;
        web.post(
            "/app/classes/new",
            &[
                ("name", "Clashing Circuit"),
                ("trainer_id", &s.trainer_id),
                ("starts_at", "2030-01-14T10:30"),
                ("duration_minutes", "60"),
                ("capacity", "10"),
                ("waitlist_capacity", "0"),
            ],
        )
        .await
        .expect(StatusCode::CONFLICT)
        .expect_text("class=\"conflicts\"")
        .expect_text("Tina Trainer")
        .expect_text("value=\"Clashing Circuit\"");
        // A capacity the service refuses is shown by its field.
        web.post(
            "/app/classes/new",
            &[
                ("name", "Too Big"),
                ("trainer_id", &s.trainer_id),
                ("starts_at", "2030-01-15T10:30"),
                ("duration_minutes", "60"),
                ("capacity", "9999"),
                ("waitlist_capacity", "0"),
            ],
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("id=\"e-capacity\"");
    }
}
