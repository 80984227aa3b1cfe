//! The forms of the client file: profile (with its version), status, consent, trainers, notes, and
//! the GDPR export and erasure.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::file::{Forms, file_page};
use super::new::parse_date;
use super::{require_app, split_tags};
use crate::auth::Role;
use crate::clients::access::ClientScope;
use crate::clients::model::{ClientStatus, UpdateClient};
use crate::clients::notes::CreateNote;
use crate::clients::{export, repo, service};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::form::{Done, Form, respond};
use crate::web::page::{FormState, PageError, PageResult, Viewer, redirect_with};

fn to_file(state: &AppState, id: Uuid, message: &str) -> Response {
    redirect_with(state, &format!("/app/clients/{id}"), message)
}

fn file_url(id: Uuid) -> String {
    format!("/app/clients/{id}")
}

/// `POST /app/clients/{id}`: the profile form, at the version it was loaded with.
pub async fn update_client(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    require_app(&viewer)?;
    let f = &form.fields;
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
    let mut form = FormState::with_values(names.iter().map(|n| (*n, f.text(n))));
    let actor = viewer.actor();
    let scope = ClientScope::for_actor(state.db.conn(), &actor).await?;
    let dob = parse_date(&f.text("date_of_birth")).unwrap_or_else(|m| {
        form.add_error("date_of_birth", m);
        None
    });
    let version = f.text("version").parse::<i64>().ok();
    let current = repo::get(state.db.conn(), &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Only what the form changes is sent, so the history names the fields really changed.
    fn diff<T: PartialEq>(new: T, old: T) -> Option<T> {
        (new != old).then_some(new)
    }
    let input = UpdateClient {
        first_name: diff(f.text("first_name"), current.first_name),
        last_name: diff(f.text("last_name"), current.last_name),
        email: diff(f.opt("email"), current.email),
        phone: diff(f.opt("phone"), current.phone),
        date_of_birth: diff(dob, current.date_of_birth),
        tags: diff(split_tags(&f.text("tags")), current.tags),
        goals: diff(f.opt("goals"), current.goals),
        // Only those who see medical notes get the field, and only they may change it.
        medical_notes: if scope.medical {
            diff(f.opt("medical_notes"), current.medical_notes.flatten())
        } else {
            None
        },
        emergency_contact_name: diff(
            f.opt("emergency_contact_name"),
            current.emergency_contact_name,
        ),
        emergency_contact_phone: diff(
            f.opt("emergency_contact_phone"),
            current.emergency_contact_phone,
        ),
        ..UpdateClient::default()
    };
    if !form.has_errors() {
        match service::update_client(&state.db, &actor, id, version, input).await {
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
    Path(id): Path<Uuid>,
    Form { fields: f, .. }: Form,
) -> PageResult {
    require_app(&viewer)?;
    let Some(status) = ClientStatus::parse(&f.text("status")) else {
        // Not a way to learn which ids exist: a client the caller cannot see is not there.
        service::get_client(state.db.conn(), &viewer.actor(), id).await?;
        return Ok(to_file(&state, id, "Choose a status."));
    };
    let input = UpdateClient {
        status: Some(status),
        ..UpdateClient::default()
    };
    let version = f.text("version").parse::<i64>().ok();
    match service::update_client(&state.db, &viewer.actor(), id, version, input).await {
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
    Path(id): Path<Uuid>,
    Form { fields: f, .. }: Form,
) -> PageResult {
    require_app(&viewer)?;
    let input = UpdateClient {
        consent_email: Some(f.text("consent_email") == "yes"),
        consent_sms: Some(f.text("consent_sms") == "yes"),
        ..UpdateClient::default()
    };
    let version = f.text("version").parse::<i64>().ok();
    match service::update_client(&state.db, &viewer.actor(), id, version, input).await {
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
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    require_app(&viewer)?;
    let result = match Uuid::parse_str(form.fields.get("trainer_id")) {
        Err(_) => Err(AppError::field("trainer_id", "Choose a trainer.")),
        Ok(trainer) => {
            let role = form.fields.opt("role");
            service::assign_trainer(&state.db, &viewer.actor(), id, trainer, role).await
        }
    };
    if let Err(e @ (AppError::NotFound | AppError::Forbidden(_))) = result {
        return Err(e.into());
    }
    respond(
        &state,
        result,
        form.state,
        |_| Done::to(file_url(id), "Trainer assigned."),
        |form| {
            let forms = Forms {
                assign: Some(form),
                ..Forms::default()
            };
            file_page(&state, viewer, id, forms, StatusCode::OK)
        },
    )
    .await
}

/// `POST /app/clients/{id}/trainers/{trainer_id}/remove` (staff and above).
pub async fn unassign_trainer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, trainer)): Path<(Uuid, Uuid)>,
) -> PageResult {
    require_app(&viewer)?;
    service::unassign_trainer(&state.db, &viewer.actor(), id, trainer).await?;
    Ok(to_file(&state, id, "Trainer removed."))
}

/// `POST /app/clients/{id}/notes`.
pub async fn add_note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    form: Form,
) -> PageResult {
    require_app(&viewer)?;
    let input = CreateNote {
        body: form.fields.text("body"),
        pinned: Some(form.fields.get("pinned") == "yes"),
    };
    let result = service::add_note(&state.db, &viewer.actor(), id, input).await;
    if let Err(e @ (AppError::NotFound | AppError::Forbidden(_))) = result {
        return Err(e.into());
    }
    respond(
        &state,
        result,
        form.state,
        |_| Done::to(file_url(id), "Note added."),
        |form| {
            let forms = Forms {
                note: Some(form),
                ..Forms::default()
            };
            file_page(&state, viewer, id, forms, StatusCode::OK)
        },
    )
    .await
}

/// `GET /app/clients/{id}/export.json`: the API's personal data export, as a download.
pub async fn export_client(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    require_app(&viewer)?;
    Ok(export::personal_data_download(&state.db, &viewer.actor(), id).await?)
}

/// `POST /app/clients/{id}/erase`: owners and admins, with the box ticked.
pub async fn erase_client(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Form { fields: f, .. }: Form,
) -> PageResult {
    require_app(&viewer)?;
    viewer.require(Role::Admin)?;
    let actor = viewer.actor();
    let scope = ClientScope::for_actor(state.db.conn(), &actor).await?;
    if f.get("confirm") != "yes" {
        repo::ensure_visible(state.db.conn(), &scope, id).await?;
        return Ok(to_file(
            &state,
            id,
            "Nothing was erased: tick the box to confirm the erasure.",
        ));
    }
    service::erase_client(&state.db, &actor, id).await?;
    Ok(redirect_with(
        &state,
        "/app/clients",
        "The client's personal data was erased.",
    ))
}
