//! `/app/users`: accounts and roles, for owners and admins, through `users::service` like the API.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use super::model::{CreateUser, UpdateUser, User};
use super::{repo, service};
use crate::auth::Role;
use crate::error::AppError;
use crate::http::pagination::PageRequest;
use crate::state::AppState;
use crate::web::page::{
    FormState, PageError, PageResult, Shell, Viewer, redirect_with, render, render_status,
};

/// The pages of this domain.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/users", get(list_users).post(create_user))
        .route("/app/users/{id}", get(edit_user).post(update_user))
        .route("/app/users/{id}/delete", post(delete_user))
}

/// The roles the viewer may hand out, most powerful first.
pub fn grantable(viewer: &Viewer) -> Vec<&'static str> {
    Role::ALL
        .into_iter()
        .filter(|r| viewer.caller.role.may_grant(*r))
        .map(Role::as_str)
        .collect()
}

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct UsersPage {
    shell: Shell,
    users: Vec<User>,
    next: Option<String>,
    q: String,
    role: String,
    roles: Vec<&'static str>,
    grantable: Vec<&'static str>,
    form: FormState,
}

async fn users_page(
    state: &AppState,
    viewer: Viewer,
    query: ListQuery,
    form: FormState,
) -> Result<UsersPage, PageError> {
    viewer.caller.require_account_manager()?;
    let page = PageRequest::parse(
        &repo::SORT_FIELDS,
        "name",
        Some(50),
        query.cursor.as_deref().filter(|c| !c.is_empty()),
        None,
        None,
    )?;
    let role = Role::parse(&query.role);
    let q = query.q.trim();
    let q = (!q.is_empty() && q.chars().count() <= 100).then_some(q);
    let list = repo::list(state.db.conn(), viewer.caller.org, &page, q, role).await?;
    let next = list.next_cursor.map(|c| {
        let params = [
            ("q", query.q.as_str()),
            ("role", query.role.as_str()),
            ("cursor", &c),
        ];
        format!(
            "/app/users?{}",
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    });
    Ok(UsersPage {
        grantable: grantable(&viewer),
        shell: viewer.shell,
        users: list.items,
        next,
        q: query.q,
        role: query.role,
        roles: Role::ALL.into_iter().map(Role::as_str).collect(),
        form,
    })
}

async fn list_users(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let mut form = FormState::default();
    form.set("role", "staff");
    render(&users_page(&state, viewer, query, form).await?)
}

#[derive(Debug, Deserialize)]
struct UserInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

async fn create_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<UserInput>,
) -> PageResult {
    let mut form = FormState::with_values([
        ("name", input.name.clone()),
        ("email", input.email.clone()),
        ("role", input.role.clone()),
    ]);
    let result = match Role::parse(&input.role) {
        None => Err(AppError::field("role", "choose a role")),
        Some(role) => {
            service::create(
                &state.db,
                &viewer.caller,
                &viewer.audit,
                CreateUser {
                    name: input.name,
                    email: input.email,
                    role,
                    password: SecretString::from(input.password),
                    active: Some(true),
                },
            )
            .await
        }
    };
    match result {
        Ok(_) => Ok(redirect_with(&state, "/app/users", "Account created.")),
        Err(e) => {
            form.take_error(e)?;
            let page = users_page(&state, viewer, ListQuery::default(), form).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "users/edit.html")]
struct EditUserPage {
    shell: Shell,
    account: User,
    grantable: Vec<&'static str>,
    form: FormState,
    is_self: bool,
}

fn edit_page(viewer: Viewer, account: User, form: FormState) -> EditUserPage {
    EditUserPage {
        grantable: grantable(&viewer),
        is_self: viewer.user.id == account.id,
        shell: viewer.shell,
        account,
        form,
    }
}

fn form_of(account: &User) -> FormState {
    let mut form = FormState::with_values([
        ("name", account.name.clone()),
        ("email", account.email.clone()),
        ("role", account.role.as_str().to_owned()),
    ]);
    if account.active {
        form.set("active", "on");
    }
    form
}

async fn edit_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    viewer.caller.require_account_manager()?;
    let account = repo::get(state.db.conn(), viewer.caller.org, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = form_of(&account);
    render(&edit_page(viewer, account, form))
}

async fn update_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Form(input): Form<UserInput>,
) -> PageResult {
    let mut form = FormState::with_values([
        ("name", input.name.clone()),
        ("email", input.email.clone()),
        ("role", input.role.clone()),
    ]);
    if input.active.is_some() {
        form.set("active", "on");
    }
    let result = match Role::parse(&input.role) {
        None => Err(AppError::field("role", "choose a role")),
        Some(role) => {
            service::update(
                &state.db,
                &viewer.caller,
                &viewer.audit,
                id,
                input.version,
                UpdateUser {
                    name: Some(input.name),
                    email: Some(input.email),
                    role: Some(role),
                    active: Some(input.active.is_some()),
                    password: (!input.password.is_empty())
                        .then(|| SecretString::from(input.password)),
                    version: input.version,
                },
            )
            .await
        }
    };
    match result {
        Ok(_) => Ok(redirect_with(&state, &format!("/app/users/{id}"), "Saved.")),
        Err(e) => {
            form.take_error(e)?;
            let account = repo::get(state.db.conn(), viewer.caller.org, id)
                .await?
                .ok_or(AppError::NotFound)?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &edit_page(viewer, account, form),
            )
        }
    }
}

async fn delete_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    match service::delete(&state.db, &viewer.caller, &viewer.audit, id).await {
        Ok(()) => Ok(redirect_with(&state, "/app/users", "Account deleted.")),
        Err(e @ AppError::Conflict { .. }) => Ok(redirect_with(
            &state,
            &format!("/app/users/{id}"),
            &e.to_problem().detail.unwrap_or_default(),
        )),
        Err(e) => Err(e.into()),
    }
}
