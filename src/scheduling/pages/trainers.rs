//! Trainers: `/app/trainers` (list, add) and `/app/trainers/{id}` (details, working hours, time off,
//! calendar feed).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use uuid::Uuid;

use super::{Fields, parse_instant};
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::http::IfMatch;
use crate::http::pagination::PageRequest;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::feeds;
use crate::scheduling::hours::{self, CreateTimeOff, WorkingBlock, WorkingHours};
use crate::state::AppState;
use crate::trainers::model::{CreateTrainer, UpdateTrainer};
use crate::trainers::{Trainer, repo as trainer_repo, routes as trainer_service};
use crate::web::page::{FormState, PageResult, Shell, Viewer, redirect_with, render_status};

#[derive(Template)]
#[template(path = "scheduling/trainers.html")]
struct TrainersPage {
    shell: Shell,
    trainers: Vec<Trainer>,
    may_add: bool,
    form: FormState,
}

async fn render_list(
    state: &AppState,
    viewer: Viewer,
    form: FormState,
    status: StatusCode,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let page = PageRequest::parse(
        &trainer_repo::SORT_FIELDS,
        "name",
        Some(200),
        None,
        None,
        None,
    )?;
    let trainers = trainer_repo::list(state.db.conn(), viewer.caller.org, &page, None, None)
        .await?
        .items;
    render_status(
        status,
        &TrainersPage {
            trainers,
            may_add: viewer.caller.role.at_least(Role::Admin),
            form,
            shell: viewer.shell,
        },
    )
}

/// `GET /app/trainers`.
pub async fn list_trainers(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    render_list(&state, viewer, FormState::default(), StatusCode::OK).await
}

fn opt(fields: &Fields, name: &str) -> Option<String> {
    Some(fields.get(name).to_owned()).filter(|v| !v.is_empty())
}

/// `POST /app/trainers/new` (owners and admins).
pub async fn create_trainer(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let fields = Fields(raw);
    let mut form = FormState::with_values(fields.values());
    let input = CreateTrainer {
        first_name: fields.get("first_name").to_owned(),
        last_name: fields.get("last_name").to_owned(),
        email: opt(&fields, "email"),
        phone: opt(&fields, "phone"),
        bio: None,
        specialties: None,
        certifications: None,
        hourly_rate_cents: None,
        currency: None,
        active: None,
        user_id: None,
    };
    match trainer_service::create(&state.db, &viewer.caller, input).await {
        Ok(t) => Ok(redirect_with(
            &state,
            &format!("/app/trainers/{}", t.id),
            "Trainer added.",
        )),
        Err(e) => {
            form.take_error(e)?;
            render_list(&state, viewer, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// One weekday row of the working-hours form: two blocks.
struct DayRow {
    code: &'static str,
    name: &'static str,
}

struct TimeOffRow {
    id: Uuid,
    from: String,
    until: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "scheduling/trainer.html")]
struct TrainerPage {
    shell: Shell,
    t: Trainer,
    may_edit: bool,
    may_manage_time: bool,
    may_feed: bool,
    edit: FormState,
    hours: FormState,
    days: Vec<DayRow>,
    time_off: Vec<TimeOffRow>,
    off_form: FormState,
    feed_url: Option<String>,
    tz: String,
}

/// What the trainer page shows besides the trainer.
#[derive(Default)]
struct Extra {
    edit: Option<FormState>,
    hours: Option<FormState>,
    off_form: FormState,
    feed_url: Option<String>,
}

async fn render_trainer(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
    extra: Extra,
    status: StatusCode,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &viewer.caller).await?;
    let t = trainer_repo::get(db, scope.org, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let week = hours::working_hours(db, &viewer.caller, id).await?;
    let off = hours::time_off(db, &viewer.caller, id).await?;
    let fmt = &viewer.shell.fmt;
    let hours_form = extra.hours.unwrap_or_else(|| {
        let mut f = FormState::default();
        for (code, _) in DAYS {
            for (i, b) in week
                .hours
                .iter()
                .filter(|b| b.weekday == code)
                .take(2)
                .enumerate()
            {
                f.set(&format!("start_{code}_{i}"), b.start.clone());
                f.set(&format!("end_{code}_{i}"), b.end.clone());
            }
        }
        f
    });
    let edit = extra.edit.unwrap_or_else(|| {
        FormState::with_values([
            ("first_name", t.first_name.clone()),
            ("last_name", t.last_name.clone()),
            ("email", t.email.clone().unwrap_or_default()),
            ("phone", t.phone.clone().unwrap_or_default()),
            ("active", if t.active { "on" } else { "" }.to_owned()),
            ("version", t.version.to_string()),
        ])
    });
    let page = TrainerPage {
        may_edit: viewer.caller.role.at_least(Role::Admin),
        may_manage_time: scope.may_override() || scope.who == Who::Trainer(id),
        may_feed: scope.is_front_desk() || scope.who == Who::Trainer(id),
        edit,
        hours: hours_form,
        days: DAYS
            .iter()
            .map(|(code, name)| DayRow { code, name })
            .collect(),
        time_off: off
            .iter()
            .map(|o| TimeOffRow {
                id: o.id,
                from: fmt.datetime(&o.starts_at),
                until: fmt.datetime(&o.ends_at),
                reason: o.reason.clone().unwrap_or_default(),
            })
            .collect(),
        off_form: extra.off_form,
        feed_url: extra.feed_url,
        tz: fmt.tz().name().to_owned(),
        t,
        shell: viewer.shell,
    };
    render_status(status, &page)
}

/// `GET /app/trainers/{id}`.
pub async fn show_trainer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    render_trainer(&state, viewer, id, Extra::default(), StatusCode::OK).await
}

/// `POST /app/trainers/{id}`: name, contact and active flag (owners and admins).
pub async fn update_trainer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let fields = Fields(raw);
    let mut form = FormState::with_values(fields.values());
    let input = UpdateTrainer {
        first_name: Some(fields.get("first_name").to_owned()),
        last_name: Some(fields.get("last_name").to_owned()),
        email: Some(opt(&fields, "email")),
        phone: Some(opt(&fields, "phone")),
        bio: None,
        specialties: None,
        certifications: None,
        hourly_rate_cents: None,
        currency: None,
        active: Some(fields.checked("active")),
        user_id: None,
        version: None,
    };
    let version = IfMatch(fields.get("version").parse().ok());
    match trainer_service::update(&state.db, &viewer.caller, id, version, input).await {
        Ok(_) => Ok(redirect_with(
            &state,
            &format!("/app/trainers/{id}"),
            "Trainer saved.",
        )),
        Err(AppError::NotFound) => Err(AppError::NotFound.into()),
        Err(e) => {
            form.take_error(e)?;
            render_trainer(
                &state,
                viewer,
                id,
                Extra {
                    edit: Some(form),
                    ..Extra::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /app/trainers/{id}/hours`: replaces the week (up to two blocks a day).
pub async fn set_hours(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let mut form = FormState::with_values(fields.values());
    let mut blocks = Vec::new();
    let mut e = FieldErrors::new();
    for (code, _) in DAYS {
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
    let result = if e.is_empty() {
        let ctx = viewer.audit.clone();
        hours::set_hours(
            &state.db,
            &viewer.caller,
            &ctx,
            id,
            &WorkingHours { hours: blocks },
        )
        .await
    } else {
        Err(AppError::Validation(e))
    };
    match result {
        Ok(()) => Ok(redirect_with(
            &state,
            &format!("/app/trainers/{id}"),
            "Working hours saved.",
        )),
        Err(e @ (AppError::NotFound | AppError::Forbidden(_))) => Err(e.into()),
        Err(e) => {
            // The API names blocks by index (`hours[3].end`); show them as one message.
            if let AppError::Validation(f) = &e {
                form.message = Some(
                    f.0.values()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            form.take_error(e)?;
            render_trainer(
                &state,
                viewer,
                id,
                Extra {
                    hours: Some(form),
                    ..Extra::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /app/trainers/{id}/time-off`.
pub async fn add_time_off(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let mut form = FormState::with_values(fields.values());
    let tz = viewer.shell.fmt.tz();
    let mut e = FieldErrors::new();
    let starts_at = parse_instant(&mut e, &fields, "starts_at", tz);
    let ends_at = parse_instant(&mut e, &fields, "ends_at", tz);
    let result = match (starts_at, ends_at, e.is_empty()) {
        (Some(starts_at), Some(ends_at), true) => {
            let ctx = viewer.audit.clone();
            hours::add_time_off(
                &state.db,
                &viewer.caller,
                &ctx,
                id,
                CreateTimeOff {
                    starts_at,
                    ends_at,
                    reason: Some(fields.get("reason").to_owned()).filter(|r| !r.is_empty()),
                },
            )
            .await
            .map(|_| ())
        }
        _ => Err(AppError::Validation(e)),
    };
    match result {
        Ok(()) => Ok(redirect_with(
            &state,
            &format!("/app/trainers/{id}"),
            "Time off added.",
        )),
        Err(e @ (AppError::NotFound | AppError::Forbidden(_))) => Err(e.into()),
        Err(e) => {
            form.take_error(e)?;
            render_trainer(
                &state,
                viewer,
                id,
                Extra {
                    off_form: form,
                    ..Extra::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /app/trainers/{id}/time-off/{time_off_id}/delete`.
pub async fn delete_time_off(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, time_off_id)): Path<(Uuid, Uuid)>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let ctx = viewer.audit.clone();
    hours::remove_time_off(&state.db, &viewer.caller, &ctx, id, time_off_id).await?;
    Ok(redirect_with(
        &state,
        &format!("/app/trainers/{id}"),
        "Time off removed.",
    ))
}

/// `POST /app/trainers/{id}/feed`: creates (or replaces) the calendar feed and shows its address once.
pub async fn calendar_feed(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let ctx = viewer.audit.clone();
    let feed = feeds::rotate_trainer_feed(&state, &viewer.caller, &ctx, id, &headers).await?;
    render_trainer(
        &state,
        viewer,
        id,
        Extra {
            feed_url: Some(feed.url),
            ..Extra::default()
        },
        StatusCode::OK,
    )
    .await
}
