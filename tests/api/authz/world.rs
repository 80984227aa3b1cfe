//! The people and records the authorization matrix works on: organization A with an account of every
//! role (the trainer account linked to a trainer, the client account to a client assigned to that
//! trainer), and organization B next door. Records are made per relation to the caller, fresh for
//! every cell that changes something.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use fitnesscrm::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::{Account, PASSWORD, TestApp, expect_status};

/// Where a record stands relative to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rel {
    /// The caller's own: for a client account its client record, for a trainer account its trainer
    /// record and the clients assigned to it; the caller's own account and sessions.
    Own,
    /// Another client of the same organization, assigned to no trainer (another account, for
    /// accounts and sessions).
    OtherClient,
    /// A client assigned to another trainer of the same organization, and that trainer.
    OtherTrainer,
    /// A record of another organization.
    OtherOrg,
}

impl Rel {
    pub const ALL: [Rel; 4] = [Rel::Own, Rel::OtherClient, Rel::OtherTrainer, Rel::OtherOrg];

    pub fn short(self) -> &'static str {
        match self {
            Rel::Own => "own",
            Rel::OtherClient => "other-client",
            Rel::OtherTrainer => "other-trainer",
            Rel::OtherOrg => "other-org",
        }
    }
}

/// A kind of record an operation names in its path or body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Trainer,
    Client,
    Session,
    Series,
    Class,
    Booking,
    TimeOff,
    Location,
    ApiKey,
    Import,
    User,
    LoginSession,
    /// A background job of the organization (`/app/jobs`).
    Job,
}

/// The records of one relation, by kind.
pub type Recs = BTreeMap<Kind, String>;

/// Organization A's accounts of every role, and B's owner.
pub struct World {
    accounts: std::sync::Mutex<BTreeMap<&'static str, Account>>,
    pub b: Account,
    /// The trainer and client records linked now to A's trainer and client accounts.
    linked: Mutex<(String, String)>,
    /// Makes every made time and name distinct.
    counter: AtomicU32,
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

impl World {
    pub async fn new(app: &TestApp) -> World {
        let owner = app.signup("Alpha Gym").await;
        let b = app.signup("Beta Studio").await;
        let mut accounts = BTreeMap::new();
        for role in ["admin", "staff", "trainer", "client"] {
            accounts.insert(role, app.add_user(&owner, role).await);
        }
        let client = accounts["client"].user_id.clone();
        let trainer = accounts["trainer"].user_id.clone();
        accounts.insert("owner", owner);
        let world = World {
            accounts: std::sync::Mutex::new(accounts),
            b,
            linked: Mutex::new((String::new(), String::new())),
            counter: AtomicU32::new(0),
        };
        let t = world
            .post(
                app,
                Rel::Own,
                "/api/v1/trainers",
                json!({"first_name": "Tara", "last_name": "Own", "user_id": trainer}),
            )
            .await;
        let c = world
            .post(
                app,
                Rel::Own,
                "/api/v1/clients",
                json!({"first_name": "Cleo", "last_name": "Own", "trainer_ids": [id(&t)]}),
            )
            .await;
        world
            .send(
                app,
                Rel::Own,
                Method::PATCH,
                &format!("/api/v1/clients/{}", id(&c)),
                json!({"user_id": client}),
            )
            .await;
        *world.linked.lock().await = (id(&t), id(&c));
        world
    }

    /// A's account of `role` as it is now.
    pub fn account(&self, role: Role) -> Account {
        self.accounts.lock().expect("accounts")[role.as_str()].clone()
    }

    pub fn token(&self, role: Role) -> String {
        self.account(role).token
    }

    /// Makes a new account of each role whose account a cell has deleted or erased (and whose
    /// token no longer works); the roles made again.
    pub async fn revive(&self, app: &TestApp) -> Vec<Role> {
        let mut made = Vec::new();
        for role in Role::ALL {
            if app
                .get("/api/v1/me", Some(&self.token(role)))
                .await
                .status()
                .is_success()
            {
                continue;
            }
            let owner = self.account(Role::Owner);
            let account = app.add_user(&owner, role.as_str()).await;
            self.accounts
                .lock()
                .expect("accounts")
                .insert(role.as_str(), account);
            made.push(role);
        }
        made
    }

    fn owner_of(&self, rel: Rel) -> String {
        if rel == Rel::OtherOrg {
            self.b.token.clone()
        } else {
            self.token(Role::Owner)
        }
    }

    pub fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// Three quarters of an hour the day after tomorrow (inside every booking window), from `hour`
    /// UTC: each kind of record has an hour of its own, and every record is made with trainers and
    /// clients of its own, so nothing made overlaps.
    pub fn slot(hour: u32) -> (String, String) {
        let day = chrono::Utc::now().date_naive() + chrono::Duration::days(2);
        (
            format!("{day}T{hour:02}:00:00Z"),
            format!("{day}T{hour:02}:45:00Z"),
        )
    }

    /// The day after tomorrow at `hour`, local time (a series' first start).
    pub fn local(hour: u32) -> String {
        let day = chrono::Utc::now().date_naive() + chrono::Duration::days(2);
        format!("{day}T{hour:02}:00:00")
    }

    async fn send(
        &self,
        app: &TestApp,
        rel: Rel,
        method: Method,
        path: &str,
        body: Value,
    ) -> Value {
        let r = app
            .request(method.clone(), path, Some(&self.owner_of(rel)))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = r.status();
        let text = r.text().await.expect("body");
        assert!(
            status.is_success(),
            "making the world: {method} {path}: {status} {text}"
        );
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("json")
        }
    }

    /// Unlinks a record from its account, unless a cell has deleted it.
    async fn unlink(&self, app: &TestApp, path: &str) {
        let r = app
            .patch(
                path,
                Some(&self.owner_of(Rel::Own)),
                &json!({"user_id": null}),
            )
            .await;
        assert!(
            r.status().is_success() || r.status() == StatusCode::NOT_FOUND,
            "unlinking {path}: {}",
            r.status()
        );
    }

    async fn post(&self, app: &TestApp, rel: Rel, path: &str, body: Value) -> Value {
        self.send(app, rel, Method::POST, path, body).await
    }

    /// Makes the records of `kinds` (and what they need) in relation `rel` to a caller of `role`.
    /// `Own` records are linked to A's trainer and client accounts in place of the previous ones.
    pub async fn make(&self, app: &TestApp, role: Role, rel: Rel, kinds: &[Kind]) -> Recs {
        use Kind::*;
        let needs = |k: Kind| -> bool {
            kinds.iter().any(|&want| {
                want == k
                    || match want {
                        Client => k == Trainer,
                        Session | Series => matches!(k, Trainer | Client),
                        Booking => matches!(k, Class | Client | Trainer),
                        Class | TimeOff => k == Trainer,
                        _ => false,
                    }
            })
        };
        let n = self.next();
        let mut r = Recs::new();
        if needs(Trainer) {
            let mut body = json!({"first_name": "Tom", "last_name": format!("T{n}")});
            if rel == Rel::Own {
                let mut linked = self.linked.lock().await;
                self.unlink(app, &format!("/api/v1/trainers/{}", linked.0))
                    .await;
                body["user_id"] = json!(self.account(Role::Trainer).user_id);
                linked.0 = id(&self.post(app, rel, "/api/v1/trainers", body).await);
                r.insert(Trainer, linked.0.clone());
            } else {
                r.insert(
                    Trainer,
                    id(&self.post(app, rel, "/api/v1/trainers", body).await),
                );
            }
        }
        if needs(Client) {
            let trainers = match rel {
                Rel::OtherClient => json!([]),
                _ => json!([r[&Trainer]]),
            };
            let body = json!({"first_name": "Cora", "last_name": format!("C{n}"), "trainer_ids": trainers});
            let made = id(&self.post(app, rel, "/api/v1/clients", body).await);
            if rel == Rel::Own {
                let mut linked = self.linked.lock().await;
                self.unlink(app, &format!("/api/v1/clients/{}", linked.1))
                    .await;
                let user = self.account(Role::Client).user_id;
                self.send(
                    app,
                    rel,
                    Method::PATCH,
                    &format!("/api/v1/clients/{made}"),
                    json!({"user_id": user}),
                )
                .await;
                linked.1 = made.clone();
            }
            r.insert(Client, made);
        }
        let (start, end) = World::slot(8);
        if needs(Session) {
            let body = json!({"trainer_id": r[&Trainer], "client_id": r[&Client], "starts_at": start, "ends_at": end});
            r.insert(
                Session,
                id(&self.post(app, rel, "/api/v1/sessions", body).await),
            );
        }
        if needs(Series) {
            let body = json!({"trainer_id": r[&Trainer], "client_id": r[&Client], "first_starts_at": World::local(6),
                "duration_minutes": 30, "timezone": "Europe/Berlin", "rrule": "FREQ=DAILY;COUNT=2"});
            let made = self.post(app, rel, "/api/v1/session-series", body).await;
            r.insert(
                Series,
                made["series"]["id"].as_str().expect("series").to_owned(),
            );
        }
        if needs(Class) {
            let (start, end) = World::slot(10);
            let body = json!({"name": format!("Class {n}"), "trainer_id": r[&Trainer], "starts_at": start, "ends_at": end, "capacity": 5});
            r.insert(
                Class,
                id(&self.post(app, rel, "/api/v1/classes", body).await),
            );
        }
        if needs(Booking) {
            let path = format!("/api/v1/classes/{}/bookings", r[&Class]);
            r.insert(
                Booking,
                id(&self
                    .post(app, rel, &path, json!({"client_id": r[&Client]}))
                    .await),
            );
        }
        if needs(TimeOff) {
            let (start, end) = World::slot(12);
            let path = format!("/api/v1/trainers/{}/time-off", r[&Trainer]);
            r.insert(
                TimeOff,
                id(&self
                    .post(app, rel, &path, json!({"starts_at": start, "ends_at": end}))
                    .await),
            );
        }
        if needs(Location) {
            let body = json!({"name": format!("Hall {n}"), "timezone": "Europe/Berlin"});
            r.insert(
                Location,
                id(&self.post(app, rel, "/api/v1/locations", body).await),
            );
        }
        if needs(ApiKey) {
            let body = json!({"name": format!("key {n}"), "role": "staff"});
            r.insert(
                ApiKey,
                id(&self.post(app, rel, "/api/v1/api-keys", body).await),
            );
        }
        if needs(Import) {
            let made = app
                .request(
                    Method::POST,
                    "/api/v1/clients/import",
                    Some(&self.owner_of(rel)),
                )
                .header("content-type", "text/csv")
                .body(format!("First name,Last name\nIda,Import{n}\n"))
                .send()
                .await
                .expect("import");
            let made = expect_status(made, StatusCode::CREATED).await;
            r.insert(
                Import,
                made["import_id"].as_str().expect("import").to_owned(),
            );
        }
        if needs(User) {
            let user = match rel {
                Rel::Own => self.account(role).user_id,
                // A peer: an account of the caller's own role (owners and admins act only on those below).
                Rel::OtherClient | Rel::OtherTrainer => {
                    let email = format!("peer{n}.{}@example.com", role.as_str());
                    let body = json!({"name": "Pat Peer", "email": email, "role": role.as_str(), "password": PASSWORD});
                    id(&self.post(app, rel, "/api/v1/users", body).await)
                }
                Rel::OtherOrg => self.b.user_id.clone(),
            };
            r.insert(User, user);
        }
        if needs(Job) {
            let org = if rel == Rel::OtherOrg {
                &self.b.org_id
            } else {
                &self.account(Role::Owner).org_id
            };
            let mut job = fitnesscrm::jobs::NewJob::now("matrix.report", json!({}));
            job.organization_id = Some(org.parse().expect("org id"));
            job.run_at = chrono::Utc::now() + chrono::Duration::days(1);
            let id = fitnesscrm::jobs::service::enqueue(app.db.conn(), job)
                .await
                .expect("enqueue")
                .expect("queued");
            r.insert(Job, id.to_string());
        }
        if needs(LoginSession) {
            // A second session of the caller (own), of another account (same organization), of B's owner.
            let email = match rel {
                Rel::Own => self.account(role).email,
                Rel::OtherClient | Rel::OtherTrainer => {
                    let other = if role == Role::Staff {
                        Role::Admin
                    } else {
                        Role::Staff
                    };
                    self.account(other).email
                }
                Rel::OtherOrg => self.b.email.clone(),
            };
            let token = app.login(&email, PASSWORD).await;
            let me = expect_status(
                app.get("/api/v1/me/sessions", Some(&token)).await,
                StatusCode::OK,
            )
            .await;
            let current = me["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|s| s["current"] == json!(true))
                .expect("the current session");
            r.insert(LoginSession, id(current));
        }
        r
    }
}
