//! API keys: created by owners and admins, shown once, usable as bearer tokens, revocable.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{expect_problem, expect_status};
use crate::on_both_databases;

on_both_databases! {
    async fn an_api_key_authenticates_with_its_role_until_revoked(app) {
        let owner = app.signup("Studio").await;
        let r = app.post("/api/v1/api-keys", Some(&owner.token), &json!({"name": "Zapier", "role": "staff"})).await;
        let created = expect_status(r, StatusCode::CREATED).await;
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("fcrm_k_"));

        let me = expect_status(app.get("/api/v1/me", Some(&secret)).await, StatusCode::OK).await;
        assert_eq!(me["role"], "staff");
        assert!(me["user"].is_null());
        assert_eq!(me["organization"]["id"], owner.org_id.as_str());
        // A staff key cannot manage accounts.
        expect_problem(app.get("/api/v1/users", Some(&secret)).await, StatusCode::FORBIDDEN).await;

        let list = expect_status(app.get("/api/v1/api-keys", Some(&owner.token)).await, StatusCode::OK).await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert!(items[0].get("secret").is_none(), "the secret is shown once only");
        assert_eq!(items[0]["prefix"], &secret[..12]);
        assert!(items[0]["last_used_at"].is_string(), "use is recorded");

        let path = format!("/api/v1/api-keys/{}", created["id"].as_str().unwrap());
        expect_status(app.delete(&path, Some(&owner.token)).await, StatusCode::NO_CONTENT).await;
        expect_problem(app.get("/api/v1/me", Some(&secret)).await, StatusCode::UNAUTHORIZED).await;
        expect_problem(app.delete(&path, Some(&owner.token)).await, StatusCode::NOT_FOUND).await;
        let list = expect_status(app.get("/api/v1/api-keys", Some(&owner.token)).await, StatusCode::OK).await;
        assert!(list["items"].as_array().unwrap().is_empty());
    }
}

on_both_databases! {
    async fn api_keys_follow_the_role_rules(app) {
        let owner = app.signup("Studio").await;
        let admin = app.add_user(&owner, "admin").await;
        let staff = app.add_user(&owner, "staff").await;
        expect_problem(app.post("/api/v1/api-keys", Some(&admin.token), &json!({"name": "k", "role": "owner"})).await, StatusCode::FORBIDDEN).await;
        expect_problem(app.post("/api/v1/api-keys", Some(&staff.token), &json!({"name": "k", "role": "client"})).await, StatusCode::FORBIDDEN).await;
        expect_problem(app.get("/api/v1/api-keys", Some(&staff.token)).await, StatusCode::FORBIDDEN).await;
        let owner_key = expect_status(app.post("/api/v1/api-keys", Some(&owner.token), &json!({"name": "k", "role": "owner"})).await, StatusCode::CREATED).await;
        let path = format!("/api/v1/api-keys/{}", owner_key["id"].as_str().unwrap());
        expect_problem(app.delete(&path, Some(&admin.token)).await, StatusCode::FORBIDDEN).await;
        let p = expect_problem(app.post("/api/v1/api-keys", Some(&owner.token), &json!({"name": " ", "role": "staff"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["name"].is_array());
        // A key cannot log out.
        let key = owner_key["secret"].as_str().unwrap();
        expect_problem(app.post("/api/v1/auth/logout", Some(key), &json!({})).await, StatusCode::BAD_REQUEST).await;
    }
}
