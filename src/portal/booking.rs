//! The public booking page of an organization (`/book/{slug}`) and client self-sign-up from it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use super::service::{self, DAYS_AHEAD};
use super::signup::{self, ClientSignup};
use super::view::{DayGroup, by_day};
use crate::audit::RequestOrigin;
use crate::auth::Role;
use crate::error::AppError;
use crate::organizations::{OrgId, Organization, repo as org_repo};
use crate::scheduling::access::{ScheduleScope, Who};
use crate::state::AppState;
use crate::web::form::{Fields, Form};
use crate::web::format::Fmt;
use crate::web::page::{FormState, PageResult, Shell, Viewer, render, render_status};
use crate::web::page_error::PageQuery;
use crate::web::public::{home_of, logged_in};

/// The organization of a booking link (the HTML 404 page for an unknown one).
async fn org_of(state: &AppState, slug: &str) -> Result<Organization, AppError> {
    org_repo::find_by_slug(state.db.conn(), slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// The page's shell: the viewer's (logged in) or a visitor's, formatting for the organization.
fn shell_for(viewer: Option<&Viewer>, shell: Shell, org: &Organization) -> Shell {
    let mut shell = viewer.map(|v| v.shell.clone()).unwrap_or(shell);
    shell.fmt = Fmt::new(&org.timezone, &org.locale, &org.currency);
    shell
}

#[derive(Template)]
#[template(path = "portal/book.html")]
struct SchedulePage {
    shell: Shell,
    org: Organization,
    days: Vec<DayGroup>,
    /// The viewer is a client of this organization: Book posts directly.
    is_client: bool,
    /// The viewer is logged in to another organization or as staff: no Book buttons.
    is_other: bool,
}

/// `GET /book/{slug}`: the classes of the next 14 days, grouped by day.
pub async fn show_schedule(
    State(state): State<AppState>,
    viewer: Option<Viewer>,
    shell: Shell,
    Path(slug): Path<String>,
) -> PageResult {
    let org = org_of(&state, &slug).await?;
    let db = state.db.conn();
    let now = Utc::now();
    let offers =
        service::schedule(db, OrgId(org.id), now, now + Duration::days(DAYS_AHEAD)).await?;
    let mine = match &viewer {
        Some(v) if v.org.id == org.id && v.caller.role == Role::Client => {
            Some(ScheduleScope::of(db, &v.caller).await?.who)
        }
        _ => None,
    };
    let places = match mine {
        Some(Who::Client(c)) => {
            let ids: Vec<Uuid> = offers.iter().map(|o| o.class.id).collect();
            service::places_of(db, OrgId(org.id), c, &ids).await?
        }
        _ => HashMap::new(),
    };
    let days = by_day(&org, &offers, &places);
    render(&SchedulePage {
        shell: shell_for(viewer.as_ref(), shell, &org),
        is_client: mine.is_some(),
        is_other: viewer.is_some() && mine.is_none(),
        org,
        days,
    })
}

#[derive(Template)]
#[template(path = "portal/signup.html")]
struct SignupPage {
    shell: Shell,
    org: Organization,
    form: FormState,
    class: String,
}

/// `?class=` of the sign-up page: the class to continue to.
#[derive(Debug, Deserialize)]
pub struct SignupQuery {
    #[serde(default)]
    class: Option<String>,
}

/// The class id of a sign-up link, kept only when it is one.
fn class_param(raw: &str) -> String {
    Uuid::parse_str(raw.trim())
        .map(|id| id.to_string())
        .unwrap_or_default()
}

fn continue_to(class: &str) -> String {
    match Uuid::parse_str(class) {
        Ok(id) => format!("/portal/classes/{id}"),
        Err(_) => "/portal".to_owned(),
    }
}

/// `GET /book/{slug}/signup`.
pub async fn signup_form(
    State(state): State<AppState>,
    viewer: Option<Viewer>,
    shell: Shell,
    Path(slug): Path<String>,
    PageQuery(q): PageQuery<SignupQuery>,
) -> Result<Response, crate::web::page::PageError> {
    let org = org_of(&state, &slug).await?;
    let class = class_param(q.class.as_deref().unwrap_or(""));
    if let Some(v) = viewer {
        let to = if v.caller.role == Role::Client && v.org.id == org.id {
            continue_to(&class)
        } else {
            home_of(v.caller.role).to_owned()
        };
        return Ok(Redirect::to(&to).into_response());
    }
    render(&SignupPage {
        shell: shell_for(None, shell, &org),
        org,
        form: FormState::default(),
        class,
    })
}

/// The first value of a field exactly as submitted (not trimmed).
fn raw_value(fields: &Fields, name: &str) -> String {
    fields
        .0
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// `POST /book/{slug}/signup`: creates the account and the client record, logs in and continues to
/// the class the visitor wanted (or the portal).
pub async fn signup(
    State(state): State<AppState>,
    shell: Shell,
    origin: RequestOrigin,
    Path(slug): Path<String>,
    form: Form,
) -> PageResult {
    let org = org_of(&state, &slug).await?;
    let f = &form.fields;
    let input = ClientSignup {
        first_name: f.text("first_name"),
        last_name: f.text("last_name"),
        email: f.text("email"),
        // The password as typed: spaces are part of it.
        password: SecretString::from(raw_value(f, "password")),
        consent_email: f.checked("consent_email"),
        consent_sms: f.checked("consent_sms"),
    };
    let class = f.text("class");
    // A refused form is shown again without the password.
    let mut shown = form.state;
    shown.set("password", "");
    let result = signup::sign_up_client(&state, &org, input, origin).await;
    match result {
        Ok(login) => Ok(logged_in(
            &state,
            &continue_to(&class),
            &login.token,
            login.expires_at,
        )),
        Err(e) => {
            shown.take_error(e)?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SignupPage {
                    shell: shell_for(None, shell, &org),
                    org,
                    form: shown,
                    class: class_param(&class),
                },
            )
        }
    }
}
