//! `Idempotency-Key` on POST: a retried request with the same key and body gets the first successful
//! result, the same key with another body a 422, and a retry while the first is still running a 409.
//! A request that failed does not hold its key, so the client can correct it and retry.
//!
//! A response that carries a secret shown once (a new API key, a calendar feed's address) is marked
//! [`ShownOnce`] by its handler: its body is not stored, and a retry with the same key gets a 409 that
//! points at what was created instead of the secret a second time.
//!
//! Keys are scoped to the authenticated principal (user or API key) and kept for `idempotency_ttl`.
//! Anonymous POSTs (sign-up, login) ignore the header: sign-up is protected by the unique email, and a
//! replayed login response would hand a fresh token to whoever repeats the key.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration as ChronoDuration;
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

use crate::auth::CurrentUser;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

mod repo;

/// The request header.
pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Marks a replayed response.
pub static IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Marks a response whose body holds a secret that is shown only this once: an `Idempotency-Key`
/// retry does not get it again, and it is not kept in `idempotency_keys`.
#[derive(Debug, Clone, Copy)]
pub struct ShownOnce;

/// `response`, marked [`ShownOnce`].
pub fn shown_once(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response.extensions_mut().insert(ShownOnce);
    response
}

/// Stored responses larger than this are not kept (the request still runs once).
const MAX_STORED_BODY: usize = 256 * 1024;

/// Deletes the keys (and the responses kept with them) older than `ttl`, of every caller; how many.
/// A key is also dropped when its caller uses it again after `ttl`; this catches the rest
/// ([`crate::housekeeping`]).
pub async fn purge_expired(db: &DatabaseConnection, ttl: std::time::Duration) -> AppResult<u64> {
    let before = now() - ChronoDuration::from_std(ttl).unwrap_or(ChronoDuration::days(1));
    Ok(repo::purge_all_expired(db, before).await?)
}

/// See the module documentation.
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match handle(state, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(state: AppState, req: Request, next: Next) -> AppResult<Response> {
    if req.method() != Method::POST {
        return Ok(next.run(req).await);
    }
    let (Some(key), Some(user)) = (
        req.headers().get(&IDEMPOTENCY_KEY),
        req.extensions().get::<CurrentUser>().copied(),
    ) else {
        return Ok(next.run(req).await);
    };
    let key = key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            AppError::bad_param("Idempotency-Key", "must be 1 to 255 visible characters")
        })?
        .to_owned();

    let (parts, body) = req.into_parts();
    let limit = state
        .config
        .max_body_bytes
        .max(crate::clients::import::MAX_BYTES);
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        AppError::PayloadTooLarge("The request body is larger than this endpoint accepts.".into())
    })?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let request_hash = hex::encode(hasher.finalize());

    let db = state.db.conn();
    let principal = user.principal_id();
    let expired_before = now()
        - ChronoDuration::from_std(state.config.idempotency_ttl).unwrap_or(ChronoDuration::days(1));
    repo::purge_expired(db, principal, &key, expired_before).await?;

    // Claim the key; if someone holds it already, replay or refuse.
    let Some(claim_id) = repo::claim(db, user.org.0, principal, &key, &request_hash).await? else {
        let existing = repo::find(db, principal, &key)
            .await?
            .ok_or_else(|| AppError::conflict("This Idempotency-Key was just released; retry."))?;
        if existing.request_hash != request_hash {
            return Err(AppError::Unprocessable(
                "This Idempotency-Key was used with a different request body.".into(),
            ));
        }
        return match (existing.status_code, existing.response_body) {
            (Some(status), Some(body)) => Ok(replay(status, body, existing.location)),
            (Some(_), None) => Err(AppError::Conflict {
                detail:
                    "The request with this Idempotency-Key succeeded already. Its response held a \
                         secret that is shown only once and was not kept: revoke or rotate what it \
                         created and ask again without this key."
                        .into(),
                conflicts: existing
                    .location
                    .map(|l| serde_json::json!({"type": "created", "location": l}))
                    .into_iter()
                    .collect(),
            }),
            (None, _) => Err(AppError::conflict(
                "A request with this Idempotency-Key is still in progress.",
            )),
        };
    };

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    if !status.is_success() {
        // Only successes are replayed: after an error the client may correct the request and retry
        // with the same key.
        repo::release(db, claim_id).await?;
        return Ok(response);
    }
    let (resp_parts, body) = response.into_parts();
    let location = resp_parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if resp_parts.extensions.get::<ShownOnce>().is_some() {
        repo::store(db, claim_id, i32::from(status.as_u16()), None, location).await?;
        return Ok(Response::from_parts(resp_parts, body));
    }
    let Ok(body_bytes) = to_bytes(body, MAX_STORED_BODY).await else {
        repo::release(db, claim_id).await?;
        return Err(AppError::Internal(anyhow::anyhow!(
            "response too large to store for idempotency"
        )));
    };
    repo::store(
        db,
        claim_id,
        i32::from(status.as_u16()),
        Some(String::from_utf8_lossy(&body_bytes).into_owned()),
        location,
    )
    .await?;
    Ok(Response::from_parts(resp_parts, Body::from(body_bytes)))
}

fn replay(status: i32, body: String, location: Option<String>) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if status != StatusCode::NO_CONTENT {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    headers.insert(
        IDEMPOTENT_REPLAYED.clone(),
        HeaderValue::from_static("true"),
    );
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, loc);
    }
    response
}
