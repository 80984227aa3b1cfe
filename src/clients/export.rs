//! Exports: the client list as CSV (`GET /api/v1/clients/export`, streamed in keyset batches, so memory
//! does not grow with the number of clients) and everything held about one person as JSON
//! (`GET /api/v1/clients/{id}/export`, GDPR access and portability).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::access::{ClientScope, Visibility};
use super::model::Client;
pub use super::notes::model::{ConsentRecord, StatusChange};
use super::notes::model::{Note, TimelineEntry};
use super::repo::{self, notes as note_repo};
use super::routes::ListClients;
use super::service::timeline;
use crate::audit::{self, Event};
use crate::auth::{Actor, Role};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::http::ApiQuery;
use crate::http::pagination::SortValue;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_clients))
        .routes(routes!(export_client))
}

/// Rows fetched per batch while streaming.
const BATCH: u64 = 500;

const HEADER: [&str; 18] = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "status",
    "source",
    "tags",
    "goals",
    "emergency_contact_name",
    "emergency_contact_phone",
    "consent_email",
    "consent_sms",
    "trainer_ids",
    "created_at",
    "updated_at",
    "medical_notes",
];

/// A cell that a spreadsheet would run as a formula (`= + - @`, or a tab or carriage return first)
/// gets a leading apostrophe, so it is shown as text.
pub fn neutralize(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

fn csv_line(fields: &[String]) -> Bytes {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(fields.iter().map(|f| neutralize(f)));
    Bytes::from(w.into_inner().unwrap_or_default())
}

fn row(c: &Client, medical: bool) -> Vec<String> {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut cells = vec![
        c.id.to_string(),
        c.first_name.clone(),
        c.last_name.clone(),
        opt(&c.email),
        opt(&c.phone),
        c.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
        c.status.as_str().to_owned(),
        opt(&c.source),
        c.tags.join(";"),
        opt(&c.goals),
        opt(&c.emergency_contact_name),
        opt(&c.emergency_contact_phone),
        c.consent_email.to_string(),
        c.consent_sms.to_string(),
        c.trainer_ids
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(";"),
        c.created_at.to_rfc3339(),
        c.updated_at.to_rfc3339(),
    ];
    if medical {
        cells.push(c.medical_notes.clone().flatten().unwrap_or_default());
    }
    cells
}

/// The clients matching the list filters as CSV (UTF-8, header row), streamed. Staff and above;
/// medical notes are included only for owners, admins and trainers.
#[utoipa::path(get, path = "/export", tag = "clients", params(ListClients),
    responses((status = 200, description = "CSV, one client per row", content_type = "text/csv", body = String)))]
pub async fn export_clients(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ListClients>,
) -> AppResult<Response> {
    clients_csv(&state.db, &actor, params).await
}

/// The CSV export of the clients matching the list filters, as a streamed response (API and pages).
pub async fn clients_csv(db: &Db, actor: &Actor, params: ListClients) -> AppResult<Response> {
    let scope = ClientScope::for_actor(db.conn(), actor).await?;
    scope.require_front_desk()?;
    let (page, filter) = params.parse()?;
    let mut page = page.with_limit(BATCH);
    page.include_total = false;
    let medical = scope.medical;
    let header: Vec<String> = HEADER
        .iter()
        .take(if medical {
            HEADER.len()
        } else {
            HEADER.len() - 1
        })
        .map(|h| (*h).to_owned())
        .collect();
    let txn = db.begin_write().await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("client.exported", "client", None),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(org.id = %scope.org, "client export started");
    // State: the next page request, or None when done; the header goes first.
    let db: Db = db.clone();
    let first =
        futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(csv_line(&header)) });
    let rest = futures_util::stream::unfold(Some(page), move |next| {
        let db = db.clone();
        let filter = filter.clone();
        async move {
            let page = next?;
            match repo::list(db.conn(), &scope, &page, &filter).await {
                Ok(batch) => {
                    let mut out = Vec::new();
                    for c in &batch.items {
                        out.extend_from_slice(&csv_line(&row(c, medical)));
                    }
                    let following = match (batch.next_cursor.is_some(), batch.items.last()) {
                        (true, Some(last)) => {
                            let value = match page.field.name {
                                "name" => SortValue::Text(repo::sort_name(
                                    &last.first_name,
                                    &last.last_name,
                                )),
                                "updated_at" => SortValue::Time(last.updated_at),
                                _ => SortValue::Time(last.created_at),
                            };
                            Some(page.clone().after(value, last.id))
                        }
                        _ => None,
                    };
                    Some((Ok(Bytes::from(out)), following))
                }
                Err(e) => {
                    tracing::error!(error = %e, "client export failed mid-stream");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    use futures_util::StreamExt;
    // Fused: the compression layer polls once more after the end, which a bare `unfold` forbids.
    let body = Body::from_stream(first.chain(rest).fuse());
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"clients.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Everything FitnessCRM holds about one person.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalDataExport {
    /// When this export was made.
    pub exported_at: DateTime<Utc>,
    /// The profile, including medical notes.
    pub client: Client,
    /// Notes written about the person.
    pub notes: Vec<Note>,
    /// Lifecycle history.
    pub status_history: Vec<StatusChange>,
    /// Marketing consent history.
    pub consents: Vec<ConsentRecord>,
    /// The timeline (most recent 1,000 entries).
    pub timeline: Vec<TimelineEntry>,
    /// The audit trail about the person (who did what to their record, when, from where).
    pub audit_events: Vec<crate::audit::AuditEvent>,
}

/// Everything held about a client, as JSON (GDPR access and portability). Owners and admins, and the
/// client themself through their portal account.
#[utoipa::path(get, path = "/{id}/export", tag = "clients", params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "The personal data export", body = PersonalDataExport)))]
pub async fn export_client(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    personal_data_download(&state.db, &actor, id).await
}

/// The personal data export of a client as a JSON download (API and pages): owners and admins, and
/// the person themself.
pub async fn personal_data_download(db: &Db, actor: &Actor, id: Uuid) -> AppResult<Response> {
    let export = export_personal_data_as(db, actor, id).await?;
    let mut response = Json(export).into_response();
    let disposition = format!("attachment; filename=\"client-{id}.json\"");
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The personal data export of client `id` for owners, admins and the client themself, recorded in the
/// audit trail — the rules of `GET /clients/{id}/export`, for the API and the client portal.
pub async fn export_personal_data_as(
    db: &Db,
    actor: &Actor,
    id: Uuid,
) -> AppResult<PersonalDataExport> {
    let conn = db.conn();
    let mut scope = ClientScope::for_actor(conn, actor).await?;
    match (actor.role(), scope.visibility) {
        (Role::Owner | Role::Admin, _) | (Role::Client, Visibility::Own(_)) => {}
        _ => {
            return Err(AppError::Forbidden(
                "Owners, admins and the person themself export personal data.".into(),
            ));
        }
    }
    // It is the person's own data: the export includes their medical notes.
    scope.medical = true;
    let export = personal_data(conn, &scope, id).await?;
    let txn = db.begin_write().await?;
    audit::record(
        &txn,
        &actor.audit,
        super::client_event("client.personal_data_exported", id, Vec::new()),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(org.id = %scope.org, client.id = %id, "personal data exported");
    Ok(export)
}

/// Gathers the personal data export of a client the scope sees.
pub async fn personal_data(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
) -> AppResult<PersonalDataExport> {
    let client = repo::get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    let notes = note_repo::all_notes(db, scope, id).await?;
    let status_history = note_repo::status_history(db, scope, id).await?;
    let consents = note_repo::consents(db, scope, id).await?;
    let timeline = timeline(db, scope, id, 1000, None).await?.items;
    let audit_events = note_repo::audit_events_of(db, scope, id).await?;
    Ok(PersonalDataExport {
        exported_at: crate::db::now(),
        client,
        notes,
        status_history,
        consents,
        timeline,
        audit_events,
    })
}
