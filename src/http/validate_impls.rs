//! [`Validate`] for every API request body, in one place so the domains need not know about it.
//! Types with rules call their own validation; the rest keep the empty default. A new body type used
//! with [`crate::http::ApiJson`] gets its line here.

use crate::http::json::{Validate, errors_of};
use crate::{auth, clients, organizations, scheduling, trainers, users};

impl Validate for clients::model::CreateClient {
    async fn field_errors(self) -> crate::error::FieldErrors {
        errors_of(self.validate())
    }
}

impl Validate for clients::model::UpdateClient {
    async fn field_errors(self) -> crate::error::FieldErrors {
        errors_of(self.validate())
    }
}

impl Validate for trainers::model::CreateTrainer {
    async fn field_errors(self) -> crate::error::FieldErrors {
        // The organization's currency is not known here; any valid code stands in for it.
        errors_of(self.validate("EUR"))
    }
}

impl Validate for trainers::model::UpdateTrainer {
    async fn field_errors(self) -> crate::error::FieldErrors {
        errors_of(self.validate())
    }
}

impl Validate for users::model::CreateUser {
    async fn field_errors(self) -> crate::error::FieldErrors {
        // Hashes nothing: validation stops before hashing when a field is bad.
        errors_of(self.validate().await)
    }
}

impl Validate for users::model::UpdateUser {
    async fn field_errors(self) -> crate::error::FieldErrors {
        errors_of(self.validate("").await)
    }
}

impl Validate for clients::routes::AssignTrainer {}
impl Validate for clients::notes::CreateNote {}
impl Validate for scheduling::classes::BookClass {}
impl Validate for scheduling::classes::CreateClass {}
impl Validate for scheduling::sessions::CheckIn {}
impl Validate for scheduling::sessions::CreateSession {}
impl Validate for scheduling::sessions::UpdateSession {}
impl Validate for scheduling::series::CreateSeries {}
impl Validate for scheduling::locations::LocationInput {}
impl Validate for scheduling::hours::WorkingHours {}
impl Validate for scheduling::hours::CreateTimeOff {}
impl Validate for auth::api_keys::CreateApiKey {}
impl Validate for auth::routes::SignupRequest {}
impl Validate for auth::routes::LoginRequest {}
impl Validate for auth::routes::PasswordChange {}
impl Validate for auth::reset::routes::PasswordResetRequest {}
impl Validate for auth::reset::routes::PasswordResetConfirm {}
impl Validate for auth::mfa::routes::ConfirmTotp {}
impl Validate for auth::mfa::routes::DisableTotp {}
impl Validate for organizations::model::UpdateOrganization {}
