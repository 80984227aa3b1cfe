//! The client pages of the staff and trainer app: the list with search, filters, bulk actions and
//! CSV export (`list`), the add form (`new`), the client file (`file`) and its forms (`file_forms`),
//! its custom fields (`custom_fields`, with the form rows in `custom_field_form`), and the CSV import with a dry run (`import`).
//! Everything goes through the same scope, repositories and services as the API.

mod custom_field_form;
mod custom_fields;
mod file;
mod file_forms;
mod import;
mod list;
mod new;

use crate::auth::Role;
use crate::state::AppState;
use crate::web::page::{PageError, Viewer};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

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
            "/app/clients/{id}/custom-fields",
            post(custom_fields::update_custom_fields),
        )
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

/// Tags typed as a comma-separated list.
fn split_tags(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}
