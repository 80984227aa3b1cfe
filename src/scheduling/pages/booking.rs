//! `/app/sessions/new`: books one session, or a weekly series (through the series service).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::form::{Fields, parse_id, parse_instant, parse_number, rename_fields, require_id};
use super::shared::{ConflictView, describe_conflicts, location_choices};
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::sessions::model::{BookingOverrides, CreateSession, SessionKind};
use crate::scheduling::sessions::series::model::CreateSeries;
use crate::scheduling::sessions::series::service as series_service;
use crate::scheduling::sessions::service;
use crate::state::AppState;
use crate::web::form::{Choice, Done, Form, respond};
use crate::web::page::{FormState, PageResult, Shell, Viewer, render_status};
use crate::web::page_error::PageQuery;
use crate::web::picker;

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
    let scope = ScheduleScope::for_actor(db, &viewer.actor()).await?;
    let mut trainers = picker::trainers(db, scope.org, None).await?;
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
        clients: crate::web::picker::clients(db, &viewer.actor()).await?,
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
    PageQuery(q): PageQuery<NewQuery>,
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
pub(super) fn length(
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
pub(super) fn length_field(fields: &Fields) -> &'static str {
    if fields.get("ends_at").is_empty() {
        "duration_minutes"
    } else {
        "ends_at"
    }
}

pub(super) fn overrides_of(fields: &Fields) -> BookingOverrides {
    BookingOverrides {
        allow_conflict: fields.checked("allow_conflict").then_some(true),
        allow_outside_hours: fields.checked("allow_outside_hours").then_some(true),
        apply_to: None,
    }
}

/// The weekly rule of the recurrence fields (the RRULE subset the series API accepts).
fn weekly_rule(e: &mut FieldErrors, fields: &Fields) -> Option<String> {
    // No weekday ticked: the series repeats on the start's weekday (RFC 5545's default).
    let days = fields.all("byday");
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
    let byday = if days.is_empty() {
        String::new()
    } else {
        format!("BYDAY={};", days.join(","))
    };
    Some(format!(
        "FREQ=WEEKLY;INTERVAL={};{byday}{}",
        interval?, end?
    ))
}

/// `POST /app/sessions/new`: books one session, or a weekly series when "repeat" is ticked.
pub async fn create_session(
    State(state): State<AppState>,
    viewer: Viewer,
    mut form: Form,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = &form.fields;
    form.state.set("byday_list", fields.all("byday").join(","));
    let tz = viewer.shell.fmt.tz();
    let mut e = FieldErrors::new();
    let trainer_id = require_id(&mut e, fields, "trainer_id");
    let client_id = require_id(&mut e, fields, "client_id");
    let location_id = parse_id(&mut e, fields, "location_id");
    let starts_at = parse_instant(&mut e, fields, "starts_at", tz);
    let duration = length(&mut e, fields, starts_at, tz);
    let kind = parse_kind(&mut e, fields.get("kind"));
    let notes = fields.opt("notes");
    let rule = if fields.checked("repeat") {
        weekly_rule(&mut e, fields)
    } else {
        None
    };
    let actor = viewer.actor();
    let overrides = overrides_of(fields);
    let result = match (trainer_id, client_id, starts_at, duration, e.is_empty()) {
        (Some(trainer_id), Some(client_id), Some(starts_at), Some(duration), true) => {
            if let Some(rrule) = rule {
                let input = CreateSeries {
                    trainer_id,
                    client_id,
                    location_id,
                    first_starts_at: fields.text("starts_at"),
                    duration_minutes: i32::try_from(duration).unwrap_or(i32::MAX),
                    timezone: tz.name().to_owned(),
                    rrule,
                    kind: Some(kind),
                    notes,
                };
                series_service::create_series(&state.db, &actor, input, &overrides)
                    .await
                    .map(|s| {
                        let n = s.sessions.len();
                        let first = s.sessions.first().map(|x| x.id).unwrap_or_default();
                        (first, format!("Booked a series of {n} sessions."))
                    })
            } else {
                let input = CreateSession {
                    trainer_id,
                    client_id,
                    location_id,
                    starts_at,
                    ends_at: starts_at + Duration::minutes(duration),
                    kind: Some(kind),
                    notes,
                };
                service::create_session(&state.db, &actor, input, &overrides)
                    .await
                    .map(|s| (s.id, "Session booked.".to_owned()))
            }
        }
        _ => Err(AppError::Validation(e)),
    };
    let length_field = length_field(fields);
    match result {
        Err(AppError::Conflict { detail, conflicts }) => {
            let list = describe_conflicts(
                state.db.conn(),
                &viewer.caller,
                &viewer.shell.fmt,
                trainer_id.unwrap_or_default(),
                client_id,
                &conflicts,
            )
            .await?;
            form.state.message = Some(detail);
            render_new(&state, viewer, form.state, list, StatusCode::CONFLICT).await
        }
        result => {
            let result = result.map_err(|e| rename_fields(e, &renames(length_field)));
            respond(
                &state,
                result,
                form.state,
                |(id, message)| Done::to(format!("/app/sessions/{id}"), message),
                |f| render_new(&state, viewer, f, Vec::new(), StatusCode::OK),
            )
            .await
        }
    }
}

/// The API's field names of a booking refusal mapped to the form's.
fn renames(length_field: &str) -> [(&'static str, &str); 5] {
    [
        ("ends_at", length_field),
        ("duration_minutes", length_field),
        ("first_starts_at", "starts_at"),
        ("rrule", "byday"),
        ("timezone", "starts_at"),
    ]
}
