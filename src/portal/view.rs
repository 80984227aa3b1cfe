//! What the portal's screens share: class rows grouped by day (times in the location's or the
//! organization's time zone), the logged-in client, and refusals turned into messages.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::service::Offer;
use crate::auth::Role;
use crate::error::{AppError, FieldErrors};
use crate::organizations::Organization;
use crate::scheduling::access::{ScheduleScope, Who};
use crate::scheduling::classes::Booking;
use crate::scheduling::classes::model::{SCHEDULED, WAITLISTED};
use crate::state::AppState;
use crate::web::format::Fmt;
use crate::web::page::{FormState, PageError, Viewer};

/// The viewer's own place in a class.
#[derive(Debug, Clone)]
pub struct Place {
    /// `booked` or `waitlisted` (the badge's class too).
    pub status: String,
    /// What it says: `Booked`, `Waitlisted — position 2 of 3`.
    pub label: String,
}

impl Place {
    /// The place a booking gives in a class with `waitlisted` clients waiting.
    pub fn of(b: &Booking, waitlisted: u64) -> Self {
        let label = match (b.status.as_str(), b.position) {
            (WAITLISTED, Some(p)) => format!("Waitlisted — position {p} of {waitlisted}"),
            (WAITLISTED, None) => "Waitlisted".to_owned(),
            _ => "Booked".to_owned(),
        };
        Self {
            status: b.status.clone(),
            label,
        }
    }

    /// Whether the place is on the waitlist.
    pub fn waiting(&self) -> bool {
        self.status == WAITLISTED
    }
}

/// A class as a row of the schedule.
#[derive(Debug, Clone)]
pub struct ClassRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The trainer's first name.
    pub trainer: String,
    /// The location's name.
    pub location: Option<String>,
    /// The day, in the class's time zone.
    pub day: String,
    /// `18:00–19:00`.
    pub time: String,
    /// The time zone, when it differs from the organization's.
    pub zone: Option<String>,
    /// `3 places left`, `Full — join the waitlist`, `Full`, `Cancelled`.
    pub availability: String,
    /// Whether a new booking gets a place.
    pub has_room: bool,
    /// Whether a new booking goes on the waitlist.
    pub waitlist_open: bool,
    /// Whether the class is still on.
    pub scheduled: bool,
    /// The viewer's place, if any.
    pub place: Option<Place>,
}

impl ClassRow {
    /// Whether a new booking is possible at all (a place or the waitlist).
    pub fn bookable(&self) -> bool {
        self.scheduled && (self.has_room || self.waitlist_open)
    }
}

/// The classes of one day.
#[derive(Debug, Clone)]
pub struct DayGroup {
    /// The day.
    pub day: String,
    /// Its classes.
    pub classes: Vec<ClassRow>,
}

/// How the organization formats a time in `zone` (its own zone when `None`).
fn fmt_in(org: &Organization, zone: Option<&str>) -> Fmt {
    Fmt::new(zone.unwrap_or(&org.timezone), &org.locale, &org.currency)
}

/// One class as a row, with the viewer's own place from `places`.
pub fn class_row(org: &Organization, o: &Offer, places: &HashMap<Uuid, Booking>) -> ClassRow {
    let zone = o.location.as_ref().map(|(_, tz)| tz.as_str());
    let fmt = fmt_in(org, zone);
    let c = &o.class;
    let left = o.places_left();
    let scheduled = c.status == SCHEDULED;
    let availability = if !scheduled {
        "Cancelled".to_owned()
    } else if left == 1 {
        "1 place left".to_owned()
    } else if left > 1 {
        format!("{left} places left")
    } else if o.waitlist_open() {
        "Full — join the waitlist".to_owned()
    } else {
        "Full".to_owned()
    };
    ClassRow {
        id: c.id,
        name: c.name.clone(),
        trainer: o.trainer.clone(),
        location: o.location.as_ref().map(|(n, _)| n.clone()),
        day: fmt.date(&c.starts_at),
        time: format!("{}–{}", fmt.time(&c.starts_at), fmt.time(&c.ends_at)),
        zone: zone.filter(|z| *z != org.timezone).map(str::to_owned),
        availability,
        has_room: left > 0,
        waitlist_open: o.waitlist_open(),
        scheduled,
        place: places.get(&c.id).map(|b| Place::of(b, c.waitlisted)),
    }
}

/// Classes grouped by day, in start order.
pub fn by_day(
    org: &Organization,
    offers: &[Offer],
    places: &HashMap<Uuid, Booking>,
) -> Vec<DayGroup> {
    let mut days: Vec<DayGroup> = Vec::new();
    for o in offers {
        let row = class_row(org, o, places);
        match days.last_mut() {
            Some(d) if d.day == row.day => d.classes.push(row),
            _ => days.push(DayGroup {
                day: row.day.clone(),
                classes: vec![row],
            }),
        }
    }
    days
}

/// A logged-in client: staff are sent to `/app`, visitors to the login page.
#[derive(Debug, Clone)]
pub struct PortalViewer {
    /// The viewer.
    pub viewer: Viewer,
    /// Their view of the schedule.
    pub scope: ScheduleScope,
    /// Their client record, when their account is linked to one.
    pub client: Option<Uuid>,
}

impl FromRequestParts<AppState> for PortalViewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if viewer.caller.role != Role::Client {
            return Err(Redirect::to("/app").into_response());
        }
        let scope = ScheduleScope::of(state.db.conn(), &viewer.caller)
            .await
            .map_err(|e| PageError::from(e).into_response())?;
        let client = match scope.who {
            Who::Client(c) => Some(c),
            _ => None,
        };
        Ok(Self {
            viewer,
            scope,
            client,
        })
    }
}

/// What a refused booking or cancellation says to the client (the API's own message); errors that
/// are not the client's to fix stay errors.
pub fn refusal(e: AppError) -> Result<String, PageError> {
    if let AppError::Validation(FieldErrors(fields)) = &e {
        let text: Vec<String> = fields
            .iter()
            .flat_map(|(f, ms)| {
                ms.iter()
                    .map(move |m| format!("{}: {m}", f.replace('_', " ")))
            })
            .collect();
        return Ok(text.join(" "));
    }
    if matches!(e, AppError::NotFound) {
        return Err(PageError::App(e));
    }
    // A client told why (the studio does not let clients cancel, the window has closed).
    if let AppError::Forbidden(why) = e {
        return Ok(why);
    }
    let mut form = FormState::default();
    form.take_error(e)?;
    Ok(form
        .message
        .unwrap_or_else(|| "That could not be done.".to_owned()))
}

/// Where to go back to after an action: a local portal or booking page, else `fallback`.
pub fn back_to(next: &str, fallback: String) -> String {
    let ok = (next.starts_with("/portal") || next.starts_with("/book/"))
        && !next.starts_with("//")
        && !next.contains('\\');
    if ok { next.to_owned() } else { fallback }
}
