//! Group classes through the class service's two front ends: a refusal on the roster page comes back
//! as the page again (422, the service's message), and a roster action on another organization's
//! class is the error page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, expect_status};
use crate::on_both_databases;
use crate::web::client::Web;

async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let v = expect_status(
        app.post(path, Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await;
    v["id"].as_str().unwrap().to_owned()
}

/// An owner with a trainer, a client and a one-place class without a waitlist.
async fn studio(app: &TestApp, name: &str) -> (Account, String, String) {
    let owner = app.signup(name).await;
    let trainer = create(
        app,
        &owner.token,
        "/api/v1/trainers",
        json!({"first_name": "Tess", "last_name": "Trainer"}),
    )
    .await;
    let client = create(
        app,
        &owner.token,
        "/api/v1/clients",
        json!({"first_name": "Cleo", "last_name": "Client"}),
    )
    .await;
    let class = create(
        app,
        &owner.token,
        "/api/v1/classes",
        json!({"name": "Tiny Class", "trainer_id": trainer, "starts_at": "2030-05-01T08:00:00Z",
               "ends_at": "2030-05-01T09:00:00Z", "capacity": 1, "waitlist_capacity": 0}),
    )
    .await;
    (owner, client, class)
}

on_both_databases! {
    async fn a_refused_booking_on_the_roster_page_shows_the_page_again_with_the_reason(app) {
        let (owner, client, class) = studio(&app, "Roster Refusals").await;
        let web = Web::new(&app);
        web.login(&owner.email).await;
        let page = format!("/app/classes/{class}");
        web.get(&page).await.expect(StatusCode::OK);
        web.post(&format!("{page}/bookings"), &[("client_id", &client)])
            .await
            .expect_redirect(&page);
        // The same client again: the service's conflict, shown on the page with the client kept.
        web.get(&page).await;
        web.post(&format!("{page}/bookings"), &[("client_id", &client)])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("already has a place in this class")
            .expect_text(&format!("value=\"{client}\" selected"));
        // No client chosen: the message sits at the field.
        web.post(&format!("{page}/bookings"), &[("client_id", "")])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("is required");
        // The API agrees: one booking.
        let roster = expect_status(
            app.get(&format!("/api/v1/classes/{class}/bookings"), Some(&owner.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(roster["items"].as_array().unwrap().len(), 1);
    }
}

on_both_databases! {
    async fn roster_actions_on_another_organizations_class_are_not_found(app) {
        let (_, _, class) = studio(&app, "Theirs").await;
        let (mine, client, _) = studio(&app, "Mine").await;
        let web = Web::new(&app);
        web.login(&mine.email).await;
        web.get("/app/classes").await.expect(StatusCode::OK);
        web.post(&format!("/app/classes/{class}/bookings"), &[("client_id", &client)])
            .await
            .expect(StatusCode::NOT_FOUND);
        let booking = uuid::Uuid::now_v7();
        web.post(&format!("/app/classes/{class}/bookings/{booking}/cancel"), &[])
            .await
            .expect(StatusCode::NOT_FOUND);
        web.post(&format!("/app/classes/{class}/bookings/{booking}/check-in"), &[])
            .await
            .expect(StatusCode::NOT_FOUND);
    }
}
