//! Two-factor authentication (TOTP, recovery codes) and the organization's requirement of it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use totp_rs::{Builder, Secret};

use crate::helpers::{Account, PASSWORD, TestApp, expect_problem, expect_status};
use crate::on_both_databases;
use crate::web::client::Web;

/// The code of `secret` for `offset_steps` steps from now (1: the next 30 seconds).
fn code(secret: &str, offset_steps: i64) -> String {
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .with_account_name("test")
        .build()
        .unwrap();
    let now = chrono::Utc::now().timestamp() + offset_steps * 30;
    totp.generate(u64::try_from(now).unwrap()).to_string()
}

async fn login(app: &TestApp, email: &str, extra: Value) -> reqwest::Response {
    let mut body = json!({"email": email, "password": PASSWORD});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.post("/api/v1/auth/login", None, &body).await
}

/// Turns MFA on for `account`; its secret and recovery codes.
async fn turn_on(app: &TestApp, account: &Account) -> (String, Vec<String>) {
    let setup = expect_status(
        app.post("/api/v1/me/mfa/totp", Some(&account.token), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(
        setup["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/FitnessCRM:")
    );
    let codes = expect_status(
        app.post(
            "/api/v1/me/mfa/totp/confirm",
            Some(&account.token),
            &json!({"code": code(&secret, 0)}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let codes = codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

on_both_databases! {
    config = |c| c.rate_limit_auth = "500/1m".parse().unwrap();
    async fn totp_guards_the_login_once_confirmed_and_recovery_codes_work_once(app) {
        let owner = app.signup("Two factors").await;
        // A setup not yet confirmed changes nothing.
        let setup = expect_status(app.post("/api/v1/me/mfa/totp", Some(&owner.token), &json!({})).await, StatusCode::OK).await;
        let secret = setup["secret"].as_str().unwrap().to_owned();
        expect_status(login(&app, &owner.email, json!({})).await, StatusCode::OK).await;
        let wrong = if code(&secret, 0) == "000000" { "111111" } else { "000000" };
        let p = expect_problem(app.post("/api/v1/me/mfa/totp/confirm", Some(&owner.token), &json!({"code": wrong})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["code"].is_array());
        let codes = expect_status(app.post("/api/v1/me/mfa/totp/confirm", Some(&owner.token), &json!({"code": code(&secret, 0)})).await, StatusCode::OK).await;
        let codes: Vec<String> = codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        assert_eq!(codes.len(), 10);
        expect_problem(app.post("/api/v1/me/mfa/totp", Some(&owner.token), &json!({})).await, StatusCode::CONFLICT).await;

        // Now the password alone is not enough, and the problem names what is missing.
        let p = expect_problem(login(&app, &owner.email, json!({})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["totp_code"].is_array(), "{p}");
        expect_problem(login(&app, &owner.email, json!({"totp_code": wrong})).await, StatusCode::UNAUTHORIZED).await;
        // The confirming code's step is used up; the next step's code works once.
        expect_problem(login(&app, &owner.email, json!({"totp_code": code(&secret, 0)})).await, StatusCode::UNAUTHORIZED).await;
        let next = code(&secret, 1);
        expect_status(login(&app, &owner.email, json!({"totp_code": next})).await, StatusCode::OK).await;
        expect_problem(login(&app, &owner.email, json!({"totp_code": next})).await, StatusCode::UNAUTHORIZED).await;
        // A wrong password with a right code is still a wrong password.
        let r = app.post("/api/v1/auth/login", None, &json!({"email": owner.email, "password": "not the password", "totp_code": code(&secret, 1)})).await;
        expect_problem(r, StatusCode::UNAUTHORIZED).await;
        // Recovery codes: each once, in any case and with or without the dash.
        let typed = codes[0].to_uppercase().replace('-', "");
        expect_status(login(&app, &owner.email, json!({"recovery_code": typed})).await, StatusCode::OK).await;
        expect_problem(login(&app, &owner.email, json!({"recovery_code": codes[0]})).await, StatusCode::UNAUTHORIZED).await;
        let state = expect_status(app.get("/api/v1/me", Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(state["role"], "owner");

        // Off only with the password.
        let off = |password: &'static str| app.request(Method::DELETE, "/api/v1/me/mfa/totp", Some(&owner.token)).json(&json!({"password": password})).send();
        let p = expect_problem(off("not the password").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["password"].is_array());
        assert_eq!(off(PASSWORD).await.unwrap().status(), StatusCode::NO_CONTENT);
        expect_status(login(&app, &owner.email, json!({})).await, StatusCode::OK).await;
        // The recovery codes went with it: an unused one no longer counts for anything.
        expect_status(login(&app, &owner.email, json!({"recovery_code": codes[1]})).await, StatusCode::OK).await;
        let events = expect_status(app.get("/api/v1/audit-events?limit=200", Some(&owner.token)).await, StatusCode::OK).await;
        let actions: Vec<&str> = events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"auth.mfa_enabled") && actions.contains(&"auth.mfa_disabled"), "{actions:?}");
    }
}

on_both_databases! {
    config = |c| c.rate_limit_auth = "500/1m".parse().unwrap();
    async fn an_organization_requiring_mfa_holds_owners_and_admins_to_setting_it_up(app) {
        let owner = app.signup("Strict").await;
        let admin = app.add_user(&owner, "admin").await;
        let staff = app.add_user(&owner, "staff").await;
        // Only an owner who uses MFA may require it.
        let p = expect_problem(app.patch("/api/v1/organization", Some(&owner.token), &json!({"require_mfa": true})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["require_mfa"].is_array(), "{p}");
        expect_problem(app.patch("/api/v1/organization", Some(&admin.token), &json!({"require_mfa": true})).await, StatusCode::FORBIDDEN).await;
        turn_on(&app, &owner).await;
        let org = expect_status(app.patch("/api/v1/organization", Some(&owner.token), &json!({"require_mfa": true})).await, StatusCode::OK).await;
        assert_eq!(org["require_mfa"], true);

        // The admin's open session may now only set MFA up; staff are not concerned.
        let p = expect_problem(app.get("/api/v1/clients", Some(&admin.token)).await, StatusCode::FORBIDDEN).await;
        assert!(p["detail"].as_str().unwrap().contains("two-factor"), "{p}");
        expect_status(app.get("/api/v1/me", Some(&admin.token)).await, StatusCode::OK).await;
        expect_status(app.get("/api/v1/clients", Some(&staff.token)).await, StatusCode::OK).await;
        expect_status(app.get("/api/v1/clients", Some(&owner.token)).await, StatusCode::OK).await;
        // A new login of the admin is held the same way, until MFA is on.
        let fresh = expect_status(login(&app, &admin.email, json!({})).await, StatusCode::OK).await;
        let fresh = fresh["token"].as_str().unwrap().to_owned();
        expect_problem(app.get("/api/v1/clients", Some(&fresh)).await, StatusCode::FORBIDDEN).await;
        let admin_now = Account { token: fresh.clone(), ..admin.clone() };
        turn_on(&app, &admin_now).await;
        expect_status(app.get("/api/v1/clients", Some(&fresh)).await, StatusCode::OK).await;
        expect_status(app.get("/api/v1/clients", Some(&admin.token)).await, StatusCode::OK).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_sets_mfa_up_with_a_server_drawn_qr_code() {
    let app = TestApp::spawn_sqlite(|_| {}).await;
    let web = Web::new(&app);
    web.signup("QR").await;
    web.get("/account")
        .await
        .expect(StatusCode::OK)
        .expect_text("Set up");
    let page = web.post("/account/mfa", &[]).await;
    page.expect(StatusCode::OK).expect_text("<svg");
    let secret = page
        .body
        .split("Key: <code>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    web.post("/account/mfa/confirm", &[("code", "nonsense")])
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let page = web.post("/account/mfa", &[]).await;
    let secret2 = page
        .body
        .split("Key: <code>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(secret, secret2, "a new setup is a new secret");
    let done = web
        .post("/account/mfa/confirm", &[("code", &code(&secret2, 0))])
        .await;
    done.expect(StatusCode::OK).expect_text("recovery codes");
    assert_eq!(done.body.matches("<li><code>").count(), 10);
}
