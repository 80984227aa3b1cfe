//! Rate limits, the brute-force defence, the client address behind a trusted proxy, and CORS.
//! Addresses are told apart with `X-Forwarded-For` from a server that trusts the loopback proxy.

use std::time::{Duration, Instant};

use reqwest::{Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{Instance, PASSWORD, TestApp, expect_problem, expect_status};
use crate::on_both_databases;

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// The organization's events with `action`, once at least `count` are there (security events are
/// written off the response's path).
async fn events(app: &TestApp, token: &str, action: &str, count: usize) -> Vec<Value> {
    let mut found = Vec::new();
    for _ in 0..100 {
        let page = expect_status(
            app.get(
                &format!("/api/v1/audit-events?action={action}&limit=200"),
                Some(token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        found = page["items"].as_array().unwrap().clone();
        if found.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    found
}

fn retry_after(r: &Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

on_both_databases! {
    config = |c| {
        c.trusted_proxies = "127.0.0.1, ::1".into();
        c.lockout_account_address_failures = 3;
        c.lockout_address_failures = 4;
        c.lockout_account_failures = 6;
    };
    async fn guessing_locks_the_guesser_out_and_never_the_owner_for_long(app) {
        let owner = app.signup("Guarded").await;
        let home = "192.0.2.10";
        expect_status(login_from(&app, home, &owner.email, PASSWORD).await, StatusCode::OK).await;

        // Three wrong passwords from one address, then that address is locked out of the account,
        // with the right password too, for at most the window.
        let a = "198.51.100.1";
        for _ in 0..3 {
            expect_problem(login_from(&app, a, &owner.email, "wrong password 1").await, StatusCode::UNAUTHORIZED).await;
        }
        let r = login_from(&app, a, &owner.email, PASSWORD).await;
        assert!((1..=900).contains(&retry_after(&r)));
        let p = expect_problem(r, StatusCode::TOO_MANY_REQUESTS).await;
        assert!(p["detail"].as_str().unwrap().contains("retry in"), "{p}");

        // An unknown email is treated the same: nothing tells that it does not exist.
        for _ in 0..3 {
            expect_problem(login_from(&app, "198.51.100.2", "nobody@example.com", "wrong password 1").await, StatusCode::UNAUTHORIZED).await;
        }
        expect_problem(login_from(&app, "198.51.100.2", "nobody@example.com", "wrong password 1").await, StatusCode::TOO_MANY_REQUESTS).await;

        // The attack moves on to a second address: slowed down, then locked out there as well.
        let b = "198.51.100.3";
        let started = Instant::now();
        for _ in 0..3 {
            expect_problem(login_from(&app, b, &owner.email, "wrong password 1").await, StatusCode::UNAUTHORIZED).await;
        }
        assert!(started.elapsed() >= Duration::from_millis(250 + 500 + 1000), "progressive delay");

        // Six failures on the account: a new address is refused, the owner's own address is not.
        expect_problem(login_from(&app, "203.0.113.50", &owner.email, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS).await;
        expect_status(login_from(&app, home, &owner.email, PASSWORD).await, StatusCode::OK).await;

        // One address guessing across accounts is stopped after four failures.
        let c = "198.51.100.9";
        for i in 0..4 {
            expect_problem(login_from(&app, c, &format!("user{i}@example.com"), "wrong password 1").await, StatusCode::UNAUTHORIZED).await;
        }
        expect_problem(login_from(&app, c, "user9@example.com", "wrong password 1").await, StatusCode::TOO_MANY_REQUESTS).await;

        // The audit trail holds the first failures only, each with the client's address, and one
        // lockout per locked address.
        let failed = events(&app, &owner.token, "auth.login_failed", 3).await;
        let locked = events(&app, &owner.token, "auth.locked_out", 2).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let failed_again = events(&app, &owner.token, "auth.login_failed", 3).await;
        assert_eq!(failed.len(), 3, "bounded: {failed:?}");
        assert_eq!(failed_again.len(), 3);
        assert!(failed.iter().all(|e| e["ip"] == a), "{failed:?}");
        assert_eq!(locked.len(), 2, "{locked:?}");
        let logins = events(&app, &owner.token, "auth.login", 2).await;
        assert!(logins.iter().all(|e| e["ip"] == home), "{logins:?}");
    }
}

on_both_databases! {
    config = |c| {
        c.trusted_proxies = "127.0.0.1".into();
        c.rate_limit_auth = "3/1m".parse().unwrap();
    };
    async fn the_auth_class_is_limited_per_address_on_the_api_and_the_pages(app) {
        let signup = |ip: &'static str, n: usize| {
            app.client
                .post(app.url("/api/v1/auth/signup"))
                .header("x-forwarded-for", ip)
                .json(&json!({"organization_name": "Flood", "name": "F", "email": format!("f{n}.{ip}@example.com"), "password": PASSWORD}))
                .send()
        };
        for n in 0..3 {
            expect_status(signup("198.51.100.1", n).await.unwrap(), StatusCode::CREATED).await;
        }
        let r = signup("198.51.100.1", 3).await.unwrap();
        assert!((1..=60).contains(&retry_after(&r)));
        expect_problem(r, StatusCode::TOO_MANY_REQUESTS).await;
        expect_status(signup("198.51.100.2", 4).await.unwrap(), StatusCode::CREATED).await;

        // The login form counts in the same class; a refusal is a page.
        let form = |ip: &'static str| {
            app.client.post(app.url("/login")).header("x-forwarded-for", ip).form(&[("email", "x@example.com")]).send()
        };
        for _ in 0..3 {
            assert_ne!(form("198.51.100.7").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
        }
        let r = form("198.51.100.7").await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().contains_key("retry-after"));
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        // Reading is another class, and health is never limited.
        expect_status(app.client.get(app.url("/health/live")).header("x-forwarded-for", "198.51.100.7").send().await.unwrap(), StatusCode::OK).await;
    }
}

on_both_databases! {
    config = |c| {
        c.trusted_proxies = "127.0.0.1".into();
        c.rate_limit_read = "5/1m".parse().unwrap();
    };
    async fn a_caller_is_limited_from_every_address_and_the_first_refusal_is_audited(app) {
        let owner = app.signup("Readers").await;
        let admin = app.add_user(&owner, "admin").await;
        let me = |ip: String| app.client.get(app.url("/api/v1/me")).bearer_auth(&admin.token).header("x-forwarded-for", ip).send();
        for i in 0..5 {
            expect_status(me(format!("198.51.100.{i}")).await.unwrap(), StatusCode::OK).await;
        }
        for i in 5..8 {
            expect_problem(me(format!("198.51.100.{i}")).await.unwrap(), StatusCode::TOO_MANY_REQUESTS).await;
        }
        let tripped = events(&app, &owner.token, "rate_limit.read_exceeded", 1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(events(&app, &owner.token, "rate_limit.read_exceeded", 1).await.len(), 1, "once per window");
        assert_eq!(tripped[0]["actor_id"], admin.user_id.as_str());
        assert_eq!(tripped[0]["ip"], "198.51.100.5");
        // Another caller is not affected.
        expect_status(app.get("/api/v1/me", Some(&owner.token)).await, StatusCode::OK).await;
    }
}

on_both_databases! {
    async fn three_instances_sharing_redis_allow_exactly_the_limit_together(app) {
        let Some(redis) = crate::auth_cache::redis_url() else { return };
        let tweak = |c: &mut fitnesscrm::config::Config| {
            c.redis_url = Some(SecretString::from(redis.clone()));
            c.rate_limit_auth = "10/1m".parse().unwrap();
        };
        let instances = [
            Instance::start(&app.database_url, tweak).await,
            Instance::start(&app.database_url, tweak).await,
            Instance::start(&app.database_url, tweak).await,
        ];
        let mut tasks = Vec::new();
        for i in 0..30 {
            let instance = &instances[i % 3];
            let (client, url) = (instance.client.clone(), format!("http://{}/api/v1/auth/login", instance.addr));
            tasks.push(tokio::spawn(async move { client.post(url).json(&json!({})).send().await.unwrap().status() }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!(refused, 20, "exactly 10 of 30 through three instances: {statuses:?}");
        // Without Redis, each instance counts alone (the app under test has no Redis).
        let body = json!({});
        for _ in 0..12 {
            let r = app.post("/api/v1/auth/login", None, &body).await;
            assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        }
    }
}

/// A login costs the same for an unknown email as for a wrong password: the medians of 41 of each,
/// interleaved, differ by less than 5 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_takes_as_long_for_an_unknown_email_as_for_a_wrong_password() {
    let app = TestApp::spawn_sqlite(|c| {
        c.rate_limit_auth = fitnesscrm::limits::Rule::OFF;
        c.lockout_account_address_failures = 10_000;
        c.lockout_address_failures = 10_000;
        c.lockout_account_failures = 10_000;
    })
    .await;
    let owner = app.signup("Timing").await;
    let time = |email: String| {
        let app = &app;
        async move {
            let started = Instant::now();
            let r = app
                .post(
                    "/api/v1/auth/login",
                    None,
                    &json!({"email": email, "password": "not the password"}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            let took = started.elapsed();
            // A failure on a real account is audited off the response's path; let that write end so
            // that it does not slow the next sample down.
            tokio::time::sleep(Duration::from_millis(40)).await;
            took
        }
    };
    // Warm up both paths.
    time(owner.email.clone()).await;
    time("warm@example.com".into()).await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..41 {
        known.push(time(owner.email.clone()).await);
        unknown.push(time(format!("nobody{i}@example.com")).await);
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[20], unknown[20]);
    let difference = k.abs_diff(u);
    eprintln!("login medians: wrong password {k:?}, unknown email {u:?}");
    assert!(
        difference < Duration::from_millis(5),
        "median wrong password {k:?}, unknown email {u:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_client_is_named_and_https_brings_hsts() {
    let app = TestApp::spawn_sqlite(|c| c.trusted_proxies = "127.0.0.0/8".into()).await;
    let r = app
        .client
        .get(app.url("/health/live"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    let r = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert!(!r.headers().contains_key("strict-transport-security"));
    // Untrusted: the forwarded headers are ignored.
    let untrusted = TestApp::spawn_sqlite(|_| {}).await;
    let owner = untrusted.signup("Plain").await;
    let r = untrusted
        .client
        .get(untrusted.url("/health/live"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(!r.headers().contains_key("strict-transport-security"));
    let r = untrusted
        .client
        .post(untrusted.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "1.2.3.4")
        .json(&json!({"email": owner.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    expect_status(r, StatusCode::OK).await;
    let logins = events(&untrusted, &owner.token, "auth.login", 1).await;
    assert_eq!(
        logins[0]["ip"], "127.0.0.1",
        "a spoofed X-Forwarded-For is not believed"
    );
}

on_both_databases! {
    config = |c| c.cors_allowed_origins = "https://app.example.com".into();
    async fn cors_answers_only_the_configured_origins(app) {
        let preflight = |origin: &'static str| {
            app.client.request(reqwest::Method::OPTIONS, app.url("/api/v1/clients"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization, content-type")
                .send()
        };
        let r = preflight("https://app.example.com").await.unwrap();
        assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example.com");
        assert!(!r.headers().contains_key("access-control-allow-credentials"));
        let r = preflight("https://evil.example.com").await.unwrap();
        assert!(!r.headers().contains_key("access-control-allow-origin"));
        let r = app.client.get(app.url("/api/v1/me")).header("origin", "https://app.example.com").send().await.unwrap();
        assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example.com");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_by_default() {
    let app = TestApp::spawn_sqlite(|_| {}).await;
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert!(!r.headers().contains_key("access-control-allow-origin"));
}

/// Reads until the peer closes the connection (end of file or reset), at most `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_silent_and_idle_connections_are_closed_and_do_not_crowd_others_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_sqlite(|c| c.header_read_timeout = Duration::from_millis(800)).await;
    // Three hundred connections: half send part of a request head and stop, half send nothing.
    let mut held = Vec::new();
    for i in 0..300 {
        let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        if i % 2 == 0 {
            s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .unwrap();
        }
        held.push(s);
    }
    // Everyone else is served meanwhile.
    let started = Instant::now();
    expect_status(app.get("/health/live", None).await, StatusCode::OK).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Each of them is closed once the timeout has passed.
    let mut open = 0;
    for s in &mut held {
        if !closed_within(s, Duration::from_millis(2500)).await {
            open += 1;
        }
    }
    assert_eq!(open, 0, "{open} slow connections still open");
    // A keep-alive connection left idle after its answer is closed as well.
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    assert!(
        std::str::from_utf8(&buf[..n])
            .unwrap()
            .starts_with("HTTP/1.1 200")
    );
    let idle_since = Instant::now();
    assert!(
        closed_within(&mut s, Duration::from_secs(3)).await,
        "idle keep-alive connection stayed open"
    );
    assert!(
        idle_since.elapsed() >= Duration::from_millis(700),
        "closed too early: {:?}",
        idle_since.elapsed()
    );
}
