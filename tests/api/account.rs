//! Account self-service for every role: one's own password and sessions; and who may change another
//! account's password or email.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, expect_problem, expect_status};
use crate::on_both_databases;
use crate::web::client::Web;

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn login_as(app: &TestApp, email: &str, password: &str, agent: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", agent)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

on_both_databases! {
    config = |c| c.rate_limit_auth = "500/1m".parse().unwrap();
    async fn every_role_changes_its_own_password_and_the_other_sessions_end(app) {
        let owner = app.signup("Self service").await;
        for role in ["owner", "admin", "staff", "trainer"] {
            let account = if role == "owner" { owner.clone() } else { app.add_user(&owner, role).await };
            let other = app.login(&account.email, PASSWORD).await;
            // Both fields are checked at once.
            let p = expect_problem(
                app.request(reqwest::Method::PUT, "/api/v1/me/password", Some(&account.token))
                    .json(&json!({"current_password": "not it at all", "new_password": "short"})).send().await.unwrap(),
                StatusCode::UNPROCESSABLE_ENTITY,
            ).await;
            assert!(p["errors"]["current_password"].is_array() && p["errors"]["new_password"].is_array(), "{p}");
            let r = app.request(reqwest::Method::PUT, "/api/v1/me/password", Some(&account.token))
                .json(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::NO_CONTENT, "{role}");
            assert_eq!(app.get("/api/v1/me", Some(&other)).await.status(), StatusCode::UNAUTHORIZED, "{role}: other session ended");
            expect_status(app.get("/api/v1/me", Some(&account.token)).await, StatusCode::OK).await;
            expect_status(login_as(&app, &account.email, NEW_PASSWORD, "t").await, StatusCode::OK).await;
            expect_problem(login_as(&app, &account.email, PASSWORD, "t").await, StatusCode::UNAUTHORIZED).await;
        }
        let events = expect_status(app.get("/api/v1/audit-events?action=auth.password_changed", Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(events["items"].as_array().unwrap().len(), 4);
    }
}

on_both_databases! {
    async fn sessions_are_listed_with_device_and_address_and_end_one_by_one_or_all(app) {
        let owner = app.signup("Sessions").await;
        let laptop = expect_status(login_as(&app, &owner.email, PASSWORD, "Laptop Browser/1.0").await, StatusCode::OK).await;
        let laptop = laptop["token"].as_str().unwrap().to_owned();
        let phone = expect_status(login_as(&app, &owner.email, PASSWORD, "Phone App/2.0").await, StatusCode::OK).await;
        let phone = phone["token"].as_str().unwrap().to_owned();
        let list = expect_status(app.get("/api/v1/me/sessions", Some(&laptop)).await, StatusCode::OK).await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{list}");
        let current: Vec<_> = items.iter().filter(|s| s["current"] == true).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0]["user_agent"], "Laptop Browser/1.0");
        assert_eq!(current[0]["ip"], "127.0.0.1");
        let phone_session = items.iter().find(|s| s["user_agent"] == "Phone App/2.0").unwrap()["id"].as_str().unwrap().to_owned();
        // Ending the phone's session from the laptop.
        let r = app.delete(&format!("/api/v1/me/sessions/{phone_session}"), Some(&laptop)).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.get("/api/v1/me", Some(&phone)).await.status(), StatusCode::UNAUTHORIZED);
        expect_problem(app.delete(&format!("/api/v1/me/sessions/{phone_session}"), Some(&laptop)).await, StatusCode::NOT_FOUND).await;
        // Another user's session is not found, not ended.
        let admin = app.add_user(&owner, "admin").await;
        let admins = expect_status(app.get("/api/v1/me/sessions", Some(&admin.token)).await, StatusCode::OK).await;
        let admin_session = admins["items"][0]["id"].as_str().unwrap().to_owned();
        expect_problem(app.delete(&format!("/api/v1/me/sessions/{admin_session}"), Some(&owner.token)).await, StatusCode::NOT_FOUND).await;
        expect_status(app.get("/api/v1/me", Some(&admin.token)).await, StatusCode::OK).await;
        // Log out everywhere, this session included.
        assert_eq!(app.delete("/api/v1/me/sessions", Some(&laptop)).await.status(), StatusCode::NO_CONTENT);
        for token in [&laptop, &owner.token] {
            assert_eq!(app.get("/api/v1/me", Some(token)).await.status(), StatusCode::UNAUTHORIZED);
        }
        // An API key has no sessions or password.
        let key_owner = app.signup("Keys").await;
        let key = expect_status(app.post("/api/v1/api-keys", Some(&key_owner.token), &json!({"name": "k", "role": "admin"})).await, StatusCode::CREATED).await;
        let key = key["secret"].as_str().unwrap();
        expect_problem(app.get("/api/v1/me/sessions", Some(key)).await, StatusCode::BAD_REQUEST).await;
    }
}

on_both_databases! {
    async fn another_accounts_password_or_email_needs_a_higher_role_and_ends_its_sessions(app) {
        let owner = app.signup("Equals").await;
        let admin_a = app.add_user(&owner, "admin").await;
        let admin_b = app.add_user(&owner, "admin").await;
        let staff = app.add_user(&owner, "staff").await;
        let b = format!("/api/v1/users/{}", admin_b.user_id);
        // No takeover between equals: neither password nor email.
        expect_problem(app.patch(&b, Some(&admin_a.token), &json!({"password": NEW_PASSWORD})).await, StatusCode::FORBIDDEN).await;
        expect_problem(app.patch(&b, Some(&admin_a.token), &json!({"email": "taken.over@example.com"})).await, StatusCode::FORBIDDEN).await;
        // Nor anything else: an admin who could demote another admin to staff could then change
        // that account's password from above.
        expect_problem(app.patch(&b, Some(&admin_a.token), &json!({"role": "staff"})).await, StatusCode::FORBIDDEN).await;
        expect_problem(app.patch(&b, Some(&admin_a.token), &json!({"active": false})).await, StatusCode::FORBIDDEN).await;
        expect_problem(app.patch(&b, Some(&admin_a.token), &json!({"name": "Renamed"})).await, StatusCode::FORBIDDEN).await;
        expect_problem(app.delete(&b, Some(&admin_a.token)).await, StatusCode::FORBIDDEN).await;
        // One's own account is not deleted from inside it (another owner or admin does that).
        expect_problem(app.delete(&format!("/api/v1/users/{}", admin_a.user_id), Some(&admin_a.token)).await, StatusCode::CONFLICT).await;
        // One's own password only through /me/password.
        let me = format!("/api/v1/users/{}", admin_a.user_id);
        expect_problem(app.patch(&me, Some(&admin_a.token), &json!({"password": NEW_PASSWORD})).await, StatusCode::FORBIDDEN).await;
        // From above, it works and the account's sessions end.
        expect_status(app.patch(&b, Some(&owner.token), &json!({"password": NEW_PASSWORD})).await, StatusCode::OK).await;
        assert_eq!(app.get("/api/v1/me", Some(&admin_b.token)).await.status(), StatusCode::UNAUTHORIZED);
        let s = format!("/api/v1/users/{}", staff.user_id);
        expect_status(app.patch(&s, Some(&admin_a.token), &json!({"email": "staff.moved@example.com"})).await, StatusCode::OK).await;
        assert_eq!(app.get("/api/v1/me", Some(&staff.token)).await.status(), StatusCode::UNAUTHORIZED, "an email change ends the sessions");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_changes_the_password_and_ends_sessions() {
    let app = TestApp::spawn_sqlite(|_| {}).await;
    let web = Web::new(&app);
    let email = web.signup("Account page").await;
    let other = app.login(&email, PASSWORD).await;
    web.get("/account")
        .await
        .expect(StatusCode::OK)
        .expect_text("Where you are signed in")
        .expect_text("this session");
    web.post(
        "/account/password",
        &[
            ("current_password", "wrong one here"),
            ("new_password", "x"),
        ],
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY)
    .expect_text("is not your current password");
    web.post(
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
        ],
    )
    .await
    .expect_redirect("/account");
    assert_eq!(
        app.get("/api/v1/me", Some(&other)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    web.get("/account")
        .await
        .expect(StatusCode::OK)
        .expect_text("Password changed");
    web.post("/account/sessions/end-all", &[])
        .await
        .expect_redirect("/login");
    web.get("/account").await.expect_redirect("/login");
}
