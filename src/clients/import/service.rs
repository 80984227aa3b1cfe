//! Running an import (plan every row, then write all or nothing in one transaction) and reverting one.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::super::access::ClientScope;
use super::super::model::{ClientFields, ClientStatus, CreateClient};
use super::super::repo;
use super::model::{
    ExistingClient, ImportItem, ImportReport, OnDuplicate, ParsedFile, RowOutcome, RowReport,
    Snapshot, parse_file, row_to_update,
};
use super::repo as import_repo;
use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::validation::EmailAddress;

enum Plan {
    Create(Box<ClientFields>),
    Update(Box<ExistingClient>, Box<ClientFields>),
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
    let existing = import_repo::existing_by_email(db, scope, &emails).await?;
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

/// Plans an import of a CSV file and, unless `dry_run` or any row is invalid, commits it in one
/// transaction (API and pages). Staff and above. The report has an `import_id` exactly when
/// something was written.
pub async fn run_import(
    db: &Db,
    actor: &Actor,
    bytes: &[u8],
    dry_run: bool,
    on_duplicate: OnDuplicate,
) -> AppResult<ImportReport> {
    let scope = &ClientScope::for_actor(db.conn(), actor).await?;
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
    import_repo::insert_import(&txn, scope, import_id, &report).await?;
    let mut new_clients = Vec::new();
    let mut created_at_index = Vec::new();
    let mut item_rows = Vec::new();
    for (i, plan) in plans.into_iter().enumerate() {
        match plan {
            Plan::Create(fields) => {
                new_clients.push((*fields, Vec::new()));
                created_at_index.push(i);
            }
            Plan::Update(existing, fields) => {
                let previous = serde_json::to_string(&existing.snapshot)
                    .map_err(|e| AppError::Internal(e.into()))?;
                let after =
                    repo::update(&txn, scope, existing.id, Some(existing.version), *fields).await?;
                item_rows.push(ImportItem {
                    client_id: existing.id,
                    action: "updated".into(),
                    previous: Some(previous),
                    version_after: after.version,
                });
            }
            Plan::Skip | Plan::Error => {}
        }
    }
    let ids = repo::insert_many(&txn, scope, new_clients, "import").await?;
    for (id, i) in ids.iter().zip(created_at_index) {
        report.items[i].client_id = Some(*id);
        item_rows.push(ImportItem {
            client_id: *id,
            action: "created".into(),
            previous: None,
            version_after: 1,
        });
    }
    import_repo::insert_items(&txn, import_id, item_rows).await?;
    // One event for the import; `import_items` records exactly which clients it created or changed.
    let mut import_ctx = actor.audit.clone();
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
pub async fn revert_import(db: &Db, actor: &Actor, id: Uuid) -> AppResult<()> {
    let scope = ClientScope::for_actor(db.conn(), actor).await?;
    scope.require_front_desk()?;
    let txn = db.begin_write().await?;
    if !import_repo::is_open(&txn, scope.org, id).await? {
        return Err(AppError::NotFound);
    }
    let items = import_repo::items_of(&txn, id).await?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.client_id).collect();
    let current = import_repo::versions(&txn, scope.org, &ids).await?;
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
    import_repo::mark_reverted(&txn, id).await?;
    audit::record(
        &txn,
        &actor.audit,
        Event::new("import.reverted", "import", Some(id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
