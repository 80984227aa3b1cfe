//! Email through the outbox: a message is written in the transaction of the change that causes it,
//! with the job that sends it ([`crate::jobs`]), so that a rolled-back change sends nothing and a
//! committed one is sent even if the instance dies right after. The send job hands it to the mail
//! server over SMTP ([`transport`]) and records it as sent; a sent message is not sent again. With
//! no mail server configured, messages are held (listed to owners and admins on the jobs page) and
//! go out once one is.

pub mod model;
pub mod repo;
pub mod service;
pub mod transport;

pub use model::{Email, MailStatus, OutboxMessage};
