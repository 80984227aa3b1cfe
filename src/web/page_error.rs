//! The error of a page request and the result of a page handler: a leaf, so that the form and
//! session modules can use it without importing the page shell (its HTML rendering lives in
//! `web::page`).

use axum::response::Response;

use crate::error::AppError;

/// The result of a page handler.
pub type PageResult = Result<Response, PageError>;

/// A failed page request, rendered as an HTML page (never problem+json).
#[derive(Debug)]
pub enum PageError {
    /// An error from a repository or service.
    App(AppError),
    /// Not logged in: go to the login page, then back to this path.
    Login(String),
    /// A form without the right CSRF token.
    Csrf,
    /// A form body over the limit.
    TooLarge,
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<sea_orm::DbErr> for PageError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::App(e.into())
    }
}

/// The query string of a page, parsed like the API's (`crate::http::ApiQuery`: a malformed parameter
/// or a NUL character is refused, naming the parameter), with the refusal shown as a page.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S>
    for PageQuery<T>
{
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, PageError> {
        Ok(Self(crate::http::query::parse_query(
            parts.uri.query().unwrap_or_default(),
        )?))
    }
}
