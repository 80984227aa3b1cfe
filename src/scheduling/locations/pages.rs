//! Location pages for owners and admins: `/app/locations` (list, add), `/app/locations/{id}` (edit)
//! and `/app/locations/{id}/delete` (remove). Every change goes through the service the API uses.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use uuid::Uuid;

use super::model::{Location, LocationInput};
use super::service;
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::http::IfMatch;
use crate::state::AppState;
use crate::web::form::{Done, Fields, Form, FormState, respond};
use crate::web::page::{PageResult, Shell, Viewer, render};

/// The pages of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/locations", get(list_locations).post(create_location))
        .route(
            "/app/locations/{id}",
            get(edit_location).post(update_location),
        )
        .route("/app/locations/{id}/delete", post(delete_location))
}

#[derive(Template)]
#[template(path = "locations/list.html")]
struct LocationsPage {
    shell: Shell,
    locations: Vec<Location>,
    form: FormState,
}

#[derive(Template)]
#[template(path = "locations/edit.html")]
struct LocationPage {
    shell: Shell,
    location: Location,
    form: FormState,
}

async fn render_list(state: &AppState, viewer: Viewer, mut form: FormState) -> PageResult {
    let locations = service::list_locations(state.db.conn(), &viewer.actor()).await?;
    if form.value("timezone").is_empty() {
        form.set("timezone", viewer.org.timezone.clone());
    }
    render(&LocationsPage {
        locations,
        form,
        shell: viewer.shell,
    })
}

async fn render_edit(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
    form: Option<FormState>,
) -> PageResult {
    let location = service::get_location(state.db.conn(), &viewer.actor(), id).await?;
    let form = form.unwrap_or_else(|| {
        FormState::with_values([
            ("name", location.name.clone()),
            ("address", location.address.clone().unwrap_or_default()),
            ("timezone", location.timezone.clone()),
            (
                "capacity",
                location.capacity.map(|c| c.to_string()).unwrap_or_default(),
            ),
            ("version", location.version.to_string()),
        ])
    });
    render(&LocationPage {
        location,
        form,
        shell: viewer.shell,
    })
}

/// The location typed into the form: every field sent (an empty address or capacity clears it).
/// A capacity that is not a whole number is an error at its field, listed with every other error.
fn input_of(fields: &Fields) -> Result<LocationInput, AppError> {
    let raw_capacity = fields.get("capacity");
    let capacity = raw_capacity.parse::<i32>().ok();
    let input = LocationInput {
        name: Some(fields.text("name")),
        address: Some(fields.opt("address")),
        timezone: Some(fields.text("timezone")),
        capacity: Some(capacity),
        version: None,
    };
    if raw_capacity.is_empty() || capacity.is_some() {
        return Ok(input);
    }
    let mut errors = match input.validate() {
        Err(AppError::Validation(e)) => e,
        _ => FieldErrors::new(),
    };
    errors.add("capacity", "must be a whole number");
    Err(AppError::Validation(errors))
}

/// `GET /app/locations` (owners and admins).
pub async fn list_locations(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    viewer.require(Role::Admin)?;
    render_list(&state, viewer, FormState::default()).await
}

/// `POST /app/locations`: adds a location.
pub async fn create_location(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Form,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let result = match input_of(&form.fields) {
        Ok(input) => service::create_location(&state.db, &viewer.actor(), input).await,
        Err(e) => Err(e),
    };
    respond(
        &state,
        result,
        form.state,
        |l| Done::to("/app/locations", format!("Location “{}” added.", l.name)),
        |form| render_list(&state, viewer, form),
    )
    .await
}

/// `GET /app/locations/{id}` (owners and admins).
pub async fn edit_location(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    viewer.require(Role::Admin)?;
    render_edit(&state, viewer, id, None).await
}

/// `POST /app/locations/{id}`: changes a location at the version the form was shown with.
pub async fn update_location(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let version = IfMatch(form.fields.get("version").parse().ok());
    let result = match input_of(&form.fields) {
        Ok(input) => service::update_location(&state.db, &viewer.actor(), id, version, input).await,
        Err(e) => Err(e),
    };
    if matches!(result, Err(AppError::NotFound)) {
        return Err(AppError::NotFound.into());
    }
    respond(
        &state,
        result,
        form.state,
        |l| Done::to("/app/locations", format!("Location “{}” saved.", l.name)),
        |form| render_edit(&state, viewer, id, Some(form)),
    )
    .await
}

/// `POST /app/locations/{id}/delete`: removes a location; its sessions and classes keep their times.
pub async fn delete_location(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let result = service::delete_location(&state.db, &viewer.actor(), id).await;
    if matches!(result, Err(AppError::NotFound)) {
        return Err(AppError::NotFound.into());
    }
    respond(
        &state,
        result,
        form.state,
        |()| Done::to("/app/locations", "Location removed."),
        |form| render_edit(&state, viewer, id, Some(form)),
    )
    .await
}
