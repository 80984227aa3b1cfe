//! The sequential scenarios: one request at a time, its inputs picked from sampled data, its reply
//! checked.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::{Client, Method, StatusCode, Url};
use serde_json::{Value, json};

use super::PAGE_SCENARIOS;
use crate::common::{Picker, date, local_time, today_days};
use crate::stats::Summary;

/// What the server returned, read completely.
pub(super) struct Reply {
    status: StatusCode,
    body: Vec<u8>,
}

pub(super) struct Bench {
    pub(super) http: Client,
    pub(super) base: Url,
    pub(super) token: String,
    pub(super) client_ids: Vec<String>,
    pub(super) prefixes: Vec<String>,
    pub(super) names: Vec<(String, String)>,
    pub(super) trainer_ids: Vec<String>,
    pub(super) picker: Picker,
    pub(super) nonce: String,
    pub(super) created: u64,
    pub(super) last_status: Option<StatusCode>,
    /// 201 and 409 answers of the measured booking requests, per scenario.
    pub(super) outcomes: std::collections::HashMap<&'static str, (u64, u64)>,
}

impl Bench {
    async fn send(
        &self,
        method: Method,
        url: Url,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let mut r = self.http.request(method, url);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let resp = r.send().await.context("sending a request")?;
        let status = resp.status();
        let body = resp.bytes().await.context("reading a response")?.to_vec();
        Ok(Reply { status, body })
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Url> {
        crate::common::url_with(&self.base, path, query)
    }

    async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Value> {
        let url = self.url(path, query)?;
        let reply = self.send(Method::GET, url, Some(&self.token), None).await?;
        expect(&reply, StatusCode::OK, path)?;
        Ok(serde_json::from_slice(&reply.body)?)
    }

    /// Collects existing clients (spread over the alphabet), their names, and the trainers.
    pub(super) async fn sample(&mut self) -> anyhow::Result<()> {
        for letter in 'a'..='z' {
            let page = self
                .get_json(
                    "/api/v1/clients",
                    &[("q", &letter.to_string()), ("limit", "200")],
                )
                .await?;
            for c in page["items"].as_array().into_iter().flatten() {
                if let Some(id) = c["id"].as_str() {
                    self.client_ids.push(id.to_owned());
                }
                let first = c["first_name"].as_str().unwrap_or_default();
                let last = c["last_name"].as_str().unwrap_or_default();
                for name in [first, last] {
                    for len in [2, 3] {
                        if name.chars().count() >= len {
                            self.prefixes.push(name.chars().take(len).collect());
                        }
                    }
                }
                self.names.push((first.to_owned(), last.to_owned()));
            }
        }
        self.prefixes.sort();
        self.prefixes.dedup();
        let trainers = self
            .get_json("/api/v1/trainers", &[("limit", "200")])
            .await?;
        self.trainer_ids = trainers["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["id"].as_str().map(str::to_owned))
            .collect();
        if self.client_ids.is_empty() {
            bail!("the organization has no clients: seed it first (fitnesscrm seed --clients N)");
        }
        Ok(())
    }

    /// The path of one request of a page scenario.
    fn page_path(&mut self, scenario: &str) -> anyhow::Result<String> {
        Ok(match scenario {
            "page-dashboard" => "/app".to_owned(),
            "page-clients" => "/app/clients".to_owned(),
            "page-clients-search" => {
                let prefix = self
                    .picker
                    .pick(&self.prefixes)
                    .cloned()
                    .unwrap_or_default();
                format!("/app/clients?q={prefix}")
            }
            "page-client" => {
                let id = self
                    .picker
                    .pick(&self.client_ids)
                    .cloned()
                    .unwrap_or_default();
                format!("/app/clients/{id}")
            }
            "page-calendar-week" => {
                let trainer = self
                    .picker
                    .pick(&self.trainer_ids)
                    .cloned()
                    .unwrap_or_default();
                let day = today_days() - 360 + self.picker.below(720) as i64;
                format!(
                    "/app/calendar?view=week&trainer_id={trainer}&date={}",
                    date(day)
                )
            }
            "page-classes" => "/app/classes".to_owned(),
            other => bail!("unknown page scenario {other}"),
        })
    }

    /// One GET of a page as a logged-in browser (the login token is also the session cookie's value).
    async fn page_once(&mut self, scenario: &str) -> anyhow::Result<Duration> {
        let path = self.page_path(scenario)?;
        let url = self.url(&path, &[])?;
        let started = Instant::now();
        let resp = self
            .http
            .get(url)
            .header("accept", "text/html")
            .header("cookie", format!("fcrm_session={}", self.token))
            .send()
            .await
            .context("sending a request")?;
        let status = resp.status();
        let body = resp.bytes().await.context("reading a response")?;
        let took = started.elapsed();
        if status != StatusCode::OK || !body.starts_with(b"<!doctype html>") {
            bail!("{scenario}: {status}, not a page");
        }
        Ok(took)
    }

    /// One request of a scenario; returns its latency after checking the reply.
    async fn once(&mut self, scenario: &str) -> anyhow::Result<Duration> {
        if PAGE_SCENARIOS.contains(&scenario) {
            return self.page_once(scenario).await;
        }
        let token = self.token.clone();
        let (method, url, body, status) = match scenario {
            "list" => (
                Method::GET,
                self.url("/api/v1/clients", &[])?,
                None,
                StatusCode::OK,
            ),
            "search" => {
                let prefix = self
                    .picker
                    .pick(&self.prefixes)
                    .cloned()
                    .unwrap_or_default();
                (
                    Method::GET,
                    self.url("/api/v1/clients", &[("q", &prefix)])?,
                    None,
                    StatusCode::OK,
                )
            }
            "get" => {
                let id = self
                    .picker
                    .pick(&self.client_ids)
                    .cloned()
                    .unwrap_or_default();
                (
                    Method::GET,
                    self.url(&format!("/api/v1/clients/{id}"), &[])?,
                    None,
                    StatusCode::OK,
                )
            }
            "create" => {
                self.created += 1;
                let (first, last) = self.picker.pick(&self.names).cloned().unwrap_or_default();
                let mut body = json!({
                    "first_name": first,
                    "last_name": last,
                    "email": format!("bench.{}.{}@example.test", self.nonce, self.created),
                    "phone": format!("+49 151 {:07}", self.picker.below(10_000_000)),
                    "status": "active",
                    "source": "website",
                    "tags": ["Bench", "Morning"],
                    "consent_email": true,
                });
                if let Some(t) = self.picker.pick(&self.trainer_ids) {
                    body["trainer_ids"] = json!([t]);
                }
                (
                    Method::POST,
                    self.url("/api/v1/clients", &[])?,
                    Some(body),
                    StatusCode::CREATED,
                )
            }
            "agenda-week" => {
                // A random trainer's week, anywhere in the seeded two years around today.
                let trainer = self
                    .picker
                    .pick(&self.trainer_ids)
                    .cloned()
                    .unwrap_or_default();
                let day = today_days() - 360 + self.picker.below(720) as i64;
                (
                    Method::GET,
                    self.url(
                        "/api/v1/agenda",
                        &[
                            ("trainer_id", &trainer),
                            ("date", &date(day)),
                            ("view", "week"),
                        ],
                    )?,
                    None,
                    StatusCode::OK,
                )
            }
            "session-create" => {
                // A random trainer and client, an hour at a random time 400–700 days ahead (beyond the
                // seeded sessions, so most bookings succeed; the check still walks the real indexes).
                let day = today_days() + 400 + self.picker.below(300) as i64;
                let minute = 5 * self.picker.below(12 * 23) as i64;
                (
                    Method::POST,
                    self.url("/api/v1/sessions", &[])?,
                    Some(json!({
                        "trainer_id": self.picker.pick(&self.trainer_ids).cloned().unwrap_or_default(),
                        "client_id": self.picker.pick(&self.client_ids).cloned().unwrap_or_default(),
                        "starts_at": format!("{}Z", local_time(day, minute)),
                        "ends_at": format!("{}Z", local_time(day, minute + 60)),
                        "kind": "personal",
                    })),
                    StatusCode::CREATED,
                )
            }
            "series-52" => {
                // 52 weekly hours for a random trainer and client, starting within four weeks, at a
                // night time (22:00–05:55 UTC, outside the seed's 06:00–22:00 grid), so that the series
                // runs through the trainer's and client's seeded year ahead without clashing with it.
                let day = today_days() + 1 + self.picker.below(28) as i64;
                let minute = 22 * 60 + 5 * self.picker.below(12 * 7) as i64;
                (
                    Method::POST,
                    self.url("/api/v1/session-series", &[])?,
                    Some(json!({
                        "trainer_id": self.picker.pick(&self.trainer_ids).cloned().unwrap_or_default(),
                        "client_id": self.picker.pick(&self.client_ids).cloned().unwrap_or_default(),
                        "first_starts_at": local_time(day, minute),
                        "duration_minutes": 60,
                        "timezone": "UTC",
                        "rrule": "FREQ=WEEKLY;COUNT=52",
                    })),
                    StatusCode::CREATED,
                )
            }
            other => bail!("unknown scenario {other}"),
        };
        let started = Instant::now();
        let reply = self.send(method, url, Some(&token), body.as_ref()).await?;
        let took = started.elapsed();
        if matches!(scenario, "session-create" | "series-52") {
            // A 409 is the conflict check doing its job: valid, counted apart.
            if reply.status != StatusCode::CONFLICT {
                expect(&reply, status, scenario)?;
            }
            if scenario == "series-52" && reply.status == StatusCode::CREATED {
                let v: Value = serde_json::from_slice(&reply.body)?;
                let n = v["sessions"].as_array().map_or(0, Vec::len);
                if n != 52 {
                    bail!("series-52: {n} sessions created instead of 52");
                }
            }
            self.last_status = Some(reply.status);
            return Ok(took);
        }
        expect(&reply, status, scenario)?;
        if scenario != "create" {
            let v: Value = serde_json::from_slice(&reply.body)?;
            let empty = v["items"].as_array().is_some_and(Vec::is_empty);
            if empty {
                bail!("{scenario}: an empty page for an existing name; is the data seeded?");
            }
        }
        Ok(took)
    }

    pub(super) async fn scenario(
        &mut self,
        name: &'static str,
        warmup: usize,
        requests: usize,
    ) -> anyhow::Result<Summary> {
        for _ in 0..warmup {
            self.once(name).await?;
        }
        let mut samples = Vec::with_capacity(requests);
        let mut outcomes = (0, 0);
        for _ in 0..requests {
            self.last_status = None;
            samples.push(self.once(name).await?);
            match self.last_status {
                Some(StatusCode::CREATED) => outcomes.0 += 1,
                Some(StatusCode::CONFLICT) => outcomes.1 += 1,
                _ => {}
            }
        }
        let mut summary = Summary::of(name, samples);
        if matches!(name, "session-create" | "series-52") {
            summary.outcomes = Some(outcomes);
            let total = self.outcomes.entry(name).or_default();
            total.0 += outcomes.0;
            total.1 += outcomes.1;
        }
        Ok(summary)
    }
}

fn expect(reply: &Reply, status: StatusCode, what: &str) -> anyhow::Result<()> {
    if reply.status != status {
        bail!(
            "{what}: expected {status}, got {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    Ok(())
}
