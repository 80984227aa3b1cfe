//! The public site: landing page, pricing, sign-up, login and logout.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use secrecy::SecretString;
use serde::Deserialize;

use super::page::{FormState, PageResult, Shell, Viewer, render, render_status, safe_next};
use super::session::Cookies;
use crate::audit::{AuditContext, RequestOrigin};
use crate::auth::mfa::SecondFactor;
use crate::auth::{Actor, CurrentUser, Role, service};
use crate::organizations::service::Signup;
use crate::state::AppState;
use crate::web::page_error::PageQuery;

/// The public pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/pricing", get(pricing))
        .route("/signup", get(signup_form).post(signup))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

/// Where a logged-in person's home is.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Client => "/portal",
        _ => "/app",
    }
}

#[derive(Template)]
#[template(path = "public/landing.html")]
struct Landing {
    shell: Shell,
}

async fn landing(viewer: Option<Viewer>, shell: Shell) -> PageResult {
    let shell = viewer.map(|v| v.shell).unwrap_or(shell);
    render(&Landing { shell })
}

/// A plan on the pricing page.
struct Plan {
    name: &'static str,
    price: String,
    audience: &'static str,
    features: &'static [&'static str],
    featured: bool,
}

#[derive(Template)]
#[template(path = "public/pricing.html")]
struct Pricing {
    shell: Shell,
    plans: Vec<Plan>,
}

async fn pricing(viewer: Option<Viewer>, shell: Shell) -> PageResult {
    let shell = viewer.map(|v| v.shell).unwrap_or(shell);
    let fmt = &shell.fmt;
    let plans = vec![
        Plan {
            name: "Solo",
            price: fmt.money_in(1900, "EUR"),
            audience: "One personal trainer and their clients.",
            features: &[
                "Client files with goals, notes and consent",
                "Scheduling, recurring sessions, calendar feeds",
                "Client portal and online booking",
                "Open API and CSV export",
            ],
            featured: false,
        },
        Plan {
            name: "Studio",
            price: fmt.money_in(4900, "EUR"),
            audience: "A studio with a team and group classes.",
            features: &[
                "Everything in Solo, for a whole team",
                "Classes with waitlists and check-in",
                "Roles for owners, front desk and trainers",
                "Audit log and CSV import",
            ],
            featured: true,
        },
        Plan {
            name: "Gym",
            price: fmt.money_in(12900, "EUR"),
            audience: "Gyms with several locations.",
            features: &[
                "Everything in Studio",
                "Several locations, each in its own time zone",
                "A dashboard of leads, conversions, sessions and no-shows",
                "Self-host the same single binary",
            ],
            featured: false,
        },
    ];
    render(&Pricing { shell, plans })
}

#[derive(Template)]
#[template(path = "public/signup.html")]
struct SignupPage {
    shell: Shell,
    form: FormState,
    timezones: &'static [&'static str],
}

/// Time zones offered first in the sign-up form (any IANA name is accepted).
const TIMEZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Australia/Sydney",
    "Asia/Tokyo",
];

async fn signup_form(viewer: Option<Viewer>, shell: Shell) -> Response {
    if let Some(v) = viewer {
        return Redirect::to(home_of(v.caller.role)).into_response();
    }
    let mut form = FormState::default();
    form.set("timezone", "Europe/Berlin");
    form.set("currency", "EUR");
    form.set("locale", "en-GB");
    render(&SignupPage {
        shell,
        form,
        timezones: TIMEZONES,
    })
    .into_response()
}

#[derive(Debug, Deserialize)]
struct SignupInput {
    #[serde(default)]
    organization_name: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    locale: String,
}

async fn signup(
    State(state): State<AppState>,
    shell: Shell,
    origin: RequestOrigin,
    Form(input): Form<SignupInput>,
) -> PageResult {
    let mut form = FormState::with_values([
        ("organization_name", input.organization_name.clone()),
        ("name", input.name.clone()),
        ("email", input.email.clone()),
        ("timezone", input.timezone.clone()),
        ("currency", input.currency.clone()),
        ("locale", input.locale.clone()),
    ]);
    let some = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let result = service::signup(
        &state,
        Signup {
            organization_name: input.organization_name,
            name: input.name,
            email: input.email,
            password: SecretString::from(input.password),
            timezone: some(input.timezone),
            currency: some(input.currency),
            locale: some(input.locale),
        },
        origin,
    )
    .await;
    match result {
        Ok((_, login)) => Ok(logged_in(&state, "/app", &login.token, login.expires_at)),
        Err(e) => {
            form.take_error(e)?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SignupPage {
                    shell,
                    form,
                    timezones: TIMEZONES,
                },
            )
        }
    }
}

/// A 303 to `to` that sets the session cookie of a new login.
pub(crate) fn logged_in(
    state: &AppState,
    to: &str,
    token: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        Cookies::of(&state.config).login(token, expires_at),
    );
    response
}

#[derive(Template)]
#[template(path = "public/login.html")]
struct LoginPage {
    shell: Shell,
    form: FormState,
    next: String,
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

async fn login_form(
    viewer: Option<Viewer>,
    shell: Shell,
    PageQuery(q): PageQuery<NextQuery>,
) -> Response {
    if let Some(v) = viewer {
        return Redirect::to(home_of(v.caller.role)).into_response();
    }
    render(&LoginPage {
        shell,
        form: FormState::default(),
        next: q.next.as_deref().map(safe_next).unwrap_or("").to_owned(),
    })
    .into_response()
}

#[derive(Debug, Deserialize)]
struct LoginInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// An authenticator code, or a recovery code (`xxxxx-xxxxx`).
    #[serde(default)]
    totp_code: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    shell: Shell,
    origin: RequestOrigin,
    Form(input): Form<LoginInput>,
) -> PageResult {
    let next = safe_next(&input.next).to_owned();
    let mut form = FormState::with_values([("email", input.email.clone())]);
    if input.email.trim().is_empty() {
        form.add_error("email", "Enter your email.");
    }
    if input.password.is_empty() {
        form.add_error("password", "Enter your password.");
    }
    if !form.has_errors() {
        let code = input.totp_code.trim().to_owned();
        // Six digits are an authenticator code; anything longer is a recovery code.
        let second = if code.chars().filter(char::is_ascii_alphanumeric).count() > 8 {
            SecondFactor {
                totp_code: None,
                recovery_code: Some(code),
            }
        } else {
            SecondFactor {
                totp_code: Some(code),
                recovery_code: None,
            }
        };
        match service::login(
            &state,
            &input.email,
            SecretString::from(input.password),
            &second,
            origin,
        )
        .await
        {
            Ok(login) => {
                let home = home_of(login.user.role);
                // A client is never sent into the staff app, nor staff into the portal by a link.
                let to = if input.next.is_empty() || !next.starts_with(home) {
                    home
                } else {
                    next.as_str()
                };
                return Ok(logged_in(&state, to, &login.token, login.expires_at));
            }
            Err(e) => form.take_error(e)?,
        }
    }
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &LoginPage {
            shell,
            form,
            next: input.next,
        },
    )
}

async fn logout(
    State(state): State<AppState>,
    caller: Option<Extension<CurrentUser>>,
    origin: RequestOrigin,
) -> PageResult {
    if let Some(Extension(caller)) = caller {
        let ctx = AuditContext::for_caller(&caller, origin.request_id, origin.ip);
        service::logout(&state.db, &Actor::new(caller, ctx)).await?;
    }
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, Cookies::of(&state.config).logout());
    Ok(response)
}
