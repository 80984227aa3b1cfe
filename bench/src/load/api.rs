//! A thin JSON client for the set-up and the final checks: one call, its status checked.

use anyhow::{Context, bail};
use reqwest::{Client, Method, StatusCode, Url};
use serde_json::Value;

/// The server and an HTTP client for it.
#[derive(Debug, Clone)]
pub struct Api {
    /// The HTTP client.
    pub http: Client,
    /// The server's base URL.
    pub base: Url,
}

impl Api {
    /// The URL of `path` with `query`.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Url> {
        crate::common::url_with(&self.base, path, query)
    }

    /// Sends a request as `token` and expects `want`; returns the JSON body (`Null` when empty).
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        token: &str,
        body: Option<&Value>,
        want: StatusCode,
    ) -> anyhow::Result<Value> {
        let (status, bytes) = self.send(method.clone(), path, query, token, body).await?;
        if status != want {
            bail!(
                "{method} {path}: expected {want}, got {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).with_context(|| format!("{method} {path}: not JSON"))
    }

    /// Sends a request as `token`; returns the status and the body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        token: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Vec<u8>)> {
        let mut r = self
            .http
            .request(method.clone(), self.url(path, query)?)
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(b);
        }
        let resp = r.send().await.with_context(|| format!("{method} {path}"))?;
        let status = resp.status();
        let bytes = resp.bytes().await.context("reading a response")?.to_vec();
        Ok((status, bytes))
    }

    /// `GET` expecting 200.
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: &str,
    ) -> anyhow::Result<Value> {
        self.expect(Method::GET, path, query, token, None, StatusCode::OK)
            .await
    }
}

/// The string `key` of a JSON object, owned (empty when absent).
pub fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}
