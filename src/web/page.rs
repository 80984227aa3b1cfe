//! What every page shares: the shell (assets, CSRF token, flash, navigation, formatting), the logged-in
//! viewer, form state with errors by field, and HTML error pages.

use askama::Template;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::assets;
pub use super::form::FormState;
use super::format::Fmt;
pub use super::page_error::{PageError, PageResult};
pub use super::session::redirect_with;
use super::session::{CsrfToken, Flash};
use crate::audit::{AuditContext, RequestOrigin};
use crate::auth::{Actor, CurrentUser, Role};
use crate::error::{AppError, InternalCause};
use crate::organizations::{Organization, repo as org_repo};
use crate::state::AppState;
use crate::users::{User, repo as user_repo};

/// Renders a template as an HTML response.
pub fn render(t: &impl Template) -> PageResult {
    let html = t
        .render()
        .map_err(|e| PageError::App(AppError::Internal(e.into())))?;
    Ok(Html(html).into_response())
}

/// Renders a template with a status other than 200 (a form with errors: 422).
pub fn render_status(status: StatusCode, t: &impl Template) -> PageResult {
    let mut response = render(t)?;
    *response.status_mut() = status;
    Ok(response)
}

/// One link of the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the current section.
    pub current: bool,
}

/// Who is logged in, as the shell shows it.
#[derive(Debug, Clone)]
pub struct ShellUser {
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The organization's name.
    pub org_name: String,
}

/// What the layout of every page needs.
#[derive(Debug, Clone)]
pub struct Shell {
    /// The CSRF token for the forms on the page.
    pub csrf: String,
    /// A one-shot message from the previous request.
    pub flash: Option<String>,
    /// The logged-in user, if any.
    pub user: Option<ShellUser>,
    /// Formatting for the organization (or defaults for visitors).
    pub fmt: Fmt,
    /// The path of the page, to mark the current section.
    pub path: String,
    /// Stylesheet URL.
    pub css: String,
    /// Script URL.
    pub js: String,
    /// Icon URL.
    pub icon: String,
    /// Web manifest URL.
    pub manifest: String,
}

impl Shell {
    /// A shell for a visitor, with no form token (error pages).
    pub fn bare() -> Self {
        Self {
            csrf: String::new(),
            flash: None,
            user: None,
            fmt: Fmt::default(),
            path: String::new(),
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("icon.svg"),
            manifest: assets::url("manifest.webmanifest"),
        }
    }

    fn new(parts: &Parts) -> Self {
        Self {
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            flash: parts.extensions.get::<Flash>().map(|f| f.0.clone()),
            path: parts.uri.path().to_owned(),
            ..Self::bare()
        }
    }

    /// The navigation for the logged-in role (empty for visitors).
    pub fn nav(&self) -> Vec<NavItem> {
        let Some(user) = &self.user else {
            return Vec::new();
        };
        let items: &[(&'static str, &'static str)] = match user.role {
            Role::Owner | Role::Admin => &[
                ("/app", "Dashboard"),
                ("/app/clients", "Clients"),
                ("/app/calendar", "Calendar"),
                ("/app/classes", "Classes"),
                ("/app/trainers", "Trainers"),
                ("/app/locations", "Locations"),
                ("/app/users", "Users"),
                ("/app/api-keys", "API keys"),
                ("/app/audit", "Audit log"),
                ("/app/jobs", "Jobs"),
                ("/app/settings", "Settings"),
            ],
            Role::Staff => &[
                ("/app", "Dashboard"),
                ("/app/clients", "Clients"),
                ("/app/calendar", "Calendar"),
                ("/app/classes", "Classes"),
                ("/app/trainers", "Trainers"),
            ],
            Role::Trainer => &[
                ("/app/my-day", "My day"),
                ("/app", "Dashboard"),
                ("/app/clients", "My clients"),
                ("/app/calendar", "My calendar"),
                ("/app/classes", "Classes"),
            ],
            Role::Client => &[
                ("/portal", "My bookings"),
                ("/portal/profile", "My profile"),
                ("/portal/data", "My data"),
            ],
        };
        // Session pages belong to the calendar; the home pages (`/app`, `/portal`) are current only
        // on themselves, every other section also on the pages below it.
        let path = if self.path.starts_with("/app/sessions") {
            "/app/calendar"
        } else {
            self.path.as_str()
        };
        let matches = |href: &str| {
            path == href
                || (!matches!(href, "/app" | "/portal") && path.starts_with(&format!("{href}/")))
        };
        items
            .iter()
            .map(|(href, label)| NavItem {
                href,
                label,
                current: matches(href),
            })
            .collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Shell {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::new(parts))
    }
}

/// A logged-in person looking at a page: their account, organization and role, and the shell.
/// Visitors without a session are sent to the login page (and back afterwards).
#[derive(Debug, Clone)]
pub struct Viewer {
    /// For repository calls: the tenant, role and actor.
    pub caller: CurrentUser,
    /// The account.
    pub user: User,
    /// The organization.
    pub org: Organization,
    /// The layout's data.
    pub shell: Shell,
    /// Who is acting, for the audit trail (the account, its role, the request id and address).
    pub audit: AuditContext,
}

impl Viewer {
    /// The viewer as services take them: tenant, role and the audit context of this page request.
    pub fn actor(&self) -> Actor {
        Actor::new(self.caller, self.audit.clone())
    }

    /// 403 unless the viewer's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), PageError> {
        self.caller.role.require(role).map_err(PageError::App)
    }

    /// Whether the viewer runs the business (staff and above) rather than only their own work.
    pub fn is_staff(&self) -> bool {
        self.caller.role.rank() >= Role::Staff.rank()
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(caller) = parts.extensions.get::<CurrentUser>().copied() else {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/app");
            return Err(PageError::Login(next.to_owned()));
        };
        let db = state.db.conn();
        let Some(user_id) = caller.user_id() else {
            return Err(PageError::Login("/app".to_owned()));
        };
        let (user, org) = tokio::try_join!(
            async { user_repo::get(db, caller.org, user_id).await },
            async { org_repo::get(db, caller.org).await.map_err(AppError::from) },
        )?;
        let (Some(user), Some(org)) = (user, org) else {
            return Err(PageError::Login("/app".to_owned()));
        };
        let mut shell = Shell::new(parts);
        shell.fmt = Fmt::new(&org.timezone, &org.locale, &org.currency);
        shell.user = Some(ShellUser {
            name: user.name.clone(),
            role: caller.role,
            org_name: org.name.clone(),
        });
        let origin = RequestOrigin::from_extensions(&parts.extensions);
        Ok(Self {
            audit: AuditContext::for_caller(&caller, origin.request_id, origin.ip),
            caller,
            user,
            org,
            shell,
        })
    }
}

impl OptionalFromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        if parts.extensions.get::<CurrentUser>().is_none() {
            return Ok(None);
        }
        <Self as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(role: Role, path: &str) -> Vec<&'static str> {
        let mut shell = Shell::bare();
        shell.path = path.to_owned();
        shell.user = Some(ShellUser {
            name: String::new(),
            role,
            org_name: String::new(),
        });
        shell
            .nav()
            .into_iter()
            .filter(|i| i.current)
            .map(|i| i.label)
            .collect()
    }

    #[test]
    fn one_section_is_current() {
        assert_eq!(current(Role::Owner, "/app"), ["Dashboard"]);
        assert_eq!(current(Role::Owner, "/app/clients/abc"), ["Clients"]);
        assert_eq!(current(Role::Owner, "/app/sessions/new"), ["Calendar"]);
        assert_eq!(current(Role::Trainer, "/app/my-day"), ["My day"]);
        assert_eq!(
            current(Role::Client, "/portal/classes/x"),
            Vec::<&str>::new()
        );
        assert_eq!(current(Role::Client, "/portal"), ["My bookings"]);
        assert!(current(Role::Staff, "/app/users").is_empty());
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    shell: Shell,
    title: String,
    detail: String,
}

/// The `next` query value of a login link, kept only when it is a local path.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/app"
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            Self::App(AppError::RateLimited { retry_after_secs }) => Some(*retry_after_secs),
            _ => None,
        };
        let (status, detail, cause) = match self {
            Self::Login(next) => {
                let next: String =
                    form_urlencoded::byte_serialize(safe_next(&next).as_bytes()).collect();
                return Redirect::to(&format!("/login?next={next}")).into_response();
            }
            Self::App(AppError::Unauthorized(_)) => {
                return Redirect::to("/login").into_response();
            }
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this site. Go back, reload the page and try again."
                    .to_owned(),
                None,
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "What you sent is too large.".to_owned(),
                None,
            ),
            Self::App(e) => {
                let cause = match &e {
                    AppError::Internal(c) => Some(format!("{c:#}")),
                    AppError::Unavailable(c) => Some(c.clone()),
                    _ => None,
                };
                let detail = match &e {
                    AppError::NotFound => "There is nothing here, or it is not yours to see.".to_owned(),
                    AppError::Forbidden(why) if !why.is_empty() => why.clone(),
                    AppError::Forbidden(_) => "Your role does not allow this.".to_owned(),
                    // A page's own forms show their errors beside the fields; this is for what
                    // came in the address (a query parameter) or was refused before the page saw
                    // the form (a date out of range), so name each one here.
                    AppError::Validation(errors) => {
                        let each: Vec<String> = errors
                            .0
                            .iter()
                            .map(|(field, messages)| format!("{field}: {}", messages.join(", ")))
                            .collect();
                        format!("Please check what you sent. {}.", each.join("; "))
                    }
                    other => other.to_problem().detail.unwrap_or_default(),
                };
                (e.status(), detail, cause)
            }
        };
        let page = ErrorPage {
            shell: Shell::bare(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            detail,
        };
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(cause) = cause {
            response.extensions_mut().insert(InternalCause(cause));
        }
        if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
