//! The audit trail: what is recorded for each action (and what never is), who may read it, filters and
//! pagination, and the hash chain — verified intact, broken by tampering, and gap-free under
//! concurrent writers.

use std::collections::BTreeMap;
use std::time::Duration;

use fitnesscrm::audit::{self, AuditContext, BreakKind, Event};
use fitnesscrm::db::entities::audit_events;
use fitnesscrm::organizations::OrgId;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Account, PASSWORD, TestApp, expect_problem, expect_status};
use crate::on_both_databases;

/// Sends a JSON request with an `X-Request-Id`.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    request_id: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = app
        .request(method, path, token)
        .header("x-request-id", request_id);
    if let Some(body) = body {
        r = r.json(&body);
    }
    r.send().await.unwrap()
}

/// Every event the API lists for `token`'s organization with the extra `query`, oldest first.
async fn listed(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page = expect_status(
        app.get(
            &format!("/api/v1/audit-events?sort=seq&limit=200{query}"),
            Some(token),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(page["next_cursor"].is_null(), "more than one page: {page}");
    page["items"].as_array().unwrap().clone()
}

/// Waits until the organization has an event with `action` (for `auth.login_failed`, which is
/// written off the response's path).
async fn wait_for_action(app: &TestApp, token: &str, action: &str, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let found = listed(app, token, &format!("&action={action}")).await;
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {action} event appeared");
}

/// Every stored row of every organization, in chain order.
async fn stored(app: &TestApp) -> Vec<audit_events::Model> {
    audit_events::Entity::find()
        .order_by_asc(audit_events::Column::OrganizationId)
        .order_by_asc(audit_events::Column::Seq)
        .all(app.db.conn())
        .await
        .unwrap()
}

fn org_of(account: &Account) -> OrgId {
    OrgId(account.org_id.parse().unwrap())
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

on_both_databases! {
    async fn every_audited_action_is_recorded_with_its_actor_role_source_and_request_id(app) {
        let owner_email = "olivia.owner@example.com";
        let r = send(&app, Method::POST, "/api/v1/auth/signup", None, "req-signup", Some(json!({
            "organization_name": "Secret Studio Name", "name": "Olivia Owner",
            "email": owner_email, "password": PASSWORD,
        }))).await;
        let signed_up = expect_status(r, StatusCode::CREATED).await;
        let owner_token = signed_up["token"].as_str().unwrap().to_owned();
        let owner_id = signed_up["user"]["id"].as_str().unwrap().to_owned();
        let org_id = signed_up["organization"]["id"].as_str().unwrap().to_owned();

        let r = send(&app, Method::POST, "/api/v1/auth/login", None, "req-login",
            Some(json!({"email": owner_email, "password": PASSWORD}))).await;
        let login_token = expect_status(r, StatusCode::OK).await["token"].as_str().unwrap().to_owned();
        let r = send(&app, Method::POST, "/api/v1/auth/login", None, "req-failed",
            Some(json!({"email": owner_email, "password": "a wrong passphrase"}))).await;
        expect_problem(r, StatusCode::UNAUTHORIZED).await;
        let r = send(&app, Method::POST, "/api/v1/auth/login", None, "req-unknown",
            Some(json!({"email": "nobody.here@example.com", "password": "a wrong passphrase"}))).await;
        expect_problem(r, StatusCode::UNAUTHORIZED).await;

        let r = send(&app, Method::POST, "/api/v1/users", Some(&owner_token), "req-create", Some(json!({
            "name": "Tessa Trainer", "email": "tessa.trainer@example.com", "role": "trainer", "password": PASSWORD,
        }))).await;
        let trainer_id = expect_status(r, StatusCode::CREATED).await["id"].as_str().unwrap().to_owned();
        let trainer_path = format!("/api/v1/users/{trainer_id}");
        let r = send(&app, Method::PATCH, &trainer_path, Some(&owner_token), "req-update", Some(json!({
            "name": "Tessa Renamed", "role": "staff", "password": "another secret passphrase", "active": true,
        }))).await;
        expect_status(r, StatusCode::OK).await;
        let r = send(&app, Method::DELETE, &trainer_path, Some(&owner_token), "req-delete", None).await;
        expect_status(r, StatusCode::NO_CONTENT).await;

        let r = send(&app, Method::POST, "/api/v1/api-keys", Some(&owner_token), "req-key-create",
            Some(json!({"name": "Zapier Integration", "role": "admin"}))).await;
        let key = expect_status(r, StatusCode::CREATED).await;
        let key_id = key["id"].as_str().unwrap().to_owned();
        let secret = key["secret"].as_str().unwrap().to_owned();
        let r = send(&app, Method::GET, "/api/v1/me", Some(&secret), "req-key-use", None).await;
        expect_status(r, StatusCode::OK).await;
        let r = send(&app, Method::GET, "/api/v1/me", Some(&secret), "req-key-use-again", None).await;
        expect_status(r, StatusCode::OK).await;
        let r = send(&app, Method::DELETE, &format!("/api/v1/api-keys/{key_id}"), Some(&owner_token), "req-key-revoke", None).await;
        expect_status(r, StatusCode::NO_CONTENT).await;
        let r = send(&app, Method::POST, "/api/v1/auth/logout", Some(&login_token), "req-logout", Some(json!({}))).await;
        expect_status(r, StatusCode::NO_CONTENT).await;

        wait_for_action(&app, &owner_token, "auth.login_failed", 1).await;
        let events = listed(&app, &owner_token, "").await;
        let mut by_request: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for e in &events {
            assert_eq!(e["source"], "api", "{e}");
            assert_eq!(e["ip"], "127.0.0.1", "{e}");
            by_request.entry(e["request_id"].as_str().unwrap().to_owned()).or_default().push(e.clone());
        }
        let one = |rid: &str| -> Value {
            let found = by_request.get(rid).unwrap_or_else(|| panic!("no event for {rid}: {events:#?}"));
            assert_eq!(found.len(), 1, "{rid}: {found:#?}");
            found[0].clone()
        };
        let check = |e: &Value, action: &str, entity_type: &str, entity_id: &str, actor: (&str, Option<&str>, Option<&str>), fields: &[&str]| {
            assert_eq!(e["action"], action, "{e}");
            assert_eq!(e["entity_type"], entity_type, "{e}");
            assert_eq!(e["entity_id"], entity_id, "{e}");
            assert_eq!(e["actor_kind"], actor.0, "{e}");
            assert_eq!(e["actor_id"].as_str(), actor.1, "{e}");
            assert_eq!(e["actor_role"].as_str(), actor.2, "{e}");
            assert_eq!(strings(&e["changed_fields"]), fields, "{e}");
            assert!(e["subject_client_id"].is_null(), "{e}");
        };
        let as_owner = ("user", Some(owner_id.as_str()), Some("owner"));

        let signup = by_request.get("req-signup").unwrap();
        assert_eq!(signup.len(), 2, "{signup:#?}");
        check(&signup[0], "organization.created", "organization", &org_id, as_owner,
            &["currency", "locale", "name", "slug", "timezone"]);
        check(&signup[1], "user.created", "user", &owner_id, as_owner,
            &["active", "email", "name", "password", "role"]);
        assert_eq!(signup[0]["seq"], 1);
        check(&one("req-login"), "auth.login", "user", &owner_id, as_owner, &[]);
        check(&one("req-failed"), "auth.login_failed", "user", &owner_id, ("anonymous", None, None), &[]);
        assert!(!by_request.contains_key("req-unknown"), "an unknown email belongs to no organization");
        check(&one("req-create"), "user.created", "user", &trainer_id, as_owner,
            &["active", "email", "name", "password", "role"]);
        let update = by_request.get("req-update").unwrap();
        assert_eq!(update.len(), 2, "{update:#?}");
        check(&update[0], "user.updated", "user", &trainer_id, as_owner, &["name", "password", "role"]);
        check(&update[1], "user.role_changed", "user", &trainer_id, as_owner, &["role"]);
        check(&one("req-delete"), "user.deleted", "user", &trainer_id, as_owner, &[]);
        check(&one("req-key-create"), "api_key.created", "api_key", &key_id, as_owner, &["name", "role"]);
        check(&one("req-key-use"), "api_key.used", "api_key", &key_id, ("api_key", Some(key_id.as_str()), Some("admin")), &[]);
        assert!(!by_request.contains_key("req-key-use-again"), "a use is recorded at most once a minute");
        check(&one("req-key-revoke"), "api_key.revoked", "api_key", &key_id, as_owner, &[]);
        check(&one("req-logout"), "auth.logout", "user", &owner_id, as_owner, &[]);
        assert_eq!(events.len(), 12, "{events:#?}");

        // Nothing personal in any stored column of any row: no email, name, password, token or secret.
        let rows = stored(&app).await;
        assert_eq!(rows.len(), 12);
        for row in &rows {
            let text = format!("{row:?}");
            for personal in [owner_email, "tessa.trainer@example.com", "nobody.here@example.com",
                             "Olivia", "Tessa", "Renamed", "Secret Studio", "Zapier",
                             PASSWORD, "a wrong passphrase", "another secret passphrase",
                             &owner_token, &login_token, &secret, "fcrm_"] {
                assert!(!text.contains(personal), "{personal:?} is stored in {text}");
            }
        }
        let reports = audit::verify(app.db.conn(), None).await.unwrap();
        assert_eq!(reports.len(), 1);
        assert!(reports[0].is_intact(), "{}", reports[0]);
        assert_eq!(reports[0].events, 12);
    }
}

on_both_databases! {
    async fn a_change_that_fails_records_nothing(app) {
        let owner = app.signup("Studio").await;
        let staff = app.add_user(&owner, "staff").await;
        let before = stored(&app).await.len();
        let path = format!("/api/v1/users/{}", staff.user_id);
        // A stale version (412), a taken email (409), the last owner (409), a forbidden role (403).
        let r = app.request(Method::PATCH, &path, Some(&owner.token)).header("if-match", "99").json(&json!({"name": "X"})).send().await.unwrap();
        expect_problem(r, StatusCode::PRECONDITION_FAILED).await;
        let r = app.patch(&path, Some(&owner.token), &json!({"email": owner.email})).await;
        expect_problem(r, StatusCode::CONFLICT).await;
        let r = app.delete(&format!("/api/v1/users/{}", owner.user_id), Some(&owner.token)).await;
        expect_problem(r, StatusCode::CONFLICT).await;
        let r = app.patch(&path, Some(&staff.token), &json!({"role": "owner"})).await;
        expect_problem(r, StatusCode::FORBIDDEN).await;
        assert_eq!(stored(&app).await.len(), before, "a rolled-back change leaves no event");
    }
}

on_both_databases! {
    async fn field_names_that_look_like_values_are_refused_and_nothing_is_written(app) {
        let owner = app.signup("Studio").await;
        let before = stored(&app).await.len();
        let ctx = AuditContext::system(org_of(&owner));
        for fields in [vec!["anna@example.com"], vec!["Anna Smith"], vec!["name", "x y"]] {
            let txn = app.db.begin_write().await.unwrap();
            let result = audit::record(&txn, &ctx,
                Event::new("user.updated", "user", None).with_fields(fields.clone())).await;
            let err = result.expect_err("a value is not a field name");
            assert!(!format!("{err:?}").contains("anna"), "the error does not echo the value: {err:?}");
            txn.rollback().await.unwrap();
        }
        let txn = app.db.begin_write().await.unwrap();
        assert!(audit::record(&txn, &ctx, Event::new("Has Spaces", "user", None)).await.is_err());
        txn.rollback().await.unwrap();
        assert_eq!(stored(&app).await.len(), before);
    }
}

on_both_databases! {
    async fn only_owners_and_admins_can_list_audit_events(app) {
        let owner = app.signup("Studio").await;
        expect_status(app.get("/api/v1/audit-events", Some(&owner.token)).await, StatusCode::OK).await;
        for (role, allowed) in [("owner", true), ("admin", true), ("staff", false), ("trainer", false), ("client", false)] {
            let account = app.add_user(&owner, role).await;
            let r = app.get("/api/v1/audit-events", Some(&account.token)).await;
            if allowed {
                let page = expect_status(r, StatusCode::OK).await;
                assert!(!page["items"].as_array().unwrap().is_empty(), "{role}");
            } else {
                expect_problem(r, StatusCode::FORBIDDEN).await;
            }
            let key = expect_status(
                app.post("/api/v1/api-keys", Some(&owner.token), &json!({"name": format!("{role} key"), "role": role})).await,
                StatusCode::CREATED,
            ).await;
            let r = app.get("/api/v1/audit-events", Some(key["secret"].as_str().unwrap())).await;
            if allowed {
                expect_status(r, StatusCode::OK).await;
            } else {
                expect_problem(r, StatusCode::FORBIDDEN).await;
            }
        }
        expect_problem(app.get("/api/v1/audit-events", None).await, StatusCode::UNAUTHORIZED).await;
    }
}

on_both_databases! {
    async fn another_organizations_events_are_invisible(app) {
        let a = app.signup("Alpha Gym").await;
        let b = app.signup("Beta Studio").await;
        let b_staff = app.add_user(&b, "staff").await;
        let a_events = listed(&app, &a.token, "").await;
        assert!(!a_events.is_empty());
        for e in &a_events {
            assert_ne!(e["actor_id"], b.user_id.as_str(), "{e}");
            assert_ne!(e["entity_id"], b_staff.user_id.as_str(), "{e}");
            assert_ne!(e["entity_id"], b.org_id.as_str(), "{e}");
        }
        assert!(listed(&app, &a.token, &format!("&entity_id={}", b_staff.user_id)).await.is_empty());
        assert!(listed(&app, &a.token, &format!("&actor_id={}", b.user_id)).await.is_empty());
        // Each organization has a chain of its own, starting at seq 1.
        let b_events = listed(&app, &b.token, "").await;
        assert_eq!(b_events[0]["seq"], 1);
        assert_eq!(a_events[0]["seq"], 1);
        let page = expect_status(app.get("/api/v1/audit-events?include_total=true", Some(&a.token)).await, StatusCode::OK).await;
        assert_eq!(page["total"].as_u64().unwrap() as usize, a_events.len());
    }
}

on_both_databases! {
    async fn filters_and_pagination_find_every_matching_event_once(app) {
        let owner = app.signup("Studio").await;
        let admin = app.add_user(&owner, "admin").await;
        let mut created = Vec::new();
        for i in 0..5 {
            let r = app.post("/api/v1/users", Some(&admin.token), &json!({"name": format!("Client {i}"), "email": format!("client{i}@example.com"), "role": "client", "password": PASSWORD})).await;
            created.push(expect_status(r, StatusCode::CREATED).await["id"].as_str().unwrap().to_owned());
        }
        let target = &created[2];
        expect_status(app.patch(&format!("/api/v1/users/{target}"), Some(&admin.token), &json!({"name": "Renamed"})).await, StatusCode::OK).await;
        // An event about a client (person), as the client features will record them.
        let subject = Uuid::now_v7();
        let txn = app.db.begin_write().await.unwrap();
        audit::record(&txn, &AuditContext::system(org_of(&owner)), Event {
            action: "client.created", entity_type: "client", entity_id: Some(subject),
            changed_fields: vec!["name".into()], subject_client_id: Some(subject),
        }).await.unwrap();
        txn.commit().await.unwrap();

        let about_target = listed(&app, &owner.token, &format!("&entity_type=user&entity_id={target}")).await;
        let actions: Vec<&str> = about_target.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["user.created", "user.updated"]);
        let by_admin = listed(&app, &owner.token, &format!("&actor_id={}", admin.user_id)).await;
        assert_eq!(by_admin.len(), 6 + 1, "five creations, one update and the admin's own login");
        assert!(by_admin.iter().all(|e| e["actor_id"] == admin.user_id.as_str()));
        let creations = listed(&app, &owner.token, "&action=user.created&entity_type=user").await;
        assert_eq!(creations.len(), 1 + 1 + 5, "the owner, the admin and five clients");
        let about_client = listed(&app, &owner.token, &format!("&subject_client_id={subject}")).await;
        assert_eq!(about_client.len(), 1);
        assert_eq!(about_client[0]["action"], "client.created");
        assert_eq!(about_client[0]["source"], "system");
        assert_eq!(about_client[0]["actor_kind"], "system");
        assert!(listed(&app, &owner.token, "&entity_type=nothing").await.is_empty());

        // Newest first by default, page by page, every event once.
        let all = listed(&app, &owner.token, "").await;
        let mut seqs = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = "/api/v1/audit-events?limit=4&include_total=true".to_owned();
            if let Some(c) = &cursor { path.push_str(&format!("&cursor={c}")); }
            let page = expect_status(app.get(&path, Some(&owner.token)).await, StatusCode::OK).await;
            assert_eq!(page["total"].as_u64().unwrap() as usize, all.len());
            seqs.extend(page["items"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()));
            match page["next_cursor"].as_str() { Some(c) => cursor = Some(c.to_owned()), None => break }
        }
        let expected: Vec<i64> = (1..=all.len() as i64).rev().collect();
        assert_eq!(seqs, expected);
        // Events written meanwhile do not shift a page: the cursor is a position in the chain.
        let first = expect_status(app.get("/api/v1/audit-events?sort=seq&limit=3", Some(&owner.token)).await, StatusCode::OK).await;
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        app.add_user(&owner, "staff").await;
        let next = expect_status(app.get(&format!("/api/v1/audit-events?sort=seq&limit=3&cursor={cursor}"), Some(&owner.token)).await, StatusCode::OK).await;
        assert_eq!(next["items"][0]["seq"], 4);

        for (query, param) in [("entity_id=not-a-uuid", "entity_id"), ("actor_id=42", "actor_id"),
                               ("subject_client_id=x", "subject_client_id"), ("action=User%20Created", "action"),
                               ("entity_type=a%40b.c", "entity_type"), ("limit=0", "limit"), ("limit=201", "limit"),
                               ("sort=action", "sort"), ("cursor=garbage", "cursor"), ("colour=red", "colour"),
                               ("include_total=maybe", "include_total")] {
            let p = expect_problem(app.get(&format!("/api/v1/audit-events?{query}"), Some(&owner.token)).await, StatusCode::BAD_REQUEST).await;
            assert!(p["errors"][param].is_array(), "{query}: {p}");
        }
        // A cursor belongs to its sort order.
        let p = expect_problem(app.get(&format!("/api/v1/audit-events?sort=-seq&cursor={cursor}"), Some(&owner.token)).await, StatusCode::BAD_REQUEST).await;
        assert!(p["errors"]["cursor"].is_array(), "{p}");
    }
}

on_both_databases! {
    async fn verify_passes_on_an_untouched_chain_and_names_a_modified_event(app) {
        let a = app.signup("Alpha").await;
        let b = app.signup("Beta").await;
        for _ in 0..3 { app.add_user(&a, "staff").await; }
        let reports = audit::verify(app.db.conn(), None).await.unwrap();
        assert_eq!(reports.len(), 2);
        assert!(reports.iter().all(|r| r.is_intact()), "{reports:?}");
        let a_report = audit::verify(app.db.conn(), Some(org_of(&a))).await.unwrap();
        assert_eq!(a_report.len(), 1);
        assert_eq!(a_report[0].events, 2 + 3 * 2, "sign-up, then a creation and a login per account");

        audit_events::Entity::update_many()
            .col_expr(audit_events::Column::Action, sea_orm::sea_query::Expr::value("user.deleted"))
            .filter(audit_events::Column::OrganizationId.eq(Uuid::parse_str(&a.org_id).unwrap()))
            .filter(audit_events::Column::Seq.eq(4))
            .exec(app.db.conn()).await.unwrap();
        let reports = audit::verify(app.db.conn(), None).await.unwrap();
        let a_report = reports.iter().find(|r| r.org == org_of(&a)).unwrap();
        let broken = a_report.broken.as_ref().expect("the modification is found");
        assert_eq!((broken.seq, &broken.problem), (4, &BreakKind::Modified));
        assert_eq!(a_report.events, 3, "the events before the break are intact");
        assert!(a_report.to_string().contains("BROKEN at seq 4"), "{a_report}");
        let b_report = reports.iter().find(|r| r.org == org_of(&b)).unwrap();
        assert!(b_report.is_intact(), "another organization's chain is unaffected: {b_report}");
    }
}

on_both_databases! {
    async fn verify_names_a_deleted_event_and_an_inserted_one(app) {
        let owner = app.signup("Studio").await;
        for _ in 0..2 { app.add_user(&owner, "staff").await; }
        let org = Uuid::parse_str(&owner.org_id).unwrap();
        let rows = stored(&app).await;
        assert_eq!(rows.len(), 6);

        // An event appended behind the application's back, with a made-up hash.
        let mut forged = rows[5].clone();
        forged.id = Uuid::now_v7();
        forged.seq = 7;
        forged.prev_hash = rows[5].hash.clone();
        forged.hash = "f".repeat(64);
        forged.action = "user.created".into();
        use sea_orm::{ActiveModelTrait, IntoActiveModel};
        audit_events::Entity::insert(forged.into_active_model().reset_all())
            .exec_without_returning(app.db.conn()).await.unwrap();
        let report = &audit::verify(app.db.conn(), None).await.unwrap()[0];
        assert_eq!(report.broken.as_ref().map(|b| (b.seq, b.problem.clone())), Some((7, BreakKind::Modified)), "{report}");

        // An event in the middle deleted.
        audit_events::Entity::delete_many()
            .filter(audit_events::Column::OrganizationId.eq(org))
            .filter(audit_events::Column::Seq.eq(3))
            .exec(app.db.conn()).await.unwrap();
        let report = &audit::verify(app.db.conn(), None).await.unwrap()[0];
        assert_eq!(report.broken.as_ref().map(|b| (b.seq, b.problem.clone())), Some((3, BreakKind::Missing { next: 4 })), "{report}");
        assert!(report.to_string().contains("BROKEN at seq 3"), "{report}");

        // Re-numbering to close the gap breaks the link instead.
        app.execute("UPDATE audit_events SET seq = seq - 1 WHERE seq > 3").await;
        let report = &audit::verify(app.db.conn(), None).await.unwrap()[0];
        assert_eq!(report.broken.as_ref().map(|b| (b.seq, b.problem.clone())), Some((3, BreakKind::Unlinked)), "{report}");
    }
}

on_both_databases! {
    async fn the_audit_verify_command_exits_non_zero_on_tampering(app) {
        let owner = app.signup("Studio").await;
        app.add_user(&owner, "staff").await;
        let url = app.database_url.clone();
        let verify = move |args: Vec<String>| {
            let url = url.clone();
            tokio::task::spawn_blocking(move || {
                let mut argv = vec!["audit".to_owned(), "verify".to_owned()];
                argv.extend(args);
                let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
                crate::cli::run(&[("DATABASE_URL", url.as_str()), ("FITNESSCRM_LOG_LEVEL", "warn"), ("FITNESSCRM_DATA_KEYS", crate::helpers::TEST_DATA_KEY)], &argv, None)
            })
        };
        let (code, out, err) = verify(vec![]).await.unwrap();
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains(&format!("organization {}: intact, 4 events, head ", owner.org_id)), "{out}");
        let (code, out, err) = verify(vec!["--organization".into(), owner.org_id.clone()]).await.unwrap();
        assert_eq!(code, 0, "{out}{err}");
        let (code, _, err) = verify(vec!["--organization".into(), Uuid::now_v7().to_string()]).await.unwrap();
        assert_ne!(code, 0);
        assert!(err.contains("no such organization"), "{err}");

        app.execute("UPDATE audit_events SET changed_fields = '[]' WHERE seq = 2").await;
        let (code, out, err) = verify(vec![]).await.unwrap();
        assert_ne!(code, 0, "{out}{err}");
        assert!(out.contains("BROKEN at seq 2"), "{out}");
        assert!(err.contains(&format!("organization {} at seq 2", owner.org_id)), "{err}");
    }
}

on_both_databases! {
    async fn the_shell_and_the_seed_record_their_changes_as_the_system(app) {
        let url = app.database_url.clone();
        let run = move |args: &'static [&'static str], stdin: Option<&'static str>| {
            let url = url.clone();
            tokio::task::spawn_blocking(move || {
                crate::cli::run(&[("DATABASE_URL", url.as_str()), ("FITNESSCRM_LOG_LEVEL", "warn"), ("FITNESSCRM_DATA_KEYS", crate::helpers::TEST_DATA_KEY)], args, stdin)
            })
        };
        let (code, _, err) = run(&["user", "create-owner", "--organization", "Shell Gym", "--name", "Sam Shell",
                                   "--email", "sam.shell@example.com", "--password-stdin"], Some("first passphrase 1\n")).await.unwrap();
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = run(&["user", "reset-password", "--email", "sam.shell@example.com"], None).await.unwrap();
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = run(&["seed", "--demo"], None).await.unwrap();
        assert_eq!(code, 0, "{err}");

        let rows = stored(&app).await;
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(actions.iter().filter(|a| **a == "organization.created").count(), 2, "{actions:?}");
        assert_eq!(actions.iter().filter(|a| **a == "user.created").count(), 1 + 5, "{actions:?}");
        let reset: Vec<_> = rows.iter().filter(|r| r.action == "user.updated").collect();
        assert_eq!(reset.len(), 1);
        assert_eq!(reset[0].changed_fields, r#"["password"]"#);
        for row in &rows {
            assert_eq!((row.source.as_str(), row.actor_kind.as_str()), ("system", "system"), "{row:?}");
            assert_eq!((row.actor_id, &row.actor_role, &row.request_id, &row.ip), (None, &None, &None, &None), "{row:?}");
            let text = format!("{row:?}");
            assert!(!text.contains("sam.shell") && !text.contains("Sam Shell") && !text.contains("Northside"), "{text}");
        }
        let reports = audit::verify(app.db.conn(), None).await.unwrap();
        assert!(reports.iter().all(|r| r.is_intact()), "{reports:?}");
    }
}

on_both_databases! {
    async fn concurrent_writers_in_one_organization_leave_a_gap_free_valid_chain(app) {
        let owner = app.signup("Busy Gym").await;
        let other = app.signup("Quiet Studio").await;
        let post = |token: &str, path: &str, body: Value| {
            app.request(Method::POST, path, Some(token)).json(&body).send()
        };
        let users: Vec<_> = (0..20)
            .map(|i| {
                let by = if i % 4 == 3 { &other } else { &owner };
                post(&by.token, "/api/v1/users", json!({
                    "name": format!("Member {i}"), "email": format!("member{i}@example.com"),
                    "role": "client", "password": PASSWORD,
                }))
            })
            .collect();
        // API keys created at the same time join the same chain.
        let keys: Vec<_> = (0..5)
            .map(|i| post(&owner.token, "/api/v1/api-keys", json!({"name": format!("k{i}"), "role": "staff"})))
            .collect();
        let (users, keys) = tokio::join!(
            futures_util::future::join_all(users),
            futures_util::future::join_all(keys)
        );
        for r in users.into_iter().chain(keys) {
            let r = r.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
        }
        let reports = audit::verify(app.db.conn(), None).await.unwrap();
        for report in &reports {
            assert!(report.is_intact(), "{report}");
        }
        let busy = reports.iter().find(|r| r.org == org_of(&owner)).unwrap();
        assert_eq!(busy.events, 2 + 15 + 5);
        let quiet = reports.iter().find(|r| r.org == org_of(&other)).unwrap();
        assert_eq!(quiet.events, 2 + 5);
        let seqs: Vec<i64> = stored(&app).await.into_iter().filter(|r| OrgId(r.organization_id) == org_of(&owner)).map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=22).collect::<Vec<_>>());
    }
}

on_both_databases! {
    async fn an_api_key_use_is_recorded_once_a_minute_even_under_concurrent_requests(app) {
        let owner = app.signup("Studio").await;
        let key = expect_status(app.post("/api/v1/api-keys", Some(&owner.token), &json!({"name": "k", "role": "staff"})).await, StatusCode::CREATED).await;
        let secret = key["secret"].as_str().unwrap();
        let uses = || futures_util::future::join_all((0..10).map(|_| app.get("/api/v1/me", Some(secret))));
        for r in uses().await { assert_eq!(r.status(), StatusCode::OK); }
        assert_eq!(listed(&app, &owner.token, "&action=api_key.used").await.len(), 1);
        // A minute later (as far as the key knows), the next burst is recorded once more.
        let long_ago = match app.backend {
            crate::helpers::Backend::Sqlite => "UPDATE api_keys SET last_used_at = '2020-01-01T00:00:00+00:00'",
            crate::helpers::Backend::Postgres => "UPDATE api_keys SET last_used_at = '2020-01-01T00:00:00Z'",
        };
        app.execute(long_ago).await;
        // The credential cache trusts a hand edit of the table only after its lifetime; tell it, as
        // the product's own changes do.
        let key_id = Uuid::parse_str(key["id"].as_str().unwrap()).unwrap();
        app.db.changed(fitnesscrm::db::changes::Change::ApiKey(key_id));
        for r in uses().await { assert_eq!(r.status(), StatusCode::OK); }
        let used = listed(&app, &owner.token, "&action=api_key.used").await;
        assert_eq!(used.len(), 2);
        assert!(used.iter().all(|e| e["actor_id"] == key["id"] && e["actor_role"] == "staff"));
    }
}
