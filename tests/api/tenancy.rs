//! Two organizations, every endpoint: each sees and touches only its own data; the other's is a 404.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, expect_problem, expect_status};
use crate::on_both_databases;

/// How a path template gets its ids: the key of each `{id}` in the resources made in organization A,
/// or why the route is exempt from the check.
enum Rule {
    /// Every `{param}` → the name of one of A's resources in [`a_resources`].
    Ids(&'static [(&'static str, &'static str)]),
    /// Not tenant-scoped by id (a reason, for the reader).
    #[allow(dead_code)]
    Exempt(&'static str),
}

/// A body that passes validation, for the operations whose empty body does not: the tenancy check
/// must be what answers, not the body's own rules. Ids in the body are B's own (`own`): only the
/// path crosses the line.
fn valid_body(method: &Method, path: &str, own: &BTreeMap<&'static str, String>) -> Value {
    let ids = own;
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(3);
    match (method.as_str(), path) {
        ("POST", "/api/v1/classes/{id}/bookings") => json!({"client_id": ids["client"]}),
        ("POST", "/api/v1/clients/{id}/notes") => json!({"body": "Cross-tenant note"}),
        ("POST", "/api/v1/clients/{id}/trainers") => json!({"trainer_id": ids["trainer"]}),
        ("POST", "/api/v1/trainers/{id}/time-off") => {
            json!({"starts_at": format!("{day}T06:00:00Z"), "ends_at": format!("{day}T07:00:00Z")})
        }
        ("PUT", "/api/v1/trainers/{id}/working-hours") => json!({"hours": []}),
        _ => json!({}),
    }
}

/// Every path template of the API with a path parameter, and its tenancy rule. An operation of the
/// OpenAPI document whose path is missing here fails the test.
const RULES: &[(&str, Rule)] = &[
    ("/api/v1/users/{id}", Rule::Ids(&[("id", "user")])),
    ("/api/v1/api-keys/{id}", Rule::Ids(&[("id", "api_key")])),
    (
        "/api/v1/me/sessions/{id}",
        Rule::Ids(&[("id", "login_session")]),
    ),
    ("/api/v1/trainers/{id}", Rule::Ids(&[("id", "trainer")])),
    (
        "/api/v1/trainers/{id}/calendar-feed",
        Rule::Ids(&[("id", "trainer")]),
    ),
    (
        "/api/v1/trainers/{id}/working-hours",
        Rule::Ids(&[("id", "trainer")]),
    ),
    (
        "/api/v1/trainers/{id}/time-off",
        Rule::Ids(&[("id", "trainer")]),
    ),
    (
        "/api/v1/trainers/{id}/time-off/{time_off_id}",
        Rule::Ids(&[("id", "trainer"), ("time_off_id", "time_off")]),
    ),
    ("/api/v1/locations/{id}", Rule::Ids(&[("id", "location")])),
    (
        "/api/v1/locations/{id}/calendar-feed",
        Rule::Ids(&[("id", "location")]),
    ),
    ("/api/v1/clients/{id}", Rule::Ids(&[("id", "client")])),
    (
        "/api/v1/clients/{id}/attendance",
        Rule::Ids(&[("id", "client")]),
    ),
    (
        "/api/v1/clients/{id}/calendar-feed",
        Rule::Ids(&[("id", "client")]),
    ),
    ("/api/v1/clients/{id}/erase", Rule::Ids(&[("id", "client")])),
    (
        "/api/v1/clients/{id}/export",
        Rule::Ids(&[("id", "client")]),
    ),
    ("/api/v1/clients/{id}/notes", Rule::Ids(&[("id", "client")])),
    (
        "/api/v1/clients/{id}/timeline",
        Rule::Ids(&[("id", "client")]),
    ),
    (
        "/api/v1/clients/{id}/trainers",
        Rule::Ids(&[("id", "client")]),
    ),
    (
        "/api/v1/clients/{id}/trainers/{trainer_id}",
        Rule::Ids(&[("id", "client"), ("trainer_id", "trainer")]),
    ),
    ("/api/v1/imports/{id}", Rule::Ids(&[("id", "import")])),
    ("/api/v1/sessions/{id}", Rule::Ids(&[("id", "session")])),
    (
        "/api/v1/sessions/{id}/cancel",
        Rule::Ids(&[("id", "session")]),
    ),
    (
        "/api/v1/sessions/{id}/check-in",
        Rule::Ids(&[("id", "session")]),
    ),
    (
        "/api/v1/session-series/{id}",
        Rule::Ids(&[("id", "series")]),
    ),
    ("/api/v1/classes/{id}", Rule::Ids(&[("id", "class")])),
    ("/api/v1/classes/{id}/cancel", Rule::Ids(&[("id", "class")])),
    (
        "/api/v1/classes/{id}/bookings",
        Rule::Ids(&[("id", "class")]),
    ),
    (
        "/api/v1/classes/{id}/bookings/{booking_id}",
        Rule::Ids(&[("id", "class"), ("booking_id", "booking")]),
    ),
    (
        "/api/v1/classes/{id}/bookings/{booking_id}/check-in",
        Rule::Ids(&[("id", "class"), ("booking_id", "booking")]),
    ),
    (
        "/calendar/{file}",
        Rule::Exempt("a public feed addressed by its secret token, not by a tenant's id"),
    ),
];

/// The pages that show one record, with the resource their `{id}` names.
const PAGES: &[(&str, &str)] = &[
    ("/app/clients/{id}", "client"),
    ("/app/clients/{id}/export.json", "client"),
    ("/app/trainers/{id}", "trainer"),
    ("/app/sessions/{id}", "session"),
    ("/app/classes/{id}", "class"),
    ("/app/users/{id}", "user"),
];

/// One of each resource in organization A, by name.
async fn a_resources(app: &TestApp, a: &Account) -> BTreeMap<&'static str, String> {
    let tok = Some(a.token.as_str());
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let mut r = BTreeMap::new();
    let created = |v: reqwest::Response| expect_status(v, StatusCode::CREATED);
    r.insert("user", app.add_user(a, "staff").await.user_id);
    r.insert(
        "api_key",
        id(&created(
            app.post(
                "/api/v1/api-keys",
                tok,
                &json!({"name": "a", "role": "admin"}),
            )
            .await,
        )
        .await),
    );
    let trainer = id(&created(
        app.post(
            "/api/v1/trainers",
            tok,
            &json!({"first_name": "T", "last_name": "A"}),
        )
        .await,
    )
    .await);
    let client = id(&created(
        app.post(
            "/api/v1/clients",
            tok,
            &json!({"first_name": "C", "last_name": "A"}),
        )
        .await,
    )
    .await);
    r.insert(
        "location",
        id(&created(
            app.post(
                "/api/v1/locations",
                tok,
                &json!({"name": "Main hall", "timezone": "Europe/Berlin"}),
            )
            .await,
        )
        .await),
    );
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(2);
    let at = |h: u32| format!("{day}T{h:02}:00:00Z");
    r.insert(
        "time_off",
        id(&created(
            app.post(
                &format!("/api/v1/trainers/{trainer}/time-off"),
                tok,
                &json!({"starts_at": at(6), "ends_at": at(7)}),
            )
            .await,
        )
        .await),
    );
    r.insert("session", id(&created(app.post("/api/v1/sessions", tok, &json!({"trainer_id": trainer, "client_id": client, "starts_at": at(9), "ends_at": at(10)})).await).await));
    let series = created(app.post("/api/v1/session-series", tok, &json!({"trainer_id": trainer, "client_id": client,
        "first_starts_at": "2027-03-16T07:00:00", "duration_minutes": 60, "timezone": "Europe/Berlin", "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=2"})).await).await;
    r.insert(
        "series",
        series["series"]["id"].as_str().unwrap().to_owned(),
    );
    let class = id(&created(app.post("/api/v1/classes", tok, &json!({"name": "HIIT", "trainer_id": trainer, "starts_at": at(18), "ends_at": at(19), "capacity": 5, "waitlist_capacity": 0})).await).await);
    r.insert(
        "booking",
        id(&created(
            app.post(
                &format!("/api/v1/classes/{class}/bookings"),
                tok,
                &json!({"client_id": client}),
            )
            .await,
        )
        .await),
    );
    r.insert("class", class);
    let csv = "First name,Last name\nIda,Import\n";
    let import = app
        .request(Method::POST, "/api/v1/clients/import", tok)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    r.insert(
        "import",
        created(import).await["import_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    r.insert("trainer", trainer);
    r.insert("client", client);
    let sessions = expect_status(
        app.get("/api/v1/me/sessions", Some(&a.token)).await,
        StatusCode::OK,
    )
    .await;
    r.insert(
        "login_session",
        sessions["items"][0]["id"].as_str().unwrap().to_owned(),
    );
    r
}

on_both_databases! {
    async fn every_operation_with_an_id_is_a_404_for_another_organization(app) {
        let a = app.signup("Alpha Gym").await;
        let b = app.signup("Beta Studio").await;
        let ids = a_resources(&app, &a).await;
        let mut own = BTreeMap::new();
        for (name, body) in [("client", json!({"first_name": "C", "last_name": "B"})), ("trainer", json!({"first_name": "T", "last_name": "B"}))] {
            let made = expect_status(app.post(&format!("/api/v1/{name}s"), Some(&b.token), &body).await, StatusCode::CREATED).await;
            own.insert(name, made["id"].as_str().unwrap().to_owned());
        }
        let doc = expect_status(app.get("/api/openapi.json", None).await, StatusCode::OK).await;
        let mut failures = Vec::new();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if !path.contains('{') {
                continue;
            }
            let Some((_, rule)) = RULES.iter().find(|(p, _)| p == path) else {
                failures.push(format!("route {path} has no tenancy rule"));
                continue;
            };
            let Rule::Ids(params) = rule else { continue };
            let mut url = path.clone();
            for (param, resource) in params.iter() {
                url = url.replace(&format!("{{{param}}}"), &ids[resource]);
            }
            for method in item.as_object().unwrap().keys() {
                let Ok(m) = method.to_uppercase().parse::<Method>() else { continue };
                if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m.as_str()) {
                    continue;
                }
                let mut req = app.request(m.clone(), &url, Some(&b.token));
                if m != Method::GET && m != Method::DELETE {
                    req = req.json(&valid_body(&m, path, &own));
                }
                let status = req.send().await.unwrap().status();
                checked += 1;
                if status != StatusCode::NOT_FOUND {
                    failures.push(format!("{m} {path} as organization B with A's ids: {status}, not 404"));
                }
            }
        }
        // An API key of B is held to B's organization the same way.
        let b_key = expect_status(app.post("/api/v1/api-keys", Some(&b.token), &json!({"name": "b", "role": "admin"})).await, StatusCode::CREATED).await;
        let b_key = b_key["secret"].as_str().unwrap();
        for path in [format!("/api/v1/users/{}", ids["user"]), format!("/api/v1/clients/{}", ids["client"])] {
            let status = app.get(&path, Some(b_key)).await.status();
            if status != StatusCode::NOT_FOUND {
                failures.push(format!("GET {path} with B's API key: {status}, not 404"));
            }
        }
        // Pages: A's records are 404 to B's owner in the browser too.
        let web = crate::web::client::Web::new(&app);
        web.login(&b.email).await;
        for (page, resource) in PAGES {
            let url = page.replace("{id}", &ids[resource]);
            let status = web.get(&url).await.status;
            checked += 1;
            if status != StatusCode::NOT_FOUND {
                failures.push(format!("GET {page} as B's owner with A's ids: {status}, not 404"));
            }
        }
        assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
        assert!(checked > 40, "only {checked} operations checked");
        // Nothing was changed across the line: A still sees its resources.
        for path in ["/api/v1/clients/{client}", "/api/v1/trainers/{trainer}", "/api/v1/sessions/{session}", "/api/v1/users/{user}"] {
            let key = path.rsplit('{').next().unwrap().trim_end_matches('}');
            let url = path.replace(&format!("{{{key}}}"), &ids[key]);
            expect_status(app.get(&url, Some(&a.token)).await, StatusCode::OK).await;
        }
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
