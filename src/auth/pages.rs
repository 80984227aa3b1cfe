//! `/app/api-keys`: keys for integrations (owner and admin), through the same functions as the API.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use super::Role;
use super::api_keys::{self, ApiKey, CreatedApiKey};
use super::repo;
use crate::error::AppError;
use crate::state::AppState;
use crate::users::pages::grantable;
use crate::web::page::{
    FormState, PageError, PageResult, Shell, Viewer, redirect_with, render, render_status,
};

/// The pages of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/api-keys", get(list_keys).post(create_key))
        .route("/app/api-keys/{id}/revoke", post(revoke_key))
}

#[derive(Template)]
#[template(path = "auth/api_keys.html")]
struct KeysPage {
    shell: Shell,
    keys: Vec<ApiKey>,
    grantable: Vec<&'static str>,
    form: FormState,
    created: Option<CreatedApiKey>,
}

async fn keys_page(
    state: &AppState,
    viewer: Viewer,
    form: FormState,
    created: Option<CreatedApiKey>,
) -> Result<KeysPage, PageError> {
    viewer.caller.require_account_manager()?;
    let keys = repo::list_api_keys(state.db.conn(), viewer.caller.org)
        .await?
        .into_iter()
        .map(ApiKey::from)
        .collect();
    Ok(KeysPage {
        grantable: grantable(&viewer),
        shell: viewer.shell,
        keys,
        form,
        created,
    })
}

async fn list_keys(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let mut form = FormState::default();
    form.set("role", "staff");
    render(&keys_page(&state, viewer, form, None).await?)
}

#[derive(Debug, Deserialize)]
struct KeyInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// The secret is shown on the page that answers the POST, once: it is never stored in clear.
async fn create_key(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<KeyInput>,
) -> PageResult {
    let mut form =
        FormState::with_values([("name", input.name.clone()), ("role", input.role.clone())]);
    let result = match Role::parse(&input.role) {
        None => Err(AppError::field("role", "choose a role")),
        Some(role) => api_keys::create(&state.db, &viewer.actor(), &input.name, role).await,
    };
    match result {
        Ok(created) => {
            let mut fresh = FormState::default();
            fresh.set("role", "staff");
            let page = keys_page(&state, viewer, fresh, Some(created)).await?;
            render_status(StatusCode::CREATED, &page)
        }
        Err(e) => {
            form.take_error(e)?;
            let page = keys_page(&state, viewer, form, None).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

async fn revoke_key(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    api_keys::revoke(&state.db, &viewer.actor(), id).await?;
    Ok(redirect_with(&state, "/app/api-keys", "Key revoked."))
}
