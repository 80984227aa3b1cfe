//! Forgotten passwords, through the API and the pages, with the link mailed to a real SMTP server:
//! the same answer for a known and an unknown email, a link built from the public URL (never the
//! request's Host), single use, every session ended.

use std::time::Duration;

use fitnesscrm::jobs::{JobStatus, service as jobs};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, expect_problem, expect_status};
use crate::mail::SmtpServer;
use crate::web::client::Web;

const NEW_PASSWORD: &str = "a brand new passphrase";

/// The reset link's token in a received message.
fn token_in(message: &str) -> String {
    // Quoted-printable parts break long lines with a trailing `=`.
    let message = message.replace("=\r\n", "").replace("=\n", "");
    let at = message
        .find("https://crm.example.test/reset/")
        .expect("a link to the public URL");
    message[at + "https://crm.example.test/reset/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Waits until `n` reset jobs have run.
async fn wait_for_jobs(app: &TestApp, n: usize) {
    for _ in 0..400 {
        let (done, _) = jobs::overview(app.db.conn(), None, Some(JobStatus::Succeeded), 500)
            .await
            .unwrap();
        if done
            .iter()
            .filter(|j| j.kind == fitnesscrm::auth::reset::SEND_LINK)
            .count()
            >= n
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the reset jobs did not run");
}

async fn run(app: TestApp, smtp: SmtpServer) {
    let owner = app.signup("Reset Gym").await;
    let other_session = app.login(&owner.email, PASSWORD).await;
    let ask = |email: &str| {
        app.request(reqwest::Method::POST, "/api/v1/auth/password-reset", None)
            .header("host", "evil.example")
            .json(&json!({"email": email}))
            .send()
    };
    let known = ask(&owner.email).await.unwrap();
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    let known = known.text().await.unwrap();
    let unknown = ask("nobody.here@example.com").await.unwrap();
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert_eq!(
        unknown.text().await.unwrap(),
        known,
        "the same answer for an unknown email"
    );
    expect_problem(
        ask("not an email").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    wait_for_jobs(&app, 2).await;
    let mail = smtp.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        smtp.received().len(),
        1,
        "nothing is sent for an unknown email"
    );
    assert!(
        mail[0].contains(&format!("To: {}", owner.email)) && !mail[0].contains("evil.example"),
        "{}",
        mail[0]
    );
    let token = token_in(&mail[0]);
    let first = token.clone();
    assert!(token.len() >= 32, "{token}");

    let confirm = |token: String, password: &'static str| {
        let body = json!({"token": token, "new_password": password});
        let app = &app;
        async move {
            app.post("/api/v1/auth/password-reset/confirm", None, &body)
                .await
        }
    };
    let bad = expect_problem(
        confirm("not-a-token".into(), NEW_PASSWORD).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(bad["errors"]["token"].is_array(), "{bad}");
    let weak = expect_problem(
        confirm(token.clone(), "short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(weak["errors"]["new_password"].is_array(), "{weak}");
    expect_status(
        confirm(token.clone(), NEW_PASSWORD).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    // Every session has ended; the old password is gone, the new one works; the link works once.
    for t in [&owner.token, &other_session] {
        assert_eq!(
            app.get("/api/v1/me", Some(t)).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let old = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": owner.email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    app.login(&owner.email, NEW_PASSWORD).await;
    expect_problem(
        confirm(token, "yet another passphrase").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // The same through the pages.
    let web = Web::new(&app);
    web.get("/login")
        .await
        .expect(StatusCode::OK)
        .expect_text("href=\"/forgot\"");
    web.get("/forgot").await.expect(StatusCode::OK);
    web.post("/forgot", &[("email", &owner.email)])
        .await
        .expect(StatusCode::OK)
        .expect_text("If an account has this email");
    wait_for_jobs(&app, 3).await;
    let mail = smtp.wait_for(2).await;
    let token = mail
        .iter()
        .map(|m| token_in(m))
        .find(|t| *t != first)
        .expect("a second link");
    web.get(&format!("/reset/{token}"))
        .await
        .expect(StatusCode::OK);
    web.post(&format!("/reset/{token}"), &[("new_password", "short")])
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    web.post(&format!("/reset/{token}"), &[("new_password", PASSWORD)])
        .await
        .expect_redirect("/login");
    web.login(&owner.email).await;
    web.get(&format!("/reset/{token}"))
        .await
        .expect(StatusCode::OK);
    web.post(&format!("/reset/{token}"), &[("new_password", PASSWORD)])
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("ask for a new link");
}

fn configure(smtp: &SmtpServer) -> impl FnOnce(&mut fitnesscrm::config::Config) + use<> {
    let url = smtp.url();
    move |c| {
        c.smtp_url = Some(url.into());
        c.public_url = Some("https://crm.example.test".into());
        c.rate_limit_auth = fitnesscrm::limits::Rule::OFF;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_through_a_mailed_single_use_link_on_sqlite() {
    let smtp = SmtpServer::start();
    run(TestApp::spawn_sqlite(configure(&smtp)).await, smtp).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_through_a_mailed_single_use_link_on_postgres() {
    let smtp = SmtpServer::start();
    if let Some(app) = TestApp::spawn_postgres_with(configure(&smtp)).await {
        run(app, smtp).await
    }
}
