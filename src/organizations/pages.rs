//! `/app/settings`: the organization's name, time zone, currency, language and booking rules.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use super::Organization;
use super::routes::{UpdateOrganization, update};
use crate::auth::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::page::{
    FormState, PageResult, Shell, Viewer, redirect_with, render, render_status,
};

/// The pages of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/app/settings", get(settings).post(save_settings))
}

#[derive(Template)]
#[template(path = "organizations/settings.html")]
struct SettingsPage {
    shell: Shell,
    org: Organization,
    form: FormState,
}

fn form_of(org: &Organization) -> FormState {
    let mut form = FormState::with_values([
        ("name", org.name.clone()),
        ("timezone", org.timezone.clone()),
        ("currency", org.currency.clone()),
        ("locale", org.locale.clone()),
        ("late_cancel_hours", org.late_cancel_hours.to_string()),
        ("booking_opens_days", org.booking_opens_days.to_string()),
        (
            "booking_closes_minutes",
            org.booking_closes_minutes.to_string(),
        ),
    ]);
    if org.clients_may_cancel {
        form.set("clients_may_cancel", "on");
    }
    form
}

async fn settings(viewer: Viewer) -> PageResult {
    viewer.require(Role::Admin)?;
    let form = form_of(&viewer.org);
    render(&SettingsPage {
        org: viewer.org,
        shell: viewer.shell,
        form,
    })
}

#[derive(Debug, Deserialize)]
struct SettingsInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    late_cancel_hours: String,
    #[serde(default)]
    clients_may_cancel: Option<String>,
    #[serde(default)]
    booking_opens_days: String,
    #[serde(default)]
    booking_closes_minutes: String,
    #[serde(default)]
    version: Option<i64>,
}

/// A whole number typed into a form, or the field's error.
fn number(form: &mut FormState, name: &str, raw: &str) -> Option<i32> {
    match raw.trim().parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            form.add_error(name, "must be a whole number");
            None
        }
    }
}

async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<SettingsInput>,
) -> PageResult {
    let mut form = FormState::with_values([
        ("name", input.name.clone()),
        ("timezone", input.timezone.clone()),
        ("currency", input.currency.clone()),
        ("locale", input.locale.clone()),
        ("late_cancel_hours", input.late_cancel_hours.clone()),
        ("booking_opens_days", input.booking_opens_days.clone()),
        (
            "booking_closes_minutes",
            input.booking_closes_minutes.clone(),
        ),
    ]);
    if input.clients_may_cancel.is_some() {
        form.set("clients_may_cancel", "on");
    }
    let changes = UpdateOrganization {
        name: Some(input.name),
        timezone: Some(input.timezone),
        currency: Some(input.currency),
        locale: Some(input.locale),
        late_cancel_hours: number(&mut form, "late_cancel_hours", &input.late_cancel_hours),
        clients_may_cancel: Some(input.clients_may_cancel.is_some()),
        booking_opens_days: number(&mut form, "booking_opens_days", &input.booking_opens_days),
        booking_closes_minutes: number(
            &mut form,
            "booking_closes_minutes",
            &input.booking_closes_minutes,
        ),
        version: input.version,
    };
    let result = if form.has_errors() {
        Err(AppError::Validation(Default::default()))
    } else {
        update(
            &state.db,
            &viewer.caller,
            &viewer.audit,
            input.version,
            changes,
        )
        .await
        .map(|_| ())
    };
    match result {
        Ok(()) => Ok(redirect_with(&state, "/app/settings", "Settings saved.")),
        Err(e) => {
            if !form.has_errors() {
                form.take_error(e)?;
            }
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SettingsPage {
                    org: viewer.org,
                    shell: viewer.shell,
                    form,
                },
            )
        }
    }
}
