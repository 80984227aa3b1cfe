//! Forms: reading a submitted form ([`Form`], [`Fields`]), what a form shows again ([`FormState`]: the
//! values typed and the messages by field), the one ending every form POST shares ([`respond`]), and
//! the options of a `<select>` ([`Choice`]).
//!
//! A form POST handler reads as three lines of intent:
//! ```ignore
//! pub async fn create_thing(State(state): State<AppState>, viewer: Viewer, form: Form) -> PageResult {
//!     let result = service::create_thing(&state.db, &viewer.actor(), input_from(&form.fields)).await;
//!     respond(&state, result, form.state, |t| Done::to(format!("/app/things/{}", t.id), "Added."),
//!         |form| thing_page(&state, &viewer, form)).await
//! }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;

use super::page_error::{PageError, PageResult};
use super::session::redirect_with;
use crate::state::AppState;

/// A submitted form as name/value pairs, in order (repeated names, such as checkboxes, stay apart).
#[derive(Debug, Default, Clone)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// Reads an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of a field, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The first value of a field, trimmed, as an owned string.
    pub fn text(&self, name: &str) -> String {
        self.get(name).to_owned()
    }

    /// The value, or `None` when empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|v| !v.is_empty())
    }

    /// Every non-empty value of a field, trimmed.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Whether a checkbox is ticked.
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1" | "yes")
    }

    /// The values to show again in the form (not the CSRF token).
    /// Secrets are never shown again: the CSRF token, passwords, codes, tokens.
    pub fn values(&self) -> Vec<(&str, String)> {
        self.0
            .iter()
            .filter(|(k, _)| !is_secret(k))
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect()
    }
}
use crate::error::{AppError, AppResult, FieldErrors};

/// Whether a field holds a secret that a re-shown form must not echo (`password`, `new_password`,
/// `csrf_token`, `totp_code`, `recovery_code`, ...).
fn is_secret(name: &str) -> bool {
    ["password", "token", "secret", "totp", "recovery"]
        .iter()
        .any(|s| name.contains(s))
}

/// Extractor: a submitted `application/x-www-form-urlencoded` form, read as [`Fields`], with a
/// [`FormState`] already showing every value typed (the CSRF token aside), ready to be shown again with
/// errors. The CSRF middleware has checked the token before a handler runs.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// What was submitted.
    pub fields: Fields,
    /// The form as it is shown again when refused.
    pub state: FormState,
}

impl Form {
    /// A form from raw urlencoded bytes.
    pub fn parse(body: &[u8]) -> Self {
        let fields = Fields::parse(body);
        let state = FormState::with_values(fields.values());
        Self { fields, state }
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| PageError::App(AppError::BadRequest(e.body_text(), None)))?;
        Ok(Self::parse(&body))
    }
}

/// Where a form that succeeded goes, and the message shown there once.
#[derive(Debug, Clone)]
pub struct Done {
    /// The page to go to (303).
    pub to: String,
    /// The flash message.
    pub message: String,
}

impl Done {
    /// Go to `to` and show `message`.
    pub fn to(to: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            message: message.into(),
        }
    }
}

/// The ending every form POST shares: on success, a 303 to where `done` says with its flash message;
/// on a refusal the person can fix (every field error, a conflict, a stale version, a rule), the form
/// again through `rerender` with status 422 and each message at its field; anything else (a 404, a
/// 500) becomes the error page.
pub async fn respond<T, F, Fut>(
    state: &AppState,
    result: AppResult<T>,
    mut form: FormState,
    done: impl FnOnce(T) -> Done,
    rerender: F,
) -> PageResult
where
    F: FnOnce(FormState) -> Fut,
    Fut: Future<Output = PageResult>,
{
    match result {
        Ok(value) => {
            let done = done(value);
            Ok(redirect_with(state, &done.to, &done.message))
        }
        Err(e) => {
            form.take_error(e)?;
            let mut response: Response = rerender(form).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

/// One option of a `<select>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The submitted value.
    pub value: String,
    /// What the option says.
    pub label: String,
}

impl Choice {
    /// An option.
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
        }
    }

    /// Options from value/label pairs.
    pub fn list<'a>(options: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Self> {
        options
            .into_iter()
            .map(|(value, label)| Self::new(value, label))
            .collect()
    }
}

/// What a form shows: the values the user typed and the messages by field.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    values: HashMap<String, String>,
    errors: BTreeMap<String, Vec<String>>,
    /// A message about the whole form (not one field).
    pub message: Option<String>,
}

impl FormState {
    /// A form showing these values.
    pub fn with_values<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        Self {
            values: pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            ..Self::default()
        }
    }

    /// Sets one value.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.values.insert(name.to_owned(), value.into());
    }

    /// The value of a field ("" when none).
    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// Whether a checkbox or option is chosen: its value is `value`.
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.value(name) == value
    }

    /// The messages of a field, joined, if it has any.
    pub fn error(&self, name: &str) -> Option<String> {
        self.errors.get(name).map(|m| m.join(" "))
    }

    /// Adds a message for a field.
    pub fn add_error(&mut self, name: &str, message: impl Into<String>) {
        self.errors
            .entry(name.to_owned())
            .or_default()
            .push(message.into());
    }

    /// Whether anything is wrong.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.message.is_some()
    }

    /// Takes the messages of a refused request: field errors by field, anything else as the form's
    /// message. Errors that are not the user's to fix (500, 503) stay errors.
    pub fn take_error(&mut self, error: AppError) -> Result<(), PageError> {
        match error {
            AppError::Validation(FieldErrors(fields)) => {
                for (field, messages) in fields {
                    for m in messages {
                        self.add_error(&field, m);
                    }
                }
                if self.errors.is_empty() {
                    self.message = Some("Please check the form.".to_owned());
                }
                Ok(())
            }
            AppError::BadRequest(detail, fields) => {
                if let Some(FieldErrors(fields)) = fields {
                    for (field, messages) in fields {
                        for m in messages {
                            self.add_error(&field, m);
                        }
                    }
                } else {
                    self.message = Some(detail);
                }
                Ok(())
            }
            AppError::Conflict { detail, .. } => {
                self.message = Some(detail);
                Ok(())
            }
            e @ (AppError::Unauthorized(_)
            | AppError::Unprocessable(_)
            | AppError::PreconditionFailed { .. }) => {
                self.message = e.to_problem().detail;
                Ok(())
            }
            other => Err(PageError::App(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_re_shown_form_keeps_what_was_typed_but_never_a_secret() {
        let form = Form::parse(
            b"name=Ann&password=hunter2&new_password=x&csrf_token=t&totp_code=123456&email=a%40b.c",
        );
        assert_eq!(form.state.value("name"), "Ann");
        assert_eq!(form.state.value("email"), "a@b.c");
        for secret in ["password", "new_password", "csrf_token", "totp_code"] {
            assert_eq!(
                form.state.value(secret),
                "",
                "{secret} must not be shown again"
            );
            assert!(
                !form.fields.get(secret).is_empty(),
                "{secret} is still read"
            );
        }
    }
}
