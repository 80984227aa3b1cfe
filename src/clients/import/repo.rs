//! The queries of imports: the existing clients rows match, the record of an import and its items,
//! and marking it reverted.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::super::access::ClientScope;
use super::super::repo::{EMERGENCY_NAME, EMERGENCY_PHONE, MEDICAL_NOTES, opened};
use super::model::{ExistingClient, ImportItem, ImportReport, Snapshot};
use crate::db::entities::{clients, import_items, imports};
use crate::db::now;
use crate::db::sealed;
use crate::error::AppResult;
use crate::organizations::OrgId;

/// The snapshot of a client's row, its sealed fields opened.
fn snapshot(m: &clients::Model) -> AppResult<Snapshot> {
    Ok(Snapshot {
        first_name: m.first_name.clone(),
        last_name: m.last_name.clone(),
        email: m.email.clone(),
        phone: m.phone.clone(),
        date_of_birth: m.date_of_birth,
        status: m.status.clone(),
        source: m.source.clone(),
        tags: serde_json::from_str(&m.tags).unwrap_or_default(),
        goals: m.goals.clone(),
        medical_notes: opened(&MEDICAL_NOTES, m.id, m.medical_notes.clone())?,
        emergency_contact_name: opened(&EMERGENCY_NAME, m.id, m.emergency_contact_name.clone())?,
        emergency_contact_phone: opened(&EMERGENCY_PHONE, m.id, m.emergency_contact_phone.clone())?,
        consent_email: m.consent_email,
        consent_sms: m.consent_sms,
    })
}

/// The row key of an import item in the associated data of its sealed snapshot.
fn item_row(import: Uuid, client: Uuid) -> String {
    format!("{import}/{client}")
}

/// The organization's clients with these emails (normalised), by email.
pub async fn existing_by_email(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    emails: &[String],
) -> AppResult<HashMap<String, ExistingClient>> {
    let mut found = HashMap::new();
    for part in emails.chunks(500) {
        for m in clients::Entity::find()
            .filter(clients::Column::OrganizationId.eq(scope.org.0))
            .filter(clients::Column::EmailNormalized.is_in(part.iter().cloned()))
            .all(db)
            .await?
        {
            if let Some(e) = m.email_normalized.clone() {
                let existing = ExistingClient {
                    id: m.id,
                    version: m.version,
                    status: m.status.clone(),
                    snapshot: snapshot(&m)?,
                };
                found.insert(e, existing);
            }
        }
    }
    Ok(found)
}

/// Records a committed import with the counts of its report.
pub async fn insert_import(
    db: &impl ConnectionTrait,
    scope: &ClientScope,
    id: Uuid,
    report: &ImportReport,
) -> AppResult<()> {
    let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    imports::Entity::insert(imports::ActiveModel {
        id: Set(id),
        organization_id: Set(scope.org.0),
        created_by: Set(scope.actor_id),
        created_at: Set(now()),
        row_count: Set(to_i32(report.rows)),
        created_count: Set(to_i32(report.created)),
        updated_count: Set(to_i32(report.updated)),
        skipped_count: Set(to_i32(report.skipped)),
        reverted_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Records which clients an import created or changed.
pub async fn insert_items(
    db: &impl ConnectionTrait,
    import: Uuid,
    items: Vec<ImportItem>,
) -> AppResult<()> {
    let rows = items
        .into_iter()
        .map(|i| {
            let previous = sealed::seal_opt(
                &sealed::IMPORT_ITEMS_PREVIOUS,
                &item_row(import, i.client_id),
                i.previous.as_deref(),
            )?;
            Ok(import_items::ActiveModel {
                import_id: Set(import),
                client_id: Set(i.client_id),
                action: Set(i.action),
                previous: Set(previous),
                version_after: Set(i.version_after),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    for part in rows.chunks(500) {
        import_items::Entity::insert_many(part.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Whether the organization has this import, not yet reverted.
pub async fn is_open(db: &impl ConnectionTrait, org: OrgId, id: Uuid) -> AppResult<bool> {
    Ok(imports::Entity::find_by_id(id)
        .filter(imports::Column::OrganizationId.eq(org.0))
        .filter(imports::Column::RevertedAt.is_null())
        .one(db)
        .await?
        .is_some())
}

/// The clients an import created or changed.
pub async fn items_of(db: &impl ConnectionTrait, import: Uuid) -> AppResult<Vec<ImportItem>> {
    import_items::Entity::find()
        .filter(import_items::Column::ImportId.eq(import))
        .all(db)
        .await?
        .into_iter()
        .map(|i| {
            let previous = sealed::open_opt(
                &sealed::IMPORT_ITEMS_PREVIOUS,
                &item_row(import, i.client_id),
                i.previous,
            )?;
            Ok(ImportItem {
                client_id: i.client_id,
                action: i.action,
                previous,
                version_after: i.version_after,
            })
        })
        .collect()
}

/// The current versions of the organization's clients among `ids`.
pub async fn versions(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, i64>> {
    Ok(super::super::repo::by_ids(db, org, ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m.version))
        .collect())
}

/// Marks an import reverted.
pub async fn mark_reverted(db: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    imports::Entity::update_many()
        .col_expr(imports::Column::RevertedAt, Expr::value(now()))
        .filter(imports::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
