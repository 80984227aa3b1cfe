//! Accounts and the role rules.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, expect_problem, expect_status};
use crate::on_both_databases;

on_both_databases! {
    async fn the_owner_adds_accounts_of_every_role_and_each_can_log_in(app) {
        let owner = app.signup("Studio").await;
        for role in ["admin", "staff", "trainer", "client"] {
            let account = app.add_user(&owner, role).await;
            let me = expect_status(app.get("/api/v1/me", Some(&account.token)).await, StatusCode::OK).await;
            assert_eq!(me["role"], role);
            assert_eq!(me["organization"]["id"], owner.org_id.as_str());
        }
        let list = expect_status(app.get("/api/v1/users?include_total=true", Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(list["total"], 5);
    }
}

on_both_databases! {
    async fn creating_a_user_returns_201_with_a_location(app) {
        let owner = app.signup("Studio").await;
        let r = app
            .post("/api/v1/users", Some(&owner.token), &json!({"name": "Tom", "email": "Tom@Example.com", "role": "trainer", "password": PASSWORD}))
            .await;
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let body = expect_status(r, StatusCode::CREATED).await;
        assert_eq!(body["email"], "tom@example.com", "emails are stored lower case");
        assert_eq!(location, format!("/api/v1/users/{}", body["id"].as_str().unwrap()));
        let fetched = expect_status(app.get(&location, Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(fetched["name"], "Tom");
        assert!(fetched.get("password_hash").is_none() && fetched.get("password").is_none());
    }
}

on_both_databases! {
    async fn only_owners_and_admins_manage_accounts(app) {
        let owner = app.signup("Studio").await;
        let admin = app.add_user(&owner, "admin").await;
        for role in ["staff", "trainer", "client"] {
            let account = app.add_user(&owner, role).await;
            expect_problem(app.get("/api/v1/users", Some(&account.token)).await, StatusCode::FORBIDDEN).await;
            let r = app.post("/api/v1/users", Some(&account.token), &json!({"name": "X", "email": format!("x.{role}@example.com"), "role": "client", "password": PASSWORD})).await;
            expect_problem(r, StatusCode::FORBIDDEN).await;
            expect_problem(app.get(&format!("/api/v1/users/{}", admin.user_id), Some(&account.token)).await, StatusCode::FORBIDDEN).await;
            expect_problem(app.delete(&format!("/api/v1/users/{}", admin.user_id), Some(&account.token)).await, StatusCode::FORBIDDEN).await;
            expect_problem(app.patch(&format!("/api/v1/users/{}", account.user_id), Some(&account.token), &json!({"role": "admin"})).await, StatusCode::FORBIDDEN).await;
        }
        expect_status(app.get("/api/v1/users", Some(&admin.token)).await, StatusCode::OK).await;
    }
}

on_both_databases! {
    async fn nobody_grants_a_role_above_their_own(app) {
        let owner = app.signup("Studio").await;
        let admin = app.add_user(&owner, "admin").await;
        let r = app.post("/api/v1/users", Some(&admin.token), &json!({"name": "X", "email": "x@example.com", "role": "owner", "password": PASSWORD})).await;
        expect_problem(r, StatusCode::FORBIDDEN).await;
        let staff = app.add_user(&admin, "staff").await;
        let r = app.patch(&format!("/api/v1/users/{}", staff.user_id), Some(&admin.token), &json!({"role": "owner"})).await;
        expect_problem(r, StatusCode::FORBIDDEN).await;
        // An admin cannot change or delete the owner.
        let r = app.patch(&format!("/api/v1/users/{}", owner.user_id), Some(&admin.token), &json!({"name": "Renamed"})).await;
        expect_problem(r, StatusCode::FORBIDDEN).await;
        expect_problem(app.delete(&format!("/api/v1/users/{}", owner.user_id), Some(&admin.token)).await, StatusCode::FORBIDDEN).await;
        // An admin may grant admin.
        let r = app.patch(&format!("/api/v1/users/{}", staff.user_id), Some(&admin.token), &json!({"role": "admin"})).await;
        assert_eq!(expect_status(r, StatusCode::OK).await["role"], "admin");
    }
}

on_both_databases! {
    async fn the_last_owner_cannot_be_removed_or_demoted(app) {
        let owner = app.signup("Studio").await;
        let path = format!("/api/v1/users/{}", owner.user_id);
        expect_problem(app.patch(&path, Some(&owner.token), &json!({"role": "admin"})).await, StatusCode::CONFLICT).await;
        expect_problem(app.patch(&path, Some(&owner.token), &json!({"active": false})).await, StatusCode::CONFLICT).await;
        expect_problem(app.delete(&path, Some(&owner.token)).await, StatusCode::CONFLICT).await;

        // With a second owner, the first may step down.
        let second = app.add_user(&owner, "owner").await;
        let r = app.patch(&path, Some(&owner.token), &json!({"role": "admin"})).await;
        assert_eq!(expect_status(r, StatusCode::OK).await["role"], "admin");
        // Now the second is the last one.
        let second_path = format!("/api/v1/users/{}", second.user_id);
        expect_problem(app.delete(&second_path, Some(&second.token)).await, StatusCode::CONFLICT).await;
    }
}

on_both_databases! {
    async fn deactivating_an_account_ends_its_sessions_and_blocks_login(app) {
        let owner = app.signup("Studio").await;
        let trainer = app.add_user(&owner, "trainer").await;
        let r = app.patch(&format!("/api/v1/users/{}", trainer.user_id), Some(&owner.token), &json!({"active": false})).await;
        expect_status(r, StatusCode::OK).await;
        expect_problem(app.get("/api/v1/me", Some(&trainer.token)).await, StatusCode::UNAUTHORIZED).await;
        let r = app.post("/api/v1/auth/login", None, &json!({"email": trainer.email, "password": PASSWORD})).await;
        expect_problem(r, StatusCode::UNAUTHORIZED).await;
    }
}

on_both_databases! {
    async fn changing_a_password_ends_the_other_sessions(app) {
        let owner = app.signup("Studio").await;
        let other = app.login(&owner.email, PASSWORD).await;
        let r = app.request(reqwest::Method::PUT, "/api/v1/me/password", Some(&owner.token)).json(&json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        expect_status(app.get("/api/v1/me", Some(&owner.token)).await, StatusCode::OK).await;
        expect_problem(app.get("/api/v1/me", Some(&other)).await, StatusCode::UNAUTHORIZED).await;
        app.login(&owner.email, "a brand new passphrase").await;
    }
}

on_both_databases! {
    async fn deleting_an_account_removes_it(app) {
        let owner = app.signup("Studio").await;
        let staff = app.add_user(&owner, "staff").await;
        let path = format!("/api/v1/users/{}", staff.user_id);
        expect_status(app.delete(&path, Some(&owner.token)).await, StatusCode::NO_CONTENT).await;
        expect_problem(app.get(&path, Some(&owner.token)).await, StatusCode::NOT_FOUND).await;
        expect_problem(app.get("/api/v1/me", Some(&staff.token)).await, StatusCode::UNAUTHORIZED).await;
        expect_problem(app.delete(&path, Some(&owner.token)).await, StatusCode::NOT_FOUND).await;
    }
}

on_both_databases! {
    async fn a_taken_email_is_a_conflict_on_create_and_update(app) {
        let owner = app.signup("Studio").await;
        let staff = app.add_user(&owner, "staff").await;
        let r = app.post("/api/v1/users", Some(&owner.token), &json!({"name": "X", "email": staff.email.to_uppercase(), "role": "staff", "password": PASSWORD})).await;
        expect_problem(r, StatusCode::CONFLICT).await;
        let trainer = app.add_user(&owner, "trainer").await;
        let r = app.patch(&format!("/api/v1/users/{}", trainer.user_id), Some(&owner.token), &json!({"email": staff.email})).await;
        expect_problem(r, StatusCode::CONFLICT).await;
    }
}

on_both_databases! {
    async fn lists_sort_search_and_page_through_every_account_once(app) {
        let owner = app.signup("Studio").await;
        for name in ["Zoe", "adam", "Bea", "carl", "Dora", "ed", "Finn"] {
            let r = app.post("/api/v1/users", Some(&owner.token), &json!({"name": name, "email": format!("{}@example.com", name.to_lowercase()), "role": "client", "password": PASSWORD})).await;
            expect_status(r, StatusCode::CREATED).await;
        }
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = "/api/v1/users?sort=name&limit=3&role=client".to_owned();
            if let Some(c) = &cursor { path.push_str(&format!("&cursor={c}")); }
            let page = expect_status(app.get(&path, Some(&owner.token)).await, StatusCode::OK).await;
            for item in page["items"].as_array().unwrap() { names.push(item["name"].as_str().unwrap().to_owned()); }
            match page["next_cursor"].as_str() { Some(c) => cursor = Some(c.to_owned()), None => break }
        }
        assert_eq!(names, ["adam", "Bea", "carl", "Dora", "ed", "Finn", "Zoe"]);

        let desc = expect_status(app.get("/api/v1/users?sort=-name&limit=2&role=client", Some(&owner.token)).await, StatusCode::OK).await;
        let first: Vec<&str> = desc["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert_eq!(first, ["Zoe", "Finn"]);
        let cursor = desc["next_cursor"].as_str().unwrap();
        let next = expect_status(app.get(&format!("/api/v1/users?sort=-name&limit=2&role=client&cursor={cursor}"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(next["items"][0]["name"], "ed");

        // A cursor belongs to its sort.
        let p = expect_problem(app.get(&format!("/api/v1/users?sort=email&cursor={cursor}"), Some(&owner.token)).await, StatusCode::BAD_REQUEST).await;
        assert!(p["errors"]["cursor"].is_array(), "{p}");

        let found = expect_status(app.get("/api/v1/users?q=DO&include_total=true", Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(found["total"], 1);
        assert_eq!(found["items"][0]["name"], "Dora");

        let by_created = expect_status(app.get("/api/v1/users?sort=-created_at&limit=1", Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(by_created["items"][0]["name"], "Finn");
    }
}
