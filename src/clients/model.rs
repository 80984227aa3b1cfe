//! The client file: the client, its lifecycle status, and the request types with their validation.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, FieldErrors};
use crate::validation::{
    EmailAddress, double_option, parse_custom_fields, parse_date_of_birth, parse_long_text,
    parse_phone, parse_tags, parse_text,
};

/// Where a client is in their lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClientStatus {
    /// Interested, not yet training.
    Lead,
    /// On a trial.
    Trial,
    /// Training.
    Active,
    /// Taking a break.
    Paused,
    /// Gone.
    Churned,
}

impl ClientStatus {
    /// Every status in lifecycle order.
    pub const ALL: [ClientStatus; 5] = [
        ClientStatus::Lead,
        ClientStatus::Trial,
        ClientStatus::Active,
        ClientStatus::Paused,
        ClientStatus::Churned,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientStatus::Lead => "lead",
            ClientStatus::Trial => "trial",
            ClientStatus::Active => "active",
            ClientStatus::Paused => "paused",
            ClientStatus::Churned => "churned",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The statuses a client may move to from this one: forward through the lifecycle, a lead or
    /// trial straight to active or churned, a pause back to active, and a churned client back to active.
    pub fn next(self) -> &'static [ClientStatus] {
        use ClientStatus::*;
        match self {
            Lead => &[Trial, Active, Churned],
            Trial => &[Active, Churned],
            Active => &[Paused, Churned],
            Paused => &[Active, Churned],
            Churned => &[Active],
        }
    }

    /// Checks a change of status.
    pub fn check_transition(self, to: ClientStatus) -> Result<(), String> {
        if self == to || self.next().contains(&to) {
            Ok(())
        } else {
            let allowed: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
            Err(format!(
                "cannot change from {} to {}; allowed: {}",
                self.as_str(),
                to.as_str(),
                allowed.join(", ")
            ))
        }
    }
}

/// A trainer working with a client.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assignment {
    /// The trainer.
    pub trainer_id: Uuid,
    /// What they do for the client: primary, secondary, nutrition, physio, ...
    pub role: String,
    /// Since when.
    pub assigned_at: DateTime<Utc>,
}

/// A person the business trains (or hopes to).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Client {
    /// Id.
    pub id: Uuid,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Email, lower case; unique in the organization.
    pub email: Option<String>,
    /// Phone, digits with an optional leading +.
    pub phone: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// Lifecycle status.
    pub status: ClientStatus,
    /// Where the client came from: walk-in, website, referral, import, api, ...
    pub source: Option<String>,
    /// Labels.
    pub tags: Vec<String>,
    /// What the client wants to achieve.
    pub goals: Option<String>,
    /// Health information. Present only for owners, admins and the client's trainers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub medical_notes: Option<Option<String>>,
    /// Who to call in an emergency.
    pub emergency_contact_name: Option<String>,
    /// Their phone.
    pub emergency_contact_phone: Option<String>,
    /// The organization's own fields: a flat object.
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// The trainers assigned to the client.
    pub trainer_ids: Vec<Uuid>,
    /// The assignments with their roles.
    pub trainers: Vec<Assignment>,
    /// The client's portal account, if any.
    pub user_id: Option<Uuid>,
    /// Marketing email consent.
    pub consent_email: bool,
    /// Marketing SMS consent.
    pub consent_sms: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// `POST /api/v1/clients`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: String,
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: String,
    /// Email; unique in the organization.
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    #[schema(max_length = 30)]
    pub phone: Option<String>,
    /// In the past, after 1900.
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
    /// Default `lead`.
    #[serde(default)]
    pub status: Option<ClientStatus>,
    /// Default `api`.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub source: Option<String>,
    /// Up to 20 tags of up to 40 characters.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Up to 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub goals: Option<String>,
    /// Up to 10,000 characters; owners, admins and trainers only.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub medical_notes: Option<String>,
    /// 1–100 characters.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub emergency_contact_name: Option<String>,
    /// Phone.
    #[serde(default)]
    #[schema(max_length = 30)]
    pub emergency_contact_phone: Option<String>,
    /// A flat object of up to 50 keys and 16 KiB.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// Trainers to assign (the first as primary).
    #[serde(default)]
    pub trainer_ids: Option<Vec<Uuid>>,
    /// Marketing email consent (default false).
    #[serde(default)]
    pub consent_email: Option<bool>,
    /// Marketing SMS consent (default false).
    #[serde(default)]
    pub consent_sms: Option<bool>,
}

/// `PATCH /api/v1/clients/{id}`: every field optional; `null` clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClient {
    /// 1–100 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: Option<String>,
    /// 1–100 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: Option<String>,
    /// Email.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Email, max_length = 254)]
    pub email: Option<Option<String>>,
    /// Phone.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 30)]
    pub phone: Option<Option<String>>,
    /// Date of birth.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub date_of_birth: Option<Option<NaiveDate>>,
    /// A new status; only lifecycle moves are allowed.
    #[serde(default)]
    pub status: Option<ClientStatus>,
    /// Source.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 40)]
    pub source: Option<Option<String>>,
    /// Replaces the tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Goals.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub goals: Option<Option<String>>,
    /// Health information; owners, admins and trainers only.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub medical_notes: Option<Option<String>>,
    /// Emergency contact.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub emergency_contact_name: Option<Option<String>>,
    /// Emergency phone.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 30)]
    pub emergency_contact_phone: Option<Option<String>>,
    /// Replaces the custom fields.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// Marketing email consent.
    #[serde(default)]
    pub consent_email: Option<bool>,
    /// Marketing SMS consent.
    #[serde(default)]
    pub consent_sms: Option<bool>,
    /// Links (or with null unlinks) the client's portal account: a `client` account of the
    /// organization. Staff and above.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Option<Option<Uuid>>,
    /// The version the change is based on (alternative to `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Validated client fields; `None` leaves a field unchanged on update.
#[derive(Debug, Default, Clone)]
pub struct ClientFields {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Email.
    pub email: Option<Option<EmailAddress>>,
    /// Phone.
    pub phone: Option<Option<String>>,
    /// Date of birth.
    pub date_of_birth: Option<Option<NaiveDate>>,
    /// Status.
    pub status: Option<ClientStatus>,
    /// Source.
    pub source: Option<Option<String>>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Goals.
    pub goals: Option<Option<String>>,
    /// Medical notes.
    pub medical_notes: Option<Option<String>>,
    /// Emergency contact.
    pub emergency_contact_name: Option<Option<String>>,
    /// Emergency phone.
    pub emergency_contact_phone: Option<Option<String>>,
    /// Custom fields.
    pub custom_fields: Option<Map<String, Value>>,
    /// Consent to marketing email.
    pub consent_email: Option<bool>,
    /// Consent to marketing SMS.
    pub consent_sms: Option<bool>,
    /// Portal account.
    pub user_id: Option<Option<Uuid>>,
}

impl ClientFields {
    /// The names of the fields this change sets (for the audit trail: names, never values).
    pub fn changed_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut add = |set: bool, name: &str| {
            if set {
                names.push(name.to_owned());
            }
        };
        add(self.first_name.is_some(), "first_name");
        add(self.last_name.is_some(), "last_name");
        add(self.email.is_some(), "email");
        add(self.phone.is_some(), "phone");
        add(self.date_of_birth.is_some(), "date_of_birth");
        add(self.status.is_some(), "status");
        add(self.source.is_some(), "source");
        add(self.tags.is_some(), "tags");
        add(self.goals.is_some(), "goals");
        add(self.medical_notes.is_some(), "medical_notes");
        add(
            self.emergency_contact_name.is_some(),
            "emergency_contact_name",
        );
        add(
            self.emergency_contact_phone.is_some(),
            "emergency_contact_phone",
        );
        add(self.custom_fields.is_some(), "custom_fields");
        add(self.consent_email.is_some(), "consent_email");
        add(self.consent_sms.is_some(), "consent_sms");
        add(self.user_id.is_some(), "user_id");
        names
    }
}

/// A source label: lower case, 1–40 characters.
pub fn parse_source(raw: &str) -> Result<String, String> {
    parse_text(raw, 40).map(|s| s.to_lowercase())
}

impl UpdateClient {
    /// Checks every field at once.
    pub fn validate(self) -> Result<ClientFields, AppError> {
        let mut e = FieldErrors::new();
        let dob = match self.date_of_birth {
            Some(Some(d)) => e.check("date_of_birth", parse_date_of_birth(d)).map(Some),
            other => other,
        };
        let fields = ClientFields {
            first_name: self
                .first_name
                .and_then(|v| e.check("first_name", parse_text(&v, 100))),
            last_name: self
                .last_name
                .and_then(|v| e.check("last_name", parse_text(&v, 100))),
            email: e.optional("email", self.email, EmailAddress::parse),
            phone: e.optional("phone", self.phone, parse_phone),
            date_of_birth: dob,
            status: self.status,
            source: e.optional("source", self.source, parse_source),
            tags: self.tags.and_then(|t| e.check("tags", parse_tags(&t))),
            goals: e.optional("goals", self.goals, |s| {
                parse_long_text(s, 2000).map(Option::unwrap_or_default)
            }),
            medical_notes: e.optional("medical_notes", self.medical_notes, |s| {
                parse_long_text(s, 10_000).map(Option::unwrap_or_default)
            }),
            emergency_contact_name: e.optional(
                "emergency_contact_name",
                self.emergency_contact_name,
                |s| parse_text(s, 100),
            ),
            emergency_contact_phone: e.optional(
                "emergency_contact_phone",
                self.emergency_contact_phone,
                parse_phone,
            ),
            custom_fields: self
                .custom_fields
                .and_then(|m| e.check("custom_fields", parse_custom_fields(&m))),
            consent_email: self.consent_email,
            consent_sms: self.consent_sms,
            user_id: self.user_id,
        };
        e.into_result(fields)
    }
}

impl CreateClient {
    /// Checks every field at once and fills in the defaults of a new client.
    pub fn validate(self) -> Result<(ClientFields, Vec<Uuid>), AppError> {
        let trainer_ids = self.trainer_ids.unwrap_or_default();
        let update = UpdateClient {
            first_name: Some(self.first_name),
            last_name: Some(self.last_name),
            email: Some(self.email),
            phone: Some(self.phone),
            date_of_birth: Some(self.date_of_birth),
            status: Some(self.status.unwrap_or(ClientStatus::Lead)),
            source: Some(Some(self.source.unwrap_or_else(|| "api".into()))),
            tags: Some(self.tags.unwrap_or_default()),
            goals: Some(self.goals),
            medical_notes: Some(self.medical_notes),
            emergency_contact_name: Some(self.emergency_contact_name),
            emergency_contact_phone: Some(self.emergency_contact_phone),
            custom_fields: Some(self.custom_fields.unwrap_or_default()),
            consent_email: Some(self.consent_email.unwrap_or(false)),
            consent_sms: Some(self.consent_sms.unwrap_or(false)),
            user_id: None,
            version: None,
        };
        let mut fields = update.validate()?;
        // A new client that is not given medical notes has none, and that is not a change to report.
        if fields.medical_notes == Some(None) {
            fields.medical_notes = None;
        }
        if trainer_ids.len() > 20 {
            return Err(AppError::field(
                "trainer_ids",
                "must have at most 20 trainers",
            ));
        }
        Ok((fields, trainer_ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ClientStatus::*;

    #[test]
    fn the_lifecycle_moves_forward_and_back_to_active() {
        assert!(Lead.check_transition(Trial).is_ok());
        assert!(Trial.check_transition(Active).is_ok());
        assert!(Active.check_transition(Paused).is_ok());
        assert!(Paused.check_transition(Active).is_ok());
        assert!(Paused.check_transition(Churned).is_ok());
        assert!(Churned.check_transition(Active).is_ok());
        assert!(Active.check_transition(Lead).is_err());
        assert!(Churned.check_transition(Trial).is_err());
        assert!(Active.check_transition(Active).is_ok());
    }
}
