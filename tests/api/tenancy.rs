//! Two organizations, every endpoint: each sees and touches only its own data; the other's is a 404.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, expect_problem, expect_status};
use crate::on_both_databases;

on_both_databases! {
    async fn every_endpoint_keeps_organizations_apart(app) {
        let a = app.signup("Alpha Gym").await;
        let b = app.signup("Beta Studio").await;
        let a_staff = app.add_user(&a, "staff").await;
        let b_staff = app.add_user(&b, "staff").await;
        let a_key = expect_status(app.post("/api/v1/api-keys", Some(&a.token), &json!({"name": "a", "role": "admin"})).await, StatusCode::CREATED).await;
        let b_key = expect_status(app.post("/api/v1/api-keys", Some(&b.token), &json!({"name": "b", "role": "admin"})).await, StatusCode::CREATED).await;
        let a_key_secret = a_key["secret"].as_str().unwrap();

        for (me, mine, theirs, their_key) in [(&a, &a_staff, &b_staff, &b_key), (&b, &b_staff, &a_staff, &a_key)] {
            // /me
            let who = expect_status(app.get("/api/v1/me", Some(&me.token)).await, StatusCode::OK).await;
            assert_eq!(who["organization"]["id"], me.org_id.as_str());
            // users: list, get, patch, delete
            let list = expect_status(app.get("/api/v1/users?include_total=true", Some(&me.token)).await, StatusCode::OK).await;
            assert_eq!(list["total"], 2);
            for item in list["items"].as_array().unwrap() {
                assert_eq!(item["organization_id"], me.org_id.as_str());
            }
            let found = expect_status(app.get(&format!("/api/v1/users?q={}", theirs.email), Some(&me.token)).await, StatusCode::OK).await;
            assert!(found["items"].as_array().unwrap().is_empty(), "search does not cross organizations");
            let their_path = format!("/api/v1/users/{}", theirs.user_id);
            expect_status(app.get(&format!("/api/v1/users/{}", mine.user_id), Some(&me.token)).await, StatusCode::OK).await;
            expect_problem(app.get(&their_path, Some(&me.token)).await, StatusCode::NOT_FOUND).await;
            expect_problem(app.patch(&their_path, Some(&me.token), &json!({"name": "Hijacked"})).await, StatusCode::NOT_FOUND).await;
            expect_problem(app.delete(&their_path, Some(&me.token)).await, StatusCode::NOT_FOUND).await;
            // api keys: list, delete
            let keys = expect_status(app.get("/api/v1/api-keys", Some(&me.token)).await, StatusCode::OK).await;
            assert_eq!(keys["items"].as_array().unwrap().len(), 1);
            assert_ne!(keys["items"][0]["id"], their_key["id"]);
            let their_key_path = format!("/api/v1/api-keys/{}", their_key["id"].as_str().unwrap());
            expect_problem(app.delete(&their_key_path, Some(&me.token)).await, StatusCode::NOT_FOUND).await;
        }
        // An API key is bound to its organization too.
        expect_problem(app.get(&format!("/api/v1/users/{}", b_staff.user_id), Some(a_key_secret)).await, StatusCode::NOT_FOUND).await;
        // Nothing was changed across the line.
        let still = expect_status(app.get(&format!("/api/v1/users/{}", b_staff.user_id), Some(&b.token)).await, StatusCode::OK).await;
        assert_eq!(still["name"], "Test staff");
        app.login(&b_staff.email, PASSWORD).await;
    }
}

on_both_databases! {
    async fn trainers_are_kept_apart_by_organization(app) {
        let a = app.signup("A").await;
        let b = app.signup("B").await;
        let t = expect_status(app.post("/api/v1/trainers", Some(&a.token), &json!({"first_name": "T", "last_name": "A"})).await, StatusCode::CREATED).await;
        let path = format!("/api/v1/trainers/{}", t["id"].as_str().unwrap());
        expect_problem(app.get(&path, Some(&b.token)).await, StatusCode::NOT_FOUND).await;
        expect_problem(app.patch(&path, Some(&b.token), &json!({"bio": "x"})).await, StatusCode::NOT_FOUND).await;
        expect_problem(app.delete(&path, Some(&b.token)).await, StatusCode::NOT_FOUND).await;
        let list = expect_status(app.get("/api/v1/trainers?include_total=true", Some(&b.token)).await, StatusCode::OK).await;
        assert_eq!(list["total"], 0);
        // A trainer cannot be linked to another organization's account, nor assigned there.
        let r = app.post("/api/v1/trainers", Some(&b.token), &json!({"first_name": "X", "last_name": "Y", "user_id": a.user_id})).await;
        expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        let c = expect_status(app.post("/api/v1/clients", Some(&b.token), &json!({"first_name": "C", "last_name": "D"})).await, StatusCode::CREATED).await;
        let r = app.post(&format!("/api/v1/clients/{}/trainers", c["id"].as_str().unwrap()), Some(&b.token), &json!({"trainer_id": t["id"]})).await;
        expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}
