//! `/app/clients/{id}`: the client file (profile and edit form, status, trainers, notes, timeline,
//! sessions, attendance, consent, GDPR); its forms are in `file_forms`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;

use axum::extract::rejection::PathRejection;
use uuid::Uuid;

use super::custom_field_form::{self, CustomRow};
use super::require_app;
use crate::auth::Role;
use crate::clients::access::ClientScope;
use crate::clients::model::Client;
use crate::clients::repo;
use crate::clients::service::{notes_of, timeline};
use crate::error::AppError;
use crate::scheduling::agenda::attendance;
use crate::scheduling::sessions::ListSessions;
use crate::scheduling::sessions::service::list_sessions;
use crate::state::AppState;
use crate::web::form::Choice;
use crate::web::page::{FormState, PageResult, Shell, Viewer, render_status};
use crate::web::picker;

/// A line of a list on the file: when, and what.
struct Line {
    when: String,
    what: String,
}

/// A trainer assigned to the client.
struct AssignedTrainer {
    id: String,
    name: String,
    role: String,
}

/// A session of the client.
struct SessionLine {
    when: String,
    kind: String,
    status: String,
    trainer: String,
}

#[derive(Template)]
#[template(path = "clients/file.html")]
struct FilePage {
    shell: Shell,
    c: Client,
    name: String,
    dob: String,
    medical: Option<String>,
    sees_medical: bool,
    front_desk: bool,
    admin: bool,
    next_statuses: Vec<&'static str>,
    trainers: Vec<AssignedTrainer>,
    all_trainers: Vec<Choice>,
    notes: Vec<Line>,
    timeline: Vec<Line>,
    upcoming: Vec<SessionLine>,
    past: Vec<SessionLine>,
    attended: u64,
    no_shows: u64,
    cancelled: u64,
    late_cancelled: u64,
    upcoming_count: u64,
    rate: String,
    consents: Vec<Line>,
    edit: FormState,
    note: FormState,
    assign: FormState,
    custom: FormState,
    custom_pairs: Vec<(String, String)>,
    custom_rows: Vec<CustomRow>,
}

/// Which form of the page was sent with problems.
#[derive(Default)]
pub(super) struct Forms {
    pub(super) edit: Option<FormState>,
    pub(super) note: Option<FormState>,
    pub(super) assign: Option<FormState>,
    pub(super) custom: Option<FormState>,
}

fn label(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn edit_form(c: &Client) -> FormState {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    FormState::with_values([
        ("first_name", c.first_name.clone()),
        ("last_name", c.last_name.clone()),
        ("email", o(&c.email)),
        ("phone", o(&c.phone)),
        (
            "date_of_birth",
            c.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("tags", c.tags.join(", ")),
        ("goals", o(&c.goals)),
        (
            "medical_notes",
            c.medical_notes.clone().flatten().unwrap_or_default(),
        ),
        ("emergency_contact_name", o(&c.emergency_contact_name)),
        ("emergency_contact_phone", o(&c.emergency_contact_phone)),
        ("version", c.version.to_string()),
    ])
}

pub(super) async fn file_page(
    state: &AppState,
    viewer: Viewer,
    id: Uuid,
    forms: Forms,
    status: StatusCode,
) -> PageResult {
    require_app(&viewer)?;
    let db = state.db.conn();
    let scope = ClientScope::for_actor(db, &viewer.actor()).await?;
    let c = repo::get(db, &scope, id).await?.ok_or(AppError::NotFound)?;
    let fmt = &viewer.shell.fmt;
    let all_trainers = picker::trainers(db, viewer.caller.org, None).await?;
    let names: HashMap<String, String> = all_trainers
        .iter()
        .map(|t| (t.value.clone(), t.label.clone()))
        .collect();
    let trainer_name = |id: &str| names.get(id).cloned().unwrap_or_else(|| "A trainer".into());
    let notes = notes_of(db, &scope, id)
        .await?
        .into_iter()
        .map(|n| Line {
            when: fmt.datetime(&n.created_at),
            what: if n.pinned {
                format!("📌 {}", n.body)
            } else {
                n.body
            },
        })
        .collect();
    let timeline = timeline(db, &scope, id, 50, None)
        .await?
        .items
        .into_iter()
        .map(|e| {
            let d = &e.data;
            let s = |k: &str| d[k].as_str().unwrap_or("").replace('_', " ");
            let what = match e.kind.as_str() {
                "note" => format!("Note: {}", s("body")),
                "status_change" => {
                    let from = s("from");
                    if from.is_empty() {
                        format!("Status set to {}", s("to"))
                    } else {
                        format!("Status changed from {from} to {}", s("to"))
                    }
                }
                "consent" => format!(
                    "{} consent {} ({})",
                    s("channel"),
                    if d["granted"].as_bool() == Some(true) {
                        "given"
                    } else {
                        "withdrawn"
                    },
                    s("source")
                ),
                "trainer_assigned" => format!(
                    "{} assigned as {}",
                    trainer_name(d["trainer_id"].as_str().unwrap_or("")),
                    s("role")
                ),
                "session" => format!("Session ({}), {}", s("kind"), s("status")),
                _ => {
                    let fields: Vec<&str> = d["changed_fields"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                        .unwrap_or_default();
                    let action = match d["action"].as_str().unwrap_or("") {
                        "client.created" => "Client added".to_owned(),
                        "client.updated" => "Profile changed".to_owned(),
                        "client.trainer_unassigned" => "Trainer removed".to_owned(),
                        "client.personal_data_exported" => "Personal data exported".to_owned(),
                        other => other.replace(['.', '_'], " "),
                    };
                    if fields.is_empty() {
                        action
                    } else {
                        format!("{action}: {}", fields.join(", ").replace('_', " "))
                    }
                }
            };
            Line {
                when: fmt.datetime(&e.at),
                what,
            }
        })
        .collect();
    let now = Utc::now();
    let sessions = |from, to, sort: &str| ListSessions {
        from,
        to,
        trainer_id: None,
        client_id: Some(id),
        location_id: None,
        status: None,
        limit: Some(20),
        cursor: None,
        sort: Some(sort.to_owned()),
        include_total: None,
    };
    let to_lines = |items: Vec<crate::scheduling::sessions::Session>| -> Vec<SessionLine> {
        items
            .into_iter()
            .map(|s| SessionLine {
                when: format!("{} {}", fmt.date(&s.starts_at), fmt.time(&s.starts_at)),
                kind: label(&s.kind),
                status: label(&s.status),
                trainer: trainer_name(&s.trainer_id.to_string()),
            })
            .collect()
    };
    let actor = viewer.actor();
    let upcoming = list_sessions(db, &actor, &sessions(Some(now), None, "starts_at"))
        .await?
        .items;
    let past = list_sessions(db, &actor, &sessions(None, Some(now), "-starts_at"))
        .await?
        .items;
    let att = attendance(db, viewer.caller.org, id).await?;
    let consents = repo::consents(db, &scope, id)
        .await?
        .into_iter()
        .rev()
        .map(|r| Line {
            when: fmt.datetime(&r.at),
            what: format!(
                "{} consent {} ({})",
                r.channel,
                if r.granted { "given" } else { "withdrawn" },
                r.source
            ),
        })
        .collect();
    let trainers = c
        .trainers
        .iter()
        .map(|a| AssignedTrainer {
            id: a.trainer_id.to_string(),
            name: trainer_name(&a.trainer_id.to_string()),
            role: a.role.clone(),
        })
        .collect();
    let custom = forms
        .custom
        .unwrap_or_else(|| custom_field_form::form_for(&c.custom_fields, c.version));
    let page = FilePage {
        custom_pairs: custom_field_form::pairs(&c.custom_fields),
        custom_rows: custom_field_form::rows(&custom),
        custom,
        name: format!("{} {}", c.first_name, c.last_name),
        dob: c.date_of_birth.map(|d| fmt.day(&d)).unwrap_or_default(),
        medical: c.medical_notes.clone().flatten(),
        sees_medical: scope.medical,
        front_desk: viewer.is_staff(),
        admin: viewer.caller.role.at_least(Role::Admin),
        next_statuses: c.status.next().iter().map(|s| s.as_str()).collect(),
        trainers,
        all_trainers,
        notes,
        timeline,
        upcoming: to_lines(upcoming),
        past: to_lines(past),
        attended: att.attended,
        no_shows: att.no_shows,
        cancelled: att.cancelled,
        late_cancelled: att.late_cancelled,
        upcoming_count: att.upcoming,
        rate: att
            .rate
            .map(|r| format!("{:.0} %", r * 100.0))
            .unwrap_or_else(|| "—".to_owned()),
        consents,
        edit: forms.edit.unwrap_or_else(|| edit_form(&c)),
        note: forms.note.unwrap_or_default(),
        assign: forms
            .assign
            .unwrap_or_else(|| FormState::with_values([("role", "secondary".to_owned())])),
        c,
        shell: viewer.shell,
    };
    render_status(status, &page)
}

/// `GET /app/clients/{id}`.
pub async fn client_file(
    State(state): State<AppState>,
    viewer: Viewer,
    id: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    // Anything that is not an id names no client.
    let Ok(Path(id)) = id else {
        return Err(AppError::NotFound.into());
    };
    file_page(&state, viewer, id, Forms::default(), StatusCode::OK).await
}
