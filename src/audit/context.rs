//! Who acts, as what and from where ([`AuditContext`], [`Source`], [`RequestOrigin`], [`Audit`]),
//! and what happened ([`Event`]): the values a caller hands to [`super::record`].

use std::net::SocketAddr;

use crate::http::client::{ClientAddr, UserAgent};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::Extensions;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::roles::Role;
use crate::http::observe::RequestId;
use crate::organizations::OrgId;

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The web UI.
    Ui,
    /// The JSON API.
    Api,
    /// A data import.
    Import,
    /// An automation or background job.
    Automation,
    /// The system itself: the shell (`fitnesscrm user ...`), seeding, migrations.
    System,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 5] = [
        Source::Ui,
        Source::Api,
        Source::Import,
        Source::Automation,
        Source::System,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ui => "ui",
            Source::Api => "api",
            Source::Import => "import",
            Source::Automation => "automation",
            Source::System => "system",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is acting, as what and from where: everything an event records besides the event itself.
#[derive(Clone, Debug)]
pub struct AuditContext {
    /// The organization whose chain the event joins.
    pub org: OrgId,
    /// The user id or API key id; `None` for the system and anonymous callers.
    pub actor_id: Option<Uuid>,
    /// `"user"`, `"api_key"`, `"system"` or `"anonymous"`.
    pub actor_kind: &'static str,
    /// The actor's role at the time, when it has one.
    pub actor_role: Option<Role>,
    /// Where the change came from.
    pub source: Source,
    /// The id of the HTTP request, as in `X-Request-Id`.
    pub request_id: Option<String>,
    /// The client's IP address, as the server saw it.
    pub ip: Option<String>,
}

impl AuditContext {
    /// The system acting on its own (the shell, seeding): no actor, no request.
    pub fn system(org: OrgId) -> Self {
        Self {
            org,
            actor_id: None,
            actor_kind: "system",
            actor_role: None,
            source: Source::System,
            request_id: None,
            ip: None,
        }
    }

    /// A user acting through the API before a `CurrentUser` exists: signing up, logging in.
    pub fn user(org: OrgId, user_id: Uuid, role: Role, origin: RequestOrigin) -> Self {
        Self {
            org,
            actor_id: Some(user_id),
            actor_kind: "user",
            actor_role: Some(role),
            source: Source::Api,
            request_id: origin.request_id,
            ip: origin.ip,
        }
    }

    /// Someone unauthenticated, such as a failed login attempt on an account of `org`.
    pub fn anonymous(org: OrgId, origin: RequestOrigin) -> Self {
        Self {
            org,
            actor_id: None,
            actor_kind: "anonymous",
            actor_role: None,
            source: Source::Api,
            request_id: origin.request_id,
            ip: origin.ip,
        }
    }
}

/// The request id and client address of a request, for requests that may be anonymous. Extracting
/// it never fails.
#[derive(Debug, Clone, Default)]
pub struct RequestOrigin {
    /// `X-Request-Id`, from [`RequestId`] in the extensions.
    pub request_id: Option<String>,
    /// The client's address: what a trusted proxy reports, otherwise the peer's.
    pub ip: Option<String>,
    /// The client's `User-Agent`, cut to 200 characters (shown in the account's session list; never
    /// in the audit trail).
    pub user_agent: Option<String>,
}

impl RequestOrigin {
    /// Reads the request id and the peer address from request extensions.
    pub fn from_extensions(extensions: &Extensions) -> Self {
        Self {
            request_id: extensions.get::<RequestId>().map(|r| r.0.clone()),
            ip: extensions
                .get::<ClientAddr>()
                .map(|c| c.ip.to_string())
                .or_else(|| {
                    extensions
                        .get::<ConnectInfo<SocketAddr>>()
                        .map(|c| c.0.ip().to_string())
                }),
            user_agent: extensions.get::<UserAgent>().map(|u| u.0.to_string()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_extensions(&parts.extensions))
    }
}

/// Extractor: the [`AuditContext`] of an authenticated request (the `CurrentUser`, the request id
/// and the client address). 401 when the request is not authenticated. Its extraction and
/// `AuditContext::for_caller` live beside `CurrentUser` in `auth::principal`, so that this module
/// needs nothing from `auth` but the role.
#[derive(Clone, Debug)]
pub struct Audit(pub AuditContext);

/// What happened. Names only: `changed_fields` holds field names, never values.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// `<entity>.<verb>`: `user.created`, `user.updated`, `user.role_changed`, `user.deleted`,
    /// `auth.login`, `auth.login_failed`, `auth.logout`, `api_key.created`, `api_key.revoked`,
    /// `api_key.used`, `organization.created`, `client.created`, ...
    pub action: &'a str,
    /// `user`, `api_key`, `client`, `organization`, ...
    pub entity_type: &'a str,
    /// The record the event is about.
    pub entity_id: Option<Uuid>,
    /// The names of the fields that changed (a password change is the name `password`).
    pub changed_fields: Vec<String>,
    /// The client (person) the event is about, for GDPR exports; `None` otherwise.
    pub subject_client_id: Option<Uuid>,
}

impl<'a> Event<'a> {
    /// An event about one record, with no changed fields and no client subject.
    pub fn new(action: &'a str, entity_type: &'a str, entity_id: Option<Uuid>) -> Self {
        Self {
            action,
            entity_type,
            entity_id,
            changed_fields: Vec::new(),
            subject_client_id: None,
        }
    }

    /// The same event naming the fields that changed.
    pub fn with_fields<I, F>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = F>,
        F: Into<String>,
    {
        self.changed_fields = fields.into_iter().map(Into::into).collect();
        self
    }
}
