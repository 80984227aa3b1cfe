//! The working-hours and time-off forms of the trainer page (`/app/trainers/{id}/hours`,
//! `/app/trainers/{id}/time-off`): read the form, call the availability service, and show the trainer
//! page again with the errors at their fields.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use uuid::Uuid;

use super::model::{CreateTimeOff, DAYS, WorkingBlock, WorkingHours};
use super::service;
use crate::auth::Role;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::scheduling::pages::form::parse_instant;
use crate::state::AppState;
use crate::trainers::pages::{Extra, render_trainer};
use crate::web::form::{Done, Fields, Form, respond};
use crate::web::page::{PageResult, Viewer, redirect_with};

/// The pages of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/trainers/{id}/hours", post(set_hours))
        .route("/app/trainers/{id}/time-off", post(add_time_off))
        .route(
            "/app/trainers/{id}/time-off/{time_off_id}/delete",
            post(delete_time_off),
        )
}

/// The week typed into the form: up to two blocks a day (`start_mon_0`, `end_mon_0`, ...).
fn week_of(fields: &Fields) -> AppResult<WorkingHours> {
    let mut blocks = Vec::new();
    let mut e = FieldErrors::new();
    for code in DAYS {
        for i in 0..2 {
            let (start, end) = (
                fields.get(&format!("start_{code}_{i}")),
                fields.get(&format!("end_{code}_{i}")),
            );
            match (start.is_empty(), end.is_empty()) {
                (true, true) => {}
                (false, false) => blocks.push(WorkingBlock {
                    weekday: code.to_owned(),
                    start: start.to_owned(),
                    end: end.to_owned(),
                }),
                _ => e.add(format!("end_{code}_{i}"), "give both a start and an end"),
            }
        }
    }
    e.into_result(WorkingHours { hours: blocks })
}

/// `POST /app/trainers/{id}/hours`: replaces the week.
pub async fn set_hours(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let result = match week_of(&form.fields) {
        Ok(week) => service::set_hours(&state.db, &viewer.actor(), id, &week).await,
        Err(e) => Err(e),
    };
    if let Err(e @ (AppError::NotFound | AppError::Forbidden(_))) = result {
        return Err(e.into());
    }
    let mut state_form = form.state;
    // The API names blocks by index (`hours[3].end`); show them as one message.
    if let Err(AppError::Validation(f)) = &result
        && f.0.keys().any(|k| k.starts_with("hours"))
    {
        state_form.message = Some(
            f.0.values()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    respond(
        &state,
        result,
        state_form,
        |()| Done::to(format!("/app/trainers/{id}"), "Working hours saved."),
        |form| {
            let extra = Extra {
                hours: Some(form),
                ..Extra::default()
            };
            render_trainer(&state, viewer, id, extra)
        },
    )
    .await
}

/// `POST /app/trainers/{id}/time-off`.
pub async fn add_time_off(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    // Who may not add time off here is told so whatever the form holds.
    service::may_manage(state.db.conn(), &viewer.actor(), id).await?;
    let tz = viewer.shell.fmt.tz();
    let f = &form.fields;
    let mut e = FieldErrors::new();
    let starts_at = parse_instant(&mut e, f, "starts_at", tz);
    let ends_at = parse_instant(&mut e, f, "ends_at", tz);
    let result = match (starts_at, ends_at, e.is_empty()) {
        (Some(starts_at), Some(ends_at), true) => {
            let input = CreateTimeOff {
                starts_at,
                ends_at,
                reason: f.opt("reason"),
            };
            service::add_time_off(&state.db, &viewer.actor(), id, input)
                .await
                .map(|_| ())
        }
        _ => Err(AppError::Validation(e)),
    };
    if let Err(e @ (AppError::NotFound | AppError::Forbidden(_))) = result {
        return Err(e.into());
    }
    respond(
        &state,
        result,
        form.state,
        |()| Done::to(format!("/app/trainers/{id}"), "Time off added."),
        |form| {
            let extra = Extra {
                off_form: form,
                ..Extra::default()
            };
            render_trainer(&state, viewer, id, extra)
        },
    )
    .await
}

/// `POST /app/trainers/{id}/time-off/{time_off_id}/delete`.
pub async fn delete_time_off(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, time_off_id)): Path<(Uuid, Uuid)>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    service::remove_time_off(&state.db, &viewer.actor(), id, time_off_id).await?;
    Ok(redirect_with(
        &state,
        &format!("/app/trainers/{id}"),
        "Time off removed.",
    ))
}
