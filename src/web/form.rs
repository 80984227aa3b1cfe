//! Form state: what the user typed, and the messages by field that a refused form shows next to each
//! control.

use std::collections::{BTreeMap, HashMap};

use super::page::PageError;

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
    pub fn values(&self) -> Vec<(&str, String)> {
        self.0
            .iter()
            .filter(|(k, _)| k != "csrf_token")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect()
    }
}
use crate::error::{AppError, FieldErrors};

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
            | AppError::Forbidden(_)
            | AppError::Unprocessable(_)
            | AppError::PreconditionFailed { .. }) => {
                self.message = e.to_problem().detail;
                Ok(())
            }
            other => Err(PageError::App(other)),
        }
    }
}
