//! The custom fields of the client file: shown as name/value pairs and changed through the same
//! client update (at the version the page was loaded with) as the profile form.
//!
//! The form numbers its rows (`cf_name_0`, `cf_value_0`, `cf_remove_0`, …, `cf_count` rows), so that a
//! row's error lands next to it and a removal box belongs to exactly one pair.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::custom_field_form::{MAX_ROWS, display};
use super::file::{Forms, file_page};
use super::require_app;
use crate::clients::model::UpdateClient;
use crate::clients::service;
use crate::error::{AppError, FieldErrors};
use crate::state::AppState;
use crate::web::form::{Done, Fields, Form, respond};
use crate::web::page::{PageResult, Viewer};

/// The fields a submitted form asks for, keeping a stored value's JSON type when its text is
/// unchanged; every row's problem at its own input.
fn submitted(f: &Fields, current: &Map<String, Value>) -> Result<Map<String, Value>, AppError> {
    let count = f
        .get("cf_count")
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_ROWS);
    let mut out = Map::new();
    let mut errors = FieldErrors::new();
    for i in 0..count {
        if f.checked(&format!("cf_remove_{i}")) {
            continue;
        }
        let name = f.text(&format!("cf_name_{i}"));
        let value = f.text(&format!("cf_value_{i}"));
        let at = format!("cf_name_{i}");
        if name.is_empty() {
            if !value.is_empty() {
                errors.add(at, "Give the field a name.");
            }
            continue;
        }
        if name.chars().count() > 64 {
            errors.add(at, "A name has at most 64 characters.");
            continue;
        }
        if out.contains_key(&name) {
            errors.add(at, "Another row already has this name.");
            continue;
        }
        let value = match current.get(&name) {
            Some(stored) if display(stored) == value => stored.clone(),
            _ => Value::String(value),
        };
        out.insert(name, value);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// `POST /app/clients/{id}/custom-fields`: adds, changes and removes custom fields at the version the
/// page was loaded with (whoever may edit the client).
pub async fn update_custom_fields(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    require_app(&viewer)?;
    let actor = viewer.actor();
    let current = service::get_client(state.db.conn(), &actor, id).await?;
    let version = form.fields.get("version").parse::<i64>().ok();
    let result = match submitted(&form.fields, &current.custom_fields) {
        Ok(fields) => {
            let input = UpdateClient {
                custom_fields: Some(fields),
                ..UpdateClient::default()
            };
            service::update_client(&state.db, &actor, id, version, input).await
        }
        Err(e) => Err(e),
    };
    if let Err(e @ (AppError::NotFound | AppError::Forbidden(_))) = result {
        return Err(e.into());
    }
    respond(
        &state,
        result,
        form.state,
        |_| Done::to(format!("/app/clients/{id}"), "Custom fields saved."),
        |form| {
            let forms = Forms {
                custom: Some(form),
                ..Forms::default()
            };
            file_page(&state, viewer, id, forms, StatusCode::OK)
        },
    )
    .await
}
