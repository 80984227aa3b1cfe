//! `/app/clients`: the list with search as you type, filters, sorting, cursor pages, bulk actions and
//! the CSV export.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use uuid::Uuid;

use super::require_app;
use crate::clients::access::ClientScope;
use crate::clients::model::{ClientStatus, UpdateClient};
use crate::clients::routes::ListClients;
use crate::clients::{export, repo, service};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::form::{Choice, Form};
use crate::web::page::{
    PageError, PageResult, Shell, Viewer, redirect_with, render, render_status,
};
use crate::web::page_error::PageQuery;
use crate::web::picker;

/// The query of the list page (the form sends empty strings for "any").
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    trainer_id: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
    /// The cursors of the pages before this one, `~` for the first, joined by `.`.
    #[serde(default)]
    prev: String,
}

impl ListQuery {
    /// The API's list parameters for this query.
    fn to_api(&self, limit: Option<u64>) -> Result<ListClients, PageError> {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|v| !v.is_empty());
        let status = match opt(&self.status) {
            None => None,
            Some(s) => Some(
                ClientStatus::parse(&s)
                    .ok_or_else(|| AppError::bad_param("status", "is not a client status"))?,
            ),
        };
        let trainer_id = match opt(&self.trainer_id) {
            None => None,
            Some(t) => Some(
                Uuid::parse_str(&t)
                    .map_err(|_| AppError::bad_param("trainer_id", "is not a trainer"))?,
            ),
        };
        Ok(ListClients {
            limit,
            cursor: opt(&self.cursor),
            sort: opt(&self.sort),
            q: opt(&self.q),
            status,
            tag: opt(&self.tag),
            trainer_id,
            // Counting the matches of a search or a tag means reading all of them (every "an…" of
            // 100,000 clients); the page then shows the matches without a total.
            include_total: Some(self.q.trim().is_empty() && self.tag.trim().is_empty()),
        })
    }

    /// The filters (without the page position) as a query string.
    fn filters(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("status", &self.status),
            ("trainer_id", &self.trainer_id),
            ("tag", &self.tag),
            ("sort", &self.sort),
        ] {
            if !v.trim().is_empty() {
                s.append_pair(k, v.trim());
            }
        }
        s.finish()
    }

    fn history(&self) -> Vec<String> {
        if self.prev.is_empty() {
            Vec::new()
        } else {
            self.prev.split('.').map(str::to_owned).collect()
        }
    }

    fn link(&self, cursor: &str, prev: &[String]) -> String {
        let mut s = form_urlencoded::Serializer::new(self.filters());
        if !cursor.is_empty() && cursor != "~" {
            s.append_pair("cursor", cursor);
        }
        if !prev.is_empty() {
            s.append_pair("prev", &prev.join("."));
        }
        format!("/app/clients?{}", s.finish())
    }
}

/// One row of the list.
struct Row {
    id: String,
    name: String,
    email: String,
    phone: String,
    status: &'static str,
    tags: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "clients/list.html")]
struct ListPage {
    shell: Shell,
    title: &'static str,
    rows: Vec<Row>,
    total: Option<u64>,
    query: ListQueryView,
    statuses: Vec<Choice>,
    trainers: Vec<Choice>,
    sorts: Vec<Choice>,
    current_status: String,
    current_trainer: String,
    current_sort: String,
    bulk_statuses: Vec<&'static str>,
    next: Option<String>,
    previous: Option<String>,
    front_desk: bool,
    back: String,
    export: String,
}

/// The typed filters, to fill the form.
struct ListQueryView {
    q: String,
    tag: String,
}

/// The sort choices of the API.
const SORTS: [(&str, &str); 6] = [
    ("name", "Name A–Z"),
    ("-name", "Name Z–A"),
    ("-created_at", "Newest first"),
    ("created_at", "Oldest first"),
    ("-updated_at", "Recently changed"),
    ("updated_at", "Least recently changed"),
];

/// `GET /app/clients`.
pub async fn list_clients(
    State(state): State<AppState>,
    viewer: Viewer,
    PageQuery(query): PageQuery<ListQuery>,
) -> PageResult {
    require_app(&viewer)?;
    let db = state.db.conn();
    let scope = ClientScope::for_actor(db, &viewer.actor()).await?;
    let (page, filter) = query.to_api(Some(25))?.parse()?;
    let result = repo::list(db, &scope, &page, &filter).await?;
    let fmt = &viewer.shell.fmt;
    let rows = result
        .items
        .iter()
        .map(|c| Row {
            id: c.id.to_string(),
            name: format!("{} {}", c.first_name, c.last_name),
            email: c.email.clone().unwrap_or_default(),
            phone: c.phone.clone().unwrap_or_default(),
            status: c.status.as_str(),
            tags: c.tags.join(", "),
            updated: fmt.date(&c.updated_at),
        })
        .collect();
    let history = query.history();
    let next = result.next_cursor.as_ref().map(|n| {
        let mut prev = history.clone();
        prev.push(if query.cursor.is_empty() {
            "~".to_owned()
        } else {
            query.cursor.clone()
        });
        query.link(n, &prev)
    });
    let previous = history
        .split_last()
        .map(|(last, rest)| query.link(last, rest));
    let filters = query.filters();
    let trainers = picker::trainers(db, viewer.caller.org, None).await?;
    render(&ListPage {
        title: if scope.role == crate::auth::Role::Trainer {
            "My clients"
        } else {
            "Clients"
        },
        rows,
        total: result.total,
        statuses: Choice::list(ClientStatus::ALL.iter().map(|s| (s.as_str(), s.as_str()))),
        trainers,
        sorts: Choice::list(SORTS),
        current_status: query.status.trim().to_owned(),
        current_trainer: query.trainer_id.trim().to_owned(),
        current_sort: query.sort.trim().to_owned(),
        bulk_statuses: ClientStatus::ALL.iter().map(|s| s.as_str()).collect(),
        next,
        previous,
        front_desk: viewer.is_staff(),
        back: query.link(&query.cursor, &history),
        export: format!("/app/clients/export.csv?{filters}"),
        query: ListQueryView {
            q: query.q.clone(),
            tag: query.tag.clone(),
        },
        shell: viewer.shell,
    })
}

/// `GET /app/clients/export.csv`: the API's CSV export with the list's filters.
pub async fn export_clients(
    State(state): State<AppState>,
    viewer: Viewer,
    PageQuery(query): PageQuery<ListQuery>,
) -> PageResult {
    require_app(&viewer)?;
    let mut params = query.to_api(None)?;
    params.cursor = None;
    params.include_total = None;
    Ok(export::clients_csv(&state.db, &viewer.actor(), params).await?)
}

#[derive(Template)]
#[template(path = "clients/bulk.html")]
struct BulkPage {
    shell: Shell,
    done: usize,
    failures: Vec<(String, String)>,
    back: String,
}

/// `POST /app/clients/bulk`: adds a tag to, or changes the status of, the chosen clients, one
/// service call per client (as many API calls would); failures are listed per client.
pub async fn bulk_clients(
    State(state): State<AppState>,
    viewer: Viewer,
    Form { fields, .. }: Form,
) -> PageResult {
    require_app(&viewer)?;
    let back = Some(fields.text("back"))
        .filter(|b| b.starts_with("/app/clients"))
        .unwrap_or_else(|| "/app/clients".to_owned());
    let ids: Vec<String> = fields.all("ids");
    if ids.is_empty() {
        return Ok(redirect_with(&state, &back, "Choose at least one client."));
    }
    let action = fields.text("action");
    let status = match action.as_str() {
        "tag" if fields.opt("tag").is_none() => {
            return Ok(redirect_with(&state, &back, "Type the tag to add."));
        }
        "tag" => None,
        "status" => match ClientStatus::parse(&fields.text("status")) {
            Some(s) => Some(s),
            None => return Ok(redirect_with(&state, &back, "Choose the new status.")),
        },
        _ => return Ok(redirect_with(&state, &back, "Choose what to do.")),
    };
    let db = state.db.conn();
    let actor = viewer.actor();
    let scope = ClientScope::for_actor(db, &actor).await?;
    let tag = fields.text("tag");
    let mut done = 0;
    let mut failures = Vec::new();
    for raw in ids {
        let Ok(id) = Uuid::parse_str(&raw) else {
            failures.push((raw, "is not a client id".to_owned()));
            continue;
        };
        let Some(client) = repo::get(db, &scope, id).await? else {
            failures.push((id.to_string(), "not found".to_owned()));
            continue;
        };
        let name = format!("{} {}", client.first_name, client.last_name);
        let input = match status {
            Some(s) => UpdateClient {
                status: Some(s),
                ..UpdateClient::default()
            },
            None => {
                if client.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
                    done += 1;
                    continue;
                }
                let mut tags = client.tags.clone();
                tags.push(tag.clone());
                UpdateClient {
                    tags: Some(tags),
                    ..UpdateClient::default()
                }
            }
        };
        match service::update_client(&state.db, &actor, id, Some(client.version), input).await {
            Ok(_) => done += 1,
            Err(e @ (AppError::Internal(_) | AppError::Unavailable(_))) => return Err(e.into()),
            Err(e) => {
                let p = e.to_problem();
                let detail = p
                    .errors
                    .as_ref()
                    .map(|errs| {
                        errs.0
                            .iter()
                            .flat_map(|(f, ms)| ms.iter().map(move |m| format!("{f} {m}")))
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .filter(|d| !d.is_empty())
                    .or(p.detail)
                    .unwrap_or_else(|| "could not be changed".to_owned());
                failures.push((name, detail));
            }
        }
    }
    if failures.is_empty() {
        let noun = if done == 1 { "client" } else { "clients" };
        return Ok(redirect_with(
            &state,
            &back,
            &format!("Updated {done} {noun}."),
        ));
    }
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &BulkPage {
            shell: viewer.shell,
            done,
            failures,
            back,
        },
    )
}
