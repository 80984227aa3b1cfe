//! The page half of the matrix: every route of the web UI, found in the page routers' source, for
//! every role in a browser session, on records in each relation.

use std::path::Path;

use reqwest::StatusCode;

use super::ROLES;
use super::rules::{Out, Rels, expected};
use super::world::{Kind, Rel, World};
use crate::helpers::TestApp;
use crate::web::client::Web;

/// Every `METHOD path` routed by a page router (`.route("path", get(..).post(..))` outside the API's
/// `routes.rs` files).
pub fn page_routes() -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("routes.rs") {
                routes_in(&std::fs::read_to_string(&path).expect("read"), &mut found);
            }
        }
    }
    found.sort();
    found
}

fn routes_in(text: &str, found: &mut Vec<String>) {
    let mut rest = text;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        // The arguments, up to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map_or(rest.len(), |(i, _)| i);
        let args = &rest[..end];
        let Some(path) = args.split('"').nth(1) else {
            continue;
        };
        for method in ["get", "post"] {
            let call = format!("{method}(");
            let routed = args.match_indices(&call).any(|(i, _)| {
                i == 0 || !args[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if routed {
                found.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
}

/// Page routes the matrix does not run, and why.
pub const EXEMPT: &[(&str, &str)] = &[
    ("GET /", "public"),
    ("GET /pricing", "public"),
    ("GET /signup", "public"),
    (
        "POST /signup",
        "public: creates an organization; tests/api/web/foundation.rs",
    ),
    ("GET /login", "public"),
    ("POST /login", "public; tests/api/web/foundation.rs"),
    (
        "POST /logout",
        "ends the caller's session; tests/api/web/foundation.rs",
    ),
    ("GET /assets/{file}", "public static files"),
    (
        "GET /book/{slug}",
        "public booking page of an organization, by its slug; tests/api/web/portal.rs",
    ),
    (
        "GET /book/{slug}/signup",
        "public portal sign-up; tests/api/web/portal.rs",
    ),
    (
        "POST /book/{slug}/signup",
        "public portal sign-up; tests/api/web/portal.rs",
    ),
    (
        "POST /account/sessions/end-all",
        "ends the caller's session; tests/api/web/admin.rs",
    ),
    ("GET /forgot", "public; tests/api/reset.rs"),
    (
        "POST /forgot",
        "public: the same answer for every email; tests/api/reset.rs",
    ),
    (
        "GET /reset/{token}",
        "public, addressed by a mailed single-use token; tests/api/reset.rs",
    ),
    (
        "POST /reset/{token}",
        "public, addressed by a mailed single-use token; tests/api/reset.rs",
    ),
];

/// What a page response came to: 2xx or a redirect elsewhere than the login page is `Ok`.
fn outcome(status: StatusCode, location: Option<&str>) -> Result<Out, String> {
    match status.as_u16() {
        200..=299 => Ok(Out::Ok),
        303 if location == Some("/app") => Ok(Out::Away),
        303 if !location.unwrap_or("").starts_with("/login") => Ok(Out::Ok),
        403 => Ok(Out::Forbidden),
        404 => Ok(Out::NotFound),
        422 => Ok(Out::Invalid),
        409 => Ok(Out::Conflict),
        s => Err(format!("{s} {}", location.unwrap_or(""))),
    }
}

pub async fn page_matrix(app: &TestApp, world: &World, failures: &mut Vec<String>) -> usize {
    let show = std::env::var("AUTHZ_SHOW").is_ok();
    let mut browsers = Vec::new();
    for role in ROLES {
        let web = Web::new(app);
        web.login(&world.account(role).email).await;
        web.get("/account").await.expect(StatusCode::OK);
        browsers.push((role, web));
    }
    let routes = page_routes();
    for (declared, _) in PAGE_MATRIX {
        if !routes.iter().any(|r| r == declared) {
            failures.push(format!(
                "PAGE_MATRIX declares {declared}, which no page router routes"
            ));
        }
    }
    let mut cells = 0;
    for route in routes {
        if EXEMPT.iter().any(|(e, _)| *e == route) {
            continue;
        }
        let row = PAGE_MATRIX
            .iter()
            .find(|(r, _)| *r == route)
            .map(|(_, row)| *row);
        let (method, path) = route.split_once(' ').expect("METHOD path");
        let mut line = format!("{route:<62}");
        let params = params_of(path);
        let rels = if path.contains('{') {
            Rels::All
        } else {
            Rels::None
        };
        for (role, web) in &browsers {
            line.push_str(&format!(" | {}:", role.as_str()));
            for (index, rel) in rels.list().into_iter().enumerate() {
                let kinds: Vec<_> = params.iter().map(|(_, k)| *k).collect();
                let recs = match rel {
                    Some(rel) => world.make(app, *role, rel, &kinds).await,
                    None => Default::default(),
                };
                let mut url = path.to_owned();
                for (param, kind) in params {
                    url = url.replace(&format!("{{{param}}}"), &recs[kind]);
                }
                let page = match method {
                    "GET" => web.get(&url).await,
                    _ if path == "/app/clients/import" => web.post_multipart(&url, &[], None).await,
                    _ => web.post(&url, &[]).await,
                };
                if method == "POST" && page.status.is_redirection() {
                    for role in world.revive(app).await {
                        let web = &browsers
                            .iter()
                            .find(|(r, _)| *r == role)
                            .expect("browser")
                            .1;
                        web.login(&world.account(role).email).await;
                        web.get("/account").await.expect(StatusCode::OK);
                    }
                }
                // A page load replaces the CSRF token of the session's last form: load a form again.
                if method == "GET" && page.status != StatusCode::OK {
                    web.get("/account").await;
                }
                let got = outcome(page.status, page.location());
                cells += 1;
                let at = rel.map_or("-", Rel::short);
                line.push_str(&format!(
                    " {at}={}",
                    got.clone().map_or_else(|e| e, |o| format!("{o:?}"))
                ));
                match row.and_then(|row| expected(row, *role, index)) {
                    Some(want) if got == Ok(want) => {}
                    Some(want) => failures.push(format!(
                        "page {route} as {role} on {at}: {got:?}, expected {want:?}"
                    )),
                    None => failures.push(format!(
                        "page {route} as {role} on {at}: no outcome declared in PAGE_MATRIX"
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

/// The records a page's path names, by its `{param}`s.
fn params_of(path: &str) -> &'static [(&'static str, Kind)] {
    use Kind::*;
    if path.starts_with("/app/clients/{id}/trainers/{trainer_id}") {
        &[("id", Client), ("trainer_id", Trainer)]
    } else if path.starts_with("/app/clients/{id}") {
        &[("id", Client)]
    } else if path.starts_with("/app/trainers/{id}/time-off/{time_off_id}") {
        &[("id", Trainer), ("time_off_id", TimeOff)]
    } else if path.starts_with("/app/trainers/{id}") {
        &[("id", Trainer)]
    } else if path.starts_with("/app/sessions/{id}") || path.starts_with("/portal/sessions/{id}") {
        &[("id", Session)]
    } else if path.contains("/bookings/{booking_id}") || path == "/portal/classes/{id}/cancel" {
        &[("id", Class), ("booking_id", Booking)]
    } else if path.starts_with("/app/classes/{id}") || path.starts_with("/portal/classes/{id}") {
        &[("id", Class)]
    } else if path.starts_with("/app/locations/{id}") {
        &[("id", Location)]
    } else if path.starts_with("/app/users/{id}") {
        &[("id", User)]
    } else if path.starts_with("/app/api-keys/{id}") {
        &[("id", ApiKey)]
    } else if path.starts_with("/app/jobs/{id}") {
        &[("id", Job)]
    } else if path.starts_with("/account/sessions/{id}") {
        &[("id", LoginSession)]
    } else {
        &[]
    }
}

/// The declared matrix of the pages, read like [`super::rules::API_MATRIX`] (every page route with a
/// `{param}` in four relations). Forms are sent empty: a role that may act gets the form back with
/// its errors (`I`) or acts (`O`), one that may not is refused (`F`, `N`) whatever the form holds.
#[rustfmt::skip]
pub const PAGE_MATRIX: &[(&str, &str)] = &[
    ("GET /account", "C:O T:O S:O A:O O:O"),
    ("GET /app", "C:O T:O S:O A:O O:O"),
    ("GET /app/api-keys", "C:F T:F S:F A:O O:O"),
    ("GET /app/audit", "C:F T:F S:F A:O O:O"),
    ("GET /app/calendar", "C:F T:O S:O A:O O:O"),
    ("GET /app/classes", "C:F T:O S:O A:O O:O"),
    ("GET /app/classes/{id}", "C:FFFF T:OOON S:OOON A:OOON O:OOON"),
    ("GET /app/clients", "C:F T:O S:O A:O O:O"),
    ("GET /app/clients/export.csv", "C:F T:F S:O A:O O:O"),
    ("GET /app/clients/import", "C:F T:F S:O A:O O:O"),
    ("GET /app/clients/new", "C:F T:O S:O A:O O:O"),
    ("GET /app/clients/{id}", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("GET /app/clients/{id}/export.json", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("GET /app/jobs", "C:F T:F S:F A:O O:O"),
    ("GET /app/locations", "C:F T:F S:F A:O O:O"),
    ("GET /app/locations/{id}", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("GET /app/my-day", "C:F T:O S:O A:O O:O"),
    ("GET /app/sessions/new", "C:F T:O S:O A:O O:O"),
    ("GET /app/sessions/{id}", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("GET /app/settings", "C:F T:F S:F A:O O:O"),
    ("GET /app/trainers", "C:F T:O S:O A:O O:O"),
    ("GET /app/trainers/picker", "C:F T:O S:O A:O O:O"),
    ("GET /app/trainers/{id}", "C:FFFF T:OOON S:OOON A:OOON O:OOON"),
    ("GET /app/users", "C:F T:F S:F A:O O:O"),
    ("GET /app/users/{id}", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("GET /portal", "C:O T:A S:A A:A O:A"),
    ("GET /portal/classes", "C:O T:A S:A A:A O:A"),
    ("GET /portal/classes/{id}", "C:OOON T:AAAA S:AAAA A:AAAA O:AAAA"),
    ("GET /portal/data", "C:O T:A S:A A:A O:A"),
    ("GET /portal/data/export.json", "C:O T:A S:A A:A O:A"),
    ("GET /portal/profile", "C:O T:A S:A A:A O:A"),
    ("POST /account/mfa", "C:O T:O S:O A:O O:O"),
    ("POST /account/mfa/confirm", "C:I T:I S:I A:I O:I"),
    ("POST /account/mfa/disable", "C:I T:I S:I A:I O:I"),
    ("POST /account/password", "C:I T:I S:I A:I O:I"),
    ("POST /account/sessions/{id}/end", "C:ONNN T:ONNN S:ONNN A:ONNN O:ONNN"),
    ("POST /app/api-keys", "C:F T:F S:F A:I O:I"),
    ("POST /app/api-keys/{id}/revoke", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("POST /app/classes/new", "C:F T:I S:I A:I O:I"),
    ("POST /app/classes/{id}/bookings", "C:FFFF T:FFFF S:IIIN A:IIIN O:IIIN"),
    ("POST /app/classes/{id}/bookings/{booking_id}/cancel", "C:FFFF T:OFFN S:OOON A:OOON O:OOON"),
    ("POST /app/classes/{id}/bookings/{booking_id}/check-in", "C:FFFF T:OFFN S:OOON A:OOON O:OOON"),
    ("POST /app/clients/bulk", "C:F T:O S:O A:O O:O"),
    ("POST /app/clients/import", "C:F T:F S:I A:I O:I"),
    ("POST /app/clients/new", "C:F T:I S:I A:I O:I"),
    ("POST /app/clients/{id}", "C:FFFF T:INNN S:IIIN A:IIIN O:IIIN"),
    ("POST /app/clients/{id}/consent", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /app/clients/{id}/custom-fields", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /app/clients/{id}/erase", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("POST /app/clients/{id}/notes", "C:FFFF T:INNN S:IIIN A:IIIN O:IIIN"),
    ("POST /app/clients/{id}/status", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /app/clients/{id}/trainers", "C:FFFF T:INNN S:IIIN A:IIIN O:IIIN"),
    ("POST /app/clients/{id}/trainers/{trainer_id}/remove", "C:FFFF T:FFFF S:ONON A:ONON O:ONON"),
    ("POST /app/jobs/{id}/cancel", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("POST /app/jobs/{id}/retry", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("POST /app/locations", "C:F T:F S:F A:I O:I"),
    ("POST /app/locations/{id}", "C:FFFF T:FFFF S:FFFF A:IIIN O:IIIN"),
    ("POST /app/locations/{id}/delete", "C:FFFF T:FFFF S:FFFF A:OOON O:OOON"),
    ("POST /app/sessions/new", "C:F T:I S:I A:I O:I"),
    ("POST /app/sessions/{id}/cancel", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /app/sessions/{id}/check-in", "C:FFFF T:ONNN S:OOON A:OOON O:OOON"),
    ("POST /app/sessions/{id}/move", "C:FFFF T:INNN S:IIIN A:IIIN O:IIIN"),
    ("POST /app/sessions/{id}/status", "C:FFFF T:INNN S:IIIN A:IIIN O:IIIN"),
    ("POST /app/settings", "C:F T:F S:F A:I O:I"),
    ("POST /app/trainers/new", "C:F T:F S:F A:I O:I"),
    ("POST /app/trainers/{id}", "C:FFFF T:FFFF S:FFFF A:IIIN O:IIIN"),
    ("POST /app/trainers/{id}/feed", "C:FFFF T:OFFN S:OOON A:OOON O:OOON"),
    ("POST /app/trainers/{id}/hours", "C:FFFF T:OFFN S:FFFN A:OOON O:OOON"),
    ("POST /app/trainers/{id}/time-off", "C:FFFF T:IFFN S:FFFN A:IIIN O:IIIN"),
    ("POST /app/trainers/{id}/time-off/{time_off_id}/delete", "C:FFFF T:OFFN S:FFFN A:OOON O:OOON"),
    ("POST /app/users", "C:F T:F S:F A:I O:I"),
    ("POST /app/users/{id}", "C:FFFF T:FFFF S:FFFF A:IIIN O:IIIN"),
    ("POST /app/users/{id}/delete", "C:FFFF T:FFFF S:FFFF A:OFFN O:OOON"),
    ("POST /portal/classes/{id}/book", "C:OOON T:AAAA S:AAAA A:AAAA O:AAAA"),
    ("POST /portal/classes/{id}/cancel", "C:ONNN T:AAAA S:AAAA A:AAAA O:AAAA"),
    ("POST /portal/sessions/{id}/cancel", "C:ONNN T:AAAA S:AAAA A:AAAA O:AAAA"),
];
