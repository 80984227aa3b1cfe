//! `/app/audit`: the audit trail with filters, for owners and admins.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use super::model::AuditEvent;
use super::routes::{ListAuditEvents, list};
use crate::auth::Role;
use crate::state::AppState;
use crate::web::page::{FormState, PageResult, Shell, Viewer, render};
use crate::web::page_error::PageQuery;

/// The pages of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/app/audit", get(audit_log))
}

#[derive(Debug, Deserialize, Default)]
struct Filters {
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    actor_id: String,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    shell: Shell,
    events: Vec<AuditEvent>,
    form: FormState,
    next: Option<String>,
}

fn uuid_filter(form: &mut FormState, name: &str, raw: &str) -> Option<Uuid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            form.add_error(
                name,
                "must be an id such as 0193a5b0-7c1e-7d2a-9b1c-2f0e4a6b8c9d",
            );
            None
        }
    }
}

async fn audit_log(
    State(state): State<AppState>,
    viewer: Viewer,
    PageQuery(f): PageQuery<Filters>,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let mut form = FormState::with_values([
        ("action", f.action.clone()),
        ("entity_type", f.entity_type.clone()),
        ("entity_id", f.entity_id.clone()),
        ("actor_id", f.actor_id.clone()),
    ]);
    let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let params = ListAuditEvents {
        entity_type: text(&f.entity_type),
        entity_id: uuid_filter(&mut form, "entity_id", &f.entity_id),
        actor_id: uuid_filter(&mut form, "actor_id", &f.actor_id),
        subject_client_id: None,
        action: text(&f.action),
        limit: Some(50),
        cursor: f.cursor.clone().filter(|c| !c.is_empty()),
        sort: None,
        include_total: None,
    };
    let (events, next) = match list(state.db.conn(), &viewer.actor(), params).await {
        Ok(page) => (page.items, page.next_cursor),
        Err(e) => {
            form.take_error(e)?;
            (Vec::new(), None)
        }
    };
    let next = next.map(|c| {
        let q = [
            ("action", f.action.as_str()),
            ("entity_type", &f.entity_type),
            ("entity_id", &f.entity_id),
            ("actor_id", &f.actor_id),
            ("cursor", &c),
        ];
        format!(
            "/app/audit?{}",
            serde_urlencoded::to_string(q).unwrap_or_default()
        )
    });
    render(&AuditPage {
        shell: viewer.shell,
        events,
        form,
        next,
    })
}
