//! Rate limits per endpoint class: `auth` (logging in, signing up, changing a password or MFA: the
//! strictest), `write` (every other change) and `read`, each per client address and per signed-in
//! caller (user or API key). Health, metrics, the API documentation and the assets are not limited.
//!
//! The per-address limit is [`enforce`] (the API; the web UI's router calls [`RequestLimits::by_address`]
//! to answer with a page); the per-caller limit is checked by authentication, once it knows the
//! caller ([`RequestLimits::by_caller`]). A refusal is `429` with `Retry-After`, counted on
//! `fitnesscrm_rate_limited_total{class, by}` and logged with the client's address.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::{Count, Key, Limits, Rule, address_subject};
use crate::error::AppError;
use crate::http::client::ClientAddr;

/// The endpoint classes, strictest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Logging in, signing up (the studio or the portal), changing a password, MFA.
    Auth,
    /// Every other change.
    Write,
    /// Reading.
    Read,
}

impl Class {
    /// The class's name, as in metrics and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Auth => "auth",
            Class::Write => "write",
            Class::Read => "read",
        }
    }
}

/// Paths whose `POST` (or other change) is in the `auth` class.
const AUTH_PATHS: [&str; 11] = [
    "/api/v1/auth/login",
    "/api/v1/auth/signup",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
    "/forgot",
    "/api/v1/me/password",
    "/api/v1/me/mfa/totp",
    "/api/v1/me/mfa/totp/confirm",
    "/login",
    "/signup",
    "/account/mfa",
];

/// The class of a request, or `None` when it is not limited (health, metrics, documentation,
/// assets).
pub fn classify(method: &Method, path: &str) -> Option<Class> {
    if path.starts_with("/health")
        || path == "/metrics"
        || path.starts_with("/assets/")
        || path.starts_with("/api/docs")
        || path == "/api/openapi.json"
    {
        return None;
    }
    let reading = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if reading {
        return Some(Class::Read);
    }
    let portal_signup = path.starts_with("/book/") && path.ends_with("/signup");
    if portal_signup
        || AUTH_PATHS.contains(&path)
        || path.starts_with("/account/password")
        || path.starts_with("/reset/")
        || path.starts_with("/account/mfa")
    {
        Some(Class::Auth)
    } else {
        Some(Class::Write)
    }
}

/// The counters and the rule of each class.
#[derive(Clone)]
pub struct RequestLimits {
    /// Where everything is counted; the login and check-in defences count here too.
    pub store: Limits,
    auth: Rule,
    write: Rule,
    read: Rule,
}

impl RequestLimits {
    /// Limits with these rules per class.
    pub fn new(store: Limits, auth: Rule, write: Rule, read: Rule) -> Self {
        Self {
            store,
            auth,
            write,
            read,
        }
    }

    /// The rule of a class.
    pub fn rule(&self, class: Class) -> Rule {
        match class {
            Class::Auth => self.auth,
            Class::Write => self.write,
            Class::Read => self.read,
        }
    }

    /// Counts a request of `class` from `ip`; 429 over the limit.
    pub async fn by_address(&self, class: Class, ip: IpAddr) -> Result<(), AppError> {
        let key = Key::new(
            &format!("rate:{}:addr", class.as_str()),
            address_subject(ip),
        );
        self.count(class, key, "address", Some(ip))
            .await
            .map_err(|(error, _)| error)
    }

    /// Counts a request of `class` by the signed-in user or API key `principal`. A refusal comes
    /// with whether it is the first in its window (worth one audit event).
    pub async fn by_caller(
        &self,
        class: Class,
        principal: Uuid,
        ip: Option<IpAddr>,
    ) -> Result<(), (AppError, bool)> {
        let key = Key::new(&format!("rate:{}:caller", class.as_str()), principal);
        match self.count(class, key, "caller", ip).await {
            Ok(()) => Ok(()),
            Err((error, count)) => Err((error, count.n == u64::from(self.rule(class).limit) + 1)),
        }
    }

    async fn count(
        &self,
        class: Class,
        key: Key,
        by: &'static str,
        ip: Option<IpAddr>,
    ) -> Result<(), (AppError, Count)> {
        match self.store.allow(&key, self.rule(class)).await {
            Ok(_) => Ok(()),
            Err(count) => {
                metrics::counter!("fitnesscrm_rate_limited_total", "class" => class.as_str(), "by" => by)
                    .increment(1);
                if count.n == u64::from(self.rule(class).limit) + 1 {
                    let client = ip.map(|ip| ip.to_string()).unwrap_or_default();
                    tracing::warn!(limit.class = class.as_str(), limit.by = by, client.address = %client, "rate limit reached");
                }
                Err((
                    AppError::RateLimited {
                        retry_after_secs: count.retry_after_secs(),
                    },
                    count,
                ))
            }
        }
    }

    /// The per-address limit of one request, before anything else is done with it.
    pub async fn check_request(
        &self,
        method: &Method,
        path: &str,
        client: Option<ClientAddr>,
    ) -> Result<(), AppError> {
        match (classify(method, path), client) {
            (Some(class), Some(client)) if self.rule(class).is_on() => {
                self.by_address(class, client.ip).await
            }
            _ => Ok(()),
        }
    }
}

/// The per-address limit of the API, answered with problem+json.
pub async fn enforce(State(limits): State<RequestLimits>, req: Request, next: Next) -> Response {
    let client = req.extensions().get::<ClientAddr>().copied();
    match limits
        .check_request(req.method(), req.uri().path(), client)
        .await
    {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_into_the_classes_the_configuration_names() {
        assert_eq!(
            classify(&Method::POST, "/api/v1/auth/login"),
            Some(Class::Auth)
        );
        assert_eq!(classify(&Method::POST, "/login"), Some(Class::Auth));
        assert_eq!(classify(&Method::POST, "/forgot"), Some(Class::Auth));
        assert_eq!(classify(&Method::POST, "/reset/abc"), Some(Class::Auth));
        assert_eq!(
            classify(&Method::POST, "/api/v1/auth/password-reset"),
            Some(Class::Auth)
        );
        assert_eq!(
            classify(&Method::POST, "/book/studio-1/signup"),
            Some(Class::Auth)
        );
        assert_eq!(
            classify(&Method::PUT, "/api/v1/me/password"),
            Some(Class::Auth)
        );
        assert_eq!(
            classify(&Method::POST, "/api/v1/clients"),
            Some(Class::Write)
        );
        assert_eq!(
            classify(&Method::DELETE, "/api/v1/clients/x"),
            Some(Class::Write)
        );
        assert_eq!(
            classify(&Method::GET, "/api/v1/auth/login"),
            Some(Class::Read)
        );
        assert_eq!(classify(&Method::GET, "/app/clients"), Some(Class::Read));
        for free in ["/health/live", "/metrics", "/assets/app.css", "/api/docs/"] {
            assert_eq!(classify(&Method::GET, free), None, "{free}");
        }
    }
}
