//! Location pages: owners and admins list, add, change and remove locations through the same
//! service as the API; errors by field, role refusal, tenancy, CSRF and escaping.

use reqwest::StatusCode;
use serde_json::json;

use super::client::Web;
use crate::helpers::{TestApp, expect_status};
use crate::on_both_databases;

const XSS: &str = "<script>alert(1)</script>";
const XSS_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// A browser logged in as `email`.
async fn logged_in(app: &TestApp, email: &str) -> Web {
    let web = Web::new(app);
    web.login(email).await;
    web
}

/// The first location link's id on the list page.
fn first_id(body: &str) -> String {
    body.split("href=\"/app/locations/")
        .nth(1)
        .expect("a location link")
        .chars()
        .take(36)
        .collect()
}

on_both_databases! {
    async fn owners_add_change_and_remove_locations_through_the_pages(app) {
        let owner = app.signup("Place Gym").await;
        let web = logged_in(&app, &owner.email).await;
        web.get("/app/settings").await.expect(StatusCode::OK).expect_text("href=\"/app/locations\"");
        web.get("/app/locations").await.expect(StatusCode::OK).expect_text("No locations yet.");
        // Every bad field at once, the input kept and escaped.
        web.post("/app/locations", &[("name", ""), ("timezone", "Mars/Base"), ("address", XSS), ("capacity", "lots")])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("id=\"e-name\"")
            .expect_text("id=\"e-timezone\"")
            .expect_text("id=\"e-capacity\"")
            .expect_text("value=\"Mars/Base\"")
            .expect_text(XSS_ESCAPED);
        web.post("/app/locations", &[("name", "Room 0"), ("timezone", "Europe/Berlin"), ("capacity", "0")])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("id=\"e-capacity\"");
        web.post("/app/locations", &[("name", XSS), ("timezone", "Europe/Lisbon"), ("address", "1 Main St"), ("capacity", "12")])
            .await
            .expect_redirect("/app/locations");
        let list = web.get("/app/locations").await;
        list.expect(StatusCode::OK).expect_text("added.").expect_text(XSS_ESCAPED).expect_text("Europe/Lisbon");
        assert!(!list.body.contains(XSS), "raw script in page");
        let id = first_id(&list.body);
        // The API sees it, with its audit event.
        let api = expect_status(app.get(&format!("/api/v1/locations/{id}"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(api["name"], XSS);
        assert_eq!(api["capacity"], json!(12));

        // Change it; an empty capacity and address clear them.
        let page = web.get(&format!("/app/locations/{id}")).await;
        page.expect(StatusCode::OK).expect_text("value=\"1 Main St\"");
        let version = page.body.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        web.post(&format!("/app/locations/{id}"), &[("name", "Studio A"), ("timezone", "Europe/Lisbon"), ("address", ""), ("capacity", ""), ("version", &version)])
            .await
            .expect_redirect("/app/locations");
        let api = expect_status(app.get(&format!("/api/v1/locations/{id}"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(api["name"], "Studio A");
        assert!(api["capacity"].is_null() && api["address"].is_null(), "{api}");
        // The same version again: someone else changed it meanwhile.
        web.post(&format!("/app/locations/{id}"), &[("name", "Stale"), ("timezone", "Europe/Lisbon"), ("version", &version)])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("value=\"Stale\"");
        // Remove it.
        web.get(&format!("/app/locations/{id}")).await;
        web.post(&format!("/app/locations/{id}/delete"), &[]).await.expect_redirect("/app/locations");
        web.get("/app/locations").await.expect_text("Location removed.");
        expect_status(app.get(&format!("/api/v1/locations/{id}"), Some(&owner.token)).await, StatusCode::NOT_FOUND).await;
        let audit = expect_status(app.get("/api/v1/audit-events?sort=seq&entity_type=location", Some(&owner.token)).await, StatusCode::OK).await;
        let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
        for a in ["location.created", "location.updated", "location.deleted"] {
            assert!(actions.contains(&a), "{a} missing: {actions:?}");
        }
    }
}

on_both_databases! {
    async fn only_owners_and_admins_manage_locations_and_only_their_own(app) {
        let owner = app.signup("Home Gym").await;
        let loc = expect_status(app.post("/api/v1/locations", Some(&owner.token), &json!({"name": "Main hall"})).await, StatusCode::CREATED).await;
        let id = loc["id"].as_str().unwrap().to_owned();
        // An admin manages them.
        let admin = app.add_user(&owner, "admin").await;
        let web = logged_in(&app, &admin.email).await;
        web.get("/app/locations").await.expect(StatusCode::OK).expect_text("Main hall");
        web.get(&format!("/app/locations/{id}")).await.expect(StatusCode::OK);
        // Without the CSRF token: refused, nothing changed.
        web.post_raw(&format!("/app/locations/{id}/delete"), &[]).await.expect(StatusCode::FORBIDDEN);
        expect_status(app.get(&format!("/api/v1/locations/{id}"), Some(&owner.token)).await, StatusCode::OK).await;
        // Staff and trainers: 403.
        for role in ["staff", "trainer"] {
            let user = app.add_user(&owner, role).await;
            let web = logged_in(&app, &user.email).await;
            web.get("/app/locations").await.expect(StatusCode::FORBIDDEN);
            web.get(&format!("/app/locations/{id}")).await.expect(StatusCode::FORBIDDEN);
            web.get("/app").await;
            web.post("/app/locations", &[("name", "Mine"), ("timezone", "UTC")]).await.expect(StatusCode::FORBIDDEN);
            web.post(&format!("/app/locations/{id}/delete"), &[]).await.expect(StatusCode::FORBIDDEN);
        }
        // Another organization's owner: 404 everywhere.
        let stranger = app.signup("Other Gym").await;
        let web = logged_in(&app, &stranger.email).await;
        web.get(&format!("/app/locations/{id}")).await.expect(StatusCode::NOT_FOUND);
        web.get("/app/locations").await.expect(StatusCode::OK);
        web.post(&format!("/app/locations/{id}"), &[("name", "Taken"), ("timezone", "UTC"), ("version", "1")]).await.expect(StatusCode::NOT_FOUND);
        web.post(&format!("/app/locations/{id}/delete"), &[]).await.expect(StatusCode::NOT_FOUND);
        let still = expect_status(app.get(&format!("/api/v1/locations/{id}"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(still["name"], "Main hall");
    }
}

on_both_databases! {
    async fn the_trainer_picker_narrows_by_the_typed_start_of_a_name(app) {
        let owner = app.signup("Pick Gym").await;
        for (first, last) in [("Ann", "Able"), ("Bob", "Baker"), ("Bea", "Bright"), ("Eve", "<b>Evil</b>")] {
            expect_status(app.post("/api/v1/trainers", Some(&owner.token), &json!({"first_name": first, "last_name": last})).await, StatusCode::CREATED).await;
        }
        let web = logged_in(&app, &owner.email).await;
        let all = web.get("/app/trainers/picker").await;
        all.expect(StatusCode::OK).expect_text("Ann Able").expect_text("Bob Baker").expect_text("&#60;b&#62;Evil");
        assert!(!all.body.contains("<b>Evil"), "raw markup in options");
        let some = web.get("/app/trainers/picker?q=ba").await;
        some.expect(StatusCode::OK).expect_text("Bob Baker");
        assert!(!some.body.contains("Ann Able") && !some.body.contains("Bea Bright"), "{}", some.body);
        // The booking and class forms use the same picker, with its search box.
        for page in ["/app/sessions/new", "/app/classes"] {
            web.get(page).await.expect(StatusCode::OK)
                .expect_text("data-picker=\"/app/trainers/picker\"")
                .expect_text("data-picker-for=\"f-trainer_id\"");
        }
        let client = app.add_user(&owner, "client").await;
        let web = logged_in(&app, &client.email).await;
        assert_ne!(web.get("/app/trainers/picker").await.status, StatusCode::OK);
    }
}
