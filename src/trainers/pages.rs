//! Trainers: `/app/trainers` (list, add) and `/app/trainers/{id}` (details, working hours, time off,
//! calendar feed), and `/app/trainers/picker?q=` (the trainer picker's options, narrowed as one
//! types). Every change goes through [`super::service`] or the availability and feed services.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{CreateTrainer, UpdateTrainer};
use super::{Trainer, repo, service};
use crate::auth::Role;
use crate::error::AppError;
use crate::http::IfMatch;
use crate::http::pagination::PageRequest;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::availability::service as availability;
use crate::scheduling::feeds;
use crate::state::AppState;
use crate::web::form::{Choice, Done, Fields, Form, FormState, respond};
use crate::web::page::{PageResult, Shell, Viewer, render, render_status};
use crate::web::page_error::PageQuery;
use crate::web::picker;

/// The pages of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/trainers", get(list_trainers))
        .route("/app/trainers/new", post(create_trainer))
        .route("/app/trainers/picker", get(trainer_options))
        .route("/app/trainers/{id}", get(show_trainer).post(update_trainer))
        .route("/app/trainers/{id}/feed", post(calendar_feed))
}

#[derive(Template)]
#[template(path = "scheduling/trainers.html")]
struct TrainersPage {
    shell: Shell,
    trainers: Vec<Trainer>,
    may_add: bool,
    form: FormState,
}

async fn render_list(state: &AppState, viewer: Viewer, form: FormState) -> PageResult {
    viewer.require(Role::Trainer)?;
    let page = PageRequest::parse(&repo::SORT_FIELDS, "name", Some(200), None, None, None)?;
    let trainers = repo::list(state.db.conn(), viewer.caller.org, &page, None, None)
        .await?
        .items;
    render(&TrainersPage {
        trainers,
        may_add: viewer.caller.role.at_least(Role::Admin),
        form,
        shell: viewer.shell,
    })
}

/// `GET /app/trainers`.
pub async fn list_trainers(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    render_list(&state, viewer, FormState::default()).await
}

/// `POST /app/trainers/new` (owners and admins).
pub async fn create_trainer(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Form,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let f = &form.fields;
    let input = CreateTrainer {
        first_name: f.text("first_name"),
        last_name: f.text("last_name"),
        email: f.opt("email"),
        phone: f.opt("phone"),
        bio: None,
        specialties: None,
        certifications: None,
        hourly_rate_cents: None,
        currency: None,
        active: None,
        user_id: None,
    };
    let result = service::create_trainer(&state.db, &viewer.actor(), input).await;
    respond(
        &state,
        result,
        form.state,
        |t| Done::to(format!("/app/trainers/{}", t.id), "Trainer added."),
        |form| render_list(&state, viewer, form),
    )
    .await
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

/// What the trainer page shows besides the trainer: a form shown again with its errors, or the
/// feed address created just now.
#[derive(Default)]
pub struct Extra {
    /// The details form.
    pub edit: Option<FormState>,
    /// The working-hours form.
    pub hours: Option<FormState>,
    /// The time-off form.
    pub off_form: FormState,
    /// A new feed's address, shown once.
    pub feed_url: Option<String>,
}

/// The trainer page (`GET /app/trainers/{id}`), with `extra` forms shown again.
pub async fn render_trainer(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
    extra: Extra,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let db = state.db.conn();
    let actor = viewer.actor();
    let scope = ScheduleScope::for_actor(db, &actor).await?;
    let t = repo::get(db, scope.org, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let week = availability::working_hours(db, &actor, id).await?;
    let off = availability::time_off(db, &actor, id).await?;
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
    render_status(StatusCode::OK, &page)
}

/// `GET /app/trainers/{id}`.
pub async fn show_trainer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    render_trainer(&state, viewer, id, Extra::default()).await
}

fn update_input(f: &Fields) -> UpdateTrainer {
    UpdateTrainer {
        first_name: Some(f.text("first_name")),
        last_name: Some(f.text("last_name")),
        email: Some(f.opt("email")),
        phone: Some(f.opt("phone")),
        bio: None,
        specialties: None,
        certifications: None,
        hourly_rate_cents: None,
        currency: None,
        active: Some(f.checked("active")),
        user_id: None,
        version: None,
    }
}

/// `POST /app/trainers/{id}`: name, contact and active flag (owners and admins).
pub async fn update_trainer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let version = IfMatch(form.fields.get("version").parse().ok());
    let input = update_input(&form.fields);
    let result = service::update_trainer(&state.db, &viewer.actor(), id, version, input).await;
    if matches!(result, Err(AppError::NotFound)) {
        return Err(AppError::NotFound.into());
    }
    respond(
        &state,
        result,
        form.state,
        |_| Done::to(format!("/app/trainers/{id}"), "Trainer saved."),
        |form| {
            let extra = Extra {
                edit: Some(form),
                ..Extra::default()
            };
            render_trainer(&state, viewer, id, extra)
        },
    )
    .await
}

/// `POST /app/trainers/{id}/feed`: creates (or replaces) the calendar feed and shows its address once.
pub async fn calendar_feed(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let base = feeds::base_url(&state, &headers);
    let feed = feeds::rotate_trainer_feed(&state.db, &viewer.actor(), id, &base).await?;
    let extra = Extra {
        feed_url: Some(feed.url),
        ..Extra::default()
    };
    render_trainer(&state, viewer, id, extra).await
}

/// `GET /app/trainers/picker?q=`.
#[derive(Debug, Deserialize)]
pub struct PickerQuery {
    /// The typed start of a name.
    #[serde(default)]
    q: Option<String>,
    /// The trainer chosen now, kept selected.
    #[serde(default)]
    selected: Option<String>,
}

#[derive(Template)]
#[template(path = "trainers/picker_options.html")]
struct PickerOptions {
    trainers: Vec<Choice>,
    selected: String,
}

/// `GET /app/trainers/picker?q=`: the `<option>`s of the trainer picker whose name starts with `q`
/// (the script swaps them into the `<select>` as one types).
pub async fn trainer_options(
    State(state): State<AppState>,
    viewer: Viewer,
    PageQuery(query): PageQuery<PickerQuery>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let q = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| q.chars().take(100).collect::<String>());
    let trainers = picker::trainers(state.db.conn(), viewer.caller.org, q.as_deref()).await?;
    render(&PickerOptions {
        trainers,
        selected: query.selected.unwrap_or_default(),
    })
}
