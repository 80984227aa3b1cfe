//! What the scheduling pages share: display names loaded in one query each, the options of the
//! trainer, location and client pickers, the conflicts of a refused booking described for people, and
//! readable labels.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::error::AppError;
use crate::organizations::OrgId;
use crate::scheduling::access::ScheduleScope;
use crate::scheduling::agenda::repo as agenda_repo;
use crate::scheduling::sessions::{Session, repo as session_repo};
use crate::web::form::Choice;
use crate::web::format::Fmt;

/// Display names of clients and trainers, loaded in one query each.
#[derive(Debug, Default, Clone)]
pub(super) struct Names {
    pub(super) clients: HashMap<Uuid, String>,
    pub(super) trainers: HashMap<Uuid, String>,
    pub(super) classes: HashMap<Uuid, String>,
}

impl Names {
    pub(super) async fn load(
        db: &impl ConnectionTrait,
        org: OrgId,
        client_ids: impl IntoIterator<Item = Uuid>,
        trainer_ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Self, AppError> {
        let mut out = Self::default();
        let client_ids: Vec<Uuid> = client_ids.into_iter().collect();
        if !client_ids.is_empty() {
            for c in crate::clients::repo::by_ids(db, org, &client_ids).await? {
                let name = if c.erased_at.is_some() {
                    "(erased client)".to_owned()
                } else {
                    format!("{} {}", c.first_name, c.last_name)
                };
                out.clients.insert(c.id, name);
            }
        }
        out.trainers =
            agenda_repo::trainer_names(db, org, trainer_ids.into_iter().collect()).await?;
        Ok(out)
    }

    pub(super) async fn with_classes(
        mut self,
        db: &impl ConnectionTrait,
        org: OrgId,
        ids: Vec<Uuid>,
    ) -> Result<Self, AppError> {
        self.classes = agenda_repo::class_names(db, org, ids).await?;
        Ok(self)
    }

    pub(super) fn client(&self, id: &Uuid) -> String {
        self.clients
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a client".to_owned())
    }

    pub(super) fn trainer(&self, id: &Uuid) -> String {
        self.trainers
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a trainer".to_owned())
    }
}

/// The locations, for pickers.
pub(super) async fn location_choices(
    db: &impl ConnectionTrait,
    org: OrgId,
) -> Result<Vec<Choice>, AppError> {
    Ok(crate::scheduling::locations::all(db, org)
        .await?
        .into_iter()
        .map(|l| Choice::new(l.id.to_string(), l.name))
        .collect())
}

/// Something in the way of a booking, as the conflicts box lists it.
#[derive(Debug, Clone)]
pub(crate) struct ConflictView {
    /// Who is busy (a name).
    pub(crate) who: String,
    /// When, formatted.
    pub(crate) when: String,
    /// With what: "a personal session", "the class Yoga".
    pub(crate) what: String,
    /// Where it can be seen.
    pub(crate) href: String,
    /// For a series: the occurrence that clashes, formatted.
    pub(crate) occurrence: Option<String>,
}

/// The conflicts of a 409 from the scheduling services, described for people.
pub(crate) async fn describe_conflicts(
    db: &impl ConnectionTrait,
    caller: &crate::auth::CurrentUser,
    fmt: &Fmt,
    trainer: Uuid,
    client: Option<Uuid>,
    conflicts: &[serde_json::Value],
) -> Result<Vec<ConflictView>, AppError> {
    let scope = ScheduleScope::of(db, caller).await?;
    let ids_of = |kind: &str| -> Vec<Uuid> {
        conflicts
            .iter()
            .filter(|c| c["type"] == kind)
            .filter_map(|c| c["id"].as_str()?.parse().ok())
            .collect()
    };
    // Only the sessions the viewer may see are described (and linked); the others stay anonymous.
    let session_ids = ids_of("session");
    let sessions: HashMap<Uuid, Session> = session_repo::visible_among(db, &scope, session_ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let names = Names::load(
        db,
        scope.org,
        client
            .into_iter()
            .chain(sessions.values().map(|m| m.client_id)),
        [trainer],
    )
    .await?
    .with_classes(db, scope.org, ids_of("class"))
    .await?;
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
        let (what, href) = match (c["type"].as_str(), sessions.get(&id)) {
            (Some("class"), _) => (
                format!(
                    "the class {}",
                    names.classes.get(&id).cloned().unwrap_or_default()
                ),
                format!("/app/classes/{id}"),
            ),
            (Some("booking"), _) => ("a place in this class".to_owned(), String::new()),
            (_, Some(m)) => (
                format!(
                    "a {} session with {}",
                    label(m.kind.as_str()),
                    names.client(&m.client_id)
                ),
                format!("/app/sessions/{id}"),
            ),
            _ => ("another session".to_owned(), String::new()),
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
pub(super) fn label(s: &str) -> String {
    match s {
        "no_show" => "no-show".to_owned(),
        "checked_in" => "checked in".to_owned(),
        other => other.replace('_', " "),
    }
}
