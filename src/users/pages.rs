//! `/app/users`: accounts and roles, for owners and admins, through `users::service` like the API.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
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
use crate::web::form::{Done, Fields, Form, respond};
use crate::web::page::{FormState, PageError, PageResult, Shell, Viewer, redirect_with, render};
use crate::web::page_error::PageQuery;

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
    PageQuery(query): PageQuery<ListQuery>,
) -> PageResult {
    let mut form = FormState::default();
    form.set("role", "staff");
    render(&users_page(&state, viewer, query, form).await?)
}

/// The form as shown again: what was typed, never the password.
fn shown_again(mut form: Form) -> (Fields, FormState) {
    form.state.set("password", "");
    (form.fields, form.state)
}

async fn create_user(State(state): State<AppState>, viewer: Viewer, form: Form) -> PageResult {
    let (f, shown) = shown_again(form);
    let result = match Role::parse(f.get("role")) {
        None => Err(AppError::field("role", "choose a role")),
        Some(role) => {
            let input = CreateUser {
                name: f.text("name"),
                email: f.text("email"),
                role,
                // Passwords are taken as typed, spaces included.
                password: SecretString::from(raw(&f, "password")),
                active: Some(true),
            };
            service::create_user(&state.db, &viewer.actor(), input).await
        }
    };
    respond(
        &state,
        result,
        shown,
        |_| Done::to("/app/users", "Account created."),
        |form| {
            let state = &state;
            async move { render(&users_page(state, viewer, ListQuery::default(), form).await?) }
        },
    )
    .await
}

/// A field exactly as submitted (not trimmed).
fn raw(f: &Fields, name: &str) -> String {
    f.0.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
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
    form: Form,
) -> PageResult {
    // Refused before the form is read: a re-shown form would show the account.
    viewer.caller.require_account_manager()?;
    let (f, shown) = shown_again(form);
    let version = f.get("version").parse::<i64>().ok();
    let active = !f.get("active").is_empty();
    let result = match Role::parse(f.get("role")) {
        None => Err(AppError::field("role", "choose a role")),
        Some(role) => {
            let password = raw(&f, "password");
            let input = UpdateUser {
                name: Some(f.text("name")),
                email: Some(f.text("email")),
                role: Some(role),
                active: Some(active),
                password: (!password.is_empty()).then(|| SecretString::from(password)),
                version,
            };
            service::update_user(&state.db, &viewer.actor(), id, version, input).await
        }
    };
    respond(
        &state,
        result,
        shown,
        |_| Done::to(format!("/app/users/{id}"), "Saved."),
        |form| {
            let state = &state;
            async move {
                let account = repo::get(state.db.conn(), viewer.caller.org, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                render(&edit_page(viewer, account, form))
            }
        },
    )
    .await
}

async fn delete_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> PageResult {
    match service::delete_user(&state.db, &viewer.actor(), id).await {
        Ok(()) => Ok(redirect_with(&state, "/app/users", "Account deleted.")),
        Err(e @ AppError::Conflict { .. }) => Ok(redirect_with(
            &state,
            &format!("/app/users/{id}"),
            &e.to_problem().detail.unwrap_or_default(),
        )),
        Err(e) => Err(e.into()),
    }
}
