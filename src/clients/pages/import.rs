//! `/app/clients/import`: upload a CSV file, see the dry run (what each row would do, errors by row and
//! column), then commit it. Dry runs are not stored by the API, so the report page carries the file
//! (base64, in a hidden field of the commit form) and the commit plans it again: what is written is
//! exactly what a direct API import of that file would write, checked against the data as it is then.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::require_app;
use crate::clients::import::{ImportReport, OnDuplicate, RowOutcome, run_import};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::page::{
    FormState, PageError, PageResult, Shell, Viewer, redirect_with, render_status,
};

/// Rows shown in the report (the counts cover all of them).
const SHOWN: usize = 500;

#[derive(Template)]
#[template(path = "clients/import.html")]
struct ImportPage {
    shell: Shell,
    form: FormState,
}

/// One row of the report.
struct ReportRow {
    line: usize,
    outcome: &'static str,
    cells: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "clients/import_report.html")]
struct ReportPage {
    shell: Shell,
    r: ImportReport,
    rows: Vec<ReportRow>,
    more: usize,
    csv: String,
    on_duplicate: String,
    committable: bool,
    committed_with_errors: bool,
}

fn policy(raw: &str) -> Option<OnDuplicate> {
    match raw {
        "" | "skip" => Some(OnDuplicate::Skip),
        "update" => Some(OnDuplicate::Update),
        "error" => Some(OnDuplicate::Error),
        _ => None,
    }
}

/// `GET /app/clients/import`.
pub async fn import_form(viewer: Viewer) -> PageResult {
    require_app(&viewer)?;
    viewer.require(crate::auth::Role::Staff)?;
    render_status(
        StatusCode::OK,
        &ImportPage {
            shell: viewer.shell,
            form: FormState::with_values([("on_duplicate", "skip".to_owned())]),
        },
    )
}

/// The cells of each record of the file by line, to show next to the outcome (display only).
fn cells_by_line(bytes: &[u8]) -> std::collections::HashMap<usize, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut out = std::collections::HashMap::new();
    for record in reader.records().take(SHOWN).flatten() {
        if let Some(pos) = record.position() {
            let line = usize::try_from(pos.line()).unwrap_or(0);
            out.insert(line, record.iter().collect::<Vec<_>>().join(" · "));
        }
    }
    out
}

/// `POST /app/clients/import` (multipart): a file for a dry run, or the carried file with `commit`.
pub async fn import_clients(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> PageResult {
    require_app(&viewer)?;
    viewer.require(crate::auth::Role::Staff)?;
    let mut file: Option<Vec<u8>> = None;
    let mut carried: Option<String> = None;
    let mut on_duplicate = String::new();
    let mut commit = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(PageError::TooLarge);
            }
            Err(_) => return Err(AppError::bad_param("file", "could not be read").into()),
        };
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => {
                let bytes = field.bytes().await.map_err(|_| PageError::TooLarge)?;
                file = Some(bytes.to_vec());
            }
            "csv" => carried = field.text().await.ok(),
            "on_duplicate" => on_duplicate = field.text().await.unwrap_or_default(),
            "commit" => commit = true,
            _ => {}
        }
    }
    let mut form = FormState::with_values([("on_duplicate", on_duplicate.clone())]);
    let Some(policy) = policy(&on_duplicate) else {
        form.add_error("on_duplicate", "Choose what to do with duplicates.");
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportPage {
                shell: viewer.shell,
                form,
            },
        );
    };
    let bytes = match (commit, carried, file) {
        (true, Some(b64), _) => STANDARD
            .decode(b64.trim())
            .map_err(|_| AppError::bad_param("csv", "is not the file of the dry run"))?,
        (_, _, Some(f)) if !f.is_empty() => f,
        _ => {
            form.add_error("file", "Choose a CSV file.");
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ImportPage {
                    shell: viewer.shell,
                    form,
                },
            );
        }
    };
    let report = match run_import(&state.db, &viewer.actor(), &bytes, !commit, policy).await {
        Ok(r) => r,
        Err(e @ (AppError::NotFound | AppError::Internal(_) | AppError::Unavailable(_))) => {
            return Err(e.into());
        }
        Err(e) => {
            form.take_error(e)?;
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ImportPage {
                    shell: viewer.shell,
                    form,
                },
            );
        }
    };
    if report.import_id.is_some() {
        let message = format!(
            "Import done: {} created, {} updated, {} skipped.",
            report.created, report.updated, report.skipped
        );
        return Ok(redirect_with(&state, "/app/clients", &message));
    }
    let cells = cells_by_line(&bytes);
    let rows = report
        .items
        .iter()
        .take(SHOWN)
        .map(|i| ReportRow {
            line: i.line,
            outcome: match i.outcome {
                RowOutcome::Created => "new",
                RowOutcome::Updated => "update",
                RowOutcome::Skipped => "duplicate, skipped",
                RowOutcome::Error => "error",
            },
            cells: cells.get(&i.line).cloned().unwrap_or_default(),
            errors: i
                .errors
                .iter()
                .flat_map(|(f, ms)| ms.iter().map(move |m| format!("{f}: {m}")))
                .collect(),
        })
        .collect();
    let status = if commit {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_status(
        status,
        &ReportPage {
            more: report.items.len().saturating_sub(SHOWN),
            committable: report.errors == 0,
            committed_with_errors: commit,
            csv: STANDARD.encode(&bytes),
            on_duplicate: match policy {
                OnDuplicate::Skip => "skip",
                OnDuplicate::Update => "update",
                OnDuplicate::Error => "error",
            }
            .to_owned(),
            r: report,
            rows,
            shell: viewer.shell,
        },
    )
}
