//! Web pages: the custom fields of the client file, shown as name/value pairs and added, changed and
//! removed through the client update at the version the page was loaded with.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::client::Web;
use crate::helpers::{Account, TestApp, expect_status};
use crate::on_both_databases;

const XSS: &str = "<script>alert(1)</script>";
const XSS_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

async fn client_with_fields(app: &TestApp, by: &Account) -> String {
    let r = app
        .post(
            "/api/v1/clients",
            Some(&by.token),
            &json!({"first_name": "Cora", "last_name": "Custom",
                "custom_fields": {"Referral": XSS, "Shoe size": 42}}),
        )
        .await;
    expect_status(r, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn current(app: &TestApp, by: &Account, id: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/clients/{id}"), Some(&by.token))
        .await;
    expect_status(r, StatusCode::OK).await
}

async fn logged_in(app: &TestApp, account: &Account) -> Web {
    let web = Web::new(app);
    web.login(&account.email).await;
    web
}

on_both_databases! {
    async fn custom_fields_are_shown_and_added_changed_and_removed_on_the_client_file(app) {
        let owner = app.signup("Custom Gym").await;
        let id = client_with_fields(&app, &owner).await;
        let staff = app.add_user(&owner, "staff").await;
        let web = logged_in(&app, &staff).await;
        let file = format!("/app/clients/{id}");
        let page = web.get(&file).await;
        page.expect(StatusCode::OK)
            .expect_text("id=\"custom-fields\"")
            .expect_text("Shoe size")
            .expect_text("42")
            .expect_text(XSS_ESCAPED);
        assert!(!page.body.contains("<script>alert(1)"), "raw script in page");
        let version = current(&app, &owner, &id).await["version"].as_i64().unwrap().to_string();
        // Remove one, keep one as it is (a number stays a number), add one.
        let done = web
            .post(&format!("{file}/custom-fields"), &[
                ("version", &version), ("cf_count", "3"),
                ("cf_stored_0", "yes"), ("cf_name_0", "Referral"), ("cf_value_0", XSS), ("cf_remove_0", "yes"),
                ("cf_stored_1", "yes"), ("cf_name_1", "Shoe size"), ("cf_value_1", "42"),
                ("cf_name_2", "Goal <weight>"), ("cf_value_2", "70 kg"),
            ])
            .await;
        done.expect_redirect(&file);
        let c = current(&app, &owner, &id).await;
        assert_eq!(c["custom_fields"], json!({"Shoe size": 42, "Goal <weight>": "70 kg"}));
        let page = web.get(&file).await;
        page.expect_text("Custom fields saved.").expect_text("Goal &#60;weight&#62;").expect_text("70 kg");
        assert!(!page.body.contains("Goal <weight>"), "raw name in page");
        // Change a value.
        let version = c["version"].as_i64().unwrap().to_string();
        web.post(&format!("{file}/custom-fields"), &[
                ("version", &version), ("cf_count", "2"),
                ("cf_stored_0", "yes"), ("cf_name_0", "Goal <weight>"), ("cf_value_0", "68 kg"),
                ("cf_stored_1", "yes"), ("cf_name_1", "Shoe size"), ("cf_value_1", "43"),
            ])
            .await
            .expect_redirect(&file);
        let c = current(&app, &owner, &id).await;
        assert_eq!(c["custom_fields"], json!({"Shoe size": "43", "Goal <weight>": "68 kg"}));
        // The change is in the client's history like any profile change.
        let t = app.get(&format!("/api/v1/clients/{id}/timeline"), Some(&owner.token)).await;
        let timeline = expect_status(t, StatusCode::OK).await;
        assert!(timeline["items"].as_array().unwrap().iter().any(|e| e["data"]["changed_fields"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f == "custom_fields"))));
    }
}

on_both_databases! {
    async fn custom_field_mistakes_are_shown_at_their_rows_and_a_stale_version_changes_nothing(app) {
        let owner = app.signup("Custom Errors Gym").await;
        let id = client_with_fields(&app, &owner).await;
        let web = logged_in(&app, &owner).await;
        let file = format!("/app/clients/{id}");
        web.get(&file).await.expect(StatusCode::OK);
        let before = current(&app, &owner, &id).await;
        let version = before["version"].as_i64().unwrap().to_string();
        let long = "n".repeat(65);
        let page = web
            .post(&format!("{file}/custom-fields"), &[
                ("version", &version), ("cf_count", "4"),
                ("cf_stored_0", "yes"), ("cf_name_0", "Referral"), ("cf_value_0", "Friend"),
                ("cf_stored_1", "yes"), ("cf_name_1", "Referral"), ("cf_value_1", "Twice"),
                ("cf_name_2", ""), ("cf_value_2", "orphan <b>value</b>"),
                ("cf_name_3", &long), ("cf_value_3", "x"),
            ])
            .await;
        page.expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("id=\"e-cf_name_1\"")
            .expect_text("Another row already has this name.")
            .expect_text("id=\"e-cf_name_2\"")
            .expect_text("Give the field a name.")
            .expect_text("id=\"e-cf_name_3\"")
            .expect_text("at most 64 characters")
            // What was typed is shown again, escaped.
            .expect_text("orphan &#60;b&#62;value&#60;/b&#62;");
        assert!(!page.body.contains("id=\"e-cf_name_0\""), "a good row has no error");
        assert_eq!(current(&app, &owner, &id).await, before, "nothing was saved");
        // A stale version: the form again with the reason, nothing saved.
        let page = web
            .post(&format!("{file}/custom-fields"), &[
                ("version", "0"), ("cf_count", "1"), ("cf_name_0", "Late"), ("cf_value_0", "yes"),
            ])
            .await;
        page.expect(StatusCode::UNPROCESSABLE_ENTITY).expect_text("id=\"custom-fields\"");
        assert_eq!(current(&app, &owner, &id).await, before, "nothing was saved");
        // A client of another organization is not found.
        let other = app.signup("Other Gym").await;
        let other_web = logged_in(&app, &other).await;
        other_web.get("/app/clients").await;
        other_web
            .post(&format!("{file}/custom-fields"), &[("version", &version), ("cf_count", "1"), ("cf_name_0", "X"), ("cf_value_0", "y")])
            .await
            .expect(StatusCode::NOT_FOUND);
    }
}
