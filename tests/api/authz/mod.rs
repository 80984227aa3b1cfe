//! The authorization matrix: every operation of the API (from the served OpenAPI document, which the
//! route table generates) and every page route (from the page routers' source), for every role, on
//! records in each relation to the caller — own, another client of the organization, another
//! trainer's client, another organization's — must come to exactly its declared outcome. An
//! operation or page without a declared rule fails the test.
//!
//! `AUTHZ_SHOW=1` prints every cell's outcome (for reviewing a rule).

mod pages;
mod rules;
mod world;

use fitnesscrm::auth::Role;
use fitnesscrm::limits::Rule;
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, expect_status};
use crate::on_both_databases;
use rules::{EXEMPT, LAST, Out};
use world::{Rel, World};

/// The roles, least powerful first: nothing a weaker role is allowed takes a stronger one's records.
pub const ROLES: [Role; 5] = [
    Role::Client,
    Role::Trainer,
    Role::Staff,
    Role::Admin,
    Role::Owner,
];

/// What a response came to.
fn outcome(status: StatusCode) -> Result<Out, StatusCode> {
    match status.as_u16() {
        200..=299 => Ok(Out::Ok),
        403 => Ok(Out::Forbidden),
        404 => Ok(Out::NotFound),
        422 => Ok(Out::Invalid),
        409 => Ok(Out::Conflict),
        _ => Err(status),
    }
}

/// Every `METHOD path` of the served OpenAPI document.
async fn operations(app: &TestApp) -> Vec<String> {
    let doc = expect_status(app.get("/api/openapi.json", None).await, StatusCode::OK).await;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    // The ones that end the caller's session or password last.
    ops.sort_by_key(|op| LAST.iter().position(|l| l == op));
    ops
}

async fn api_matrix(app: &TestApp, world: &World, failures: &mut Vec<String>) -> usize {
    let show = std::env::var("AUTHZ_SHOW").is_ok();
    let ops = operations(app).await;
    for (declared, _) in rules::API_MATRIX {
        if !ops.iter().any(|op| op == declared) {
            failures.push(format!(
                "API_MATRIX declares {declared}, which the API does not have"
            ));
        }
    }
    let mut cells = 0;
    for op in ops {
        if EXEMPT.iter().any(|(e, _)| *e == op) {
            continue;
        }
        let Some(spec) = rules::spec(&op) else {
            failures.push(format!(
                "{op}: no authorization rule declared (tests/api/authz/rules.rs)"
            ));
            continue;
        };
        let row = rules::API_MATRIX
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, row)| *row);
        let (method, path) = op.split_once(' ').expect("METHOD path");
        let method: Method = method.parse().expect("method");
        let mut line = format!("{op:<62}");
        for role in ROLES {
            line.push_str(&format!(" | {}:", role.as_str()));
            for (index, rel) in spec.rels.list().into_iter().enumerate() {
                let kinds: Vec<_> = spec
                    .params
                    .iter()
                    .map(|(_, k)| *k)
                    .chain(spec.body_kinds.iter().copied())
                    .collect();
                let recs = match rel {
                    Some(rel) => world.make(app, role, rel, &kinds).await,
                    None => Default::default(),
                };
                let mut url = path.to_owned();
                for (param, kind) in spec.params {
                    let hole = format!("{{{param}}}");
                    if url.contains(&hole) {
                        url = url.replace(&hole, &recs[kind]);
                    } else {
                        let sep = if url.contains('?') { '&' } else { '?' };
                        url = format!("{url}{sep}{param}={}", recs[kind]);
                    }
                }
                let n = world.next();
                // What ends the caller's sessions or changes its password runs on a login of its own.
                let token = if LAST.contains(&op.as_str()) {
                    app.login(&world.account(role).email, crate::helpers::PASSWORD)
                        .await
                } else {
                    world.token(role)
                };
                let mut req = app.request(method.clone(), &url, Some(&token));
                if op == "POST /api/v1/clients/import" {
                    req = req
                        .header("content-type", "text/csv")
                        .body(format!("First name,Last name\nIda,Matrix{n}\n"));
                } else if let Some(body) = rules::body(&op, &recs, n) {
                    req = req.json(&body);
                }
                let status = req.send().await.expect("request").status();
                if method != Method::GET && status.is_success() && !LAST.contains(&op.as_str()) {
                    world.revive(app).await;
                }
                let want = row.and_then(|row| rules::expected(row, role, index));
                let got = outcome(status);
                cells += 1;
                let at = rel.map_or("-", Rel::short);
                line.push_str(&format!(
                    " {at}={}",
                    got.map_or(status.as_u16().to_string(), |o| format!("{o:?}"))
                ));
                match want {
                    Some(want) if got == Ok(want) => {}
                    Some(want) => failures.push(format!(
                        "{op} as {role} on {at}: {status}, expected {want:?}"
                    )),
                    None => failures.push(format!(
                        "{op} as {role} on {at}: no outcome declared in API_MATRIX"
                    )),
                }
            }
        }
        if show {
            println!("{line}");
        }
    }
    cells
}

on_both_databases! {
    // Dozens of logins and password changes from one address: the auth rate limit is not under test.
    config = |c| c.rate_limit_auth = Rule::OFF;
    async fn every_role_gets_exactly_its_declared_outcome_on_every_api_operation(app) {
        let world = World::new(&app).await;
        let mut failures = Vec::new();
        let cells = api_matrix(&app, &world, &mut failures).await;
        println!("authorization matrix: {cells} API cells");
        assert!(failures.is_empty(), "{} of {cells} cells wrong:\n{}\n", failures.len(), failures.join("\n"));
        assert!(cells > 800, "only {cells} API cells checked");
    }
}

on_both_databases! {
    config = |c| c.rate_limit_auth = Rule::OFF;
    async fn every_role_gets_exactly_its_declared_outcome_on_every_page(app) {
        let world = World::new(&app).await;
        let mut failures = Vec::new();
        let cells = pages::page_matrix(&app, &world, &mut failures).await;
        println!("authorization matrix: {cells} page cells");
        assert!(failures.is_empty(), "{} of {cells} cells wrong:\n{}\n", failures.len(), failures.join("\n"));
        assert!(cells > 800, "only {cells} page cells checked");
    }
}
