//! The HTTP conventions every endpoint shares: problem+json errors for every bad-input class, request
//! ids, optimistic concurrency and idempotency keys.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, expect_problem, expect_status};
use crate::on_both_databases;

on_both_databases! {
    async fn malformed_json_is_a_400(app) {
        let owner = app.signup("Studio").await;
        let r = app.request(Method::POST, "/api/v1/users", Some(&owner.token))
            .header("content-type", "application/json").body("{\"name\": ").send().await.unwrap();
        let p = expect_problem(r, StatusCode::BAD_REQUEST).await;
        assert!(p["detail"].as_str().unwrap().contains("line 1"), "{p}");
    }
}

on_both_databases! {
    async fn a_body_that_is_not_json_is_a_415(app) {
        let owner = app.signup("Studio").await;
        let r = app.request(Method::POST, "/api/v1/users", Some(&owner.token))
            .header("content-type", "text/plain").body("name=x").send().await.unwrap();
        expect_problem(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        let r = app.request(Method::POST, "/api/v1/auth/login", None).body("{}").send().await.unwrap();
        expect_problem(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    }
}

on_both_databases! {
    async fn an_oversized_body_is_a_413(app) {
        let owner = app.signup("Studio").await;
        let huge = json!({"name": "x".repeat(2 * 1024 * 1024), "email": "a@example.com", "role": "staff", "password": PASSWORD});
        let r = app.post("/api/v1/users", Some(&owner.token), &huge).await;
        expect_problem(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    }
}

on_both_databases! {
    async fn unknown_and_invalid_fields_are_all_listed_in_one_422(app) {
        let owner = app.signup("Studio").await;
        let r = app.post("/api/v1/users", Some(&owner.token),
            &json!({"name": 42, "email": "a@example.com", "role": "emperor", "password": PASSWORD, "shoe_size": 44})).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        for field in ["name", "role", "shoe_size"] {
            assert!(p["errors"][field].is_array(), "{field} missing: {p}");
        }
        assert!(p["errors"].get("email").is_none(), "valid fields are not reported: {p}");

        let r = app.post("/api/v1/users", Some(&owner.token),
            &json!({"name": "", "email": "nope", "role": "staff", "password": "short"})).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        for field in ["name", "email", "password"] {
            assert!(p["errors"][field].is_array(), "{field} missing: {p}");
        }
        let r = app.post("/api/v1/users", Some(&owner.token), &json!([1, 2])).await;
        expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}

on_both_databases! {
    async fn bad_query_parameters_are_a_400_naming_the_parameter(app) {
        let owner = app.signup("Studio").await;
        for (query, param) in [("limit=0", "limit"), ("limit=201", "limit"), ("limit=ten", "limit"),
                               ("sort=shoe_size", "sort"), ("cursor=garbage", "cursor"),
                               ("role=emperor", "role"), ("colour=red", "colour"), ("include_total=maybe", "include_total")] {
            let r = app.get(&format!("/api/v1/users?{query}"), Some(&owner.token)).await;
            let p = expect_problem(r, StatusCode::BAD_REQUEST).await;
            assert!(p["errors"][param].is_array(), "{query}: {p}");
        }
        let r = app.get("/api/v1/users/not-a-uuid", Some(&owner.token)).await;
        assert!(r.status().is_client_error(), "a malformed id is a client error");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}

on_both_databases! {
    async fn unknown_paths_and_methods_get_problem_documents(app) {
        let p = expect_problem(app.get("/api/v1/no-such-thing", None).await, StatusCode::NOT_FOUND).await;
        assert_eq!(p["type"], "https://fitnesscrm.dev/problems/not-found");
        let r = app.request(Method::PUT, "/api/v1/users", None).send().await.unwrap();
        expect_problem(r, StatusCode::METHOD_NOT_ALLOWED).await;
    }
}

on_both_databases! {
    async fn request_ids_are_echoed_or_made(app) {
        let r = app.request(Method::GET, "/health/live", None).header("x-request-id", "trace-abc.123").send().await.unwrap();
        assert_eq!(r.headers()["x-request-id"], "trace-abc.123");
        let r = app.request(Method::GET, "/health/live", None).header("x-request-id", "bad id <script>").send().await.unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 32, "an unsafe id is replaced by a fresh one: {id}");
    }
}

on_both_databases! {
    async fn a_stale_version_is_a_412_by_header_or_body(app) {
        let owner = app.signup("Studio").await;
        let staff = app.add_user(&owner, "staff").await;
        let path = format!("/api/v1/users/{}", staff.user_id);
        let current = expect_status(app.get(&path, Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(current["version"], 1);

        let r = app.request(Method::PATCH, &path, Some(&owner.token)).header("if-match", "\"1\"").json(&json!({"name": "First"})).send().await.unwrap();
        assert_eq!(expect_status(r, StatusCode::OK).await["version"], 2);
        // A second writer still holding version 1 loses.
        let r = app.request(Method::PATCH, &path, Some(&owner.token)).header("if-match", "1").json(&json!({"name": "Second"})).send().await.unwrap();
        let p = expect_problem(r, StatusCode::PRECONDITION_FAILED).await;
        assert!(p["detail"].as_str().unwrap().contains("version 2"), "{p}");
        let r = app.patch(&path, Some(&owner.token), &json!({"name": "Second", "version": 1})).await;
        expect_problem(r, StatusCode::PRECONDITION_FAILED).await;
        let after = expect_status(app.get(&path, Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(after["name"], "First", "the stale write changed nothing");

        let r = app.request(Method::PATCH, &path, Some(&owner.token)).header("if-match", "banana").json(&json!({"name": "x"})).send().await.unwrap();
        expect_problem(r, StatusCode::BAD_REQUEST).await;
        // Without a version the change applies.
        let r = app.patch(&path, Some(&owner.token), &json!({"name": "Third"})).await;
        assert_eq!(expect_status(r, StatusCode::OK).await["version"], 3);
    }
}

on_both_databases! {
    async fn a_retried_post_with_the_same_idempotency_key_creates_once(app) {
        let owner = app.signup("Studio").await;
        let body = json!({"name": "Tom", "email": "tom@example.com", "role": "trainer", "password": PASSWORD});
        let send = |b: serde_json::Value, key: &'static str| {
            app.request(Method::POST, "/api/v1/users", Some(&owner.token)).header("idempotency-key", key).json(&b).send()
        };
        let first = send(body.clone(), "key-1").await.unwrap();
        assert!(first.headers().get("idempotent-replayed").is_none());
        let location = first.headers()["location"].clone();
        let first = expect_status(first, StatusCode::CREATED).await;
        let again = send(body.clone(), "key-1").await.unwrap();
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.headers()["location"], location);
        let again = expect_status(again, StatusCode::CREATED).await;
        assert_eq!(first, again, "the replay is the first result");

        let other_body = json!({"name": "Tim", "email": "tim@example.com", "role": "trainer", "password": PASSWORD});
        expect_problem(send(other_body, "key-1").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;

        let list = expect_status(app.get("/api/v1/users?include_total=true", Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(list["total"], 2, "owner and one trainer");

        // A failed request does not hold its key: corrected, it goes through.
        let bad = json!({"name": "", "email": "ann@example.com", "role": "trainer", "password": PASSWORD});
        expect_problem(send(bad, "key-2").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
        let good = json!({"name": "Ann", "email": "ann@example.com", "role": "trainer", "password": PASSWORD});
        expect_status(send(good, "key-2").await.unwrap(), StatusCode::CREATED).await;
    }
}

/// Every response body kept for idempotency replays, as one text.
async fn kept_responses(app: &crate::helpers::TestApp) -> String {
    use sea_orm::ConnectionTrait;
    let rows = app
        .db
        .conn()
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.conn().get_database_backend(),
            "SELECT response_body FROM idempotency_keys WHERE response_body IS NOT NULL",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "response_body").unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

on_both_databases! {
    async fn a_secret_shown_once_is_neither_kept_nor_replayed(app) {
        let owner = app.signup("Studio").await;
        let key_request = || app.request(Method::POST, "/api/v1/api-keys", Some(&owner.token))
            .header("idempotency-key", "new-key").json(&json!({"name": "Zapier", "role": "staff"})).send();
        let first = key_request().await.unwrap();
        let location = first.headers()["location"].to_str().unwrap().to_owned();
        let secret = expect_status(first, StatusCode::CREATED).await["secret"].as_str().unwrap().to_owned();
        let p = expect_problem(key_request().await.unwrap(), StatusCode::CONFLICT).await;
        assert!(!p.to_string().contains(&secret), "the retry does not get the secret: {p}");
        assert_eq!(p["conflicts"][0]["location"], location.as_str(), "it points at what was created");
        assert_eq!(app.get("/api/v1/api-keys", Some(&owner.token)).await.json::<serde_json::Value>().await.unwrap()["items"].as_array().unwrap().len(), 1, "created once");

        let trainer = expect_status(app.post("/api/v1/trainers", Some(&owner.token), &json!({"first_name": "Tia", "last_name": "Cole"})).await, StatusCode::CREATED).await;
        let feed_request = || app.request(Method::POST, &format!("/api/v1/trainers/{}/calendar-feed", trainer["id"].as_str().unwrap()), Some(&owner.token))
            .header("idempotency-key", "feed").json(&json!({})).send();
        let feed = expect_status(feed_request().await.unwrap(), StatusCode::OK).await;
        let url = feed["url"].as_str().unwrap().to_owned();
        let p = expect_problem(feed_request().await.unwrap(), StatusCode::CONFLICT).await;
        assert!(!p.to_string().contains(&url), "{p}");

        let kept = kept_responses(&app).await;
        assert!(!kept.contains(&secret) && !kept.contains(&url), "no secret is kept at rest: {kept}");
        // Other responses are still kept and replayed (a_retried_post_with_the_same_idempotency_key_creates_once).
    }
}

on_both_databases! {
    async fn idempotency_keys_belong_to_their_caller(app) {
        let a = app.signup("A").await;
        let b = app.signup("B").await;
        for (owner, email) in [(&a, "x.a@example.com"), (&b, "x.b@example.com")] {
            let r = app.request(Method::POST, "/api/v1/users", Some(&owner.token)).header("idempotency-key", "same")
                .json(&json!({"name": "X", "email": email, "role": "staff", "password": PASSWORD})).send().await.unwrap();
            assert!(r.headers().get("idempotent-replayed").is_none());
            expect_status(r, StatusCode::CREATED).await;
        }
    }
}

on_both_databases! {
    async fn responses_carry_security_headers(app) {
        let r = app.get("/health/live", None).await;
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer");
        let owner = app.signup("Studio").await;
        // Every class of response: API, API error, health, page, asset, unknown path, API docs.
        for (path, token) in [
            ("/api/v1/me", Some(owner.token.as_str())),
            ("/api/v1/clients/not-an-id", Some(owner.token.as_str())),
            ("/api/v1/me", None),
            ("/health/ready", None),
            ("/", None),
            ("/login", None),
            ("/no/such/page", None),
            ("/api/docs/", None),
        ] {
            let r = app.get(path, token).await;
            let h = r.headers();
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{path}");
            assert_eq!(h["cross-origin-resource-policy"], "same-origin", "{path}");
            assert!(h["permissions-policy"].to_str().unwrap().contains("camera=()"), "{path}");
            assert_eq!(h["cache-control"], "no-store", "{path}: nothing personal is cached");
            assert!(h.get("strict-transport-security").is_none(), "{path}: not over HTTPS");
            assert!(h.get("server").is_none(), "{path}: no server name or version");
        }
        let css = app.get(&fitnesscrm::web::assets::url("app.css"), None).await;
        assert_eq!(css.status(), StatusCode::OK);
        assert!(css.headers()["cache-control"].to_str().unwrap().contains("immutable"), "assets keep their own caching");
        assert_eq!(css.headers()["cross-origin-resource-policy"], "same-origin");
        let docs = app.get("/api/docs/", None).await;
        let csp = docs.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    }
}

#[tokio::test]
async fn behind_an_https_public_url_every_response_asks_for_https_only() {
    let app = crate::helpers::TestApp::spawn_sqlite(|c| {
        c.public_url = Some("https://crm.example.com".into())
    })
    .await;
    for path in ["/health/live", "/api/v1/me", "/"] {
        let r = app.get(path, None).await;
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }
}

on_both_databases! {
    async fn compressed_error_bodies_are_really_compressed(app) {
        // A regression: the problem body used to be written after compression, under a gzip header.
        let r = app.request(Method::GET, "/api/v1/users/0190b6c2-0000-7000-8000-000000000000", None)
            .header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()["content-encoding"], "gzip");
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "the body is gzip data");
    }
}

on_both_databases! {
    async fn a_body_with_an_unknown_enum_value_still_lists_every_other_bad_field(app) {
        let owner = app.signup("Studio").await;
        let r = app.post("/api/v1/clients", Some(&owner.token),
            &json!({"first_name": "", "last_name": "Ok", "email": "bad", "date_of_birth": "2999-01-01", "status": "zombie"})).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        for field in ["first_name", "email", "date_of_birth", "status"] {
            assert!(p["errors"][field].is_array(), "{field} missing: {p}");
        }
        assert!(p["errors"].get("last_name").is_none(), "valid fields are not reported: {p}");
        // A wrong type and a missing required field too.
        let r = app.post("/api/v1/clients", Some(&owner.token),
            &json!({"first_name": 7, "email": "bad", "status": "zombie"})).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        for field in ["first_name", "last_name", "email", "status"] {
            assert!(p["errors"][field].is_array(), "{field} missing: {p}");
        }
        let r = app.post("/api/v1/users", Some(&owner.token),
            &json!({"name": "", "email": "nope", "role": "emperor", "password": "short"})).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        for field in ["name", "email", "role", "password"] {
            assert!(p["errors"][field].is_array(), "{field} missing: {p}");
        }
        // Nothing was written.
        let list = expect_status(app.get("/api/v1/clients", Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 0);
    }
}

on_both_databases! {
    async fn an_empty_body_is_accepted_where_the_body_is_optional(app) {
        let owner = app.signup("Studio").await;
        let tok = owner.token.as_str();
        let trainer = expect_status(app.post("/api/v1/trainers", Some(tok), &json!({"first_name": "T", "last_name": "One"})).await, StatusCode::CREATED).await;
        let client = expect_status(app.post("/api/v1/clients", Some(tok), &json!({"first_name": "C", "last_name": "One"})).await, StatusCode::CREATED).await;
        let day = chrono::Utc::now().date_naive() + chrono::Duration::days(2);
        let sess = expect_status(app.post("/api/v1/sessions", Some(tok), &json!({
            "trainer_id": trainer["id"], "client_id": client["id"],
            "starts_at": format!("{day}T08:00:00Z"), "ends_at": format!("{day}T09:00:00Z")})).await, StatusCode::CREATED).await;
        let path = format!("/api/v1/sessions/{}/check-in", sess["id"].as_str().unwrap());
        // No body and no Content-Type.
        let r = app.request(Method::POST, &path, Some(tok)).send().await.unwrap();
        let done = expect_status(r, StatusCode::OK).await;
        assert_eq!(done["check_in_method"], "staff");
        // An empty body with another Content-Type is empty all the same.
        let r = app.request(Method::POST, &path, Some(tok)).header("content-type", "text/plain").send().await.unwrap();
        assert_ne!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // A non-empty body must still say it is JSON.
        let r = app.request(Method::POST, &path, Some(tok)).body("{}").send().await.unwrap();
        expect_problem(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        // A body that is required is still required.
        let r = app.request(Method::POST, "/api/v1/clients", Some(tok)).send().await.unwrap();
        expect_problem(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        let r = app.request(Method::POST, "/api/v1/clients", Some(tok)).header("content-type", "application/json").send().await.unwrap();
        expect_problem(r, StatusCode::BAD_REQUEST).await;
    }
}

on_both_databases! {
    async fn a_nul_character_in_a_query_parameter_is_a_422_naming_it(app) {
        let owner = app.signup("Studio").await;
        for (path, field) in [
            ("/api/v1/clients?q=a%00", "q"),
            ("/api/v1/clients?tag=x%00y", "tag"),
            ("/api/v1/clients/export?q=a%00", "q"),
            ("/api/v1/trainers?q=%00", "q"),
            ("/api/v1/users?q=a%00b", "q"),
        ] {
            let p = expect_problem(app.get(path, Some(&owner.token)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert!(p["errors"][field].is_array(), "{path}: {p}");
        }
        let p = expect_problem(app.get("/api/v1/clients?q=%00&tag=%00", Some(&owner.token)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["q"].is_array() && p["errors"]["tag"].is_array(), "every bad parameter at once: {p}");
        expect_status(app.get("/api/v1/clients?q=a", Some(&owner.token)).await, StatusCode::OK).await;
    }
}
