//! `/app/settings`: the organization's name, time zone, currency, language and booking rules.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::model::UpdateOrganization;
use super::{Organization, service};
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::state::AppState;
use crate::web::form::{Done, Fields, Form, FormState, respond};
use crate::web::page::{PageResult, Shell, Viewer, render};

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
    if org.require_mfa {
        form.set("require_mfa", "on");
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

/// A whole number typed into a form, or the field's error.
fn number(errors: &mut FieldErrors, fields: &Fields, name: &str) -> Option<i32> {
    match fields.get(name).parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(name, "must be a whole number");
            None
        }
    }
}

/// `POST /app/settings` (owners and admins).
async fn save_settings(State(state): State<AppState>, viewer: Viewer, form: Form) -> PageResult {
    viewer.require(Role::Admin)?;
    let f = &form.fields;
    let mut errors = FieldErrors::new();
    let changes = UpdateOrganization {
        name: Some(f.text("name")),
        timezone: Some(f.text("timezone")),
        currency: Some(f.text("currency")),
        locale: Some(f.text("locale")),
        late_cancel_hours: number(&mut errors, f, "late_cancel_hours"),
        clients_may_cancel: Some(f.checked("clients_may_cancel")),
        booking_opens_days: number(&mut errors, f, "booking_opens_days"),
        booking_closes_minutes: number(&mut errors, f, "booking_closes_minutes"),
        // Only owners see (and change) the MFA requirement.
        require_mfa: (viewer.caller.role == Role::Owner).then(|| f.checked("require_mfa")),
        version: f.get("version").parse().ok(),
    };
    let result = if errors.is_empty() {
        let expected = changes.version;
        service::update_organization(&state.db, &viewer.actor(), expected, changes).await
    } else {
        Err(AppError::Validation(errors))
    };
    respond(
        &state,
        result,
        form.state,
        |_| Done::to("/app/settings", "Settings saved."),
        |form| async move {
            render(&SettingsPage {
                org: viewer.org,
                shell: viewer.shell,
                form,
            })
        },
    )
    .await
}
