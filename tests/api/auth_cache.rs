//! The credential cache: a revoked login or a changed account takes effect at once on the instance that
//! made the change, within a second on every other instance with Redis, and within the cache's lifetime
//! without it.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_databases;

impl Instance {
    async fn me(&self, token: &str) -> StatusCode {
        self.client
            .get(format!("http://{}/api/v1/me", self.addr))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
            .status()
    }

    /// Polls `/me` until it answers `want`; returns how long that took, or fails after `limit`.
    async fn me_becomes(&self, token: &str, want: StatusCode, limit: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let got = self.me(token).await;
            if got == want {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "still {got} after {limit:?}, wanted {want}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn redis_url() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL").ok();
    if url.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "CI is set but TEST_REDIS_URL is not"
        );
        eprintln!(
            "note: TEST_REDIS_URL is not set; the Redis half of the credential cache tests did not run"
        );
    }
    url
}

/// Long enough that only an invalidation, never the lifetime, can explain what the test sees.
const LONG: Duration = Duration::from_secs(3600);

on_both_databases! {
    async fn a_role_change_applies_to_the_next_request_of_a_cached_login(app) {
        let owner = app.signup("Studio").await;
        let trainer = app.add_user(&owner, "trainer").await;
        // Twice: the second answer comes from the cache.
        for _ in 0..2 {
            let me = expect_status(app.get("/api/v1/me", Some(&trainer.token)).await, StatusCode::OK).await;
            assert_eq!(me["user"]["role"], "trainer", "{me}");
        }
        let r = app.patch(&format!("/api/v1/users/{}", trainer.user_id), Some(&owner.token), &json!({"role": "staff"})).await;
        expect_status(r, StatusCode::OK).await;
        let me = expect_status(app.get("/api/v1/me", Some(&trainer.token)).await, StatusCode::OK).await;
        assert_eq!(me["user"]["role"], "staff", "{me}");
        // Logging out ends the cached login at once.
        expect_status(app.post("/api/v1/auth/logout", Some(&trainer.token), &json!({})).await, StatusCode::NO_CONTENT).await;
        expect_problem(app.get("/api/v1/me", Some(&trainer.token)).await, StatusCode::UNAUTHORIZED).await;
    }
}

/// Logout, deactivation and a password change made through instance A reach instance B's cache.
async fn revocations_reach_the_other_instance(a: TestApp, redis: String) {
    let b = Instance::start(&a.database_url, |c| {
        c.redis_url = Some(SecretString::from(redis));
        c.auth_cache_ttl = LONG;
    })
    .await;
    let owner = a.signup("Studio").await;
    let trainer = a.add_user(&owner, "trainer").await;
    let second = a.login(&owner.email, PASSWORD).await;
    for token in [&owner.token, &trainer.token, &second] {
        assert_eq!(b.me(token).await, StatusCode::OK);
        assert_eq!(b.me(token).await, StatusCode::OK, "cached on B");
    }

    expect_status(
        a.post("/api/v1/auth/logout", Some(&second), &json!({}))
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let took = b
        .me_becomes(&second, StatusCode::UNAUTHORIZED, Duration::from_secs(1))
        .await;
    eprintln!("logout seen on the other instance after {took:?}");

    let r = a
        .patch(
            &format!("/api/v1/users/{}", trainer.user_id),
            Some(&owner.token),
            &json!({"active": false}),
        )
        .await;
    expect_status(r, StatusCode::OK).await;
    b.me_becomes(
        &trainer.token,
        StatusCode::UNAUTHORIZED,
        Duration::from_secs(1),
    )
    .await;

    // The owner's own login survives its password change; a login elsewhere does not.
    let other = a.login(&owner.email, PASSWORD).await;
    assert_eq!(b.me(&other).await, StatusCode::OK);
    let r = a
        .request(
            reqwest::Method::PUT,
            "/api/v1/me/password",
            Some(&owner.token),
        )
        .json(&json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    b.me_becomes(&other, StatusCode::UNAUTHORIZED, Duration::from_secs(1))
        .await;
    assert_eq!(b.me(&owner.token).await, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_revocation_reaches_another_instance_within_a_second_sqlite() {
    let Some(redis) = redis_url() else { return };
    let url = redis.clone();
    let a = TestApp::spawn_sqlite(move |c| {
        c.redis_url = Some(SecretString::from(url));
        c.auth_cache_ttl = LONG;
    })
    .await;
    revocations_reach_the_other_instance(a, redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_revocation_reaches_another_instance_within_a_second_postgres() {
    let Some(redis) = redis_url() else { return };
    let url = redis.clone();
    let Some(a) = TestApp::spawn_postgres_with(move |c| {
        c.redis_url = Some(SecretString::from(url));
        c.auth_cache_ttl = LONG;
    })
    .await
    else {
        return;
    };
    revocations_reach_the_other_instance(a, redis).await;
}

/// Without Redis, another instance trusts its cached answer for at most the cache's lifetime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_the_lifetime_bounds_a_stale_login() {
    let Some(a) = TestApp::spawn_postgres().await else {
        return;
    };
    let ttl = Duration::from_millis(500);
    let b = Instance::start(&a.database_url, |c| c.auth_cache_ttl = ttl).await;
    let owner = a.signup("Studio").await;
    let second = a.login(&owner.email, PASSWORD).await;
    assert_eq!(b.me(&second).await, StatusCode::OK);
    expect_status(
        a.post("/api/v1/auth/logout", Some(&second), &json!({}))
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    b.me_becomes(
        &second,
        StatusCode::UNAUTHORIZED,
        ttl + Duration::from_millis(500),
    )
    .await;
}
