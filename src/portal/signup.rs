//! A client signing up themself from an organization's booking page: one account and one client
//! record, linked, in one transaction, through the user and the client services (their `_in`
//! variants), so the sign-up creates both exactly as `POST /users` and `POST /clients` would.

use secrecy::SecretString;

use crate::audit::RequestOrigin;
use crate::auth::service::NewLogin;
use crate::auth::{Role, repo as auth_repo};
use crate::clients::model::{ClientStatus, CreateClient};
use crate::clients::service as client_service;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::organizations::{OrgId, Organization};
use crate::state::AppState;
use crate::users::model::CreateUser;
use crate::users::service as user_service;

/// A person signing up as a client on an organization's booking page.
#[derive(Debug)]
pub struct ClientSignup {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Login and contact email.
    pub email: String,
    /// Password for the portal.
    pub password: SecretString,
    /// Marketing email consent.
    pub consent_email: bool,
    /// Marketing SMS consent.
    pub consent_sms: bool,
}

/// Where self-signed-up clients come from.
pub const SIGNUP_SOURCE: &str = "online booking";

fn merge(into: &mut FieldErrors, from: FieldErrors) {
    for (field, messages) in from.0 {
        // The account's name is the client's first and family name, reported there.
        if field == "name" && (into.has("first_name") || into.has("last_name")) {
            continue;
        }
        if into.has(&field) {
            continue;
        }
        for m in messages {
            into.add(field.clone(), m);
        }
    }
}

/// A taken email is a mistake in the email field of the form.
fn email_field(e: AppError) -> AppError {
    match e {
        AppError::Conflict { detail, .. } => AppError::field("email", detail),
        other => other,
    }
}

/// Signs a client up themself: in one transaction a `client`-role account and a client record
/// (status `lead`, source `online booking`) linked to it, with their audit events, and a session.
/// Fields are checked by the same rules as `POST /users` and `POST /clients`, all at once.
pub async fn sign_up_client(
    state: &AppState,
    org: &Organization,
    input: ClientSignup,
    origin: RequestOrigin,
) -> AppResult<NewLogin> {
    let org_id = OrgId(org.id);
    let mut errors = FieldErrors::new();
    let client = CreateClient {
        first_name: input.first_name.clone(),
        last_name: input.last_name.clone(),
        email: Some(input.email.clone()),
        phone: None,
        date_of_birth: None,
        status: Some(ClientStatus::Lead),
        source: Some(SIGNUP_SOURCE.to_owned()),
        tags: None,
        goals: None,
        medical_notes: None,
        emergency_contact_name: None,
        emergency_contact_phone: None,
        custom_fields: None,
        trainer_ids: None,
        consent_email: Some(input.consent_email),
        consent_sms: Some(input.consent_sms),
    };
    // Every field of both records is checked before anything is written, so that the form can show
    // every problem at once (the services check them again, cheaply, when creating).
    let fields = match client.clone().validate() {
        Ok((fields, _)) => Some(fields),
        Err(AppError::Validation(e)) => {
            merge(&mut errors, e);
            None
        }
        Err(e) => return Err(e),
    };
    if input.email.trim().is_empty() && !errors.has("email") {
        errors.add("email", "is required");
    }
    let account = CreateUser {
        name: format!("{} {}", input.first_name.trim(), input.last_name.trim()),
        email: input.email,
        role: Role::Client,
        password: input.password,
        active: None,
    };
    let new_user = match account.validate().await {
        Ok(u) => Some(u),
        Err(AppError::Validation(e)) => {
            merge(&mut errors, e);
            None
        }
        Err(e) => return Err(e),
    };
    let (Some(_), Some(new_user), true) = (fields, new_user, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };

    let txn = state.db.begin_write().await?;
    let device = origin.clone();
    let (user, actor) = user_service::create_own_client_account_in(&txn, org_id, origin, new_user)
        .await
        .map_err(email_field)?;
    let client = client_service::create_client_for_account_in(&txn, &actor, client, user.id)
        .await
        .map_err(email_field)?;
    let (token, expires_at) = auth_repo::create_session(
        &txn,
        org_id,
        user.id,
        state.config.session_absolute_timeout,
        &device,
        false,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(org.id = %org_id, user.id = %user.id, client.id = %client.id, "client signed up online");
    Ok(NewLogin {
        token,
        expires_at,
        user,
    })
}
