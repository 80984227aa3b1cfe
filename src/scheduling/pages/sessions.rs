//! `/app/sessions/{id}`: details, and moving, cancelling (for one session or more of its series),
//! status changes and check-in.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Duration;
use uuid::Uuid;

use super::booking::{length, length_field, overrides_of};
use super::{ConflictView, Fields, Names, describe_conflicts, label, parse_instant, rename_fields};
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::http::IfMatch;
use crate::scheduling::access::ScheduleScope;
use crate::scheduling::locations;
use crate::scheduling::series::ApplyTo;
use crate::scheduling::sessions::{
    self as service, BookingOverrides, CheckIn, SessionStatus, UpdateSession,
};
use crate::state::AppState;
use crate::web::page::{
    FormState, PageError, PageResult, Shell, Viewer, redirect_with, render_status,
};

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
    let scope = ScheduleScope::of(db, &viewer.caller).await?;
    let m = service::visible(db, &scope, id).await?;
    let s = service::to_session(&scope, m);
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
        late_now: service::is_late(db, scope.org, s.starts_at).await?,
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

fn version_of(fields: &Fields) -> IfMatch {
    IfMatch(fields.get("version").parse().ok())
}

fn no_change() -> UpdateSession {
    UpdateSession {
        starts_at: None,
        ends_at: None,
        trainer_id: None,
        location_id: None,
        kind: None,
        status: None,
        notes: None,
        version: None,
    }
}

/// `POST /app/sessions/{id}/move`: a new start and length, for this session or more of its series.
pub async fn move_session(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let mut form = FormState::with_values(fields.values());
    let mut e = FieldErrors::new();
    let starts_at = parse_instant(&mut e, &fields, "starts_at", viewer.shell.fmt.tz());
    let duration = length(&mut e, &fields, starts_at, viewer.shell.fmt.tz());
    let scope_choice = apply_to(&mut e, fields.get("scope"));
    let (Some(starts_at), Some(duration), true) = (starts_at, duration, e.is_empty()) else {
        form.take_error(AppError::Validation(e))?;
        return move_refused(
            &state,
            viewer,
            id,
            form,
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let mut overrides = overrides_of(&fields);
    overrides.apply_to = Some(scope_choice);
    let ctx = viewer.audit.clone();
    let change = UpdateSession {
        starts_at: Some(starts_at),
        ends_at: Some(starts_at + Duration::minutes(duration)),
        ..no_change()
    };
    match service::update(
        &state.db,
        &viewer.caller,
        &ctx,
        id,
        version_of(&fields),
        change,
        &overrides,
    )
    .await
    {
        Ok(_) => Ok(redirect_with(
            &state,
            &format!("/app/sessions/{id}"),
            match scope_choice {
                ApplyTo::This => "Session moved.",
                ApplyTo::Following => "This and the following sessions moved.",
                ApplyTo::All => "All sessions of the series moved.",
            },
        )),
        Err(AppError::Conflict { detail, conflicts }) => {
            let db = state.db.conn();
            let scope = ScheduleScope::of(db, &viewer.caller).await?;
            let current = service::visible(db, &scope, id).await?;
            let list = describe_conflicts(
                db,
                &viewer.caller,
                &viewer.shell.fmt,
                current.trainer_id,
                Some(current.client_id),
                &conflicts,
            )
            .await?;
            form.message = Some(detail);
            move_refused(&state, viewer, id, form, list, StatusCode::CONFLICT).await
        }
        Err(other) => {
            let length_field = length_field(&fields);
            form.take_error(rename_fields(other, &[("ends_at", length_field)]))?;
            move_refused(
                &state,
                viewer,
                id,
                form,
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
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

/// Shows a refused action (cancel, status, check-in) on the session page.
async fn action_refused(state: &AppState, viewer: Viewer, id: Uuid, error: AppError) -> PageResult {
    let mut form = FormState::default();
    form.take_error(error)?;
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
            status: StatusCode::UNPROCESSABLE_ENTITY,
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
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let mut e = FieldErrors::new();
    let scope_choice = apply_to(&mut e, fields.get("scope"));
    if !e.is_empty() {
        return action_refused(&state, viewer, id, AppError::Validation(e)).await;
    }
    let options = BookingOverrides {
        apply_to: Some(scope_choice),
        ..BookingOverrides::default()
    };
    let ctx = viewer.audit.clone();
    match service::cancel(&state.db, &viewer.caller, &ctx, id, &options).await {
        Ok(s) => {
            let message = if s.late_cancel {
                format!(
                    "Session cancelled. This is a late cancellation: less than {} hours before the start.",
                    viewer.org.late_cancel_hours
                )
            } else {
                "Session cancelled.".to_owned()
            };
            Ok(redirect_with(
                &state,
                &format!("/app/sessions/{id}"),
                &message,
            ))
        }
        Err(e) => action_refused(&state, viewer, id, e).await,
    }
}

/// `POST /app/sessions/{id}/status`: completed or no-show.
pub async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let status = match fields.get("status") {
        "completed" => SessionStatus::Completed,
        "no_show" => SessionStatus::NoShow,
        _ => {
            return action_refused(
                &state,
                viewer,
                id,
                AppError::field("status", "choose completed or no-show"),
            )
            .await;
        }
    };
    let ctx = viewer.audit.clone();
    let change = UpdateSession {
        status: Some(status),
        ..no_change()
    };
    match service::update(
        &state.db,
        &viewer.caller,
        &ctx,
        id,
        version_of(&fields),
        change,
        &BookingOverrides::default(),
    )
    .await
    {
        Ok(s) => Ok(redirect_with(
            &state,
            &format!("/app/sessions/{id}"),
            &format!("Marked {}.", label(s.status.as_str())),
        )),
        Err(e) => action_refused(&state, viewer, id, e).await,
    }
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
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let ctx = viewer.audit.clone();
    match service::check_in(&state.db, &viewer.caller, &ctx, id, &CheckIn::default()).await {
        Ok(_) => Ok(redirect_with(&state, &back_to(&fields, id), "Checked in.")),
        Err(e @ (AppError::NotFound | AppError::Forbidden(_))) => Err(PageError::App(e)),
        Err(e) => action_refused(&state, viewer, id, e).await,
    }
}
