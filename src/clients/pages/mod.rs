//! The client pages of the staff and trainer app: the list with search, filters, bulk actions and
//! CSV export (`list`), the add form (`new`), the client file (`file`) and its forms (`file_forms`),
//! and the CSV import with a dry run (`import`).
//! Everything goes through the same scope, repositories and services as the API.

mod file;
mod file_forms;
mod import;
mod list;
mod new;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use uuid::Uuid;

use crate::auth::Role;
use crate::error::AppError;
use crate::organizations::OrgId;
use crate::state::AppState;
use crate::trainers::repo as trainer_repo;
use crate::web::page::{PageError, Viewer};

/// The web CSRF middleware reads bodies up to this size; the import page accepts as much.
const IMPORT_BODY_LIMIT: usize = 11 * 1024 * 1024;

/// The pages of this domain.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/clients", get(list::list_clients))
        .route(
            "/app/clients/new",
            get(new::new_client).post(new::create_client),
        )
        .route("/app/clients/bulk", post(list::bulk_clients))
        .route("/app/clients/export.csv", get(list::export_clients))
        .route(
            "/app/clients/import",
            get(import::import_form)
                .post(import::import_clients)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/app/clients/{id}",
            get(file::client_file).post(file_forms::update_client),
        )
        .route("/app/clients/{id}/status", post(file_forms::change_status))
        .route(
            "/app/clients/{id}/consent",
            post(file_forms::change_consent),
        )
        .route(
            "/app/clients/{id}/trainers",
            post(file_forms::assign_trainer),
        )
        .route(
            "/app/clients/{id}/trainers/{trainer_id}/remove",
            post(file_forms::unassign_trainer),
        )
        .route("/app/clients/{id}/notes", post(file_forms::add_note))
        .route(
            "/app/clients/{id}/export.json",
            get(file_forms::export_client),
        )
        .route("/app/clients/{id}/erase", post(file_forms::erase_client))
}

/// Client pages are for the business (trainers and above); portal users never get here.
fn require_app(viewer: &Viewer) -> Result<(), PageError> {
    viewer.require(Role::Trainer)
}

/// An id from the path; anything that is not one is simply not found.
fn parse_id(raw: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(raw).map_err(|_| PageError::App(AppError::NotFound))
}

pub(crate) use crate::web::form::Fields;

/// A trainer as a choice in a form.
#[derive(Debug, Clone)]
pub(crate) struct TrainerOption {
    id: String,
    name: String,
}

/// The organization's trainers (first 200 by name), for choices and names.
async fn trainer_options(state: &AppState, org: OrgId) -> Result<Vec<TrainerOption>, PageError> {
    let page = crate::http::pagination::PageRequest::parse(
        &trainer_repo::SORT_FIELDS,
        "name",
        Some(200),
        None,
        None,
        None,
    )?;
    Ok(trainer_repo::list(state.db.conn(), org, &page, None, None)
        .await?
        .items
        .into_iter()
        .map(|t| TrainerOption {
            id: t.id.to_string(),
            name: format!("{} {}", t.first_name, t.last_name),
        })
        .collect())
}

/// An option of a `<select>`.
pub(crate) struct Choice {
    value: String,
    label: String,
    selected: bool,
}

impl Choice {
    fn list<'a>(options: impl IntoIterator<Item = (&'a str, &'a str)>, current: &str) -> Vec<Self> {
        options
            .into_iter()
            .map(|(value, label)| Self {
                value: value.to_owned(),
                label: label.to_owned(),
                selected: value == current,
            })
            .collect()
    }
}

/// Tags typed as a comma-separated list.
fn split_tags(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}
