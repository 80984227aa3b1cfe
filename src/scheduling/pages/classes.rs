//! Classes: `/app/classes` (upcoming, filters, scheduling a class) and `/app/classes/{id}` (the
//! roster, the waitlist with positions, booking a client, cancelling a booking, check-in).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Choice, ConflictView, Fields, Names, audit_ctx, client_choices, describe_conflicts,
    location_choices, parse_id, parse_instant, parse_number, rename_fields, require_id,
    trainer_choices,
};
use crate::app::AppState;
use crate::audit::RequestOrigin;
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::classes::{self as service, BookClass, CreateClass, ListClasses};
use crate::scheduling::locations;
use crate::scheduling::sessions::CheckIn;
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
    origin: RequestOrigin,
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
    let ctx = audit_ctx(&viewer, origin);
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
                viewer.caller.org,
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

/// One place on the roster.
struct PlaceRow {
    id: Uuid,
    client: String,
    position: Option<i32>,
    checked_in: Option<String>,
    late_cancel: bool,
}

#[derive(Template)]
#[template(path = "scheduling/class.html")]
struct ClassPage {
    shell: Shell,
    id: Uuid,
    name: String,
    when: String,
    trainer: String,
    location: Option<String>,
    status: String,
    places: String,
    waitlist: String,
    sees_roster: bool,
    booked: Vec<PlaceRow>,
    waiting: Vec<PlaceRow>,
    cancelled: Vec<PlaceRow>,
    may_book: bool,
    may_manage: bool,
    clients: Vec<Choice>,
    form: FormState,
}

async fn render_class(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
    form: FormState,
    status: StatusCode,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let db = state.db.conn();
    let scope = ScheduleScope::of(db, &viewer.caller).await?;
    let class = service::get(db, scope.org, id).await?;
    let (sees_roster, places) = match service::roster(db, &viewer.caller, id).await {
        Ok(p) => (true, p),
        Err(AppError::Forbidden(_)) => (false, Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let names = Names::load(
        db,
        scope.org,
        places.iter().map(|p| p.client_id),
        [class.trainer_id],
    )
    .await?;
    let fmt = &viewer.shell.fmt;
    let mut booked = Vec::new();
    let mut waiting = Vec::new();
    let mut cancelled = Vec::new();
    for p in places {
        let row = PlaceRow {
            id: p.id,
            client: names.client(&p.client_id),
            position: p.position,
            checked_in: p.checked_in_at.map(|t| fmt.time(&t)),
            late_cancel: p.late_cancel,
        };
        match p.status.as_str() {
            "booked" => booked.push(row),
            "waitlisted" => waiting.push(row),
            _ => cancelled.push(row),
        }
    }
    let may_book = scope.is_front_desk() && class.status == "scheduled";
    let location = match class.location_id {
        Some(l) => locations::find(db, scope.org, l).await?.map(|l| l.name),
        None => None,
    };
    let page = ClassPage {
        id,
        when: format!(
            "{} – {}",
            fmt.datetime(&class.starts_at),
            fmt.time(&class.ends_at)
        ),
        trainer: names.trainer(&class.trainer_id),
        location,
        status: class.status.clone(),
        places: format!("{} of {} places taken", class.booked, class.capacity),
        waitlist: format!(
            "{} of {} waitlist places",
            class.waitlisted, class.waitlist_capacity
        ),
        name: class.name,
        sees_roster,
        booked,
        waiting,
        cancelled,
        may_book,
        may_manage: sees_roster && !matches!(scope.who, Who::Client(_)),
        clients: if may_book {
            client_choices(db, &viewer).await?
        } else {
            Vec::new()
        },
        form,
        shell: viewer.shell,
    };
    render_status(status, &page)
}

/// `GET /app/classes/{id}`.
pub async fn show_class(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    render_class(&state, viewer, id, FormState::default(), StatusCode::OK).await
}

async fn refused(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
    mut form: FormState,
    e: AppError,
) -> PageResult {
    let status = match &e {
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    if let e @ (AppError::NotFound | AppError::Forbidden(_)) = e {
        return Err(e.into());
    }
    form.take_error(e)?;
    render_class(state, viewer, id, form, status).await
}

/// `POST /app/classes/{id}/bookings`: staff book a client (or put them on the waitlist).
pub async fn book_client(
    State(state): State<AppState>,
    viewer: Viewer,
    origin: RequestOrigin,
    Path(id): Path<Uuid>,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let fields = Fields(raw);
    let form = FormState::with_values(fields.values());
    let mut e = FieldErrors::new();
    let Some(client_id) = require_id(&mut e, &fields, "client_id") else {
        return refused(&state, viewer, id, form, AppError::Validation(e)).await;
    };
    let ctx = audit_ctx(&viewer, origin);
    match service::book(
        &state.db,
        &viewer.caller,
        &ctx,
        id,
        BookClass {
            client_id: Some(client_id),
        },
    )
    .await
    {
        Ok(b) => {
            let message = match b.position {
                Some(p) if b.status == "waitlisted" => {
                    format!("The class is full: waitlisted at position {p}.")
                }
                _ => "Booked.".to_owned(),
            };
            Ok(redirect_with(
                &state,
                &format!("/app/classes/{id}"),
                &message,
            ))
        }
        Err(e) => refused(&state, viewer, id, form, e).await,
    }
}

/// `POST /app/classes/{id}/bookings/{booking_id}/cancel`: a freed place goes to the first on the
/// waitlist.
pub async fn cancel_booking(
    State(state): State<AppState>,
    viewer: Viewer,
    origin: RequestOrigin,
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let ctx = audit_ctx(&viewer, origin);
    match service::cancel_place(&state.db, &viewer.caller, &ctx, id, booking_id).await {
        Ok(()) => Ok(redirect_with(
            &state,
            &format!("/app/classes/{id}"),
            "Booking cancelled.",
        )),
        Err(e) => refused(&state, viewer, id, FormState::default(), e).await,
    }
}

/// `POST /app/classes/{id}/bookings/{booking_id}/check-in`.
pub async fn check_in_booking(
    State(state): State<AppState>,
    viewer: Viewer,
    origin: RequestOrigin,
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let ctx = audit_ctx(&viewer, origin);
    match service::check_in_place(
        &state.db,
        &viewer.caller,
        &ctx,
        id,
        booking_id,
        &CheckIn::default(),
    )
    .await
    {
        Ok(_) => Ok(redirect_with(
            &state,
            &format!("/app/classes/{id}"),
            "Checked in.",
        )),
        Err(e) => refused(&state, viewer, id, FormState::default(), e).await,
    }
}
