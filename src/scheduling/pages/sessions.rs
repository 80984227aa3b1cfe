//! `/app/sessions/{id}`: details, and moving, cancelling (for one session or more of its series),
//! status changes and check-in.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Duration;
use uuid::Uuid;

use super::booking::{length, length_field, overrides_of};
use super::form::{Fields, parse_instant, rename_fields};
use super::shared::{ConflictView, Names, describe_conflicts, label};
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::scheduling::access::ScheduleScope;
use crate::scheduling::locations;
use crate::scheduling::sessions::model::{
    ApplyTo, BookingOverrides, CheckIn, SessionStatus, UpdateSession,
};
use crate::scheduling::sessions::{checks, service};
use crate::state::AppState;
use crate::web::form::{Done, Form, respond};
use crate::web::page::{FormState, PageError, PageResult, Shell, Viewer, render_status};

#[derive(Template)]
#[template(path = "scheduling/session.html")]
struct SessionPage {
    shell: Shell,
    id: Uuid,
    title: String,
    when: String,
    trainer: String,
    trainer_id: Uuid,
    client: String,
    client_id: Uuid,
    location: Option<String>,
    status: String,
    status_label: String,
    notes: Option<String>,
    in_series: bool,
    checked_in: Option<String>,
    cancelled: Option<String>,
    late_cancel: bool,
    late_now: bool,
    late_hours: i32,
    scheduled: bool,
    version: i64,
    move_form: FormState,
    action_form: FormState,
    conflicts: Vec<ConflictView>,
    may_override: bool,
    tz: String,
    tz_hint: String,
}

/// What the session page shows besides the session: the move form and its conflicts, and a message
/// about the last action.
struct Extra {
    move_form: Option<FormState>,
    action_form: FormState,
    conflicts: Vec<ConflictView>,
    status: StatusCode,
}

impl Extra {
    fn none() -> Self {
        Self {
            move_form: None,
            action_form: FormState::default(),
            conflicts: Vec::new(),
            status: StatusCode::OK,
        }
    }
}

async fn render_session(state: &AppState, viewer: Viewer, id: Uuid, extra: Extra) -> PageResult {
    viewer.require(Role::Trainer)?;
    let db = state.db.conn();
    let actor = viewer.actor();
    let scope = ScheduleScope::for_actor(db, &actor).await?;
    let s = service::get_session(db, &actor, id).await?;
    let names = Names::load(db, scope.org, [s.client_id], [s.trainer_id]).await?;
    let location = match s.location_id {
        Some(l) => locations::find(db, scope.org, l).await?.map(|l| l.name),
        None => None,
    };
    let fmt = &viewer.shell.fmt;
    let status = s.status.as_str().to_owned();
    let move_form = extra.move_form.unwrap_or_else(|| {
        FormState::with_values([
            ("starts_at", fmt.input_value(&s.starts_at)),
            (
                "duration_minutes",
                (s.ends_at - s.starts_at).num_minutes().to_string(),
            ),
            ("scope", "this".to_owned()),
        ])
    });
    let kind = serde_json::to_value(s.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let page = SessionPage {
        id: s.id,
        title: format!("{} session", label(&kind)),
        when: format!("{} – {}", fmt.datetime(&s.starts_at), fmt.time(&s.ends_at)),
        trainer: names.trainer(&s.trainer_id),
        trainer_id: s.trainer_id,
        client: names.client(&s.client_id),
        client_id: s.client_id,
        location,
        status_label: label(&status),
        scheduled: s.status == SessionStatus::Scheduled,
        status,
        notes: s.notes.clone(),
        in_series: s.series_id.is_some(),
        checked_in: s.checked_in_at.map(|t| fmt.datetime(&t)),
        cancelled: s.cancelled_at.map(|t| fmt.datetime(&t)),
        late_cancel: s.late_cancel,
        late_now: checks::is_late(db, scope.org, s.starts_at).await?,
        late_hours: viewer.org.late_cancel_hours,
        version: s.version,
        move_form,
        action_form: extra.action_form,
        conflicts: extra.conflicts,
        may_override: scope.may_override(),
        tz_hint: format!("Local time, {}", fmt.tz().name()),
        tz: fmt.tz().name().to_owned(),
        shell: viewer.shell,
    };
    render_status(extra.status, &page)
}

/// `GET /app/sessions/{id}`.
pub async fn show_session(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    render_session(&state, viewer, id, Extra::none()).await
}

fn apply_to(e: &mut FieldErrors, raw: &str) -> ApplyTo {
    match raw {
        "" | "this" => ApplyTo::This,
        "following" => ApplyTo::Following,
        "all" => ApplyTo::All,
        _ => {
            e.add("scope", "choose this, this and following, or all");
            ApplyTo::This
        }
    }
}

/// The version the form was shown with (a stale one is refused with 412).
fn version_of(fields: &Fields) -> Option<i64> {
    fields.get("version").parse().ok()
}

/// `POST /app/sessions/{id}/move`: a new start and length, for this session or more of its series.
pub async fn move_session(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    mut form: Form,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = &form.fields;
    let tz = viewer.shell.fmt.tz();
    let mut e = FieldErrors::new();
    let starts_at = parse_instant(&mut e, fields, "starts_at", tz);
    let duration = length(&mut e, fields, starts_at, tz);
    let scope_choice = apply_to(&mut e, fields.get("scope"));
    let actor = viewer.actor();
    let result = match (starts_at, duration, e.is_empty()) {
        (Some(starts_at), Some(duration), true) => {
            let mut overrides = overrides_of(fields);
            overrides.apply_to = Some(scope_choice);
            let change = UpdateSession {
                starts_at: Some(starts_at),
                ends_at: Some(starts_at + Duration::minutes(duration)),
                ..UpdateSession::default()
            };
            let expected = version_of(fields);
            service::update_session(&state.db, &actor, id, expected, change, &overrides).await
        }
        _ => Err(AppError::Validation(e)),
    };
    if let Err(AppError::Conflict { detail, conflicts }) = result {
        let db = state.db.conn();
        let current = service::get_session(db, &actor, id).await?;
        let list = describe_conflicts(
            db,
            &viewer.caller,
            &viewer.shell.fmt,
            current.trainer_id,
            Some(current.client_id),
            &conflicts,
        )
        .await?;
        form.state.message = Some(detail);
        return move_refused(&state, viewer, id, form.state, list, StatusCode::CONFLICT).await;
    }
    let length_field = length_field(fields);
    let result = result.map_err(|e| rename_fields(e, &[("ends_at", length_field)]));
    let message = match scope_choice {
        ApplyTo::This => "Session moved.",
        ApplyTo::Following => "This and the following sessions moved.",
        ApplyTo::All => "All sessions of the series moved.",
    };
    respond(
        &state,
        result,
        form.state,
        |_| Done::to(format!("/app/sessions/{id}"), message),
        |f| move_refused(&state, viewer, id, f, Vec::new(), StatusCode::OK),
    )
    .await
}

async fn move_refused(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
    form: FormState,
    conflicts: Vec<ConflictView>,
    status: StatusCode,
) -> PageResult {
    render_session(
        state,
        viewer,
        id,
        Extra {
            move_form: Some(form),
            action_form: FormState::default(),
            conflicts,
            status,
        },
    )
    .await
}

/// Shows a refused action (cancel, status, check-in) on the session page, its field messages
/// summed up at the top.
async fn action_refused(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
    mut form: FormState,
) -> PageResult {
    if form.message.is_none() && form.has_errors() {
        form.message = Some(
            ["status", "scope", "code"]
                .iter()
                .filter_map(|f| form.error(f))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    render_session(
        state,
        viewer,
        id,
        Extra {
            action_form: form,
            ..Extra::none()
        },
    )
    .await
}

/// `POST /app/sessions/{id}/cancel`: for this session or more of its series; late cancellations are
/// recorded as the studio's policy says.
pub async fn cancel_session(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let mut e = FieldErrors::new();
    let scope_choice = apply_to(&mut e, form.fields.get("scope"));
    let result = if e.is_empty() {
        let options = BookingOverrides {
            apply_to: Some(scope_choice),
            ..BookingOverrides::default()
        };
        service::cancel_session(&state.db, &viewer.actor(), id, &options).await
    } else {
        Err(AppError::Validation(e))
    };
    let late_hours = viewer.org.late_cancel_hours;
    respond(
        &state,
        result,
        form.state,
        |s| {
            let message = if s.late_cancel {
                format!(
                    "Session cancelled. This is a late cancellation: less than {late_hours} hours before the start."
                )
            } else {
                "Session cancelled.".to_owned()
            };
            Done::to(format!("/app/sessions/{id}"), message)
        },
        |f| action_refused(&state, viewer, id, f),
    )
    .await
}

/// `POST /app/sessions/{id}/status`: completed or no-show.
pub async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let result = match form.fields.get("status") {
        "completed" | "no_show" => {
            let status = if form.fields.get("status") == "completed" {
                SessionStatus::Completed
            } else {
                SessionStatus::NoShow
            };
            let change = UpdateSession {
                status: Some(status),
                ..UpdateSession::default()
            };
            let expected = version_of(&form.fields);
            let none = BookingOverrides::default();
            service::update_session(&state.db, &viewer.actor(), id, expected, change, &none).await
        }
        _ => Err(AppError::field("status", "choose completed or no-show")),
    };
    respond(
        &state,
        result,
        form.state,
        |s| {
            let message = format!("Marked {}.", label(s.status.as_str()));
            Done::to(format!("/app/sessions/{id}"), message)
        },
        |f| action_refused(&state, viewer, id, f),
    )
    .await
}

/// Where to go back to after a check-in: a page of the app, else the session.
fn back_to(fields: &Fields, id: Uuid) -> String {
    let back = fields.get("back");
    if back.starts_with("/app/") && !back.contains("//") && !back.contains('\\') {
        back.to_owned()
    } else {
        format!("/app/sessions/{id}")
    }
}

/// `POST /app/sessions/{id}/check-in`.
pub async fn check_in(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let result =
        service::check_in_session(&state.db, &viewer.actor(), id, &CheckIn::default()).await;
    if let Err(e @ AppError::Forbidden(_)) = result {
        return Err(PageError::App(e));
    }
    let back = back_to(&form.fields, id);
    respond(
        &state,
        result,
        form.state,
        |_| Done::to(back, "Checked in."),
        |f| action_refused(&state, viewer, id, f),
    )
    .await
}
