//! `/app/clients/new`: the form to add a client.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use uuid::Uuid;

use super::{Fields, TrainerOption, require_app, split_tags, trainer_options};
use crate::audit::Audit;
use crate::clients::access::ClientScope;
use crate::clients::model::{ClientStatus, CreateClient};
use crate::clients::service;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::page::{FormState, PageResult, Shell, Viewer, redirect_with, render_status};

#[derive(Template)]
#[template(path = "clients/new.html")]
struct NewPage {
    shell: Shell,
    form: FormState,
    statuses: Vec<&'static str>,
    trainers: Vec<TrainerOption>,
    front_desk: bool,
}

/// `GET /app/clients/new`.
pub async fn new_client(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    require_app(&viewer)?;
    let form = FormState::with_values([("status", "lead".to_owned())]);
    new_page(&state, viewer, form, StatusCode::OK).await
}

async fn new_page(
    state: &AppState,
    viewer: Viewer,
    form: FormState,
    status: StatusCode,
) -> PageResult {
    let trainers = trainer_options(state, viewer.caller.org).await?;
    render_status(
        status,
        &NewPage {
            front_desk: viewer.is_staff(),
            shell: viewer.shell,
            form,
            statuses: ClientStatus::ALL.iter().map(|s| s.as_str()).collect(),
            trainers,
        },
    )
}

/// A date typed in a form: `None` when empty, an error message when not a date.
pub(super) fn parse_date(raw: &str) -> Result<Option<NaiveDate>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| "must be a date (YYYY-MM-DD)".to_owned())
}

/// `POST /app/clients/new`.
pub async fn create_client(
    State(state): State<AppState>,
    viewer: Viewer,
    Audit(ctx): Audit,
    body: Bytes,
) -> PageResult {
    require_app(&viewer)?;
    let f = Fields::parse(&body);
    let names = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "date_of_birth",
        "status",
        "tags",
        "trainer_id",
    ];
    let mut form = FormState::with_values(names.iter().map(|n| (*n, f.text(n))));
    let dob = parse_date(&f.text("date_of_birth")).unwrap_or_else(|m| {
        form.add_error("date_of_birth", m);
        None
    });
    let status = f.opt("status").and_then(|s| ClientStatus::parse(&s));
    let trainer_ids = match f.opt("trainer_id").map(|t| Uuid::parse_str(&t)) {
        None => None,
        Some(Ok(t)) => Some(vec![t]),
        Some(Err(_)) => {
            form.add_error("trainer_id", "is not a trainer");
            None
        }
    };
    let tags = split_tags(&f.text("tags"));
    let input = CreateClient {
        first_name: f.text("first_name"),
        last_name: f.text("last_name"),
        email: f.opt("email"),
        phone: f.opt("phone"),
        date_of_birth: dob,
        status,
        source: None,
        tags: Some(tags),
        goals: None,
        medical_notes: None,
        emergency_contact_name: None,
        emergency_contact_phone: None,
        custom_fields: None,
        trainer_ids,
        consent_email: None,
        consent_sms: None,
    };
    if !form.has_errors() {
        let scope = ClientScope::of(state.db.conn(), &viewer.caller).await?;
        match service::create_client(&state.db, &ctx, &scope, input).await {
            Ok(client) => {
                return Ok(redirect_with(
                    &state,
                    &format!("/app/clients/{}", client.id),
                    "Client added.",
                ));
            }
            Err(e) => form.take_error(e)?,
        }
    } else if let Err(AppError::Validation(errs)) = input.validate() {
        // Show every problem at once, not only the date.
        for (field, messages) in errs.0 {
            for m in messages {
                form.add_error(&field, m);
            }
        }
    }
    new_page(&state, viewer, form, StatusCode::UNPROCESSABLE_ENTITY).await
}
