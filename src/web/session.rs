//! The browser's side of a login: the session cookie, the CSRF token every form carries, and one-shot
//! flash messages.
//!
//! The session cookie holds the same kind of server-side session token an API client sends as a bearer
//! token (`auth::repo::create_session`): revoked on logout, password change or deactivation, ending
//! after the idle and absolute timeouts. It is `HttpOnly` and `SameSite=Lax`; behind TLS (a `public_url`
//! starting with `https://`) it is also `Secure` and named with the `__Host-` prefix, so no subdomain
//! can set or shadow it. Over plain HTTP (`cargo run` on a laptop) browsers refuse `Secure` cookies
//! from non-local addresses, so the prefix and the flag are left off there.
//!
//! Every state-changing request to a page (anything but GET and HEAD) must carry a `csrf_token` form
//! field equal to the request's token: derived from the session token when logged in, else a random
//! value kept in a cookie of its own. The check runs here, in one place, for every form; a cross-site
//! `Origin` or `Sec-Fetch-Site` is refused as well.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::page_error::PageError;
use crate::audit::RequestOrigin;
use crate::auth::principal::{Resolved, limit_caller, resolve};
use crate::auth::tokens;
use crate::config::Config;
use crate::error::{AppError, FieldErrors};
use crate::http::client::ClientAddr;
use crate::http::observe::LogIdentity;
use crate::state::AppState;
use crate::validation::date_out_of_range;

/// Largest form body read for the CSRF check (the CSV import form carries up to 10 MiB).
pub const MAX_FORM_BYTES: usize = 11 * 1024 * 1024;

/// The CSRF token of this request, for the forms a page renders.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The secret session token of a logged-in browser (to log out).
#[derive(Debug, Clone)]
pub struct SessionToken(pub String);

/// A one-shot message from the previous request (`Saved.`), shown once.
#[derive(Debug, Clone)]
pub struct Flash(pub String);

/// Names and attributes of the cookies, which depend on whether the site is served over TLS.
#[derive(Debug, Clone, Copy)]
pub struct Cookies {
    secure: bool,
}

impl Cookies {
    /// For this configuration: secure when `public_url` is `https://…`.
    pub fn of(config: &Config) -> Self {
        Self {
            secure: config
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
        }
    }

    fn name(self, base: &'static str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// The session cookie's name.
    pub fn session_name(self) -> String {
        self.name("fcrm_session")
    }

    fn csrf_name(self) -> String {
        self.name("fcrm_csrf")
    }

    fn flash_name(self) -> String {
        self.name("fcrm_flash")
    }

    fn build(self, name: String, value: String) -> Cookie<'static> {
        let mut c = Cookie::new(name, value);
        c.set_path("/");
        c.set_http_only(true);
        c.set_same_site(SameSite::Lax);
        c.set_secure(self.secure);
        c
    }

    fn removal(self, name: String) -> Cookie<'static> {
        let mut c = self.build(name, String::new());
        c.make_removal();
        c
    }

    /// `Set-Cookie` for a new session that ends at `expires_at`.
    pub fn login(self, token: &str, expires_at: DateTime<Utc>) -> HeaderValue {
        let mut c = self.build(self.session_name(), token.to_owned());
        if let Ok(t) = cookie::time::OffsetDateTime::from_unix_timestamp(expires_at.timestamp()) {
            c.set_expires(t);
        }
        header_value(&c)
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn logout(self) -> HeaderValue {
        header_value(&self.removal(self.session_name()))
    }

    /// `Set-Cookie` for a message the next page shows once.
    pub fn flash(self, message: &str) -> HeaderValue {
        let mut c = self.build(self.flash_name(), message.to_owned());
        c.set_max_age(cookie::time::Duration::seconds(60));
        header_value(&c)
    }
}

fn header_value(c: &Cookie<'_>) -> HeaderValue {
    HeaderValue::from_str(&c.encoded().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse_encoded)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The CSRF token of a session: a one-way function of its secret token.
fn session_csrf(token: &str) -> String {
    let digest = Sha256::digest(format!("fitnesscrm csrf\0{token}"));
    hex::encode(&digest[..16])
}

fn plausible_token(v: &str) -> bool {
    v.len() == 32
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The page middleware: resolves the session cookie, checks the CSRF token of every unsafe request,
/// hands the page its CSRF token and flash message, and sets or clears cookies on the way out.
pub async fn web_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let cookies = Cookies::of(&state.config);
    let headers = req.headers().clone();
    let mut set_cookies: Vec<HeaderValue> = Vec::new();
    let mut identity = None;

    let client = req.extensions().get::<ClientAddr>().copied();
    if let Err(e) = state
        .limits
        .check_request(req.method(), req.uri().path(), client)
        .await
    {
        return PageError::from(e).into_response();
    }

    let mut session = None;
    if let Some(token) = cookie_value(&headers, &cookies.session_name()) {
        let origin = RequestOrigin::from_extensions(req.extensions());
        let ok = token.len() <= 200 && token.starts_with(tokens::SESSION_PREFIX);
        match if ok {
            resolve(&state, &token, origin.clone()).await
        } else {
            Ok(None)
        } {
            Ok(Some(Resolved {
                caller: user,
                setup_only,
            })) if user.user_id().is_some() => {
                if let Err(e) = limit_caller(&state, &user, &req, origin).await {
                    return PageError::from(e).into_response();
                }
                // A session that must set up MFA first sees the account page and can log out.
                let path = req.uri().path();
                if setup_only && !(path.starts_with("/account") || path == "/logout") {
                    return Redirect::to("/account").into_response();
                }
                identity = Some(LogIdentity {
                    org_id: user.org.0,
                    principal_id: user.principal_id(),
                });
                req.extensions_mut().insert(user);
                session = Some(token);
            }
            Ok(_) => set_cookies.push(cookies.logout()),
            Err(e) => return PageError::from(e).into_response(),
        }
    }

    let csrf = match &session {
        Some(token) => session_csrf(token),
        None => match cookie_value(&headers, &cookies.csrf_name()).filter(|v| plausible_token(v)) {
            Some(v) => v,
            None => {
                // 24 random bytes: 32 characters of URL-safe base64.
                let v = tokens::random_string(24);
                set_cookies.push(header_value(&cookies.build(cookies.csrf_name(), v.clone())));
                v
            }
        },
    };

    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(b) => b,
            Err(_) => return PageError::TooLarge.into_response(),
        };
        if cross_site(&parts.headers) || !token_matches(&parts.headers, &bytes, &csrf).await {
            tracing::info!("form refused: missing or wrong CSRF token, or a cross-site request");
            return PageError::Csrf.into_response();
        }
        if let Err(e) = dates_in_range(&parts.headers, &bytes) {
            return PageError::from(e).into_response();
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }

    req.extensions_mut().insert(CsrfToken(csrf));
    if let Some(token) = session {
        req.extensions_mut().insert(SessionToken(token));
    }
    let flash = cookie_value(&headers, &cookies.flash_name());
    if let Some(message) = &flash {
        req.extensions_mut().insert(Flash(message.clone()));
    }

    let mut response = next.run(req).await;
    if flash.is_some() && !response.status().is_redirection() {
        set_cookies.push(header_value(&cookies.removal(cookies.flash_name())));
    }
    for c in set_cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    if let Some(identity) = identity {
        response.extensions_mut().insert(identity);
    }
    response
}

/// A browser says where a request comes from; anything but this site is refused. `Sec-Fetch-Site`
/// (sent by every current browser) decides when present. Otherwise a real `Origin` must name this
/// host; `Origin: null` (what browsers send under `Referrer-Policy: no-referrer`) proves nothing
/// either way, and the CSRF token decides.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
    ) {
        (Some("null"), _) | (None, _) => false,
        (Some(origin), Some(host)) => {
            let origin_host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            origin_host != Some(host)
        }
        (Some(_), None) => true,
    }
}

async fn token_matches(headers: &HeaderMap, body: &Bytes, expected: &str) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let sent = if content_type.starts_with("application/x-www-form-urlencoded") {
        form_urlencoded::parse(body)
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.into_owned())
    } else if content_type.starts_with("multipart/form-data") {
        multipart_token(content_type, body.clone()).await
    } else {
        None
    };
    sent.is_some_and(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())))
}

/// A form field holding a date whose year is outside `validation::YEARS` is refused (422, every
/// such field named), as the API refuses it, before any page reads the form.
fn dates_in_range(headers: &HeaderMap, body: &Bytes) -> Result<(), AppError> {
    let urlencoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !urlencoded {
        return Ok(());
    }
    let mut errors = FieldErrors::new();
    for (name, value) in form_urlencoded::parse(body) {
        if let Some(message) = date_out_of_range(&value)
            && !errors.has(&name)
        {
            errors.add(name, message);
        }
    }
    errors.into_result(())
}

async fn multipart_token(content_type: &str, body: Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("csrf_token") {
            return field.text().await.ok();
        }
    }
    None
}

/// A 303 to `to`, showing `message` once on the next page.
pub fn redirect_with(state: &AppState, to: &str, message: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        Cookies::of(&state.config).flash(message),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_give_distinct_unguessable_csrf_tokens() {
        let a = session_csrf("fcrm_s_aaaa");
        let b = session_csrf("fcrm_s_aaab");
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(!a.contains("aaaa"));
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("crm.example.com"));
        assert!(!cross_site(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://crm.example.com"),
        );
        assert!(!cross_site(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(cross_site(&h));
        // What Chromium sends for a form on this site under Referrer-Policy: no-referrer.
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!cross_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!cross_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(cross_site(&h));
    }

    #[tokio::test]
    async fn the_token_is_found_in_urlencoded_and_multipart_bodies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let body = Bytes::from_static(b"a=1&csrf_token=abc&b=2");
        assert!(token_matches(&h, &body, "abc").await);
        assert!(!token_matches(&h, &body, "abd").await);
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=XyZ"),
        );
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--XyZ--\r\n",
        );
        assert!(token_matches(&h, &body, "abc").await);
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!token_matches(&h, &body, "abc").await);
    }
}
