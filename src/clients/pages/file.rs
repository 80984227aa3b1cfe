//! `/app/clients/{id}`: the client file (profile and edit form, status, trainers, notes, timeline,
//! sessions, attendance, consent, GDPR export and erasure) and its forms.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::list::parse_date;
use super::{Fields, TrainerOption, parse_id, require_app, split_tags, trainer_options};
use crate::app::AppState;
use crate::audit::Audit;
use crate::auth::Role;
use crate::clients::access::ClientScope;
use crate::clients::model::{Client, ClientStatus, UpdateClient};
use crate::clients::notes::{CreateNote, notes_of, timeline};
use crate::clients::{export, repo, service};
use crate::error::AppError;
use crate::http::ApiQuery;
use crate::scheduling::agenda::attendance;
use crate::scheduling::sessions::{ListSessions, list_sessions};
use crate::web::page::{
    FormState, PageError, PageResult, Shell, Viewer, redirect_with, render_status,
};

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
    all_trainers: Vec<TrainerOption>,
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
}

/// Which form of the page was sent with problems.
#[derive(Default)]
struct Forms {
    edit: Option<FormState>,
    note: Option<FormState>,
    assign: Option<FormState>,
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

async fn file_page(
    state: &AppState,
    viewer: Viewer,
    id: uuid::Uuid,
    forms: Forms,
    status: StatusCode,
) -> PageResult {
    require_app(&viewer)?;
    let db = state.db.conn();
    let scope = ClientScope::of(db, &viewer.caller).await?;
    let c = repo::get(db, &scope, id).await?.ok_or(AppError::NotFound)?;
    let fmt = &viewer.shell.fmt;
    let all_trainers = trainer_options(state, viewer.caller.org).await?;
    let names: HashMap<String, String> = all_trainers
        .iter()
        .map(|t| (t.id.clone(), t.name.clone()))
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
    let upcoming = list_sessions(
        State(state.clone()),
        viewer.caller,
        ApiQuery(sessions(Some(now), None, "starts_at")),
    )
    .await?
    .0
    .items;
    let past = list_sessions(
        State(state.clone()),
        viewer.caller,
        ApiQuery(sessions(None, Some(now), "-starts_at")),
    )
    .await?
    .0
    .items;
    let att = attendance(db, viewer.caller.org, id).await?;
    let consents = repo::consents(db, &scope, id)
        .await?
        .into_iter()
        .rev()
        .map(|r| Line {
            when: fmt.datetime(&r.recorded_at),
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
    let page = FilePage {
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
    Path(id): Path<String>,
) -> PageResult {
    let id = parse_id(&id)?;
    file_page(&state, viewer, id, Forms::default(), StatusCode::OK).await
}

fn to_file(state: &AppState, id: uuid::Uuid, message: &str) -> Response {
    redirect_with(state, &format!("/app/clients/{id}"), message)
}

/// `POST /app/clients/{id}`: the profile form, at the version it was loaded with.
pub async fn update_client(
    State(state): State<AppState>,
    viewer: Viewer,
    Audit(ctx): Audit,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    require_app(&viewer)?;
    let id = parse_id(&id)?;
    let f = Fields::parse(&body);
    let names = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "date_of_birth",
        "tags",
        "goals",
        "medical_notes",
        "emergency_contact_name",
        "emergency_contact_phone",
        "version",
    ];
    let mut form = FormState::with_values(names.iter().map(|n| (*n, f.get(n))));
    let scope = ClientScope::of(state.db.conn(), &viewer.caller).await?;
    let dob = parse_date(&f.get("date_of_birth")).unwrap_or_else(|m| {
        form.add_error("date_of_birth", m);
        None
    });
    let version = f.get("version").parse::<i64>().ok();
    let input = UpdateClient {
        first_name: Some(f.get("first_name")),
        last_name: Some(f.get("last_name")),
        email: Some(f.opt("email")),
        phone: Some(f.opt("phone")),
        date_of_birth: Some(dob),
        tags: Some(split_tags(&f.get("tags"))),
        goals: Some(f.opt("goals")),
        // Only those who see medical notes get the field, and only they may change it.
        medical_notes: scope.medical.then(|| f.opt("medical_notes")),
        emergency_contact_name: Some(f.opt("emergency_contact_name")),
        emergency_contact_phone: Some(f.opt("emergency_contact_phone")),
        ..UpdateClient::default()
    };
    if !form.has_errors() {
        match service::update_client(&state.db, &ctx, &scope, id, version, input).await {
            Ok(_) => return Ok(to_file(&state, id, "Profile saved.")),
            Err(AppError::PreconditionFailed { .. }) => {
                form.message = Some(
                    "This client was changed by someone else since you opened the page. \
                     Reload the page to see the changes, then make yours again."
                        .to_owned(),
                );
                let forms = Forms {
                    edit: Some(form),
                    ..Forms::default()
                };
                return file_page(&state, viewer, id, forms, StatusCode::PRECONDITION_FAILED).await;
            }
            Err(AppError::NotFound) => return Err(PageError::App(AppError::NotFound)),
            Err(e) => form.take_error(e)?,
        }
    }
    let forms = Forms {
        edit: Some(form),
        ..Forms::default()
    };
    file_page(&state, viewer, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST /app/clients/{id}/status`: one of the allowed transitions.
pub async fn change_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Audit(ctx): Audit,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    require_app(&viewer)?;
    let id = parse_id(&id)?;
    let f = Fields::parse(&body);
    let Some(status) = ClientStatus::parse(&f.get("status")) else {
        return Ok(to_file(&state, id, "Choose a status."));
    };
    let scope = ClientScope::of(state.db.conn(), &viewer.caller).await?;
    let input = UpdateClient {
        status: Some(status),
        ..UpdateClient::default()
    };
    let version = f.get("version").parse::<i64>().ok();
    match service::update_client(&state.db, &ctx, &scope, id, version, input).await {
        Ok(_) => Ok(to_file(
            &state,
            id,
            &format!("Status changed to {}.", status.as_str()),
        )),
        Err(AppError::NotFound) => Err(PageError::App(AppError::NotFound)),
        Err(e @ (AppError::Validation(_) | AppError::PreconditionFailed { .. })) => {
            let mut form = FormState::default();
            form.take_error(e)?;
            let message = form
                .message
                .clone()
                .or_else(|| form.error("status"))
                .unwrap_or_else(|| "The status could not be changed.".to_owned());
            Ok(to_file(&state, id, &message))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/clients/{id}/consent`: marketing consent by email and SMS.
pub async fn change_consent(
    State(state): State<AppState>,
    viewer: Viewer,
    Audit(ctx): Audit,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    require_app(&viewer)?;
    let id = parse_id(&id)?;
    let f = Fields::parse(&body);
    let scope = ClientScope::of(state.db.conn(), &viewer.caller).await?;
    let input = UpdateClient {
        consent_email: Some(f.get("consent_email") == "yes"),
        consent_sms: Some(f.get("consent_sms") == "yes"),
        ..UpdateClient::default()
    };
    let version = f.get("version").parse::<i64>().ok();
    match service::update_client(&state.db, &ctx, &scope, id, version, input).await {
        Ok(_) => Ok(to_file(&state, id, "Consent saved.")),
        Err(AppError::PreconditionFailed { .. }) => Ok(to_file(
            &state,
            id,
            "This client was changed by someone else; check the consent below and save again.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/clients/{id}/trainers`: assigns a trainer with a role (staff and above).
pub async fn assign_trainer(
    State(state): State<AppState>,
    viewer: Viewer,
    Audit(ctx): Audit,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    require_app(&viewer)?;
    let id = parse_id(&id)?;
    let f = Fields::parse(&body);
    let mut form =
        FormState::with_values([("trainer_id", f.get("trainer_id")), ("role", f.get("role"))]);
    let scope = ClientScope::of(state.db.conn(), &viewer.caller).await?;
    match uuid::Uuid::parse_str(&f.get("trainer_id")) {
        Err(_) => form.add_error("trainer_id", "Choose a trainer."),
        Ok(trainer) => {
            match service::assign_trainer(&state.db, &ctx, &scope, id, trainer, f.opt("role")).await
            {
                Ok(_) => return Ok(to_file(&state, id, "Trainer assigned.")),
                Err(e @ (AppError::NotFound | AppError::Forbidden(_))) => return Err(e.into()),
                Err(e) => form.take_error(e)?,
            }
        }
    }
    let forms = Forms {
        assign: Some(form),
        ..Forms::default()
    };
    file_page(&state, viewer, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST /app/clients/{id}/trainers/{trainer_id}/remove` (staff and above).
pub async fn unassign_trainer(
    State(state): State<AppState>,
    viewer: Viewer,
    Audit(ctx): Audit,
    Path((id, trainer)): Path<(String, String)>,
) -> PageResult {
    require_app(&viewer)?;
    let id = parse_id(&id)?;
    let trainer = parse_id(&trainer)?;
    let scope = ClientScope::of(state.db.conn(), &viewer.caller).await?;
    service::unassign_trainer(&state.db, &ctx, &scope, id, trainer).await?;
    Ok(to_file(&state, id, "Trainer removed."))
}

/// `POST /app/clients/{id}/notes`.
pub async fn add_note(
    State(state): State<AppState>,
    viewer: Viewer,
    Audit(ctx): Audit,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    require_app(&viewer)?;
    let id = parse_id(&id)?;
    let f = Fields::parse(&body);
    let mut form = FormState::with_values([("body", f.get("body")), ("pinned", f.get("pinned"))]);
    let scope = ClientScope::of(state.db.conn(), &viewer.caller).await?;
    let input = CreateNote {
        body: f.get("body"),
        pinned: Some(f.get("pinned") == "yes"),
    };
    match service::add_note(&state.db, &ctx, &scope, id, input).await {
        Ok(_) => return Ok(to_file(&state, id, "Note added.")),
        Err(e @ (AppError::NotFound | AppError::Forbidden(_))) => return Err(e.into()),
        Err(e) => form.take_error(e)?,
    }
    let forms = Forms {
        note: Some(form),
        ..Forms::default()
    };
    file_page(&state, viewer, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `GET /app/clients/{id}/export.json`: the API's personal data export, as a download.
pub async fn export_client(
    State(state): State<AppState>,
    viewer: Viewer,
    Audit(ctx): Audit,
    Path(id): Path<String>,
) -> PageResult {
    require_app(&viewer)?;
    let id = parse_id(&id)?;
    Ok(export::personal_data_download(&state.db, &ctx, &viewer.caller, id).await?)
}

/// `POST /app/clients/{id}/erase`: owners and admins, with the box ticked.
pub async fn erase_client(
    State(state): State<AppState>,
    viewer: Viewer,
    Audit(ctx): Audit,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    require_app(&viewer)?;
    let id = parse_id(&id)?;
    viewer.require(Role::Admin)?;
    let f = Fields::parse(&body);
    let scope = ClientScope::of(state.db.conn(), &viewer.caller).await?;
    if f.get("confirm") != "yes" {
        repo::ensure_visible(state.db.conn(), &scope, id).await?;
        return Ok(to_file(
            &state,
            id,
            "Nothing was erased: tick the box to confirm the erasure.",
        ));
    }
    service::erase_client(&state.db, &ctx, &scope, id).await?;
    Ok(redirect_with(
        &state,
        "/app/clients",
        "The client's personal data was erased.",
    ))
}
