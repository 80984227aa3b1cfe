//! `/app/classes/{id}`: the roster, the waitlist with positions, booking a client, cancelling a
//! booking (the service promotes the first waiting), check-in.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use uuid::Uuid;

use super::TrainerNames;
use crate::auth::Role;
use crate::clients::repo as client_repo;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::classes::model::{BOOKED, BookClass, SCHEDULED, WAITLISTED};
use crate::scheduling::classes::service;
use crate::scheduling::locations;
use crate::scheduling::pages::form::require_id;
use crate::scheduling::sessions::CheckIn;
use crate::state::AppState;
use crate::web::form::{Choice, Done, Form, respond};
use crate::web::page::{FormState, PageResult, Shell, Viewer, render_status};
use crate::web::picker;

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

/// The page of class `id` showing `form`.
async fn render_class(state: &AppState, viewer: &Viewer, id: Uuid, form: FormState) -> PageResult {
    viewer.require(Role::Trainer)?;
    let db = state.db.conn();
    let actor = viewer.actor();
    let scope = ScheduleScope::for_actor(db, &actor).await?;
    let class = service::get_class(db, &actor, id).await?;
    let (sees_roster, places) = match service::list_bookings(db, &actor, id).await {
        Ok(p) => (true, p),
        Err(AppError::Forbidden(_)) => (false, Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let client_ids: Vec<Uuid> = places.iter().map(|p| p.client_id).collect();
    let clients = client_repo::by_ids(db, scope.org, &client_ids).await?;
    let client_name = |id: &Uuid| match clients.iter().find(|c| c.id == *id) {
        Some(c) if c.erased_at.is_some() => "(erased client)".to_owned(),
        Some(c) => format!("{} {}", c.first_name, c.last_name),
        None => "a client".to_owned(),
    };
    let trainers = TrainerNames::load(db, scope.org, [class.trainer_id]).await?;
    let fmt = &viewer.shell.fmt;
    let mut booked = Vec::new();
    let mut waiting = Vec::new();
    let mut cancelled = Vec::new();
    for p in places {
        let row = PlaceRow {
            id: p.id,
            client: client_name(&p.client_id),
            position: p.position,
            checked_in: p.checked_in_at.map(|t| fmt.time(&t)),
            late_cancel: p.late_cancel,
        };
        match p.status.as_str() {
            BOOKED => booked.push(row),
            WAITLISTED => waiting.push(row),
            _ => cancelled.push(row),
        }
    }
    let may_book = scope.is_front_desk() && class.status == SCHEDULED;
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
        trainer: trainers.of(&class.trainer_id),
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
            picker::clients(db, &actor).await?
        } else {
            Vec::new()
        },
        form,
        shell: viewer.shell.clone(),
    };
    render_status(StatusCode::OK, &page)
}

/// `GET /app/classes/{id}`.
pub async fn show_class(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    render_class(&state, &viewer, id, FormState::default()).await
}

/// The ending of every roster action: back to the class page with `message`, or the page again
/// with the refusal at its field.
async fn back_to_class<T>(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    form: Form,
    result: AppResult<T>,
    message: impl FnOnce(T) -> String,
) -> PageResult {
    respond(
        state,
        result,
        form.state,
        |v| Done::to(format!("/app/classes/{id}"), message(v)),
        |form| render_class(state, viewer, id, form),
    )
    .await
}

/// `POST /app/classes/{id}/bookings`: staff book a client (or put them on the waitlist).
pub async fn book_client(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    // Staff and above book clients (a client books in the portal; a trainer does not book).
    viewer.require(Role::Staff)?;
    let mut e = FieldErrors::new();
    let result = match require_id(&mut e, &form.fields, "client_id") {
        Some(client_id) => {
            let input = BookClass {
                client_id: Some(client_id),
            };
            service::book_class(&state.db, &viewer.actor(), id, input).await
        }
        None => Err(AppError::Validation(e)),
    };
    back_to_class(&state, &viewer, id, form, result, |b| match b.position {
        Some(p) if b.status == WAITLISTED => {
            format!("The class is full: waitlisted at position {p}.")
        }
        _ => "Booked.".to_owned(),
    })
    .await
}

/// `POST /app/classes/{id}/bookings/{booking_id}/cancel`: a freed place goes to the first on the
/// waitlist.
pub async fn cancel_booking(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let result = service::cancel_booking(&state.db, &viewer.actor(), id, booking_id).await;
    back_to_class(&state, &viewer, id, form, result, |()| {
        "Booking cancelled.".to_owned()
    })
    .await
}

/// `POST /app/classes/{id}/bookings/{booking_id}/check-in`.
pub async fn check_in_booking(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, booking_id)): Path<(Uuid, Uuid)>,
    form: Form,
) -> PageResult {
    viewer.require(Role::Trainer)?;
    let result = service::check_in_booking(
        &state.db,
        &viewer.actor(),
        id,
        booking_id,
        &CheckIn::default(),
    )
    .await;
    back_to_class(&state, &viewer, id, form, result, |_| {
        "Checked in.".to_owned()
    })
    .await
}
