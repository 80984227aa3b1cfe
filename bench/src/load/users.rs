//! The virtual users: a closed loop of "act, think" until the end of the run, each on its own
//! keep-alive connection, acting as its role with a login shared with other users of that role.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, Method};
use serde_json::{Value, json};

use super::mix::Role;
use super::outcome::{Op, Outcome, classify};
use super::record::Recorder;
use super::setup::World;
use crate::common::{Picker, date, today_days};

/// What every virtual user shares.
#[derive(Debug)]
pub struct Shared {
    /// The accounts and classes.
    pub world: World,
    /// The server.
    pub base: reqwest::Url,
    /// Mean think time; each pause is uniform between half and one and a half of it.
    pub think: Duration,
    /// No new action starts after this.
    pub deadline: Instant,
    /// A request slower than this is an error.
    pub timeout: Duration,
    /// Chance in % that a client with a booking cancels one instead of booking another.
    pub cancel_percent: usize,
}

struct Vu {
    http: Client,
    shared: Arc<Shared>,
    rec: Recorder,
    picker: Picker,
    index: usize,
    /// A client's own bookings: (class id, booking id).
    bookings: Vec<(String, String)>,
}

/// Runs one virtual user until the deadline; returns what it recorded.
pub async fn run(
    shared: Arc<Shared>,
    role: Role,
    index: usize,
    seed: u64,
) -> anyhow::Result<Recorder> {
    let http = Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(shared.timeout)
        .build()?;
    let mut vu = Vu {
        http,
        shared,
        rec: Recorder::new()?,
        picker: Picker(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        index,
        bookings: Vec::new(),
    };
    // Start spread over one mean think time, so that the users do not all act at once.
    let mean = vu.shared.think.as_millis() as usize;
    tokio::time::sleep(Duration::from_millis(vu.picker.below(mean + 1) as u64)).await;
    while Instant::now() < vu.shared.deadline {
        match role {
            Role::FrontDesk => vu.front_desk().await,
            Role::Trainer => vu.trainer().await,
            Role::Client => vu.client().await,
            Role::Owner => vu.owner().await,
        }
        if !vu.think().await {
            break;
        }
    }
    Ok(vu.rec)
}

impl Vu {
    /// Pauses for a think time, or until the deadline if that comes first; whether there is time
    /// left for another operation.
    async fn think(&mut self) -> bool {
        let mean = self.shared.think.as_micros() as u64;
        let jitter = self.picker.below(1001) as u64;
        let until = Instant::now() + Duration::from_micros(mean / 2 + mean * jitter / 1000);
        tokio::time::sleep_until(until.min(self.shared.deadline).into()).await;
        until < self.shared.deadline
    }

    /// One request, timed from sending to having read the whole body, classified and recorded.
    /// Returns the JSON body of a correct answer (`Null` when empty), `None` otherwise.
    async fn call(
        &mut self,
        op: Op,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        token: &str,
        body: Option<Value>,
    ) -> Option<Value> {
        let mut url = self.shared.base.join(path).ok()?;
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        let mut req = self.http.request(method.clone(), url).bearer_auth(token);
        if let Some(b) = &body {
            req = req.json(b);
        }
        let started = Instant::now();
        let result = async {
            let resp = req.send().await?;
            let status = resp.status();
            let bytes = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        }
        .await;
        let took = started.elapsed();
        match result {
            Ok((status, bytes)) => {
                let outcome = classify(op, status.as_u16());
                let error = (outcome == Outcome::Error).then(|| {
                    let text = String::from_utf8_lossy(&bytes);
                    let snippet: String = text.chars().take(300).collect();
                    format!(
                        "{} {method} {path}: {status} after {took:.1?}: {snippet}",
                        op.name()
                    )
                });
                self.rec.record(op, took, outcome, error);
                (outcome == Outcome::Ok)
                    .then(|| serde_json::from_slice(&bytes).unwrap_or(Value::Null))
            }
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "connection refused or failed"
                } else {
                    "transport error"
                };
                let error = format!(
                    "{} {method} {path}: {kind} after {took:.1?}: {e}",
                    op.name()
                );
                self.rec.record(op, took, Outcome::Error, Some(error));
                None
            }
        }
    }

    /// Searches a 2–3 letter prefix, thinks, opens one of the clients found.
    async fn front_desk(&mut self) {
        let shared = Arc::clone(&self.shared);
        let world = &shared.world;
        let token = &world.staff[self.index % world.staff.len().max(1)];
        let prefix = self
            .picker
            .pick(&world.prefixes)
            .cloned()
            .unwrap_or_default();
        let Some(page) = self
            .call(
                Op::Search,
                Method::GET,
                "/api/v1/clients",
                &[("q", &prefix)],
                token,
                None,
            )
            .await
        else {
            return;
        };
        let ids: Vec<String> = page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect();
        let Some(id) = self.picker.pick(&ids).cloned() else {
            return;
        };
        if !self.think().await {
            return;
        }
        let path = format!("/api/v1/clients/{id}");
        self.call(Op::ClientFile, Method::GET, &path, &[], token, None)
            .await;
    }

    /// Loads the trainer's week, thinks, checks in a client of one of its sessions.
    async fn trainer(&mut self) {
        let shared = Arc::clone(&self.shared);
        let world = &shared.world;
        let Some((token, trainer)) = world.trainers.get(self.index % world.trainers.len().max(1))
        else {
            return;
        };
        let day = date(today_days());
        let query = [
            ("trainer_id", trainer.as_str()),
            ("date", &day),
            ("view", "week"),
        ];
        let Some(agenda) = self
            .call(
                Op::AgendaWeek,
                Method::GET,
                "/api/v1/agenda",
                &query,
                token,
                None,
            )
            .await
        else {
            return;
        };
        let sessions: Vec<String> = agenda["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["type"] == "session")
            .filter(|i| i["status"] == "scheduled" || i["status"] == "completed")
            .filter_map(|i| i["id"].as_str().map(str::to_owned))
            .collect();
        let Some(id) = self.picker.pick(&sessions).cloned() else {
            return;
        };
        if !self.think().await {
            return;
        }
        let path = format!("/api/v1/sessions/{id}/check-in");
        self.call(
            Op::CheckIn,
            Method::POST,
            &path,
            &[],
            token,
            Some(json!({})),
        )
        .await;
    }

    /// Books a random class of the run, or sometimes cancels one of its bookings.
    async fn client(&mut self) {
        let shared = Arc::clone(&self.shared);
        let world = &shared.world;
        let Some((token, _)) = world.clients.get(self.index % world.clients.len().max(1)) else {
            return;
        };
        if !self.bookings.is_empty() && self.picker.below(100) < shared.cancel_percent {
            let i = self.picker.below(self.bookings.len());
            let (class, booking) = self.bookings.swap_remove(i);
            let path = format!("/api/v1/classes/{class}/bookings/{booking}");
            self.call(Op::Cancel, Method::DELETE, &path, &[], token, None)
                .await;
            return;
        }
        let Some(class) = self.picker.pick(&world.classes).cloned() else {
            return;
        };
        let path = format!("/api/v1/classes/{class}/bookings");
        if let Some(b) = self
            .call(Op::Book, Method::POST, &path, &[], token, Some(json!({})))
            .await
            && let Some(id) = b["id"].as_str()
        {
            self.bookings.push((class, id.to_owned()));
        }
    }

    /// Opens the dashboard.
    async fn owner(&mut self) {
        let shared = Arc::clone(&self.shared);
        self.call(
            Op::Dashboard,
            Method::GET,
            "/api/v1/dashboard",
            &[],
            &shared.world.owner,
            None,
        )
        .await;
    }
}
