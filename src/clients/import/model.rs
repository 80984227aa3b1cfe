//! The shape of a CSV import: its parameters and report, the parsing of the file into rows, and the
//! snapshot of a changed client kept for the revert.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::super::model::{ClientFields, ClientStatus, UpdateClient};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::validation::EmailAddress;

/// Largest accepted file.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Most data rows in one file.
pub const MAX_ROWS: usize = 50_000;

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

pub struct ParsedFile {
    /// The field of each column (`None`: not recognised).
    pub columns: Vec<Option<&'static str>>,
    /// The names of the columns not recognised.
    pub unmapped: Vec<String>,
    /// The data rows: line number and the cells by field.
    pub rows: Vec<(usize, HashMap<&'static str, String>)>,
}

pub fn parse_file(bytes: &[u8]) -> AppResult<ParsedFile> {
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
pub fn row_to_update(
    values: &HashMap<&'static str, String>,
    errors: &mut FieldErrors,
) -> UpdateClient {
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

/// An existing client a row's email matches: what the plan needs of it.
#[derive(Debug, Clone)]
pub struct ExistingClient {
    /// Id.
    pub id: Uuid,
    /// The version the import changes it at.
    pub version: i64,
    /// Its status now.
    pub status: String,
    /// Its fields as they are, to put back on revert.
    pub snapshot: Snapshot,
}

/// One row of an import's record: a client it created or changed.
#[derive(Debug, Clone)]
pub struct ImportItem {
    /// The client.
    pub client_id: Uuid,
    /// `created` or `updated`.
    pub action: String,
    /// The client before the import (JSON of a [`Snapshot`]), for updates.
    pub previous: Option<String>,
    /// The version the import left the client at.
    pub version_after: i64,
}

/// The fields of a client an import may change, kept to put them back on revert.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub status: String,
    pub source: Option<String>,
    pub tags: Vec<String>,
    pub goals: Option<String>,
    pub medical_notes: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub consent_email: bool,
    pub consent_sms: bool,
}

impl Snapshot {
    /// The snapshot as the changes that put it back.
    pub fn into_fields(self) -> ClientFields {
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
