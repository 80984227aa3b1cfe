//! Database access for the outbox. The bodies are sealed at rest ([`crate::db::sealed`]).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::model::{Email, MailStatus, OutboxMessage};
use crate::db::entities::outbox;
use crate::db::new_id;
use crate::db::sealed::{self, OUTBOX_BODY_HTML, OUTBOX_BODY_TEXT};
use crate::error::{AppError, AppResult};

fn to_message(m: outbox::Model) -> AppResult<OutboxMessage> {
    Ok(OutboxMessage {
        body_text: sealed::open(&OUTBOX_BODY_TEXT, &m.id, m.body_text)?,
        body_html: sealed::open_opt(&OUTBOX_BODY_HTML, &m.id, m.body_html)?,
        status: MailStatus::parse(&m.status).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("unknown outbox status {:?}", m.status))
        })?,
        id: m.id,
        organization_id: m.organization_id,
        recipient: m.recipient,
        subject: m.subject,
        created_at: m.created_at,
        sent_at: m.sent_at,
        last_error: m.last_error,
    })
}

/// Writes a message, pending.
pub async fn insert(db: &impl ConnectionTrait, email: Email, at: DateTime<Utc>) -> AppResult<Uuid> {
    let id = new_id();
    outbox::Entity::insert(outbox::ActiveModel {
        id: Set(id),
        organization_id: Set(email.organization_id),
        channel: Set("email".to_owned()),
        recipient: Set(email.to),
        subject: Set(email.subject),
        body_text: Set(sealed::seal(&OUTBOX_BODY_TEXT, &id, &email.text)?),
        body_html: Set(sealed::seal_opt(
            &OUTBOX_BODY_HTML,
            &id,
            email.html.as_deref(),
        )?),
        status: Set(MailStatus::Pending.as_str().to_owned()),
        created_at: Set(at),
        sent_at: Set(None),
        last_error: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// One message.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<OutboxMessage>> {
    outbox::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(to_message)
        .transpose()
}

/// Sets a message's status (`Sent` also its time) unless it was sent already; false when it was.
pub async fn mark(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: MailStatus,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status.as_str()))
        .col_expr(
            outbox::Column::LastError,
            Expr::value(error.map(str::to_owned)),
        );
    if status == MailStatus::Sent {
        update = update.col_expr(outbox::Column::SentAt, Expr::value(at));
    }
    let done = update
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.ne(MailStatus::Sent.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The ids of held messages (at most `limit`), oldest first.
pub async fn held(db: &impl ConnectionTrait, limit: u64) -> AppResult<Vec<Uuid>> {
    Ok(outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Status.eq(MailStatus::Held.as_str()))
        .order_by_asc(outbox::Column::CreatedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// An organization's newest messages (every organization's for `None`), without their bodies.
pub async fn list(
    db: &impl ConnectionTrait,
    org: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<OutboxMessage>> {
    let mut q = outbox::Entity::find();
    if let Some(org) = org {
        q = q.filter(outbox::Column::OrganizationId.eq(org));
    }
    q.order_by_desc(outbox::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|mut m| {
            m.body_text = String::new();
            m.body_html = None;
            to_message(m)
        })
        .collect()
}
