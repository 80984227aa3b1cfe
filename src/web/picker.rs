//! Pickers shared by every form: the one trainer picker (active trainers first, by name, narrowed by a
//! typed prefix), so that no two forms disagree on whom they offer.

use super::form::Choice;
use crate::error::AppResult;
use crate::organizations::OrgId;
use crate::trainers::repo as trainer_repo;

/// How many trainers a picker lists at once; typing narrows the list (`q`).
pub const TRAINER_PICKER_LIMIT: u64 = 500;

/// The trainers to offer, as `<select>` options (id → "First Last"), narrowed by `q` when given.
pub async fn trainers(
    db: &impl sea_orm::ConnectionTrait,
    org: OrgId,
    q: Option<&str>,
) -> AppResult<Vec<Choice>> {
    Ok(trainer_repo::for_picker(db, org, q, TRAINER_PICKER_LIMIT)
        .await?
        .into_iter()
        .map(|t| {
            Choice::new(
                t.id.to_string(),
                format!("{} {}", t.first_name, t.last_name),
            )
        })
        .collect())
}

/// How many clients a client picker lists.
pub const CLIENT_PICKER_LIMIT: u64 = 200;

/// The clients the actor sees (a trainer: their own), by name, as `<select>` options.
pub async fn clients(
    db: &impl sea_orm::ConnectionTrait,
    actor: &crate::auth::Actor,
) -> AppResult<Vec<Choice>> {
    use crate::clients::access::ClientScope;
    use crate::clients::repo as client_repo;
    use crate::http::pagination::PageRequest;
    let scope = ClientScope::for_actor(db, actor).await?;
    let page = PageRequest::parse(
        &client_repo::SORT_FIELDS,
        "name",
        Some(CLIENT_PICKER_LIMIT),
        None,
        None,
        None,
    )?;
    Ok(
        client_repo::list(db, &scope, &page, &client_repo::ClientFilter::default())
            .await?
            .items
            .into_iter()
            .map(|c| {
                Choice::new(
                    c.id.to_string(),
                    format!("{} {}", c.first_name, c.last_name),
                )
            })
            .collect(),
    )
}
