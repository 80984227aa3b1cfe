//! Users and roles, API keys, the audit log and the organization's settings.

use reqwest::StatusCode;
use serde_json::json;

use super::client::Web;
use crate::helpers::{PASSWORD, expect_status};
use crate::on_both_databases;

const XSS: &str = "<script>alert(1)</script>";
const XSS_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

on_both_databases! {
    async fn owners_manage_accounts_and_roles_through_the_pages(app) {
        let web = Web::new(&app);
        web.signup("Role Room").await;
        web.get("/app/users").await.expect(StatusCode::OK).expect_text("Wendy Web");
        // Errors by field, input kept, password not echoed.
        web.post("/app/users", &[("name", XSS), ("email", "nope"), ("role", "trainer"), ("password", "short")])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("id=\"e-email\"")
            .expect_text("id=\"e-password\"")
            .expect_text(XSS_ESCAPED);
        let email = format!("tara.{}@example.com", uuid::Uuid::now_v7().simple());
        web.post("/app/users", &[("name", XSS), ("email", &email), ("role", "trainer"), ("password", PASSWORD)])
            .await
            .expect_redirect("/app/users");
        let list = web.get("/app/users").await;
        list.expect(StatusCode::OK).expect_text("Account created.").expect_text(XSS_ESCAPED);
        assert!(!list.body.contains(XSS));
        // Open the account, make them staff.
        let ids: Vec<String> = list
            .body
            .split("href=\"/app/users/")
            .skip(1)
            .map(|part| part.chars().take(36).collect())
            .collect();
        let mut trainer_id = None;
        for id in ids {
            let page = web.get(&format!("/app/users/{id}")).await;
            if page.body.contains(&email) {
                trainer_id = Some(id);
            }
        }
        let trainer_id = trainer_id.expect("the new account's page");
        let page = web.get(&format!("/app/users/{trainer_id}")).await;
        let version = page.body.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        web.post(&format!("/app/users/{trainer_id}"), &[("name", "Tara Trainer"), ("email", &email), ("role", "staff"), ("active", "on"), ("version", &version)])
            .await
            .expect_redirect(&format!("/app/users/{trainer_id}"));
        web.get(&format!("/app/users/{trainer_id}")).await.expect_text("Saved.").expect_text("<option value=\"staff\" selected>");
        // A stale version is refused, with the input kept.
        web.post(&format!("/app/users/{trainer_id}"), &[("name", "Stale Name"), ("email", &email), ("role", "staff"), ("active", "on"), ("version", &version)])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("changed by someone else")
            .expect_text("value=\"Stale Name\"");
        // Staff cannot open the users pages.
        let staff = Web::new(&app);
        staff.login(&email).await;
        staff.get("/app/users").await.expect(StatusCode::FORBIDDEN);
        staff.get("/app/settings").await.expect(StatusCode::FORBIDDEN);
        staff.get("/app/audit").await.expect(StatusCode::FORBIDDEN);
        staff.get("/app/api-keys").await.expect(StatusCode::FORBIDDEN);
        // Delete.
        web.get(&format!("/app/users/{trainer_id}")).await;
        web.post(&format!("/app/users/{trainer_id}/delete"), &[]).await.expect_redirect("/app/users");
        web.get(&format!("/app/users/{trainer_id}")).await.expect(StatusCode::NOT_FOUND);
    }
}

on_both_databases! {
    async fn api_keys_are_shown_once_work_and_can_be_revoked(app) {
        let web = Web::new(&app);
        web.signup("Key Club").await;
        web.get("/app/api-keys").await.expect(StatusCode::OK);
        let page = web.post("/app/api-keys", &[("name", XSS), ("role", "staff")]).await;
        page.expect(StatusCode::CREATED).expect_text("shown only this once").expect_text(XSS_ESCAPED);
        let secret = page.body.split("id=\"secret\" type=\"text\" readonly value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert!(secret.starts_with("fcrm_k_"));
        let r = app.get("/api/v1/clients", Some(&secret)).await;
        assert_eq!(r.status(), StatusCode::OK);
        // The list shows the key without its secret.
        let list = web.get("/app/api-keys").await;
        assert!(!list.body.contains(&secret));
        let id = list.body.split("/app/api-keys/").nth(1).unwrap().chars().take(36).collect::<String>();
        web.post(&format!("/app/api-keys/{id}/revoke"), &[]).await.expect_redirect("/app/api-keys");
        let r = app.get("/api/v1/clients", Some(&secret)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        web.post("/app/api-keys", &[("name", ""), ("role", "staff")]).await.expect(StatusCode::UNPROCESSABLE_ENTITY).expect_text("id=\"e-name\"");
    }
}

on_both_databases! {
    async fn the_audit_log_lists_and_filters_events(app) {
        let web = Web::new(&app);
        web.signup("Audit Arena").await;
        web.get("/app/api-keys").await;
        web.post("/app/api-keys", &[("name", "Widget"), ("role", "staff")]).await.expect(StatusCode::CREATED);
        web.get("/app/audit").await.expect(StatusCode::OK).expect_text("organization.created").expect_text("api_key.created");
        let filtered = web.get("/app/audit?action=api_key.created").await;
        filtered.expect(StatusCode::OK).expect_text("api_key.created");
        assert!(!filtered.body.contains("organization.created"));
        web.get("/app/audit?action=Bad%20Name&actor_id=xyz").await.expect(StatusCode::OK).expect_text("id=\"e-actor_id\"").expect_text("id=\"e-action\"");
    }
}

on_both_databases! {
    async fn settings_change_time_zone_locale_and_booking_rules(app) {
        let web = Web::new(&app);
        web.signup("Setting Sun").await;
        let page = web.get("/app/settings").await;
        page.expect(StatusCode::OK).expect_text("value=\"Europe/Berlin\"");
        let version = page.body.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        web.post("/app/settings", &[("name", "Setting Sun"), ("timezone", "Mars/Base"), ("currency", "EUR"), ("locale", "en-GB"),
            ("late_cancel_hours", "abc"), ("booking_opens_days", "14"), ("booking_closes_minutes", "30"), ("version", &version)])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("id=\"e-late_cancel_hours\"")
            .expect_text("value=\"Mars/Base\"");
        web.post("/app/settings", &[("name", "Setting Sun"), ("timezone", "Mars/Base"), ("currency", "EUR"), ("locale", "en-GB"),
            ("late_cancel_hours", "12"), ("booking_opens_days", "14"), ("booking_closes_minutes", "30"), ("version", &version)])
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("id=\"e-timezone\"");
        web.post("/app/settings", &[("name", "Setting Sun"), ("timezone", "America/New_York"), ("currency", "USD"), ("locale", "en-US"),
            ("late_cancel_hours", "12"), ("clients_may_cancel", "on"), ("booking_opens_days", "14"), ("booking_closes_minutes", "30"), ("version", &version)])
            .await
            .expect_redirect("/app/settings");
        web.get("/app/settings").await.expect_text("Settings saved.").expect_text("value=\"America/New_York\"");
        // The API sees the same settings.
        let owner = app.login(&web_owner_email(&web).await, PASSWORD).await;
        let org = expect_status(app.get("/api/v1/organization", Some(&owner)).await, StatusCode::OK).await;
        assert_eq!(org["late_cancel_hours"], json!(12));
        assert_eq!(org["locale"], json!("en-US"));
    }
}

/// The owner's email, read from the users page.
async fn web_owner_email(web: &Web) -> String {
    let page = web.get("/app/users").await;
    page.body
        .split("<td>")
        .find(|c| c.starts_with("web.") && c.contains("@example.com"))
        .and_then(|c| c.split('<').next())
        .expect("owner email")
        .to_owned()
}
