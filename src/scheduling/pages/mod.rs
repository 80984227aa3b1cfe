//! The scheduling pages of the staff and trainer app: the calendar and "my day", sessions (with
//! recurring series), group classes with their rosters, and trainers with their working hours.
//! Every rule lives in the API's service functions (`sessions::create`, `series::create`,
//! `classes::book`, ...); these pages only read forms, call them and render the outcome.

mod calendar;
mod classes;
mod sessions;
mod trainers;

use std::collections::HashMap;

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::recurrence::local_to_utc;
use crate::app::AppState;
use crate::audit::{AuditContext, RequestOrigin};
use crate::db::entities::{classes as class_rows, clients, trainers as trainer_rows};
use crate::error::{AppError, FieldErrors};
use crate::organizations::OrgId;
use crate::web::format::Fmt;
use crate::web::page::Viewer;

/// The pages of this domain.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/calendar", get(calendar::show_calendar))
        .route("/app/my-day", get(calendar::my_day))
        .route(
            "/app/sessions/new",
            get(sessions::new_session).post(sessions::create_session),
        )
        .route("/app/sessions/{id}", get(sessions::show_session))
        .route("/app/sessions/{id}/move", post(sessions::move_session))
        .route("/app/sessions/{id}/cancel", post(sessions::cancel_session))
        .route("/app/sessions/{id}/status", post(sessions::set_status))
        .route("/app/sessions/{id}/check-in", post(sessions::check_in))
        .route("/app/classes", get(classes::list_classes))
        .route("/app/classes/new", post(classes::create_class))
        .route("/app/classes/{id}", get(classes::show_class))
        .route("/app/classes/{id}/bookings", post(classes::book_client))
        .route(
            "/app/classes/{id}/bookings/{booking_id}/cancel",
            post(classes::cancel_booking),
        )
        .route(
            "/app/classes/{id}/bookings/{booking_id}/check-in",
            post(classes::check_in_booking),
        )
        .route("/app/trainers", get(trainers::list_trainers))
        .route("/app/trainers/new", post(trainers::create_trainer))
        .route(
            "/app/trainers/{id}",
            get(trainers::show_trainer).post(trainers::update_trainer),
        )
        .route("/app/trainers/{id}/hours", post(trainers::set_hours))
        .route("/app/trainers/{id}/time-off", post(trainers::add_time_off))
        .route(
            "/app/trainers/{id}/time-off/{time_off_id}/delete",
            post(trainers::delete_time_off),
        )
        .route("/app/trainers/{id}/feed", post(trainers::calendar_feed))
}

/// The audit context of a change made through a page.
fn audit_ctx(viewer: &Viewer, origin: RequestOrigin) -> AuditContext {
    AuditContext::for_caller(&viewer.caller, origin.request_id, origin.ip)
}

/// A submitted form as name/value pairs (repeated names, such as weekday checkboxes, stay apart).
#[derive(Debug, Default)]
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }
    fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1" | "yes")
    }
    /// The values to show again in the form (not the CSRF token).
    fn values(&self) -> Vec<(&str, String)> {
        self.0
            .iter()
            .filter(|(k, _)| k != "csrf_token")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect()
    }
}

/// An id field: `None` when empty, an error on the field when malformed.
fn parse_id(e: &mut FieldErrors, fields: &Fields, name: &str) -> Option<Uuid> {
    let raw = fields.get(name);
    if raw.is_empty() {
        return None;
    }
    match raw.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            e.add(name, "choose one from the list");
            None
        }
    }
}

/// A required id field.
fn require_id(e: &mut FieldErrors, fields: &Fields, name: &str) -> Option<Uuid> {
    let id = parse_id(e, fields, name);
    if id.is_none() && fields.get(name).is_empty() {
        e.add(name, "is required");
    }
    id
}

/// A `datetime-local` value (`2026-12-01T07:00`) read in the time zone `tz`.
fn parse_local(raw: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

/// A required `datetime-local` field as an instant, read in `tz`.
fn parse_instant(
    e: &mut FieldErrors,
    fields: &Fields,
    name: &str,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    let raw = fields.get(name);
    if raw.is_empty() {
        e.add(name, "is required");
        return None;
    }
    match parse_local(raw).map(|l| local_to_utc(l, tz)) {
        Some(Ok(t)) => Some(t),
        Some(Err(m)) => {
            e.add(name, m);
            None
        }
        None => {
            e.add(name, "must be a date and time");
            None
        }
    }
}

/// A whole-number field within bounds.
fn parse_number(
    e: &mut FieldErrors,
    fields: &Fields,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let raw = fields.get(name);
    if raw.is_empty() {
        e.add(name, "is required");
        return None;
    }
    match raw.parse::<i64>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            e.add(
                name,
                format!("must be a number from {} to {}", range.start(), range.end()),
            );
            None
        }
    }
}

/// Renames the fields of a validation error from the API's names to the form's.
fn rename_fields(error: AppError, names: &[(&str, &str)]) -> AppError {
    let rename = |fields: FieldErrors| {
        let mut out = FieldErrors::new();
        for (field, messages) in fields.0 {
            let to = names
                .iter()
                .find(|(from, _)| *from == field)
                .map_or(field.as_str(), |(_, to)| to);
            for m in messages {
                out.add(to, m);
            }
        }
        out
    };
    match error {
        AppError::Validation(f) => AppError::Validation(rename(f)),
        AppError::BadRequest(detail, Some(f)) => AppError::BadRequest(detail, Some(rename(f))),
        other => other,
    }
}

/// Display names of clients and trainers, loaded in one query each.
#[derive(Debug, Default, Clone)]
struct Names {
    clients: HashMap<Uuid, String>,
    trainers: HashMap<Uuid, String>,
    classes: HashMap<Uuid, String>,
}

impl Names {
    async fn load(
        db: &impl ConnectionTrait,
        org: OrgId,
        client_ids: impl IntoIterator<Item = Uuid>,
        trainer_ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Self, AppError> {
        let mut out = Self::default();
        let client_ids: Vec<Uuid> = client_ids.into_iter().collect();
        if !client_ids.is_empty() {
            for c in clients::Entity::find()
                .filter(clients::Column::OrganizationId.eq(org.0))
                .filter(clients::Column::Id.is_in(client_ids))
                .all(db)
                .await?
            {
                let name = if c.erased_at.is_some() {
                    "(erased client)".to_owned()
                } else {
                    format!("{} {}", c.first_name, c.last_name)
                };
                out.clients.insert(c.id, name);
            }
        }
        let trainer_ids: Vec<Uuid> = trainer_ids.into_iter().collect();
        if !trainer_ids.is_empty() {
            for t in trainer_rows::Entity::find()
                .filter(trainer_rows::Column::OrganizationId.eq(org.0))
                .filter(trainer_rows::Column::Id.is_in(trainer_ids))
                .all(db)
                .await?
            {
                out.trainers
                    .insert(t.id, format!("{} {}", t.first_name, t.last_name));
            }
        }
        Ok(out)
    }

    async fn with_classes(
        mut self,
        db: &impl ConnectionTrait,
        org: OrgId,
        ids: Vec<Uuid>,
    ) -> Result<Self, AppError> {
        if !ids.is_empty() {
            for c in class_rows::Entity::find()
                .filter(class_rows::Column::OrganizationId.eq(org.0))
                .filter(class_rows::Column::Id.is_in(ids))
                .all(db)
                .await?
            {
                self.classes.insert(c.id, c.name);
            }
        }
        Ok(self)
    }

    fn client(&self, id: &Uuid) -> String {
        self.clients
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a client".to_owned())
    }

    fn trainer(&self, id: &Uuid) -> String {
        self.trainers
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a trainer".to_owned())
    }
}

/// One choice of a `<select>`.
#[derive(Debug, Clone)]
struct Choice {
    value: String,
    label: String,
}

/// The organization's trainers (active first), for pickers.
async fn trainer_choices(db: &impl ConnectionTrait, org: OrgId) -> Result<Vec<Choice>, AppError> {
    Ok(trainer_rows::Entity::find()
        .filter(trainer_rows::Column::OrganizationId.eq(org.0))
        .order_by_desc(trainer_rows::Column::Active)
        .order_by_asc(trainer_rows::Column::SortName)
        .all(db)
        .await?
        .into_iter()
        .map(|t| Choice {
            value: t.id.to_string(),
            label: format!("{} {}", t.first_name, t.last_name),
        })
        .collect())
}

/// The locations, for pickers.
async fn location_choices(db: &impl ConnectionTrait, org: OrgId) -> Result<Vec<Choice>, AppError> {
    Ok(super::locations::all(db, org)
        .await?
        .into_iter()
        .map(|l| Choice {
            value: l.id.to_string(),
            label: l.name,
        })
        .collect())
}

/// The clients the viewer sees (a trainer: their own), by name, for pickers.
async fn client_choices(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
) -> Result<Vec<Choice>, AppError> {
    use crate::clients::access::ClientScope;
    use crate::clients::repo as client_repo;
    use crate::http::pagination::PageRequest;
    let scope = ClientScope::of(db, &viewer.caller).await?;
    let page = PageRequest::parse(
        &client_repo::SORT_FIELDS,
        "name",
        Some(200),
        None,
        None,
        None,
    )?;
    Ok(
        client_repo::list(db, &scope, &page, &client_repo::ClientFilter::default())
            .await?
            .items
            .into_iter()
            .map(|c| Choice {
                value: c.id.to_string(),
                label: format!("{} {}", c.first_name, c.last_name),
            })
            .collect(),
    )
}

/// Something in the way of a booking, as the conflicts box lists it.
#[derive(Debug, Clone)]
struct ConflictView {
    /// Who is busy (a name).
    who: String,
    /// When, formatted.
    when: String,
    /// With what: "a personal session", "the class Yoga".
    what: String,
    /// Where it can be seen.
    href: String,
    /// For a series: the occurrence that clashes, formatted.
    occurrence: Option<String>,
}

/// The conflicts of a 409 from the scheduling services, described for people.
async fn describe_conflicts(
    db: &impl ConnectionTrait,
    org: OrgId,
    fmt: &Fmt,
    trainer: Uuid,
    client: Option<Uuid>,
    conflicts: &[serde_json::Value],
) -> Result<Vec<ConflictView>, AppError> {
    let names = Names::load(db, org, client, [trainer]).await?;
    let class_ids: Vec<Uuid> = conflicts
        .iter()
        .filter(|c| c["type"] == "class")
        .filter_map(|c| c["id"].as_str()?.parse().ok())
        .collect();
    let names = names.with_classes(db, org, class_ids).await?;
    let time = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let mut out = Vec::new();
    for c in conflicts {
        let Some(id) = c["id"].as_str().and_then(|s| s.parse::<Uuid>().ok()) else {
            continue;
        };
        let who = match c["with"].as_str() {
            Some("client") => client.map_or_else(|| "The client".to_owned(), |c| names.client(&c)),
            _ => names.trainer(&trainer),
        };
        let when = match (time(&c["starts_at"]), time(&c["ends_at"])) {
            (Some(s), Some(e)) => format!("{} – {}", fmt.datetime(&s), fmt.time(&e)),
            _ => String::new(),
        };
        let (what, href) = match c["type"].as_str() {
            Some("class") => (
                format!(
                    "the class {}",
                    names.classes.get(&id).cloned().unwrap_or_default()
                ),
                format!("/app/classes/{id}"),
            ),
            Some("booking") => ("a place in this class".to_owned(), String::new()),
            _ => ("another session".to_owned(), format!("/app/sessions/{id}")),
        };
        out.push(ConflictView {
            who,
            when,
            what,
            href,
            occurrence: time(&c["occurrence_starts_at"]).map(|t| fmt.datetime(&t)),
        });
    }
    Ok(out)
}

/// A readable label of a session kind or status (`no_show` → "no-show").
fn label(s: &str) -> String {
    match s {
        "no_show" => "no-show".to_owned(),
        "checked_in" => "checked in".to_owned(),
        other => other.replace('_', " "),
    }
}
