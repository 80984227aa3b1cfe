//! Classes: `/app/classes`, the upcoming classes with filters and a form to schedule one (`roster`
//! has the page of one class).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Choice, ConflictView, Fields, Names, describe_conflicts, location_choices, parse_id,
    parse_instant, parse_number, rename_fields, require_id, trainer_choices,
};
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::classes::{self as service, CreateClass, ListClasses};
use crate::scheduling::locations;
use crate::state::AppState;
use crate::web::page::{FormState, PageResult, Shell, Viewer, redirect_with, render_status};

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

async fn render_list(
    state: &AppState,
    viewer: Viewer,
    q: ClassQuery,
    form: FormState,
    conflicts: Vec<ConflictView>,
    status: StatusCode,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &viewer.caller).await?;
    let fmt = &viewer.shell.fmt;
    let bad = |f: &str| AppError::bad_param(f, "is not valid");
    let from = match some(&q.from) {
        Some(d) => {
            let d = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad("from"))?;
            crate::scheduling::agenda::period(
                fmt.tz(),
                Some(d),
                crate::scheduling::agenda::View::Day,
            )
            .2
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
    let page = service::list(
        db,
        &viewer.caller,
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
    let names = Names::load(db, scope.org, [], page.items.iter().map(|c| c.trainer_id)).await?;
    let locations_all = locations::all(db, scope.org).await?;
    let rows = page
        .items
        .iter()
        .map(|c| ClassRow {
            id: c.id,
            name: c.name.clone(),
            when: format!("{} – {}", fmt.datetime(&c.starts_at), fmt.time(&c.ends_at)),
            trainer: names.trainer(&c.trainer_id),
            location: c
                .location_id
                .and_then(|l| locations_all.iter().find(|x| x.id == l))
                .map(|l| l.name.clone())
                .unwrap_or_default(),
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
    let filter_trainers = trainer_choices(db, scope.org).await?;
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
            locations: location_choices(db, scope.org).await?,
            tz_hint: format!("Local time, {}", fmt.tz().name()),
            shell: viewer.shell,
        },
    )
}

/// `GET /app/classes`.
pub async fn list_classes(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ClassQuery>,
) -> PageResult {
    let form = FormState::with_values([
        ("duration_minutes", "60".to_owned()),
        ("capacity", "12".to_owned()),
        ("waitlist_capacity", "5".to_owned()),
    ]);
    render_list(&state, viewer, q, form, Vec::new(), StatusCode::OK).await
}

/// `POST /app/classes/new`.
pub async fn create_class(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let mut form = FormState::with_values(fields.values());
    let mut e = FieldErrors::new();
    let trainer_id = require_id(&mut e, &fields, "trainer_id");
    let location_id = parse_id(&mut e, &fields, "location_id");
    let starts_at = parse_instant(&mut e, &fields, "starts_at", viewer.shell.fmt.tz());
    let duration = parse_number(&mut e, &fields, "duration_minutes", 1..=100_000);
    let capacity = parse_number(&mut e, &fields, "capacity", 0..=100_000);
    let waitlist = parse_number(&mut e, &fields, "waitlist_capacity", 0..=100_000);
    let (Some(trainer_id), Some(starts_at), Some(duration), Some(capacity), Some(waitlist), true) = (
        trainer_id,
        starts_at,
        duration,
        capacity,
        waitlist,
        e.is_empty(),
    ) else {
        form.take_error(AppError::Validation(e))?;
        return render_list(
            &state,
            viewer,
            ClassQuery::default(),
            form,
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let ctx = viewer.audit.clone();
    let input = CreateClass {
        name: fields.get("name").to_owned(),
        trainer_id,
        location_id,
        starts_at,
        ends_at: starts_at + Duration::minutes(duration),
        capacity: i32::try_from(capacity).unwrap_or(0),
        waitlist_capacity: Some(i32::try_from(waitlist).unwrap_or(0)),
    };
    match service::create(&state.db, &viewer.caller, &ctx, input).await {
        Ok(c) => Ok(redirect_with(
            &state,
            &format!("/app/classes/{}", c.id),
            "Class scheduled.",
        )),
        Err(AppError::Conflict { detail, conflicts }) => {
            let list = describe_conflicts(
                state.db.conn(),
                &viewer.caller,
                &viewer.shell.fmt,
                trainer_id,
                None,
                &conflicts,
            )
            .await?;
            form.message = Some(detail);
            render_list(
                &state,
                viewer,
                ClassQuery::default(),
                form,
                list,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(other) => {
            form.take_error(rename_fields(other, &[("ends_at", "duration_minutes")]))?;
            render_list(
                &state,
                viewer,
                ClassQuery::default(),
                form,
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
