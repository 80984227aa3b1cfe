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

/// The audit events of the organization with `action`, oldest first.
async fn events(
    app: &crate::helpers::TestApp,
    token: &str,
    action: &str,
) -> Vec<serde_json::Value> {
    let page = expect_status(
        app.get(
            &format!("/api/v1/audit-events?sort=seq&action={action}"),
            Some(token),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    page["items"].as_array().unwrap().clone()
}

on_both_databases! {
    async fn adding_changing_and_removing_a_trainer_is_audited_with_the_actor_and_changed_fields(app) {
        let owner = app.signup("Audit Gym").await;
        let admin = app.add_user(&owner, "admin").await;
        let t = expect_status(app.post("/api/v1/trainers", Some(&admin.token), &json!({"first_name": "Ann", "last_name": "Lee"})).await, StatusCode::CREATED).await;
        let id = t["id"].as_str().unwrap();
        let created = events(&app, &owner.token, "trainer.created").await;
        assert_eq!(created.len(), 1, "{created:?}");
        assert_eq!(created[0]["entity_id"], id);
        assert_eq!(created[0]["entity_type"], "trainer");
        assert_eq!(created[0]["actor_id"], admin.user_id.as_str());
        assert_eq!(created[0]["actor_role"], "admin");
        assert!(created[0]["changed_fields"].as_array().unwrap().contains(&json!("first_name")));

        let path = format!("/api/v1/trainers/{id}");
        expect_status(app.patch(&path, Some(&owner.token), &json!({"bio": "Coach", "last_name": "Lee", "active": false})).await, StatusCode::OK).await;
        let updated = events(&app, &owner.token, "trainer.updated").await;
        assert_eq!(updated.len(), 1, "{updated:?}");
        assert_eq!(updated[0]["actor_id"], owner.user_id.as_str());
        // Only what changed: the unchanged last name is not listed.
        assert_eq!(updated[0]["changed_fields"], json!(["active", "bio"]));

        // A refused change writes nothing.
        expect_problem(app.patch(&path, Some(&owner.token), &json!({"bio": "stale", "version": 1})).await, StatusCode::PRECONDITION_FAILED).await;
        assert_eq!(events(&app, &owner.token, "trainer.updated").await.len(), 1);

        expect_status(app.delete(&path, Some(&admin.token)).await, StatusCode::NO_CONTENT).await;
        let deleted = events(&app, &owner.token, "trainer.deleted").await;
        assert_eq!(deleted.len(), 1, "{deleted:?}");
        assert_eq!(deleted[0]["entity_id"], id);
        assert_eq!(deleted[0]["actor_id"], admin.user_id.as_str());
        // Deleting again: 404, and no second event.
        expect_problem(app.delete(&path, Some(&admin.token)).await, StatusCode::NOT_FOUND).await;
        assert_eq!(events(&app, &owner.token, "trainer.deleted").await.len(), 1);
    }
}
