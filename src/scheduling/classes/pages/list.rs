//! `/app/classes`: the upcoming classes with filters, and the form to schedule one.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::TrainerNames;
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::agenda::{View, period};
use crate::scheduling::classes::model::{CreateClass, ListClasses};
use crate::scheduling::classes::service;
use crate::scheduling::locations;
use crate::scheduling::pages::form::{
    parse_id, parse_instant, parse_number, rename_fields, require_id,
};
use crate::scheduling::pages::shared::{ConflictView, describe_conflicts};
use crate::state::AppState;
use crate::web::form::{Choice, Done, Fields, Form, respond};
use crate::web::page::{FormState, PageResult, Shell, Viewer, render_status};
use crate::web::page_error::PageQuery;
use crate::web::picker;

/// Filters of the class list (empty values count as absent).
#[derive(Debug, Default, Deserialize)]
pub struct ClassQuery {
    from: Option<String>,
    trainer_id: Option<String>,
    location_id: Option<String>,
    status: Option<String>,
}

/// One class in the list.
struct ClassRow {
    id: Uuid,
    name: String,
    when: String,
    trainer: String,
    location: String,
    places: String,
    waitlisted: u64,
    status: String,
}

#[derive(Template)]
#[template(path = "scheduling/classes.html")]
struct ClassesPage {
    shell: Shell,
    rows: Vec<ClassRow>,
    filter: FormState,
    form: FormState,
    conflicts: Vec<ConflictView>,
    may_override: bool,
    may_create: bool,
    trainers: Vec<Choice>,
    filter_trainers: Vec<Choice>,
    locations: Vec<Choice>,
    tz_hint: String,
}

fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The list under the filters `q`, with the scheduling form `form` (and the conflicts of a refused
/// one).
async fn render_list(
    state: &AppState,
    viewer: &Viewer,
    q: ClassQuery,
    form: FormState,
    conflicts: Vec<ConflictView>,
    status: StatusCode,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let db = state.db.conn();
    let actor = viewer.actor();
    let scope = ScheduleScope::for_actor(db, &actor).await?;
    let fmt = &viewer.shell.fmt;
    let bad = |f: &str| AppError::bad_param(f, "is not valid");
    let from = match some(&q.from) {
        Some(d) => {
            let d = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad("from"))?;
            period(fmt.tz(), Some(d), View::Day).2
        }
        None => Utc::now(),
    };
    let trainer_id = match some(&q.trainer_id) {
        Some(t) => Some(t.parse::<Uuid>().map_err(|_| bad("trainer_id"))?),
        None => None,
    };
    let location_id = match some(&q.location_id) {
        Some(l) => Some(l.parse::<Uuid>().map_err(|_| bad("location_id"))?),
        None => None,
    };
    let page = service::list_classes(
        db,
        &actor,
        ListClasses {
            from: Some(from),
            to: None,
            trainer_id,
            location_id,
            client_id: None,
            status: some(&q.status).map(str::to_owned),
            limit: Some(100),
            cursor: None,
            include_total: None,
        },
    )
    .await?;
    let names = TrainerNames::load(db, scope.org, page.items.iter().map(|c| c.trainer_id)).await?;
    let locations: Vec<Choice> = locations::all(db, scope.org)
        .await?
        .into_iter()
        .map(|l| Choice::new(l.id.to_string(), l.name))
        .collect();
    let location_name = |id: Option<Uuid>| {
        id.and_then(|l| locations.iter().find(|x| x.value == l.to_string()))
            .map(|l| l.label.clone())
            .unwrap_or_default()
    };
    let rows = page
        .items
        .iter()
        .map(|c| ClassRow {
            id: c.id,
            name: c.name.clone(),
            when: format!("{} – {}", fmt.datetime(&c.starts_at), fmt.time(&c.ends_at)),
            trainer: names.of(&c.trainer_id),
            location: location_name(c.location_id),
            places: format!("{} / {}", c.booked, c.capacity),
            waitlisted: c.waitlisted,
            status: c.status.clone(),
        })
        .collect();
    let filter = FormState::with_values([
        ("from", q.from.clone().unwrap_or_default()),
        ("trainer_id", q.trainer_id.clone().unwrap_or_default()),
        ("location_id", q.location_id.clone().unwrap_or_default()),
        ("status", q.status.clone().unwrap_or_default()),
    ]);
    let filter_trainers = picker::trainers(db, scope.org, None).await?;
    let may_create = matches!(scope.who, Who::All | Who::Trainer(_));
    let mut create_trainers = filter_trainers.clone();
    if let Who::Trainer(me) = scope.who {
        create_trainers.retain(|t| t.value == me.to_string());
    }
    let mut form = form;
    if form.value("trainer_id").is_empty()
        && let [only] = create_trainers.as_slice()
    {
        form.set("trainer_id", only.value.clone());
    }
    render_status(
        status,
        &ClassesPage {
            rows,
            filter,
            form,
            conflicts,
            may_override: scope.may_override(),
            may_create,
            trainers: create_trainers,
            filter_trainers,
            locations,
            tz_hint: format!("Local time, {}", fmt.tz().name()),
            shell: viewer.shell.clone(),
        },
    )
}

/// `GET /app/classes`.
pub async fn list_classes(
    State(state): State<AppState>,
    viewer: Viewer,
    PageQuery(q): PageQuery<ClassQuery>,
) -> PageResult {
    let form = FormState::with_values([
        ("duration_minutes", "60".to_owned()),
        ("capacity", "12".to_owned()),
        ("waitlist_capacity", "5".to_owned()),
    ]);
    render_list(&state, &viewer, q, form, Vec::new(), StatusCode::OK).await
}

/// The class the form describes, or every field that is wrong (the service checks the rest).
fn read_class(fields: &Fields, viewer: &Viewer) -> Result<CreateClass, AppError> {
    let mut e = FieldErrors::new();
    let trainer_id = require_id(&mut e, fields, "trainer_id");
    let location_id = parse_id(&mut e, fields, "location_id");
    let starts_at = parse_instant(&mut e, fields, "starts_at", viewer.shell.fmt.tz());
    let duration = parse_number(&mut e, fields, "duration_minutes", 1..=100_000);
    let capacity = parse_number(&mut e, fields, "capacity", 0..=100_000);
    let waitlist = parse_number(&mut e, fields, "waitlist_capacity", 0..=100_000);
    match (trainer_id, starts_at, duration, capacity, waitlist) {
        (Some(trainer_id), Some(starts_at), Some(duration), Some(capacity), Some(waitlist))
            if e.is_empty() =>
        {
            Ok(CreateClass {
                name: fields.text("name"),
                trainer_id,
                location_id,
                starts_at,
                ends_at: starts_at + Duration::minutes(duration),
                capacity: i32::try_from(capacity).unwrap_or(0),
                waitlist_capacity: Some(i32::try_from(waitlist).unwrap_or(0)),
            })
        }
        _ => Err(AppError::Validation(e)),
    }
}

/// `POST /app/classes/new`: schedules a class. A clash with the trainer's other bookings comes back
/// as 409 with the conflicts listed; every other refusal as 422 at its fields.
pub async fn create_class(State(state): State<AppState>, viewer: Viewer, form: Form) -> PageResult {
    viewer.require(Role::Trainer)?;
    let result = match read_class(&form.fields, &viewer) {
        Ok(input) => {
            let trainer = input.trainer_id;
            match service::create_class(&state.db, &viewer.actor(), input).await {
                Err(AppError::Conflict { detail, conflicts }) => {
                    let list = describe_conflicts(
                        state.db.conn(),
                        &viewer.caller,
                        &viewer.shell.fmt,
                        trainer,
                        None,
                        &conflicts,
                    )
                    .await?;
                    let mut state_form = form.state;
                    state_form.message = Some(detail);
                    return render_list(
                        &state,
                        &viewer,
                        ClassQuery::default(),
                        state_form,
                        list,
                        StatusCode::CONFLICT,
                    )
                    .await;
                }
                other => other.map_err(|e| rename_fields(e, &[("ends_at", "duration_minutes")])),
            }
        }
        Err(e) => Err(e),
    };
    respond(
        &state,
        result,
        form.state,
        |c| Done::to(format!("/app/classes/{}", c.id), "Class scheduled."),
        |form| {
            render_list(
                &state,
                &viewer,
                ClassQuery::default(),
                form,
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        },
    )
    .await
}
