//! Web pages: the client list, the add form, bulk actions, the CSV import, the client file, GDPR
//! export and erasure, and who sees which client.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::client::Web;
use crate::helpers::{Account, TestApp, expect_status};
use crate::on_both_databases;

const XSS: &str = "<script>alert(1)</script>";
const XSS_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

async fn add_client(app: &TestApp, by: &Account, body: Value) -> String {
    let r = app.post("/api/v1/clients", Some(&by.token), &body).await;
    expect_status(r, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn logged_in(app: &TestApp, account: &Account) -> Web {
    let web = Web::new(app);
    web.login(&account.email).await;
    web
}

fn assert_escaped(body: &str) {
    assert!(body.contains(XSS_ESCAPED), "escaped name missing:\n{body}");
    assert!(!body.contains("<script>alert(1)"), "raw script in page");
}

on_both_databases! {
    async fn the_client_list_searches_filters_and_pages(app) {
        let owner = app.signup("List Gym").await;
        for i in 0..30 {
            let status = if i % 3 == 0 { "active" } else { "lead" };
            add_client(&app, &owner, json!({"first_name": format!("Person{i:02}"), "last_name": "Sample",
                "status": status, "tags": if i == 5 { vec!["vip"] } else { vec![] }})).await;
        }
        add_client(&app, &owner, json!({"first_name": "Zelda", "last_name": "Unique", "email": "zelda@example.com"})).await;
        add_client(&app, &owner, json!({"first_name": XSS, "last_name": "Evil"})).await;
        let web = logged_in(&app, &owner).await;
        let page = web.get("/app/clients").await;
        page.expect(StatusCode::OK)
            .expect_text("id=\"results\"")
            .expect_text("data-live=\"#results\"")
            .expect_text("data-select-all=\"ids\"")
            .expect_text("Add client")
            .expect_text("Import CSV")
            .expect_text("Matching clients: 32");
        assert_escaped(&page.body);
        // Search.
        let page = web.get("/app/clients?q=zel").await;
        page.expect(StatusCode::OK).expect_text("Zelda Unique");
        // A search is not counted (that would read every match).
        assert!(!page.body.contains("Matching clients"));
        assert!(!page.body.contains("Person01"));
        // Filters: status, tag, and an empty trainer choice as a form sends it.
        let page = web.get("/app/clients?q=&status=active&trainer_id=&tag=&sort=name").await;
        page.expect(StatusCode::OK).expect_text("Matching clients: 10");
        assert!(!page.body.contains("Person01 "));
        web.get("/app/clients?tag=vip").await.expect_text("Person05");
        // Pages of 25, keeping the filters; back again.
        let page = web.get("/app/clients?sort=-name").await;
        let end = page.body.find("\" rel=\"next\"").expect("a next link");
        let start = page.body[..end].rfind("href=\"").unwrap() + "href=\"".len();
        let href = page.body[start..end].replace("&#38;", "&").replace("&amp;", "&");
        assert!(href.starts_with("/app/clients?sort=-name&cursor="), "{href}");
        let second = web.get(&href).await;
        second.expect(StatusCode::OK).expect_text("rel=\"prev\"").expect_text("Person00");
        assert!(!second.body.contains("rel=\"next\""));
        // The live region alone is in the page, so the script can swap it.
        web.get("/app/clients?status=bogus").await.expect(StatusCode::BAD_REQUEST);
    }
}

on_both_databases! {
    async fn adding_a_client_shows_errors_by_field_then_opens_the_file(app) {
        let owner = app.signup("Add Gym").await;
        let web = logged_in(&app, &owner).await;
        web.get("/app/clients/new").await.expect(StatusCode::OK).expect_text("First name");
        let page = web.post("/app/clients/new", &[("first_name", ""), ("last_name", "Doe"),
            ("email", "not-an-email"), ("date_of_birth", "31.12.1990"), ("status", "lead")]).await;
        page.expect(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text("id=\"e-first_name\"")
            .expect_text("id=\"e-email\"")
            .expect_text("id=\"e-date_of_birth\"")
            .expect_text("value=\"Doe\"");
        let page = web.post("/app/clients/new", &[("first_name", XSS), ("last_name", "Doe"),
            ("email", "jane@example.com"), ("date_of_birth", "1990-12-31"), ("status", "trial"), ("tags", "vip, morning")]).await;
        page.expect_redirect("/app/clients/");
        let file = web.get(page.location().unwrap()).await;
        file.expect(StatusCode::OK).expect_text("jane@example.com").expect_text("vip, morning").expect_text("Client added.");
        assert_escaped(&file.body);
    }
}

on_both_databases! {
    async fn bulk_actions_tag_and_change_status_and_report_failures(app) {
        let owner = app.signup("Bulk Gym").await;
        let a = add_client(&app, &owner, json!({"first_name": "Ann", "last_name": "A", "status": "lead"})).await;
        let b = add_client(&app, &owner, json!({"first_name": "Ben", "last_name": "B", "status": "paused"})).await;
        let web = logged_in(&app, &owner).await;
        web.get("/app/clients").await.expect_text("id=\"bulk\"");
        web.post("/app/clients/bulk", &[("action", "tag"), ("tag", "spring"), ("ids", &a), ("ids", &b), ("back", "/app/clients")])
            .await.expect_redirect("/app/clients");
        web.get("/app/clients?tag=spring").await.expect_text("Ann A").expect_text("Ben B").expect_text("Updated 2 clients.");
        // lead -> trial is allowed, paused -> trial is not: reported by client.
        let page = web.post("/app/clients/bulk", &[("action", "status"), ("status", "trial"), ("ids", &a), ("ids", &b)]).await;
        page.expect(StatusCode::UNPROCESSABLE_ENTITY).expect_text("Ben B").expect_text("cannot change from paused to trial");
        let r = app.get(&format!("/api/v1/clients/{a}"), Some(&owner.token)).await;
        assert_eq!(expect_status(r, StatusCode::OK).await["status"], "trial");
        let r = app.get(&format!("/api/v1/clients/{b}"), Some(&owner.token)).await;
        assert_eq!(expect_status(r, StatusCode::OK).await["status"], "paused");
    }
}

on_both_databases! {
    async fn an_import_is_checked_in_a_dry_run_then_committed(app) {
        let owner = app.signup("Import Gym").await;
        let web = logged_in(&app, &owner).await;
        web.get("/app/clients/import").await.expect(StatusCode::OK).expect_text("enctype=\"multipart/form-data\"");
        let bad = "first_name,last_name,email\nAnna,Ok,anna@example.com\n,Missing,bad-email\n";
        let page = web.post_multipart("/app/clients/import", &[("on_duplicate", "skip")],
            Some(("file", "clients.csv", bad.as_bytes().to_vec()))).await;
        page.expect(StatusCode::OK).expect_text("dry run").expect_text("first_name:").expect_text("email:");
        assert!(!page.body.contains("Commit import"));
        let csv = format!("first_name,last_name,email\n\"{XSS}\",Evil,evil@example.com\nBob,Good,bob@example.com\n");
        let page = web.post_multipart("/app/clients/import", &[("on_duplicate", "skip")],
            Some(("file", "clients.csv", csv.into_bytes()))).await;
        page.expect(StatusCode::OK).expect_text("Commit import");
        assert_escaped(&page.body);
        // The dry run wrote nothing.
        let r = app.get("/api/v1/clients?include_total=true", Some(&owner.token)).await;
        assert_eq!(expect_status(r, StatusCode::OK).await["total"], 0);
        // Commit with the carried file.
        let at = page.body.find("name=\"csv\" value=\"").unwrap() + "name=\"csv\" value=\"".len();
        let carried: String = page.body[at..].chars().take_while(|c| *c != '"').collect();
        let carried = carried.replace("&#43;", "+").replace("&#61;", "=").replace("&#47;", "/");
        let done = web.post_multipart("/app/clients/import",
            &[("on_duplicate", "skip"), ("csv", &carried), ("commit", "yes")], None).await;
        done.expect_redirect("/app/clients");
        web.get("/app/clients").await.expect_text("Import done: 2 created").expect_text("Bob Good");
        let r = app.get("/api/v1/clients?include_total=true", Some(&owner.token)).await;
        assert_eq!(expect_status(r, StatusCode::OK).await["total"], 2);
    }
}

on_both_databases! {
    async fn the_client_file_shows_every_section_and_edits_with_the_version(app) {
        let owner = app.signup("File Gym").await;
        let t = app.post("/api/v1/trainers", Some(&owner.token), &json!({"first_name": "Tina", "last_name": "Trainer"})).await;
        let trainer = expect_status(t, StatusCode::CREATED).await["id"].as_str().unwrap().to_owned();
        let id = add_client(&app, &owner, json!({"first_name": XSS, "last_name": "File", "email": "file@example.com",
            "medical_notes": "Knee", "trainer_ids": [trainer]})).await;
        expect_status(app.post(&format!("/api/v1/clients/{id}/notes"), Some(&owner.token), &json!({"body": "Likes mornings"})).await, StatusCode::CREATED).await;
        let web = logged_in(&app, &owner).await;
        let page = web.get(&format!("/app/clients/{id}")).await;
        page.expect(StatusCode::OK);
        for text in ["id=\"profile\"", "id=\"status\"", "id=\"trainers\"", "id=\"notes\"", "id=\"timeline\"",
            "id=\"sessions\"", "id=\"attendance\"", "id=\"consent\"", "id=\"privacy\"", "Tina Trainer",
            "Likes mornings", "Knee", "Download data export", "Erase client", "/app/calendar"] {
            page.expect_text(text);
        }
        assert_escaped(&page.body);
        // A note and a status change through the forms.
        web.post(&format!("/app/clients/{id}/notes"), &[("body", "Second note")]).await.expect_redirect(&format!("/app/clients/{id}"));
        web.get(&format!("/app/clients/{id}")).await.expect_text("Second note");
        web.post(&format!("/app/clients/{id}/status"), &[("status", "trial")]).await.expect_redirect(&format!("/app/clients/{id}"));
        web.get(&format!("/app/clients/{id}")).await.expect_text("Status changed to trial.");
        // Edit at version 1 after others changed the client: the conflict is shown, nothing saved.
        let page = web.post(&format!("/app/clients/{id}"), &[("first_name", "Stale"), ("last_name", "File"), ("version", "1")]).await;
        page.expect(StatusCode::PRECONDITION_FAILED).expect_text("changed by someone else").expect_text("Reload");
        let r = app.get(&format!("/api/v1/clients/{id}"), Some(&owner.token)).await;
        let current = expect_status(r, StatusCode::OK).await;
        assert_eq!(current["first_name"], XSS);
        let version = current["version"].as_i64().unwrap().to_string();
        web.get(&format!("/app/clients/{id}")).await;
        web.post(&format!("/app/clients/{id}"), &[("first_name", "Fresh"), ("last_name", "File"),
            ("email", "file@example.com"), ("medical_notes", "Knee"), ("version", &version)]).await
            .expect_redirect(&format!("/app/clients/{id}"));
        web.get(&format!("/app/clients/{id}")).await.expect_text("Fresh File").expect_text("Profile saved.")
            // Only the field that changed is recorded.
            .expect_text("Profile changed: first name</li>");
        // Consent.
        web.post(&format!("/app/clients/{id}/consent"), &[("consent_email", "yes")]).await.expect_redirect("/app/clients/");
        web.get(&format!("/app/clients/{id}")).await.expect_text("email consent given");
    }
}

on_both_databases! {
    async fn gdpr_export_downloads_and_erasure_needs_confirmation_and_an_admin(app) {
        let owner = app.signup("Privacy Gym").await;
        let staff = app.add_user(&owner, "staff").await;
        let id = add_client(&app, &owner, json!({"first_name": "Erin", "last_name": "Erase", "medical_notes": "Asthma"})).await;
        let web = logged_in(&app, &owner).await;
        let r = web.client.get(format!("{}/app/clients/{id}/export.json", app.url(""))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["client"]["first_name"], "Erin");
        // Staff: neither export nor erase, and no medical notes on the file.
        let staff_web = logged_in(&app, &staff).await;
        let page = staff_web.get(&format!("/app/clients/{id}")).await;
        page.expect(StatusCode::OK);
        assert!(!page.body.contains("Asthma") && !page.body.contains("Erase client"));
        staff_web.get(&format!("/app/clients/{id}/export.json")).await.expect(StatusCode::FORBIDDEN);
        staff_web.post(&format!("/app/clients/{id}/erase"), &[("confirm", "yes")]).await.expect(StatusCode::FORBIDDEN);
        // The owner without ticking the box: nothing happens.
        web.get(&format!("/app/clients/{id}")).await;
        web.post(&format!("/app/clients/{id}/erase"), &[]).await.expect_redirect(&format!("/app/clients/{id}"));
        web.get(&format!("/app/clients/{id}")).await.expect_text("Erin Erase").expect_text("Nothing was erased");
        web.post(&format!("/app/clients/{id}/erase"), &[("confirm", "yes")]).await.expect_redirect("/app/clients");
        let page = web.get("/app/clients").await;
        page.expect_text("personal data was erased");
        assert!(!page.body.contains("Erin"));
    }
}

on_both_databases! {
    async fn a_trainer_sees_only_their_clients_and_other_orgs_are_not_found(app) {
        let owner = app.signup("Scope Gym").await;
        let user = app.add_user(&owner, "trainer").await;
        let t = app.post("/api/v1/trainers", Some(&owner.token), &json!({"first_name": "Tom", "last_name": "T", "user_id": user.user_id})).await;
        let trainer = expect_status(t, StatusCode::CREATED).await["id"].as_str().unwrap().to_owned();
        let mine = add_client(&app, &owner, json!({"first_name": "Mine", "last_name": "Client", "trainer_ids": [trainer]})).await;
        let other = add_client(&app, &owner, json!({"first_name": "Other", "last_name": "Client"})).await;
        let web = logged_in(&app, &user).await;
        let page = web.get("/app/clients").await;
        page.expect(StatusCode::OK).expect_text("My clients").expect_text("Mine Client");
        assert!(!page.body.contains("Other Client") && !page.body.contains("Export CSV"));
        web.get(&format!("/app/clients/{mine}")).await.expect(StatusCode::OK);
        web.get(&format!("/app/clients/{other}")).await.expect(StatusCode::NOT_FOUND);
        web.get("/app/clients/export.csv").await.expect(StatusCode::FORBIDDEN);
        // Bulk changes skip what the trainer cannot see.
        let page = web.post("/app/clients/bulk", &[("action", "tag"), ("tag", "x"), ("ids", &other)]).await;
        page.expect(StatusCode::UNPROCESSABLE_ENTITY).expect_text("not found");
        // Another organization's client is not found, for the file and its forms.
        let stranger = app.signup("Other Gym").await;
        let theirs = add_client(&app, &stranger, json!({"first_name": "Their", "last_name": "Client"})).await;
        let owner_web = logged_in(&app, &owner).await;
        owner_web.get(&format!("/app/clients/{theirs}")).await.expect(StatusCode::NOT_FOUND);
        owner_web.get(&format!("/app/clients/{theirs}/export.json")).await.expect(StatusCode::NOT_FOUND);
        owner_web.get("/app/clients").await;
        owner_web.post(&format!("/app/clients/{theirs}/notes"), &[("body", "x")]).await.expect(StatusCode::NOT_FOUND);
        owner_web.get("/app/clients/not-a-uuid").await.expect(StatusCode::NOT_FOUND);
        // CSV export for the owner, with the filters.
        let r = owner_web.client.get(format!("{}/app/clients/export.csv?q=mine", app.url(""))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let csv = r.text().await.unwrap();
        assert!(csv.contains("Mine") && !csv.contains("Other"));
    }
}

on_both_databases! {
    async fn a_nul_character_in_a_page_search_is_refused_on_the_page(app) {
        let owner = app.signup("Studio").await;
        let web = logged_in(&app, &owner).await;
        for path in ["/app/clients?q=a%00", "/app/clients?tag=%00", "/app/users?q=%00", "/app/clients/export.csv?q=a%00"] {
            web.get(path).await.expect(StatusCode::UNPROCESSABLE_ENTITY).expect_text("NUL");
        }
        web.get("/app/clients?q=a").await.expect(StatusCode::OK);
    }
}
