//! `fitnesscrm seed --demo`: a small, realistic demo organization to explore the product with;
//! `fitnesscrm seed --clients N`: large synthetic organizations for benchmarks ([`synthetic`]).

mod names;
mod repo;
pub mod synthetic;

use secrecy::SecretString;

use crate::audit::AuditContext;
use crate::auth::{Credential, CurrentUser, Role};
use crate::db::Db;
use crate::organizations::OrgId;
use crate::organizations::service::{Signup, create_with_owner};
use crate::users::model::CreateUser;
use crate::users::service;

/// A login printed after seeding.
#[derive(Debug)]
pub struct DemoLogin {
    /// The owner's email.
    pub email: String,
    /// The owner's password.
    pub password: String,
    /// The organization's slug.
    pub slug: String,
}

/// Creates the demo studio with its owner, an admin, front-desk staff and two trainers.
pub async fn demo(db: &Db) -> anyhow::Result<DemoLogin> {
    let suffix = crate::auth::tokens::random_string(4)
        .to_lowercase()
        .replace(['-', '_'], "x");
    let email = format!("owner+{suffix}@demo.fitnesscrm.dev");
    let password = crate::auth::password::generate();
    let (org, owner) = create_with_owner(
        db,
        Signup {
            organization_name: "Northside Strength Studio".into(),
            name: "Maya Lindqvist".into(),
            email: email.clone(),
            password: SecretString::from(password.clone()),
            timezone: Some("Europe/Berlin".into()),
            currency: Some("EUR".into()),
            locale: Some("en".into()),
        },
        |org, _| AuditContext::system(org),
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the demo organization: {e}"))?;
    let caller = CurrentUser {
        org: OrgId(org.id),
        role: Role::Owner,
        credential: Credential::User {
            user_id: owner.id,
            session_id: uuid::Uuid::nil(),
        },
    };
    let audit = AuditContext::system(caller.org);
    let staff = [
        ("Jonas Becker", "admin", Role::Admin),
        ("Lea Hoffmann", "frontdesk", Role::Staff),
        ("Tomás Ortega", "tomas", Role::Trainer),
        ("Aisha Khan", "aisha", Role::Trainer),
    ];
    for (name, local, role) in staff {
        service::create_user(
            db,
            &crate::auth::Actor::new(caller, audit.clone()),
            CreateUser {
                name: name.into(),
                email: format!("{local}+{suffix}@demo.fitnesscrm.dev"),
                role,
                password: SecretString::from(password.clone()),
                active: Some(true),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating demo account {local}: {e}"))?;
    }
    Ok(DemoLogin {
        email,
        password,
        slug: org.slug,
    })
}
