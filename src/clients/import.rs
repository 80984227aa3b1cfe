//! CSV import of clients (`POST /api/v1/clients/import`) and its revert (`DELETE /api/v1/imports/{id}`).
//!
//! The file needs a header row; columns are matched by name (with common aliases such as `surname` or
//! `dob`), unknown columns are reported and ignored. Every row is validated like an API request. A dry
//! run returns the per-row report without writing. A real import writes everything in one transaction
//! or, when any row is invalid, nothing at all. Rows whose email matches an existing client are
//! skipped, updated or reported as errors, as `on_duplicate` says. A committed import can be reverted
//! as long as none of the clients it created or changed has been changed since.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::access::ClientScope;
use super::model::{ClientFields, ClientStatus, CreateClient, UpdateClient};
use super::repo;
use crate::audit::{self, Audit, Event};
use crate::auth::CurrentUser;
use crate::db::entities::{clients, import_items, imports};
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::{ApiQuery, created};
use crate::state::AppState;
use crate::validation::EmailAddress;

/// Largest accepted file.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Most data rows in one file.
pub const MAX_ROWS: usize = 50_000;

/// The import route (its body limit is the file limit, not the JSON one).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_clients))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BYTES))
}

/// The revert route, under `/api/v1/imports`.
pub fn imports_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(revert_import))
}

/// What to do with a row whose email belongs to an existing client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicate {
    /// Leave the existing client as it is (default).
    #[default]
    Skip,
    /// Update the existing client with the row's non-empty cells.
    Update,
    /// Report the row as an error.
    Error,
}

/// Parameters of the import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Report what would happen without writing anything.
    pub dry_run: Option<bool>,
    /// `skip` (default), `update` or `error`.
    #[param(inline)]
    pub on_duplicate: Option<OnDuplicate>,
}

/// What happened (or would happen) to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RowOutcome {
    /// A new client.
    Created,
    /// An existing client was changed.
    Updated,
    /// An existing client was left alone.
    Skipped,
    /// The row is invalid.
    Error,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowReport {
    /// The line of the file (the header is line 1).
    pub line: usize,
    /// The outcome.
    pub outcome: RowOutcome,
    /// The client created, updated or skipped.
    pub client_id: Option<Uuid>,
    /// Every problem of the row, by column.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, Vec<String>>,
}

/// The report of an import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// True when nothing was written.
    pub dry_run: bool,
    /// The import, when committed: `DELETE /api/v1/imports/{id}` reverts it.
    pub import_id: Option<Uuid>,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows that create a client.
    pub created: usize,
    /// Rows that update a client.
    pub updated: usize,
    /// Rows skipped as duplicates.
    pub skipped: usize,
    /// Invalid rows.
    pub errors: usize,
    /// Columns that were not recognised and were ignored.
    pub unmapped_columns: Vec<String>,
    /// One entry per data row.
    pub items: Vec<RowReport>,
}

/// The client fields a column can fill.
const FIELDS: [&str; 14] = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "status",
    "source",
    "tags",
    "goals",
    "medical_notes",
    "emergency_contact_name",
    "emergency_contact_phone",
    "consent_email",
    "consent_sms",
];

fn field_for(header: &str) -> Option<&'static str> {
    let h: String = header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    let h = h.trim_matches('_');
    let alias = match h {
        "firstname" | "first" | "given_name" | "forename" => "first_name",
        "lastname" | "last" | "surname" | "family_name" => "last_name",
        "e_mail" | "email_address" | "mail" => "email",
        "phone_number" | "mobile" | "telephone" | "tel" | "cell" => "phone",
        "dob" | "birthday" | "birth_date" | "birthdate" => "date_of_birth",
        "notes_medical" | "health_notes" => "medical_notes",
        "emergency_contact" => "emergency_contact_name",
        "emergency_phone" => "emergency_contact_phone",
        other => other,
    };
    FIELDS.into_iter().find(|f| *f == alias)
}

struct ParsedFile {
    columns: Vec<Option<&'static str>>,
    unmapped: Vec<String>,
    rows: Vec<(usize, HashMap<&'static str, String>)>,
}

fn parse_file(bytes: &[u8]) -> AppResult<ParsedFile> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        AppError::field(
            "file",
            format!(
                "is not UTF-8 text (first bad byte at offset {}); save it as CSV UTF-8",
                e.valid_up_to()
            ),
        )
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| AppError::field("file", format!("has no readable header row: {e}")))?
        .clone();
    let columns: Vec<Option<&'static str>> = headers.iter().map(field_for).collect();
    let unmapped = headers
        .iter()
        .zip(&columns)
        .filter(|(_, c)| c.is_none())
        .map(|(h, _)| h.to_owned())
        .collect();
    let mut errors = FieldErrors::new();
    for required in ["first_name", "last_name"] {
        if !columns.contains(&Some(required)) {
            errors.add(
                "file",
                format!("has no {required} column (the header row names the columns)"),
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    for c in columns.iter().flatten() {
        if !seen.insert(*c) {
            errors.add("file", format!("has more than one {c} column"));
        }
    }
    errors.into_result(())?;
    let mut rows = Vec::new();
    let (mut counted_to, mut line_at) = (0usize, 0usize);
    for record in reader.records() {
        let record =
            record.map_err(|e| AppError::field("file", format!("is not valid CSV: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(AppError::field(
                "file",
                format!("has more than {MAX_ROWS} rows; split it"),
            ));
        }
        // The line as an editor shows it (the csv crate does not count blank lines). A record's
        // position is where reading started, before any blank lines it skipped.
        let mut byte = record
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0))
            .min(text.len());
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        if byte > counted_to {
            line_at += text.as_bytes()[counted_to..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            counted_to = byte;
        }
        let line = line_at + 1;
        let mut values = HashMap::new();
        for (value, column) in record.iter().zip(&columns) {
            if let Some(field) = column
                && !value.is_empty()
            {
                values.insert(*field, value.to_owned());
            }
        }
        rows.push((line, values));
    }
    Ok(ParsedFile {
        columns,
        unmapped,
        rows,
    })
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "x" => Ok(true),
        "false" | "no" | "n" | "0" | "" => Ok(false),
        _ => Err("must be yes or no".to_owned()),
    }
}

/// A row turned into a request, with the problems that prevent that.
fn row_to_update(values: &HashMap<&'static str, String>, errors: &mut FieldErrors) -> UpdateClient {
    let text = |f: &str| values.get(f).cloned();
    let opt = |f: &str| values.get(f).map(|v| Some(v.clone()));
    let date_of_birth = values.get("date_of_birth").and_then(|v| {
        errors
            .check(
                "date_of_birth",
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| "must be a date YYYY-MM-DD".to_owned()),
            )
            .map(Some)
    });
    let status = values.get("status").and_then(|v| {
        errors.check(
            "status",
            ClientStatus::parse(&v.to_lowercase())
                .ok_or_else(|| "must be lead, trial, active, paused or churned".to_owned()),
        )
    });
    let tags = values.get("tags").map(|v| {
        v.split([';', '|', ','])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let consent_email = values
        .get("consent_email")
        .and_then(|v| errors.check("consent_email", parse_bool(v)));
    let consent_sms = values
        .get("consent_sms")
        .and_then(|v| errors.check("consent_sms", parse_bool(v)));
    UpdateClient {
        first_name: text("first_name"),
        last_name: text("last_name"),
        email: opt("email"),
        phone: opt("phone"),
        date_of_birth,
        status,
        source: opt("source"),
        tags,
        goals: opt("goals"),
        medical_notes: opt("medical_notes"),
        emergency_contact_name: opt("emergency_contact_name"),
        emergency_contact_phone: opt("emergency_contact_phone"),
        custom_fields: None,
        consent_email,
        consent_sms,
        user_id: None,
        version: None,
    }
}

enum Plan {
    Create(Box<ClientFields>),
    Update(Box<clients::Model>, Box<ClientFields>),
    Skip,
    Error,
}

fn validation_errors(e: AppError, into: &mut FieldErrors) -> AppResult<()> {
    match e {
        AppError::Validation(fe) => {
            for (field, messages) in fe.0 {
                for m in messages {
                    into.add(field.clone(), m);
                }
            }
            Ok(())
        }
        other => Err(other),
    }
}

async fn plan(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    file: &ParsedFile,
    on_duplicate: OnDuplicate,
) -> AppResult<(Vec<Plan>, Vec<RowReport>)> {
    let emails: Vec<String> = file
        .rows
        .iter()
        .filter_map(|(_, v)| {
            v.get("email")
                .and_then(|e| EmailAddress::parse(e).ok())
                .map(|e| e.as_str().to_owned())
        })
        .collect();
    let existing = repo::ids_by_email(db, scope, &emails).await?;
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    let mut plans = Vec::new();
    let mut reports = Vec::new();
    for (line, values) in &file.rows {
        let mut errors = FieldErrors::new();
        let update = row_to_update(values, &mut errors);
        let email = update
            .email
            .clone()
            .flatten()
            .and_then(|e| EmailAddress::parse(&e).ok())
            .map(|e| e.as_str().to_owned());
        if let Some(e) = &email
            && let Some(first) = first_line_of.insert(e.clone(), *line)
        {
            errors.add("email", format!("appears again (first on line {first})"));
        }
        let found = email.as_ref().and_then(|e| existing.get(e));
        let (plan, outcome, client_id) = match found {
            Some(m) if errors.is_empty() && on_duplicate == OnDuplicate::Skip => {
                (Plan::Skip, RowOutcome::Skipped, Some(m.id))
            }
            Some(m) if on_duplicate == OnDuplicate::Error => {
                errors.add("email", format!("belongs to existing client {}", m.id));
                (Plan::Error, RowOutcome::Error, Some(m.id))
            }
            Some(m) => match update.validate() {
                Ok(fields) => {
                    if let (Some(from), Some(to)) = (ClientStatus::parse(&m.status), fields.status)
                        && let Err(msg) = from.check_transition(to)
                    {
                        errors.add("status", msg);
                    }
                    if errors.is_empty() {
                        (
                            Plan::Update(Box::new(m.clone()), Box::new(fields)),
                            RowOutcome::Updated,
                            Some(m.id),
                        )
                    } else {
                        (Plan::Error, RowOutcome::Error, Some(m.id))
                    }
                }
                Err(e) => {
                    validation_errors(e, &mut errors)?;
                    (Plan::Error, RowOutcome::Error, Some(m.id))
                }
            },
            None => {
                let create = CreateClient {
                    first_name: update.first_name.unwrap_or_default(),
                    last_name: update.last_name.unwrap_or_default(),
                    email: update.email.flatten(),
                    phone: update.phone.flatten(),
                    date_of_birth: update.date_of_birth.flatten(),
                    status: update.status,
                    source: Some(
                        update
                            .source
                            .flatten()
                            .unwrap_or_else(|| "import".to_owned()),
                    ),
                    tags: update.tags,
                    goals: update.goals.flatten(),
                    medical_notes: update.medical_notes.flatten(),
                    emergency_contact_name: update.emergency_contact_name.flatten(),
                    emergency_contact_phone: update.emergency_contact_phone.flatten(),
                    custom_fields: None,
                    trainer_ids: None,
                    consent_email: update.consent_email,
                    consent_sms: update.consent_sms,
                };
                match create.validate() {
                    Ok((fields, _)) if errors.is_empty() => {
                        (Plan::Create(Box::new(fields)), RowOutcome::Created, None)
                    }
                    Ok(_) => (Plan::Error, RowOutcome::Error, None),
                    Err(e) => {
                        validation_errors(e, &mut errors)?;
                        (Plan::Error, RowOutcome::Error, None)
                    }
                }
            }
        };
        let outcome = if errors.is_empty() {
            outcome
        } else {
            RowOutcome::Error
        };
        let plan = if errors.is_empty() { plan } else { Plan::Error };
        plans.push(plan);
        reports.push(RowReport {
            line: *line,
            outcome,
            client_id,
            errors: errors.0,
        });
    }
    Ok((plans, reports))
}

/// The fields of a client an import may change, kept to put them back on revert.
#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    first_name: String,
    last_name: String,
    email: Option<String>,
    phone: Option<String>,
    date_of_birth: Option<NaiveDate>,
    status: String,
    source: Option<String>,
    tags: Vec<String>,
    goals: Option<String>,
    medical_notes: Option<String>,
    emergency_contact_name: Option<String>,
    emergency_contact_phone: Option<String>,
    consent_email: bool,
    consent_sms: bool,
}

impl From<&clients::Model> for Snapshot {
    fn from(m: &clients::Model) -> Self {
        Self {
            first_name: m.first_name.clone(),
            last_name: m.last_name.clone(),
            email: m.email.clone(),
            phone: m.phone.clone(),
            date_of_birth: m.date_of_birth,
            status: m.status.clone(),
            source: m.source.clone(),
            tags: serde_json::from_str(&m.tags).unwrap_or_default(),
            goals: m.goals.clone(),
            medical_notes: m.medical_notes.clone(),
            emergency_contact_name: m.emergency_contact_name.clone(),
            emergency_contact_phone: m.emergency_contact_phone.clone(),
            consent_email: m.consent_email,
            consent_sms: m.consent_sms,
        }
    }
}

impl Snapshot {
    fn into_fields(self) -> ClientFields {
        ClientFields {
            first_name: Some(self.first_name),
            last_name: Some(self.last_name),
            email: Some(self.email.and_then(|e| EmailAddress::parse(&e).ok())),
            phone: Some(self.phone),
            date_of_birth: Some(self.date_of_birth),
            status: ClientStatus::parse(&self.status),
            source: Some(self.source),
            tags: Some(self.tags),
            goals: Some(self.goals),
            medical_notes: Some(self.medical_notes),
            emergency_contact_name: Some(self.emergency_contact_name),
            emergency_contact_phone: Some(self.emergency_contact_phone),
            custom_fields: None,
            consent_email: Some(self.consent_email),
            consent_sms: Some(self.consent_sms),
            user_id: None,
        }
    }
}

/// Imports clients from a CSV file (`Content-Type: text/csv`, UTF-8, header row, at most 10 MiB and
/// 50,000 rows). Staff and above.
#[utoipa::path(post, path = "/import", tag = "clients", params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row"),
    responses(
        (status = 200, description = "Dry run: what would happen", body = ImportReport),
        (status = 201, description = "Imported", body = ImportReport, headers(("Location" = String, description = "The import, for reverting"))),
        (status = 422, description = "Invalid rows (the report, as JSON) or an unusable file (a problem naming it); nothing was written",
            content((ImportReport = "application/json"), (crate::error::Problem = "application/problem+json"))),
    ))]
pub async fn import_clients(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    ApiQuery(params): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<Response> {
    let scope = ClientScope::of(state.db.conn(), &caller).await?;
    scope.require_front_desk()?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "text/csv" && mime != "application/csv" {
        return Err(AppError::UnsupportedMediaType(
            "Send the file as Content-Type: text/csv.".into(),
        ));
    }
    let bytes = body.map_err(|_| {
        AppError::PayloadTooLarge(format!(
            "The file is larger than {} MiB.",
            MAX_BYTES / 1024 / 1024
        ))
    })?;
    let report = run_import(
        &state.db,
        &ctx,
        &scope,
        &bytes,
        params.dry_run.unwrap_or(false),
        params.on_duplicate.unwrap_or_default(),
    )
    .await?;
    match report.import_id {
        Some(import_id) => Ok(created(format!("/api/v1/imports/{import_id}"), report)),
        None if report.dry_run && params.dry_run.unwrap_or(false) => {
            Ok(Json(report).into_response())
        }
        None => Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(report)).into_response()),
    }
}

/// Plans an import of a CSV file and, unless `dry_run` or any row is invalid, commits it in one
/// transaction (API and pages). Staff and above. The report has an `import_id` exactly when
/// something was written.
pub async fn run_import(
    db: &crate::db::Db,
    ctx: &crate::audit::AuditContext,
    scope: &ClientScope,
    bytes: &[u8],
    dry_run: bool,
    on_duplicate: OnDuplicate,
) -> AppResult<ImportReport> {
    scope.require_front_desk()?;
    let file = parse_file(bytes)?;
    if file.columns.contains(&Some("medical_notes")) {
        scope.require_medical()?;
    }
    let txn = db.begin_write().await?;
    let (plans, items) = plan(&txn, scope, &file, on_duplicate).await?;
    let count = |o: RowOutcome| items.iter().filter(|i| i.outcome == o).count();
    let mut report = ImportReport {
        dry_run: true,
        import_id: None,
        rows: items.len(),
        created: count(RowOutcome::Created),
        updated: count(RowOutcome::Updated),
        skipped: count(RowOutcome::Skipped),
        errors: count(RowOutcome::Error),
        unmapped_columns: file.unmapped.clone(),
        items,
    };
    if dry_run {
        txn.rollback().await?;
        return Ok(report);
    }
    if report.errors > 0 {
        txn.rollback().await?;
        return Ok(report);
    }
    let import_id = new_id();
    let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    imports::Entity::insert(imports::ActiveModel {
        id: Set(import_id),
        organization_id: Set(scope.org.0),
        created_by: Set(scope.actor_id),
        created_at: Set(now()),
        row_count: Set(to_i32(report.rows)),
        created_count: Set(to_i32(report.created)),
        updated_count: Set(to_i32(report.updated)),
        skipped_count: Set(to_i32(report.skipped)),
        reverted_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    let mut new_clients = Vec::new();
    let mut created_at_index = Vec::new();
    let mut item_rows = Vec::new();
    for (i, plan) in plans.into_iter().enumerate() {
        match plan {
            Plan::Create(fields) => {
                new_clients.push((*fields, Vec::new()));
                created_at_index.push(i);
            }
            Plan::Update(model, fields) => {
                let previous = serde_json::to_string(&Snapshot::from(&*model))
                    .map_err(|e| AppError::Internal(e.into()))?;
                let after =
                    repo::update(&txn, scope, model.id, Some(model.version), *fields).await?;
                item_rows.push(import_items::ActiveModel {
                    import_id: Set(import_id),
                    client_id: Set(model.id),
                    action: Set("updated".into()),
                    previous: Set(Some(previous)),
                    version_after: Set(after.version),
                });
            }
            Plan::Skip | Plan::Error => {}
        }
    }
    let ids = repo::insert_many(&txn, scope, new_clients, "import").await?;
    for (id, i) in ids.iter().zip(created_at_index) {
        report.items[i].client_id = Some(*id);
        item_rows.push(import_items::ActiveModel {
            import_id: Set(import_id),
            client_id: Set(*id),
            action: Set("created".into()),
            previous: Set(None),
            version_after: Set(1),
        });
    }
    for part in item_rows.chunks(500) {
        import_items::Entity::insert_many(part.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    // One event for the import; `import_items` records exactly which clients it created or changed.
    let mut import_ctx = ctx.clone();
    import_ctx.source = audit::Source::Import;
    audit::record(
        &txn,
        &import_ctx,
        Event::new("import.committed", "import", Some(import_id)),
    )
    .await?;
    txn.commit().await?;
    report.dry_run = false;
    report.import_id = Some(import_id);
    tracing::info!(org.id = %scope.org, import.id = %import_id, rows = report.rows, "clients imported");
    Ok(report)
}

/// Reverts an import: deletes the clients it created and restores those it updated, unless any of them
/// changed since (409 listing them). Staff and above.
#[utoipa::path(delete, path = "/{id}", tag = "clients", params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 204, description = "Reverted"),
        (status = 409, description = "Some records changed since the import; `conflicts` lists them", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn revert_import(
    State(state): State<AppState>,
    caller: CurrentUser,
    Audit(ctx): Audit,
    Path(id): Path<Uuid>,
) -> AppResult<impl IntoResponse> {
    let scope = ClientScope::of(state.db.conn(), &caller).await?;
    scope.require_front_desk()?;
    let txn = state.db.begin_write().await?;
    let import = imports::Entity::find_by_id(id)
        .filter(imports::Column::OrganizationId.eq(scope.org.0))
        .filter(imports::Column::RevertedAt.is_null())
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let items = import_items::Entity::find()
        .filter(import_items::Column::ImportId.eq(import.id))
        .all(&txn)
        .await?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.client_id).collect();
    let mut current: HashMap<Uuid, i64> = HashMap::new();
    for m in super::repo::by_ids(&txn, scope.org, &ids).await? {
        current.insert(m.id, m.version);
    }
    let conflicts: Vec<serde_json::Value> = items
        .iter()
        .filter(|i| current.get(&i.client_id) != Some(&i.version_after))
        .map(|i| serde_json::json!({"type": "client", "id": i.client_id, "reason": if current.contains_key(&i.client_id) { "changed since the import" } else { "deleted since the import" }}))
        .collect();
    if !conflicts.is_empty() {
        return Err(AppError::Conflict {
            detail: format!(
                "{} record(s) changed since the import; it cannot be reverted.",
                conflicts.len()
            ),
            conflicts,
        });
    }
    for item in items {
        match (item.action.as_str(), item.previous) {
            ("updated", Some(previous)) => {
                let snapshot: Snapshot =
                    serde_json::from_str(&previous).map_err(|e| AppError::Internal(e.into()))?;
                let mut fields = snapshot.into_fields();
                // Restoring is not a lifecycle move; write the old status back as it was.
                let status = fields.status.take();
                repo::update(
                    &txn,
                    &ClientScope::system(scope.org),
                    item.client_id,
                    Some(item.version_after),
                    fields,
                )
                .await?;
                if let Some(status) = status {
                    repo::set_status_unchecked(&txn, &scope, item.client_id, status).await?;
                }
            }
            _ => repo::delete(&txn, &ClientScope::system(scope.org), item.client_id).await?,
        }
    }
    imports::Entity::update_many()
        .col_expr(
            imports::Column::RevertedAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .filter(imports::Column::Id.eq(import.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &ctx,
        Event::new("import.reverted", "import", Some(import.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
