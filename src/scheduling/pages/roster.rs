//! `/app/classes/{id}`: the roster, the waitlist with positions, booking a client, cancelling a
//! booking (the service promotes the first waiting), check-in.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use uuid::Uuid;

use super::{Choice, Fields, Names, client_choices, require_id};
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::classes::{self as service, BookClass};
use crate::scheduling::locations;
use crate::scheduling::sessions::CheckIn;
use crate::state::AppState;
use crate::web::page::{FormState, PageResult, Shell, Viewer, redirect_with, render_status};

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
    let ctx = viewer.audit.clone();
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
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let ctx = viewer.audit.clone();
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
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let ctx = viewer.audit.clone();
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
