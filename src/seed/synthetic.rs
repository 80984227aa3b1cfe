//! `fitnesscrm seed --clients N [--second-org-clients M]`: large synthetic organizations for benchmarks.
//!
//! Each organization gets an owner (printed login), a trainer account, trainers, and N clients with
//! varied names (many non-ASCII), emails, phones, dates of birth, statuses, tags, consents, custom
//! fields and trainer assignments. Clients go through the same validation as the API
//! (`CreateClient::validate`) and are stored by `clients::repo::insert_many`, many per statement and
//! a few thousand per write transaction, so that 100,000 clients load in seconds. Afterwards
//! PostgreSQL gets the `VACUUM (ANALYZE)` its autovacuum would soon run ([`Db::settle_after_bulk_load`]).
//! With `--sessions N`, the main organization also gets N one-to-one sessions
//! ([`seed_sessions`]): spread over its trainers on a grid of one-hour slots (06:00–22:00 UTC) from a
//! year ago to a year ahead, so that no trainer is ever double-booked, each with a random client;
//! rows built by `scheduling::sessions::new_row`, like a booking through the API.
//! The data is reproducible: the same `rng_seed` gives the same people (ids, logins and the
//! organizations' email suffixes differ per run).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::DemoLogin;
use super::names::{DOMAINS, FIRST_NAMES, GOALS, LAST_NAMES, MEDICAL, SOURCES, SPECIALTIES, TAGS};
use super::repo::seed_sessions;
use crate::auth::{Credential, CurrentUser, Role};
use crate::clients::access::ClientScope;
use crate::clients::model::{ClientFields, ClientStatus, CreateClient};
use crate::clients::repo as client_repo;
use crate::db::Db;
use crate::organizations::OrgId;
use crate::organizations::service::{Signup, create_with_owner};
use crate::trainers::model::CreateTrainer;
use crate::trainers::repo as trainer_repo;
use crate::users::model::CreateUser;
use crate::users::service;

/// Clients per write transaction: large enough to amortise the commit, small enough to keep the
/// write lock for well under a second.
const CLIENTS_PER_TRANSACTION: usize = 2_000;

/// What to create.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Clients of the main organization.
    pub clients: u64,
    /// Clients of a second organization (none when 0): tenancy must keep it out of every result.
    pub second_org_clients: u64,
    /// Trainers per organization (at least 1; the first has a login).
    pub trainers: u32,
    /// One-to-one sessions of the main organization (none when 0).
    pub sessions: u64,
    /// Seed of the random generator.
    pub rng_seed: u64,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            clients: 1_000,
            second_org_clients: 0,
            trainers: 12,
            sessions: 0,
            rng_seed: 1,
        }
    }
}

/// One seeded organization.
#[derive(Debug)]
pub struct SeededOrganization {
    /// The tenant.
    pub org: OrgId,
    /// Its display name.
    pub name: String,
    /// The owner's login.
    pub owner: DemoLogin,
    /// The login of the trainer account (linked to the first trainer); same password as the owner.
    pub trainer_email: String,
    /// The trainers, the first one linked to `trainer_email`.
    pub trainer_ids: Vec<Uuid>,
    /// How many clients it has.
    pub clients: u64,
    /// How long loading the clients took.
    pub took: Duration,
    /// How many sessions it has.
    pub sessions: u64,
    /// How long loading the sessions took.
    pub sessions_took: Duration,
}

/// Creates the organizations of `plan`: the main one first, then the second when asked for.
pub async fn run(db: &Db, plan: &Plan) -> anyhow::Result<Vec<SeededOrganization>> {
    if plan.trainers == 0 {
        anyhow::bail!("at least one trainer per organization is needed");
    }
    let mut seeded = vec![
        organization(
            db,
            "Riverside Athletic Club",
            plan.clients,
            plan.trainers,
            plan.sessions,
            plan.rng_seed,
        )
        .await?,
    ];
    if plan.second_org_clients > 0 {
        seeded.push(
            organization(
                db,
                "Hillcrest Yoga & Pilates",
                plan.second_org_clients,
                plan.trainers,
                0,
                plan.rng_seed.wrapping_add(1),
            )
            .await?,
        );
    }
    db.settle_after_bulk_load().await?;
    Ok(seeded)
}

async fn organization(
    db: &Db,
    name: &str,
    clients: u64,
    trainers: u32,
    sessions: u64,
    rng_seed: u64,
) -> anyhow::Result<SeededOrganization> {
    let mut rng = StdRng::seed_from_u64(rng_seed);
    let suffix = crate::auth::tokens::random_string(4)
        .to_lowercase()
        .replace(['-', '_'], "x");
    let email = format!("owner+{suffix}@bench.fitnesscrm.dev");
    let password = crate::auth::password::generate();
    let (org, owner) = create_with_owner(
        db,
        Signup {
            organization_name: name.into(),
            name: "Morgan Avery".into(),
            email: email.clone(),
            password: SecretString::from(password.clone()),
            timezone: Some("Europe/Berlin".into()),
            currency: Some("EUR".into()),
            locale: Some("en".into()),
        },
        |org, _| crate::audit::AuditContext::system(org),
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the organization {name}: {e}"))?;
    let tenant = OrgId(org.id);
    let caller = CurrentUser {
        org: tenant,
        role: Role::Owner,
        credential: Credential::User {
            user_id: owner.id,
            session_id: Uuid::nil(),
        },
    };
    let trainer_email = format!("trainer+{suffix}@bench.fitnesscrm.dev");
    let trainer_user = service::create_user(
        db,
        &crate::auth::Actor::new(caller, crate::audit::AuditContext::system(tenant)),
        CreateUser {
            name: "Kai Nakamura".into(),
            email: trainer_email.clone(),
            role: Role::Trainer,
            password: SecretString::from(password.clone()),
            active: Some(true),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the trainer account: {e}"))?;

    let txn = db.begin_write().await?;
    let mut trainer_ids = Vec::new();
    for i in 0..trainers {
        let (first, _) = *FIRST_NAMES.choose(&mut rng).unwrap_or(&("Kai", "kai"));
        let (last, last_ascii) = *LAST_NAMES.choose(&mut rng).unwrap_or(&("Lee", "lee"));
        let fields = CreateTrainer {
            first_name: first.into(),
            last_name: last.into(),
            email: Some(format!("coach{i}.{last_ascii}@{suffix}.example.com")),
            phone: Some(phone(&mut rng)),
            bio: None,
            specialties: Some(vec![
                (*SPECIALTIES.choose(&mut rng).unwrap_or(&"Strength")).into(),
            ]),
            certifications: None,
            hourly_rate_cents: Some(rng.random_range(40..120) * 100),
            currency: None,
            active: Some(true),
            user_id: (i == 0).then_some(trainer_user.id),
        }
        .validate(&org.currency)
        .map_err(|e| anyhow::anyhow!("a synthetic trainer is invalid: {e}"))?;
        trainer_ids.push(trainer_repo::insert(&txn, tenant, fields).await?.id);
    }
    txn.commit().await?;

    let scope = ClientScope::system(tenant);
    let started = Instant::now();
    let mut made = 0u64;
    let mut client_ids = Vec::with_capacity(if sessions > 0 { clients as usize } else { 0 });
    while made < clients {
        let n = usize::try_from(clients - made)
            .unwrap_or(usize::MAX)
            .min(CLIENTS_PER_TRANSACTION);
        let batch = (0..n as u64)
            .map(|i| synthetic_client(&mut rng, made + i, &suffix, &trainer_ids))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let txn = db.begin_write().await?;
        let ids = client_repo::insert_many(&txn, &scope, batch, "import")
            .await
            .map_err(|e| anyhow::anyhow!("inserting synthetic clients: {e}"))?;
        if sessions > 0 {
            client_ids.extend(ids);
        }
        txn.commit().await?;
        made += n as u64;
    }
    let took = started.elapsed();
    let started = Instant::now();
    if sessions > 0 {
        seed_sessions(db, tenant, &trainer_ids, &client_ids, sessions, &mut rng).await?;
    }
    Ok(SeededOrganization {
        org: tenant,
        name: org.name,
        owner: DemoLogin {
            email,
            password,
            slug: org.slug,
        },
        trainer_email,
        trainer_ids,
        clients,
        took,
        sessions,
        sessions_took: started.elapsed(),
    })
}

/// The `n`-th client of an organization: random but plausible, validated like an API request.
fn synthetic_client(
    rng: &mut StdRng,
    n: u64,
    suffix: &str,
    trainer_ids: &[Uuid],
) -> anyhow::Result<(ClientFields, Vec<Uuid>)> {
    let (first, first_ascii) = *FIRST_NAMES.choose(rng).unwrap_or(&("Anna", "anna"));
    let (last, last_ascii) = *LAST_NAMES.choose(rng).unwrap_or(&("Berg", "berg"));
    let domain = DOMAINS.choose(rng).unwrap_or(&"example.com");
    // The running number keeps emails unique within the organization.
    let email = match rng.random_range(0..20_u32) {
        0 => None,
        1..=9 => Some(format!("{first_ascii}.{last_ascii}.{n}@{domain}")),
        10..=15 => Some(format!(
            "{}{last_ascii}{n}@{domain}",
            first_ascii.chars().next().unwrap_or('x')
        )),
        _ => Some(format!("{last_ascii}{n}@{suffix}.{domain}")),
    };
    let status = *[
        (ClientStatus::Active, 55),
        (ClientStatus::Lead, 15),
        (ClientStatus::Trial, 8),
        (ClientStatus::Paused, 10),
        (ClientStatus::Churned, 12),
    ]
    .choose_weighted(rng, |(_, w)| *w)
    .map(|(s, _)| s)
    .unwrap_or(&ClientStatus::Active);
    let tag_count = rng.random_range(0..=3);
    let tags: Vec<String> = TAGS
        .choose_multiple(rng, tag_count)
        .map(|t| (*t).to_owned())
        .collect();
    let trainers: Vec<Uuid> = match rng.random_range(0..10_u32) {
        0 => Vec::new(),
        1 => trainer_ids.choose_multiple(rng, 2).copied().collect(),
        _ => trainer_ids.choose(rng).copied().into_iter().collect(),
    };
    let mut custom_fields = Map::new();
    if rng.random_bool(0.3) {
        custom_fields.insert(
            "shoe_size".into(),
            Value::from(rng.random_range(36_i64..47)),
        );
    }
    if rng.random_bool(0.2) {
        custom_fields.insert(
            "membership_no".into(),
            Value::from(format!("M-{:06}", rng.random_range(0..1_000_000_u32))),
        );
    }
    let date_of_birth = rng.random_bool(0.7).then(|| {
        NaiveDate::from_ymd_opt(
            rng.random_range(1950..2008),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        )
    });
    let input = CreateClient {
        first_name: first.into(),
        last_name: last.into(),
        email,
        phone: rng.random_bool(0.85).then(|| phone(rng)),
        date_of_birth: date_of_birth.flatten(),
        status: Some(status),
        source: Some((*SOURCES.choose(rng).unwrap_or(&"walk-in")).into()),
        tags: Some(tags),
        goals: rng
            .random_bool(0.4)
            .then(|| (*GOALS.choose(rng).unwrap_or(&"Get stronger")).into()),
        medical_notes: rng
            .random_bool(0.1)
            .then(|| (*MEDICAL.choose(rng).unwrap_or(&"None known")).into()),
        emergency_contact_name: rng.random_bool(0.3).then(|| {
            let (f, _) = *FIRST_NAMES.choose(rng).unwrap_or(&("Sam", "sam"));
            format!("{f} {last}")
        }),
        emergency_contact_phone: None,
        custom_fields: Some(custom_fields),
        trainer_ids: Some(trainers),
        consent_email: Some(rng.random_bool(0.6)),
        consent_sms: Some(rng.random_bool(0.3)),
    };
    input
        .validate()
        .map_err(|e| anyhow::anyhow!("synthetic client {n} is invalid: {e:?}"))
}

fn phone(rng: &mut StdRng) -> String {
    match rng.random_range(0..4_u32) {
        0 => format!(
            "+49 15{} {:07}",
            rng.random_range(1..8_u32),
            rng.random_range(0..10_000_000_u32)
        ),
        1 => format!(
            "+44 7{:03} {:06}",
            rng.random_range(100..1000_u32),
            rng.random_range(0..1_000_000_u32)
        ),
        2 => format!(
            "+1 ({}) 555-{:04}",
            rng.random_range(201..990_u32),
            rng.random_range(0..10_000_u32)
        ),
        _ => format!(
            "030 {:03} {:04}",
            rng.random_range(100..1000_u32),
            rng.random_range(0..10_000_u32)
        ),
    }
}
