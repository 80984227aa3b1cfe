//! `Web`: a cookie-keeping HTTP client that fills in the CSRF token of the last page it loaded, like
//! a browser submitting a form on that page.

use std::sync::Mutex;

use reqwest::header::HeaderMap;
use reqwest::{StatusCode, redirect};

use crate::helpers::{PASSWORD, TestApp};

/// A loaded page.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` of a redirect.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }

    /// Asserts a redirect (303 or 302/307) to a path starting with `to`.
    #[track_caller]
    pub fn expect_redirect(&self, to: &str) -> &Self {
        assert!(
            self.status.is_redirection(),
            "{}: {}",
            self.status,
            self.body
        );
        let loc = self.location().unwrap_or("");
        assert!(loc.starts_with(to), "redirect to {loc:?}, expected {to:?}");
        self
    }

    /// Asserts the body contains `text`.
    #[track_caller]
    pub fn expect_text(&self, text: &str) -> &Self {
        assert!(
            self.body.contains(text),
            "{text:?} not in page:\n{}",
            self.body
        );
        self
    }
}

/// The first `csrf_token` value in a page.
pub fn csrf_of(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf_token\" value=\"")?;
    let rest = &body[at + "name=\"csrf_token\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// A browser-like client of one test server.
pub struct Web {
    pub client: reqwest::Client,
    base: String,
    csrf: Mutex<Option<String>>,
}

impl Web {
    /// A new browser with no cookies.
    pub fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(redirect::Policy::none())
                .build()
                .expect("client"),
            base: app.url(""),
            csrf: Mutex::new(None),
        }
    }

    async fn page(&self, r: reqwest::Response) -> Page {
        let status = r.status();
        let headers = r.headers().clone();
        let body = r.text().await.expect("body");
        if let Some(token) = csrf_of(&body) {
            *self.csrf.lock().expect("lock") = Some(token);
        }
        Page {
            status,
            headers,
            body,
        }
    }

    /// GET a page (as a browser: `Accept: text/html`).
    pub async fn get(&self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request");
        self.page(r).await
    }

    /// The CSRF token of the last page loaded.
    pub fn token(&self) -> String {
        self.csrf.lock().expect("lock").clone().unwrap_or_default()
    }

    /// POST a form with the CSRF token of the last page loaded added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.token();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// POST exactly these fields (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .form(fields)
            .send()
            .await
            .expect("request");
        self.page(r).await
    }

    #[allow(dead_code)] // used by the import page tests
    /// POST a multipart form with the CSRF token first, then `fields`, then a file
    /// `(field, file name, content)`.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, Vec<u8>)>,
    ) -> Page {
        let mut form = reqwest::multipart::Form::new().text("csrf_token", self.token());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some((field, name, content)) = file {
            form = form.part(
                field.to_owned(),
                reqwest::multipart::Part::bytes(content).file_name(name.to_owned()),
            );
        }
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .multipart(form)
            .send()
            .await
            .expect("request");
        self.page(r).await
    }

    /// Logs in through the login form; panics unless it succeeds.
    pub async fn login(&self, email: &str) {
        self.get("/login").await.expect(StatusCode::OK);
        self.post("/login", &[("email", email), ("password", PASSWORD)])
            .await
            .expect_redirect("/");
    }

    /// Signs up a business through the form and stays logged in as its owner; returns the email.
    pub async fn signup(&self, org: &str) -> String {
        let email = format!("web.{}@example.com", uuid::Uuid::now_v7().simple());
        self.get("/signup").await.expect(StatusCode::OK);
        self.post(
            "/signup",
            &[
                ("organization_name", org),
                ("name", "Wendy Web"),
                ("email", &email),
                ("password", PASSWORD),
                ("timezone", "Europe/Berlin"),
                ("currency", "EUR"),
                ("locale", "en-GB"),
            ],
        )
        .await
        .expect_redirect("/app");
        email
    }
}
