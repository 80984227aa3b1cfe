//! Trainers: managed by owners and admins, read by the team.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{expect_problem, expect_status};
use crate::on_both_databases;

on_both_databases! {
    async fn owners_manage_trainers_and_the_team_reads_them(app) {
        let owner = app.signup("Studio").await;
        let staff = app.add_user(&owner, "staff").await;
        let client_user = app.add_user(&owner, "client").await;
        let r = app.post("/api/v1/trainers", Some(&owner.token), &json!({
            "first_name": "Tom", "last_name": "Ortega", "email": "Tom@Example.com", "phone": "+34 600 111 222",
            "specialties": ["Strength", "Mobility"], "hourly_rate_cents": 6500,
        })).await;
        let t = expect_status(r, StatusCode::CREATED).await;
        assert_eq!(t["currency"], "EUR", "the organization's currency by default");
        assert_eq!(t["email"], "tom@example.com");
        assert_eq!(t["specialties"], json!(["Strength", "Mobility"]));
        let path = format!("/api/v1/trainers/{}", t["id"].as_str().unwrap());
        expect_status(app.get(&path, Some(&staff.token)).await, StatusCode::OK).await;
        expect_problem(app.get(&path, Some(&client_user.token)).await, StatusCode::FORBIDDEN).await;
        expect_problem(app.patch(&path, Some(&staff.token), &json!({"bio": "x"})).await, StatusCode::FORBIDDEN).await;
        let r = app.patch(&path, Some(&owner.token), &json!({"bio": "Coach since 2010", "hourly_rate_cents": null, "version": 1})).await;
        let t2 = expect_status(r, StatusCode::OK).await;
        assert_eq!(t2["bio"], "Coach since 2010");
        assert!(t2["hourly_rate_cents"].is_null());
        expect_problem(app.patch(&path, Some(&owner.token), &json!({"bio": "stale", "version": 1})).await, StatusCode::PRECONDITION_FAILED).await;
        let p = expect_problem(app.post("/api/v1/trainers", Some(&owner.token), &json!({"first_name": "", "last_name": "X", "email": "bad", "hourly_rate_cents": -5, "currency": "EURO"})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        for f in ["first_name", "email", "hourly_rate_cents", "currency"] {
            assert!(p["errors"][f].is_array(), "{f}: {p}");
        }
        expect_problem(app.post("/api/v1/trainers", Some(&owner.token), &json!({"first_name": "A", "last_name": "B", "email": "tom@example.com"})).await, StatusCode::CONFLICT).await;
        expect_status(app.delete(&path, Some(&owner.token)).await, StatusCode::NO_CONTENT).await;
        expect_problem(app.get(&path, Some(&owner.token)).await, StatusCode::NOT_FOUND).await;
    }
}

on_both_databases! {
    async fn an_account_links_to_at_most_one_trainer(app) {
        let owner = app.signup("Studio").await;
        let user = app.add_user(&owner, "trainer").await;
        expect_status(app.post("/api/v1/trainers", Some(&owner.token), &json!({"first_name": "A", "last_name": "B", "user_id": user.user_id})).await, StatusCode::CREATED).await;
        let r = app.post("/api/v1/trainers", Some(&owner.token), &json!({"first_name": "C", "last_name": "D", "user_id": user.user_id})).await;
        expect_problem(r, StatusCode::CONFLICT).await;
    }
}
