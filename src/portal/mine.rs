//! `/portal`: a client's own bookings and sessions, the class list with their actions, one class,
//! their profile and the download of their data.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Json};
use chrono::{Duration, Utc};
use uuid::Uuid;

use super::service::{self, DAYS_AHEAD};
use super::view::{ClassRow, DayGroup, Place, PortalViewer, back_to, by_day, class_row, refusal};
use crate::clients::Client;
use crate::clients::access::ClientScope;
use crate::clients::export::export_personal_data_as;
use crate::clients::repo as client_repo;
use crate::error::AppError;
use crate::organizations::OrgId;
use crate::scheduling::classes::model::WAITLISTED;
use crate::scheduling::classes::{self, BookClass};
use crate::scheduling::sessions;
use crate::scheduling::sessions::BookingOverrides;
use crate::state::AppState;
use crate::web::form::Form;
use crate::web::format::Fmt;
use crate::web::page::{PageResult, Shell, redirect_with, render};

/// A session in the list.
struct SessionRow {
    id: Uuid,
    day: String,
    time: String,
    kind: String,
    trainer: String,
    location: Option<String>,
}

/// A class booking in the list.
struct BookingRow {
    class: ClassRow,
    place: Place,
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    shell: Shell,
    linked: bool,
    bookings: Vec<BookingRow>,
    sessions: Vec<SessionRow>,
    may_cancel: bool,
}

/// `GET /portal`: upcoming class places and sessions, each with its cancel button.
pub async fn my_bookings(State(state): State<AppState>, p: PortalViewer) -> PageResult {
    let db = state.db.conn();
    let org = &p.viewer.org;
    let (bookings, sessions) = match p.client {
        Some(client) => {
            let places = service::upcoming_places(db, OrgId(org.id), client).await?;
            let bookings = places
                .iter()
                .map(|(o, b)| BookingRow {
                    class: class_row(org, o, &HashMap::new()),
                    place: Place::of(b, o.class.waitlisted),
                })
                .collect();
            let sessions = service::upcoming_sessions(db, &p.scope)
                .await?
                .into_iter()
                .map(|s| {
                    let zone = s.location.as_ref().map(|(_, tz)| tz.as_str());
                    let fmt = Fmt::new(zone.unwrap_or(&org.timezone), &org.locale, &org.currency);
                    SessionRow {
                        id: s.id,
                        day: fmt.date(&s.starts_at),
                        time: format!("{}–{}", fmt.time(&s.starts_at), fmt.time(&s.ends_at)),
                        kind: s.kind.replace('_', " "),
                        trainer: s.trainer,
                        location: s.location.map(|(n, _)| n),
                    }
                })
                .collect();
            (bookings, sessions)
        }
        None => (Vec::new(), Vec::new()),
    };
    render(&HomePage {
        linked: p.client.is_some(),
        may_cancel: org.clients_may_cancel,
        bookings,
        sessions,
        shell: p.viewer.shell,
    })
}

#[derive(Template)]
#[template(path = "portal/classes.html")]
struct ClassesPage {
    shell: Shell,
    org_name: String,
    slug: String,
    days: Vec<DayGroup>,
}

/// `GET /portal/classes`: the organization's classes of the next 14 days with the client's actions.
pub async fn list_classes(State(state): State<AppState>, p: PortalViewer) -> PageResult {
    let db = state.db.conn();
    let org = &p.viewer.org;
    let now = Utc::now();
    let offers =
        service::schedule(db, OrgId(org.id), now, now + Duration::days(DAYS_AHEAD)).await?;
    let places = match p.client {
        Some(c) => {
            let ids: Vec<Uuid> = offers.iter().map(|o| o.class.id).collect();
            service::places_of(db, OrgId(org.id), c, &ids).await?
        }
        None => HashMap::new(),
    };
    let days = by_day(org, &offers, &places);
    render(&ClassesPage {
        org_name: org.name.clone(),
        slug: org.slug.clone(),
        days,
        shell: p.viewer.shell,
    })
}

#[derive(Template)]
#[template(path = "portal/class.html")]
struct ClassPage {
    shell: Shell,
    c: ClassRow,
    starts_in_past: bool,
}

/// `GET /portal/classes/{id}`: one class with the client's action.
pub async fn show_class(
    State(state): State<AppState>,
    p: PortalViewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    let db = state.db.conn();
    let org = &p.viewer.org;
    let offer = service::offer(db, OrgId(org.id), id).await?;
    let places = match p.client {
        Some(c) => service::places_of(db, OrgId(org.id), c, &[id]).await?,
        None => HashMap::new(),
    };
    render(&ClassPage {
        c: class_row(org, &offer, &places),
        starts_in_past: offer.class.starts_at <= Utc::now(),
        shell: p.viewer.shell,
    })
}

/// `POST /portal/classes/{id}/book`: books a place or joins the waitlist. Success and refusal alike
/// return to the page the client came from (`next`) with a message, as the button sits in lists.
pub async fn book_class(
    State(state): State<AppState>,
    p: PortalViewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    let back = back_to(form.fields.get("next"), format!("/portal/classes/{id}"));
    let input = BookClass { client_id: None };
    let message = match classes::book_class(&state.db, &p.viewer.actor(), id, input).await {
        Ok(b) if b.status == WAITLISTED => format!(
            "The class is full: you are on the waitlist, position {}.",
            b.position.unwrap_or(0)
        ),
        Ok(_) => "Booked. See you there!".to_owned(),
        Err(e) => refusal(e)?,
    };
    Ok(redirect_with(&state, &back, &message))
}

/// `POST /portal/classes/{id}/cancel`: cancels the client's place or takes them off the waitlist.
pub async fn cancel_booking(
    State(state): State<AppState>,
    p: PortalViewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    let back = back_to(form.fields.get("next"), format!("/portal/classes/{id}"));
    let org = OrgId(p.viewer.org.id);
    let Some(client) = p.client else {
        return Err(AppError::NotFound.into());
    };
    let place = service::places_of(state.db.conn(), org, client, &[id])
        .await?
        .remove(&id)
        .ok_or(AppError::NotFound)?;
    let message = match classes::cancel_booking(&state.db, &p.viewer.actor(), id, place.id).await {
        Ok(()) if place.status == WAITLISTED => "You have left the waitlist.".to_owned(),
        Ok(()) => "Your booking is cancelled.".to_owned(),
        Err(e) => refusal(e)?,
    };
    Ok(redirect_with(&state, &back, &message))
}

/// `POST /portal/sessions/{id}/cancel`: cancels one of the client's sessions.
pub async fn cancel_session(
    State(state): State<AppState>,
    p: PortalViewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    let result = sessions::service::cancel_session(
        &state.db,
        &p.viewer.actor(),
        id,
        &BookingOverrides::default(),
    )
    .await;
    let message = match result {
        Ok(s) if s.late_cancel => {
            "Your session is cancelled. It was inside the late-cancellation window.".to_owned()
        }
        Ok(_) => "Your session is cancelled.".to_owned(),
        Err(e) => refusal(e)?,
    };
    Ok(redirect_with(&state, "/portal", &message))
}

#[derive(Template)]
#[template(path = "portal/profile.html")]
struct ProfilePage {
    shell: Shell,
    account_email: String,
    client: Option<Client>,
    dob: String,
}

/// `GET /portal/profile`: the client's contact details and consents (read-only: the API does not let
/// clients change their record).
pub async fn show_profile(State(state): State<AppState>, p: PortalViewer) -> PageResult {
    let db = state.db.conn();
    let scope = ClientScope::of(db, &p.viewer.caller).await?;
    let client = match p.client {
        Some(id) => client_repo::get(db, &scope, id).await?,
        None => None,
    };
    let dob = client
        .as_ref()
        .and_then(|c| c.date_of_birth)
        .map(|d| p.viewer.shell.fmt.day(&d))
        .unwrap_or_default();
    render(&ProfilePage {
        account_email: p.viewer.user.email.clone(),
        client,
        dob,
        shell: p.viewer.shell,
    })
}

#[derive(Template)]
#[template(path = "portal/data.html")]
struct DataPage {
    shell: Shell,
    linked: bool,
}

/// `GET /portal/data`.
pub async fn show_data(p: PortalViewer) -> PageResult {
    render(&DataPage {
        linked: p.client.is_some(),
        shell: p.viewer.shell,
    })
}

/// `GET /portal/data/export.json`: everything held about the client, as the API's own export.
pub async fn export_data(State(state): State<AppState>, p: PortalViewer) -> PageResult {
    let Some(client) = p.client else {
        return Err(AppError::NotFound.into());
    };
    let export = export_personal_data_as(&state.db, &p.viewer.actor(), client).await?;
    let mut response = Json(export).into_response();
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"my-data.json\""),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
