//! The public pages, sessions, CSRF, headers and assets.

use reqwest::StatusCode;

use super::client::Web;
use crate::helpers::{Backend, PASSWORD, TestApp};
use crate::on_both_databases;

#[tokio::test]
async fn public_pages_render_with_a_strict_csp_and_no_inline_code() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let web = Web::new(&app);
    for path in ["/", "/pricing", "/signup", "/login"] {
        let page = web.get(path).await;
        page.expect(StatusCode::OK);
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(page.headers["cache-control"], "no-store");
        // No inline script or style anywhere: the CSP would block it.
        assert!(
            !page.body.contains("<script>"),
            "{path} has an inline script"
        );
        assert!(!page.body.contains("<style"), "{path} has a style element");
        assert!(
            !page.body.contains(" style=\""),
            "{path} has a style attribute"
        );
        assert!(
            !page.body.contains(" onclick="),
            "{path} has an inline handler"
        );
    }
    web.get("/pricing")
        .await
        .expect_text("Solo")
        .expect_text("Studio")
        .expect_text("Gym");
}

#[tokio::test]
async fn assets_are_served_under_hashed_names_with_long_caching() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let web = Web::new(&app);
    let page = web.get("/").await;
    let at = page.body.find("/assets/app.").expect("stylesheet link");
    let href: String = page.body[at..].chars().take_while(|c| *c != '"').collect();
    assert!(href.ends_with(".css") && href.len() > "/assets/app.css".len());
    let r = app.client.get(app.url(&href)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let stale = app
        .client
        .get(app.url("/assets/app.0000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);
}

on_both_databases! {
    async fn sign_up_log_out_and_log_in_through_the_forms(app) {
        let web = Web::new(&app);
        let email = web.signup("Form Fitness").await;
        web.get("/app").await.expect(StatusCode::OK).expect_text("Dashboard").expect_text("Form Fitness");
        // Logging out ends the server session: the old cookie no longer opens the app.
        web.post("/logout", &[]).await.expect_redirect("/");
        web.get("/app").await.expect_redirect("/login?next=%2Fapp");
        web.login(&email).await;
        web.get("/app").await.expect(StatusCode::OK);
    }
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let web = Web::new(&app);
    web.get("/signup").await;
    let email = format!("cookie.{}@example.com", uuid::Uuid::now_v7().simple());
    let page = web
        .post(
            "/signup",
            &[
                ("organization_name", "Cookie Gym"),
                ("name", "Cara"),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await;
    let cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("fcrm_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // Over plain HTTP the cookie cannot be Secure (browsers would drop it off localhost).
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn behind_tls_the_session_cookie_is_host_prefixed_and_secure() {
    let app =
        TestApp::spawn_sqlite(|c| c.public_url = Some("https://crm.example.com".into())).await;
    let web = Web::new(&app);
    let page = web.get("/login").await;
    let csrf = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("fcrm_csrf="))
        .expect("csrf cookie");
    assert!(csrf.starts_with("__Host-fcrm_csrf="), "{csrf}");
    assert!(
        csrf.contains("Secure") && csrf.contains("Path=/") && !csrf.contains("Domain"),
        "{csrf}"
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_another_site_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let web = Web::new(&app);
    let email = web.signup("Csrf Club").await;
    web.get("/app").await.expect(StatusCode::OK);
    // No token: refused, and the session is still there.
    web.post_raw("/logout", &[])
        .await
        .expect(StatusCode::FORBIDDEN);
    web.post_raw("/logout", &[("csrf_token", "x".repeat(32).as_str())])
        .await
        .expect(StatusCode::FORBIDDEN);
    web.get("/app").await.expect(StatusCode::OK);
    // The right token from another origin: refused.
    let token = web.token();
    let r = web
        .client
        .post(app.url("/logout"))
        .header("origin", "https://evil.example")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A login form posted without the pre-session token is refused too.
    let other = Web::new(&app);
    other
        .post_raw(
            "/login",
            &[("email", email.as_str()), ("password", PASSWORD)],
        )
        .await
        .expect(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn failed_forms_keep_the_input_and_name_the_field() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let web = Web::new(&app);
    web.get("/signup").await;
    let page = web
        .post(
            "/signup",
            &[
                ("organization_name", "Typo <Gym>"),
                ("name", "Tess"),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    page.expect(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("id=\"e-email\"")
        .expect_text("id=\"e-password\"")
        .expect_text("value=\"not-an-email\"")
        .expect_text("value=\"Typo &#60;Gym&#62;\"");
    // The password is never echoed back.
    assert!(!page.body.contains("value=\"short\""));
    web.get("/login").await;
    web.post(
        "/login",
        &[
            ("email", "nobody@example.com"),
            ("password", "wrong password"),
        ],
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY)
    .expect_text("Wrong email or password.")
    .expect_text("value=\"nobody@example.com\"");
}

#[tokio::test]
async fn pages_need_a_login_and_unknown_pages_are_html_404s() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let web = Web::new(&app);
    web.get("/app").await.expect_redirect("/login?next=%2Fapp");
    let page = web.get("/no/such/page").await;
    page.expect(StatusCode::NOT_FOUND);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // The API keeps answering problem+json.
    let r = app.get("/api/v1/no-such", None).await;
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // A login link may only lead back into this site.
    web.get("/login?next=https://evil.example/")
        .await
        .expect(StatusCode::OK);
    assert!(
        !web.get("/login?next=//evil.example")
            .await
            .body
            .contains("evil.example")
    );
}
