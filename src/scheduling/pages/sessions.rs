//! Sessions: `/app/sessions/new` (one session or a weekly series), `/app/sessions/{id}` with move,
//! cancel, status and check-in.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Choice, ConflictView, Fields, Names, audit_ctx, client_choices, describe_conflicts, label,
    location_choices, parse_id, parse_instant, parse_number, rename_fields, require_id,
    trainer_choices,
};
use crate::app::AppState;
use crate::audit::RequestOrigin;
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::http::IfMatch;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::locations;
use crate::scheduling::series::{self, ApplyTo, CreateSeries};
use crate::scheduling::sessions::{
    self as service, BookingOverrides, CheckIn, CreateSession, SessionKind, SessionStatus,
    UpdateSession,
};
use crate::web::page::{
    FormState, PageError, PageResult, Shell, Viewer, redirect_with, render_status,
};

const WEEKDAYS: [(&str, &str); 7] = [
    ("MO", "Mon"),
    ("TU", "Tue"),
    ("WE", "Wed"),
    ("TH", "Thu"),
    ("FR", "Fri"),
    ("SA", "Sat"),
    ("SU", "Sun"),
];

#[derive(Template)]
#[template(path = "scheduling/session_new.html")]
struct NewSessionPage {
    shell: Shell,
    form: FormState,
    trainers: Vec<Choice>,
    clients: Vec<Choice>,
    locations: Vec<Choice>,
    weekdays: Vec<(&'static str, &'static str, bool)>,
    conflicts: Vec<ConflictView>,
    may_override: bool,
    tz_hint: String,
}

/// Prefills of the new-session form.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    trainer_id: Option<String>,
    client_id: Option<String>,
    starts_at: Option<String>,
}

async fn render_new(
    state: &AppState,
    viewer: Viewer,
    form: FormState,
    conflicts: Vec<ConflictView>,
    status: StatusCode,
) -> PageResult {
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &viewer.caller).await?;
    let mut trainers = trainer_choices(db, scope.org).await?;
    if let Who::Trainer(me) = scope.who {
        trainers.retain(|t| t.value == me.to_string());
    }
    let chosen: Vec<String> = form
        .value("byday_list")
        .split(',')
        .map(str::to_owned)
        .collect();
    let page = NewSessionPage {
        trainers,
        clients: client_choices(db, &viewer).await?,
        locations: location_choices(db, scope.org).await?,
        weekdays: WEEKDAYS
            .iter()
            .map(|(code, name)| (*code, *name, chosen.iter().any(|c| c == code)))
            .collect(),
        conflicts,
        may_override: scope.may_override(),
        tz_hint: format!("Local time, {}", viewer.shell.fmt.tz().name()),
        form,
        shell: viewer.shell,
    };
    render_status(status, &page)
}

/// `GET /app/sessions/new`.
pub async fn new_session(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NewQuery>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let scope = ScheduleScope::of(state.db.conn(), &viewer.caller).await?;
    let tomorrow = (Utc::now() + Duration::days(1))
        .with_timezone(&viewer.shell.fmt.tz())
        .date_naive();
    let mut form = FormState::with_values([
        ("duration_minutes", "60".to_owned()),
        ("kind", "personal".to_owned()),
        ("interval", "1".to_owned()),
        ("ends", "count".to_owned()),
        ("count", "8".to_owned()),
        (
            "starts_at",
            q.starts_at
                .unwrap_or_else(|| format!("{}T09:00", tomorrow.format("%Y-%m-%d"))),
        ),
        ("client_id", q.client_id.unwrap_or_default()),
        ("trainer_id", q.trainer_id.unwrap_or_default()),
    ]);
    if let Who::Trainer(me) = scope.who {
        form.set("trainer_id", me.to_string());
    }
    render_new(&state, viewer, form, Vec::new(), StatusCode::OK).await
}

fn parse_kind(e: &mut FieldErrors, raw: &str) -> SessionKind {
    match raw {
        "" | "personal" => SessionKind::Personal,
        "online" => SessionKind::Online,
        "assessment" => SessionKind::Assessment,
        _ => {
            e.add("kind", "choose one from the list");
            SessionKind::Personal
        }
    }
}

/// The length in minutes: from the end time when one is given, else the length field. Only the
/// format is checked here; the services decide what lengths are allowed.
fn length(
    e: &mut FieldErrors,
    fields: &Fields,
    starts_at: Option<chrono::DateTime<Utc>>,
    tz: chrono_tz::Tz,
) -> Option<i64> {
    if fields.get("ends_at").is_empty() {
        return parse_number(e, fields, "duration_minutes", 1..=100_000);
    }
    let end = parse_instant(e, fields, "ends_at", tz)?;
    Some((end - starts_at?).num_minutes())
}

/// The field a refused length is shown on: the end time when one was given, else the length.
fn length_field(fields: &Fields) -> &'static str {
    if fields.get("ends_at").is_empty() {
        "duration_minutes"
    } else {
        "ends_at"
    }
}

fn overrides_of(fields: &Fields) -> BookingOverrides {
    BookingOverrides {
        allow_conflict: fields.checked("allow_conflict").then_some(true),
        allow_outside_hours: fields.checked("allow_outside_hours").then_some(true),
        apply_to: None,
    }
}

/// The weekly rule of the recurrence fields (the RRULE subset the series API accepts).
fn weekly_rule(e: &mut FieldErrors, fields: &Fields) -> Option<String> {
    let days = fields.all("byday");
    if days.is_empty() {
        e.add("byday", "choose at least one weekday");
    }
    if days
        .iter()
        .any(|d| !WEEKDAYS.iter().any(|(code, _)| code == d))
    {
        e.add("byday", "choose weekdays from the list");
    }
    let interval = parse_number(e, fields, "interval", 1..=52);
    let end = match fields.get("ends") {
        "until" => match NaiveDate::parse_from_str(fields.get("until"), "%Y-%m-%d") {
            Ok(d) => Some(format!("UNTIL={}", d.format("%Y%m%d"))),
            Err(_) => {
                e.add("until", "must be a date");
                None
            }
        },
        _ => parse_number(e, fields, "count", 1..=730).map(|n| format!("COUNT={n}")),
    };
    Some(format!(
        "FREQ=WEEKLY;INTERVAL={};BYDAY={};{}",
        interval?,
        days.join(","),
        end?
    ))
}

/// `POST /app/sessions/new`: books one session, or a weekly series when "repeat" is ticked.
pub async fn create_session(
    State(state): State<AppState>,
    viewer: Viewer,
    origin: RequestOrigin,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let mut form = FormState::with_values(fields.values());
    form.set("byday_list", fields.all("byday").join(","));
    let tz = viewer.shell.fmt.tz();
    let mut e = FieldErrors::new();
    let trainer_id = require_id(&mut e, &fields, "trainer_id");
    let client_id = require_id(&mut e, &fields, "client_id");
    let location_id = parse_id(&mut e, &fields, "location_id");
    let starts_at = parse_instant(&mut e, &fields, "starts_at", tz);
    let duration = length(&mut e, &fields, starts_at, tz);
    let kind = parse_kind(&mut e, fields.get("kind"));
    let notes = Some(fields.get("notes").to_owned()).filter(|n| !n.is_empty());
    let repeat = fields.checked("repeat");
    let rule = if repeat {
        weekly_rule(&mut e, &fields)
    } else {
        None
    };
    let ctx = audit_ctx(&viewer, origin);
    let overrides = overrides_of(&fields);
    let outcome = match (trainer_id, client_id, starts_at, duration, e.is_empty()) {
        (Some(trainer_id), Some(client_id), Some(starts_at), Some(duration), true) => {
            if let Some(rrule) = rule {
                series::create(
                    &state.db,
                    &viewer.caller,
                    &ctx,
                    CreateSeries {
                        trainer_id,
                        client_id,
                        location_id,
                        first_starts_at: fields.get("starts_at").to_owned(),
                        duration_minutes: i32::try_from(duration).unwrap_or(i32::MAX),
                        timezone: tz.name().to_owned(),
                        rrule,
                        kind: Some(kind),
                        notes,
                    },
                    &overrides,
                )
                .await
                .map(|s| {
                    let n = s.sessions.len();
                    let first = s.sessions.first().map(|x| x.id).unwrap_or_default();
                    (first, format!("Booked a series of {n} sessions."))
                })
            } else {
                service::create(
                    &state.db,
                    &viewer.caller,
                    &ctx,
                    CreateSession {
                        trainer_id,
                        client_id,
                        location_id,
                        starts_at,
                        ends_at: starts_at + Duration::minutes(duration),
                        kind: Some(kind),
                        notes,
                    },
                    &overrides,
                )
                .await
                .map(|s| (s.id, "Session booked.".to_owned()))
            }
            .map_err(|e| (e, trainer_id, client_id))
        }
        _ => {
            form.take_error(AppError::Validation(e))?;
            return render_new(
                &state,
                viewer,
                form,
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match outcome {
        Ok((id, message)) => Ok(redirect_with(
            &state,
            &format!("/app/sessions/{id}"),
            &message,
        )),
        Err((error, trainer, client)) => {
            let length_field = length_field(&fields);
            refused(&state, viewer, form, error, trainer, client, length_field).await
        }
    }
}

/// Re-renders the new-session form after the service refused: conflicts in their box (409), other
/// problems by field (422).
async fn refused(
    state: &AppState,
    viewer: Viewer,
    mut form: FormState,
    error: AppError,
    trainer: Uuid,
    client: Uuid,
    length_field: &str,
) -> PageResult {
    if let AppError::Conflict { detail, conflicts } = error {
        let list = describe_conflicts(
            state.db.conn(),
            viewer.caller.org,
            &viewer.shell.fmt,
            trainer,
            Some(client),
            &conflicts,
        )
        .await?;
        form.message = Some(detail);
        return render_new(state, viewer, form, list, StatusCode::CONFLICT).await;
    }
    form.take_error(rename_fields(
        error,
        &[
            ("ends_at", length_field),
            ("duration_minutes", length_field),
            ("first_starts_at", "starts_at"),
            ("rrule", "byday"),
            ("timezone", "starts_at"),
        ],
    ))?;
    render_new(
        state,
        viewer,
        form,
        Vec::new(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

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
    origin: RequestOrigin,
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
    let ctx = audit_ctx(&viewer, origin);
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
                scope.org,
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
    origin: RequestOrigin,
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
    let ctx = audit_ctx(&viewer, origin);
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
    origin: RequestOrigin,
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
    let ctx = audit_ctx(&viewer, origin);
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
    origin: RequestOrigin,
    Path(id): Path<Uuid>,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let ctx = audit_ctx(&viewer, origin);
    match service::check_in(&state.db, &viewer.caller, &ctx, id, &CheckIn::default()).await {
        Ok(_) => Ok(redirect_with(&state, &back_to(&fields, id), "Checked in.")),
        Err(e @ (AppError::NotFound | AppError::Forbidden(_))) => Err(PageError::App(e)),
        Err(e) => action_refused(&state, viewer, id, e).await,
    }
}
