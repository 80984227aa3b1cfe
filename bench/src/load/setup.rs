//! Set-up through the API as the owner, before the clock starts: front-desk (`staff`), trainer and
//! client portal accounts, each linked to a seeded trainer or client and logged in once (their
//! tokens are shared by many virtual users: every account costs two argon2 hashes, so there are
//! few), and a set of small classes in the coming days, so that bookings contend for places.

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::api::{Api, text};
use crate::common::{Picker, login, today_days};

/// How many of each thing to create.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Front-desk (`staff`) accounts.
    pub staff: usize,
    /// Trainer accounts, each linked to a seeded trainer without one.
    pub trainers: usize,
    /// Client portal accounts, each linked to a seeded client.
    pub clients: usize,
    /// Classes.
    pub classes: usize,
    /// Places per class.
    pub capacity: u32,
    /// Waitlist places per class.
    pub waitlist: u32,
    /// Seed of the choices.
    pub seed: u64,
}

/// What the virtual users work with.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// The owner's token.
    pub owner: String,
    /// Front-desk tokens.
    pub staff: Vec<String>,
    /// Trainer tokens and their trainer ids.
    pub trainers: Vec<(String, String)>,
    /// Client tokens and their client ids.
    pub clients: Vec<(String, String)>,
    /// The classes created for the run.
    pub classes: Vec<String>,
    /// 2–3 letter prefixes of seeded names, for searches.
    pub prefixes: Vec<String>,
}

/// Runs `f` over `items`, `parallel` at a time; every result, in no particular order.
async fn in_parallel<I, T, F, Fut>(items: Vec<I>, parallel: usize, f: F) -> anyhow::Result<Vec<T>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
{
    let mut out = Vec::with_capacity(items.len());
    let mut tasks = JoinSet::new();
    for item in items {
        if tasks.len() >= parallel
            && let Some(done) = tasks.join_next().await
        {
            out.push(done??);
        }
        tasks.spawn(f(item));
    }
    while let Some(done) = tasks.join_next().await {
        out.push(done??);
    }
    Ok(out)
}

/// Creates an account with `role` and returns its id and a login token.
async fn account(
    api: Api,
    owner: String,
    role: &'static str,
    email: String,
) -> anyhow::Result<(String, String)> {
    let password = format!("load-{email}");
    let user = api
        .expect(
            Method::POST,
            "/api/v1/users",
            &[],
            &owner,
            Some(&json!({"name": format!("Load {role}"), "email": email, "role": role, "password": password})),
            StatusCode::CREATED,
        )
        .await?;
    let token = login(&api.http, &api.base, &email, &password).await?;
    Ok((text(&user, "id"), token))
}

/// Links an account to a trainer or client (`PATCH` with the version it was read at).
async fn link(
    api: Api,
    owner: String,
    path: String,
    user: String,
    version: i64,
) -> anyhow::Result<()> {
    api.expect(
        Method::PATCH,
        &path,
        &[],
        &owner,
        Some(&json!({"user_id": user, "version": version})),
        StatusCode::OK,
    )
    .await
    .map(|_| ())
}

/// Prepares everything; prints what it does to stderr.
pub async fn prepare(api: &Api, owner: String, plan: &Plan) -> anyhow::Result<World> {
    let nonce = crate::common::nonce();
    let mut picker = Picker(plan.seed);
    let org = api.get("/api/v1/organization", &[], &owner).await?;
    let opens_days = org["booking_opens_days"].as_i64().unwrap_or(30);

    // Seeded clients (for names to search and clients to link) and trainers without an account.
    let mut world = World {
        owner: owner.clone(),
        ..World::default()
    };
    let mut linkable = Vec::new();
    for letter in 'a'..='z' {
        let page = api
            .get(
                "/api/v1/clients",
                &[("q", &letter.to_string()), ("limit", "50")],
                &owner,
            )
            .await?;
        for c in page["items"].as_array().into_iter().flatten() {
            for name in [text(c, "first_name"), text(c, "last_name")] {
                for len in [2, 3] {
                    if name.chars().count() >= len {
                        world.prefixes.push(name.chars().take(len).collect());
                    }
                }
            }
            if c["user_id"].is_null() && c["erased_at"].is_null() {
                linkable.push((text(c, "id"), c["version"].as_i64().unwrap_or(0)));
            }
        }
    }
    world.prefixes.sort();
    world.prefixes.dedup();
    linkable.sort();
    linkable.dedup_by(|a, b| a.0 == b.0);
    let trainers = api
        .get("/api/v1/trainers", &[("limit", "200")], &owner)
        .await?;
    let free_trainers: Vec<(String, i64)> = trainers["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["user_id"].is_null() && t["active"].as_bool() != Some(false))
        .map(|t| (text(t, "id"), t["version"].as_i64().unwrap_or(0)))
        .collect();
    if linkable.len() < plan.clients {
        bail!(
            "only {} clients to link portal accounts to; seed more",
            linkable.len()
        );
    }
    if free_trainers.len() < plan.trainers {
        bail!(
            "only {} trainers without an account; seed more (--trainers) or ask for fewer",
            free_trainers.len()
        );
    }
    if world.prefixes.is_empty() {
        bail!("the organization has no clients: seed it first (fitnesscrm seed --clients N)");
    }
    // Spread the linked clients over the sample rather than taking the first letters only.
    let step = (linkable.len() / plan.clients.max(1)).max(1);
    let clients: Vec<(String, i64)> = linkable
        .into_iter()
        .step_by(step)
        .take(plan.clients)
        .collect();

    eprintln!(
        "set-up: {} front-desk, {} trainer and {} client accounts (two password hashes each)...",
        plan.staff, plan.trainers, plan.clients
    );
    let email = |role: &str, i: usize| format!("load.{nonce}.{role}.{i}@bench.fitnesscrm.dev");
    let parallel = 4;
    let staff_emails: Vec<String> = (0..plan.staff).map(|i| email("staff", i)).collect();
    world.staff = in_parallel(staff_emails, parallel, |e| {
        account(api.clone(), owner.clone(), "staff", e)
    })
    .await
    .context("creating front-desk accounts")?
    .into_iter()
    .map(|(_, token)| token)
    .collect();
    let trainer_jobs: Vec<(String, (String, i64))> = free_trainers
        .into_iter()
        .take(plan.trainers)
        .enumerate()
        .map(|(i, t)| (email("trainer", i), t))
        .collect();
    world.trainers = in_parallel(trainer_jobs, parallel, |(e, (trainer, version))| {
        let (api, owner) = (api.clone(), owner.clone());
        async move {
            let (user, token) = account(api.clone(), owner.clone(), "trainer", e).await?;
            link(
                api,
                owner,
                format!("/api/v1/trainers/{trainer}"),
                user,
                version,
            )
            .await?;
            Ok((token, trainer))
        }
    })
    .await
    .context("creating trainer accounts")?;
    let client_jobs: Vec<(String, (String, i64))> = clients
        .into_iter()
        .enumerate()
        .map(|(i, c)| (email("client", i), c))
        .collect();
    world.clients = in_parallel(client_jobs, parallel, |(e, (client, version))| {
        let (api, owner) = (api.clone(), owner.clone());
        async move {
            let (user, token) = account(api.clone(), owner.clone(), "client", e).await?;
            link(
                api,
                owner,
                format!("/api/v1/clients/{client}"),
                user,
                version,
            )
            .await?;
            Ok((token, client))
        }
    })
    .await
    .context("creating client accounts")?;
    world.trainers.sort();
    world.clients.sort();

    eprintln!(
        "set-up: {} classes of {} places (+{} waitlist) in the next days...",
        plan.classes, plan.capacity, plan.waitlist
    );
    // Days 1..=6 ahead (inside the booking window), 06:00–21:30 UTC, an hour each, taught by the
    // trainers who log in. A slot that clashes with the trainer's seeded sessions is tried again.
    let days = opens_days.clamp(2, 7) - 1;
    for i in 0..plan.classes {
        let (_, trainer) = &world.trainers[i % world.trainers.len().max(1)];
        let mut created = None;
        for _ in 0..40 {
            let day = today_days() + 1 + picker.below(days as usize) as i64;
            let minute = 6 * 60 + 30 * picker.below(32) as i64;
            let body = json!({
                "name": format!("Load class {}", i + 1),
                "trainer_id": trainer,
                "starts_at": format!("{}Z", crate::common::local_time(day, minute)),
                "ends_at": format!("{}Z", crate::common::local_time(day, minute + 60)),
                "capacity": plan.capacity,
                "waitlist_capacity": plan.waitlist,
            });
            let (status, bytes) = api
                .send(Method::POST, "/api/v1/classes", &[], &owner, Some(&body))
                .await?;
            match status {
                StatusCode::CREATED => {
                    let v: Value = serde_json::from_slice(&bytes)?;
                    created = Some(text(&v, "id"));
                    break;
                }
                StatusCode::CONFLICT => continue,
                other => bail!(
                    "creating a class: {other}: {}",
                    String::from_utf8_lossy(&bytes)
                ),
            }
        }
        world
            .classes
            .push(created.context("no free hour for a class in 40 tries")?);
    }
    Ok(world)
}
