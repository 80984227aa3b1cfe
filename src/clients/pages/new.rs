//! `/app/clients/new`: the form to add a client.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use uuid::Uuid;

use super::{require_app, split_tags};
use crate::clients::model::{ClientStatus, CreateClient};
use crate::clients::service;
use crate::error::{AppError, FieldErrors};
use crate::state::AppState;
use crate::web::form::{Choice, Done, Form, respond};
use crate::web::page::{FormState, PageResult, Shell, Viewer, render_status};
use crate::web::picker;

#[derive(Template)]
#[template(path = "clients/new.html")]
struct NewPage {
    shell: Shell,
    form: FormState,
    statuses: Vec<&'static str>,
    trainers: Vec<Choice>,
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
    let trainers = picker::trainers(state.db.conn(), viewer.caller.org, None).await?;
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
    form: Form,
) -> PageResult {
    require_app(&viewer)?;
    let f = &form.fields;
    let mut errors = FieldErrors::new();
    let dob = parse_date(f.get("date_of_birth")).unwrap_or_else(|m| {
        errors.add("date_of_birth", m);
        None
    });
    let status = f.opt("status").and_then(|s| ClientStatus::parse(&s));
    let trainer_ids = match f.opt("trainer_id").map(|t| Uuid::parse_str(&t)) {
        None => None,
        Some(Ok(t)) => Some(vec![t]),
        Some(Err(_)) => {
            errors.add("trainer_id", "is not a trainer");
            None
        }
    };
    let input = CreateClient {
        first_name: f.text("first_name"),
        last_name: f.text("last_name"),
        email: f.opt("email"),
        phone: f.opt("phone"),
        date_of_birth: dob,
        status,
        source: None,
        tags: Some(split_tags(f.get("tags"))),
        goals: None,
        medical_notes: None,
        emergency_contact_name: None,
        emergency_contact_phone: None,
        custom_fields: None,
        trainer_ids,
        consent_email: None,
        consent_sms: None,
    };
    let result = if errors.is_empty() {
        service::create_client(&state.db, &viewer.actor(), input).await
    } else {
        // Show every problem at once, not only the form's own.
        if let Err(AppError::Validation(more)) = input.validate() {
            for (field, messages) in more.0 {
                for m in messages {
                    errors.add(field.clone(), m);
                }
            }
        }
        Err(AppError::Validation(errors))
    };
    respond(
        &state,
        result,
        form.state,
        |client| Done::to(format!("/app/clients/{}", client.id), "Client added."),
        |form| new_page(&state, viewer, form, StatusCode::OK),
    )
    .await
}
