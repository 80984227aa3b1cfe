//! Handing a message to the mail server over SMTP (`lettre`).

use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::model::OutboxMessage;

/// A mail server and the sender of every message.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: never shown.
        f.debug_struct("Smtp").finish_non_exhaustive()
    }
}

/// `smtp://` (STARTTLS when offered), `smtp+starttls://` (STARTTLS required) or `smtps://` (TLS from
/// the start) in lettre's terms.
fn lettre_url(url: &str) -> Result<String, String> {
    let with = |rest: &str, tls: &str| {
        let sep = if rest.contains('?') { '&' } else { '?' };
        format!("smtp://{rest}{sep}tls={tls}")
    };
    if let Some(rest) = url.strip_prefix("smtp+starttls://") {
        Ok(with(rest, "required"))
    } else if let Some(rest) = url.strip_prefix("smtp://") {
        Ok(if rest.contains("tls=") {
            url.to_owned()
        } else {
            with(rest, "opportunistic")
        })
    } else if url.starts_with("smtps://") {
        Ok(url.to_owned())
    } else {
        Err("must start with smtp://, smtp+starttls:// or smtps://".into())
    }
}

/// Whether `url` and `from` make a mail server and a sender (for checking the configuration, where
/// no runtime may run yet); the error names what is wrong, never the password.
pub fn check(url: &str, from: &str) -> Result<(), String> {
    from.parse::<Mailbox>()
        .map_err(|e| format!("mail_from: {e}"))?;
    AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(url)?)
        .map(|_| ())
        .map_err(|_| "not a mail server address lettre understands".to_owned())
}

impl Smtp {
    /// The server at `url`, sending as `from`; an error names what is wrong (never the password).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("mail_from: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(url)?)
            .map_err(|_| "not a mail server address lettre understands".to_owned())?
            .build();
        Ok(Self { transport, from })
    }

    /// Hands `message` over. Its `Message-ID` is its outbox id, the same on every try, so that a
    /// message handed over twice (a crash between the server's acceptance and the outbox's record of
    /// it) can be told apart as one by the receiving side.
    pub async fn send(&self, message: &OutboxMessage) -> Result<(), String> {
        let to = message
            .recipient
            .parse::<Mailbox>()
            .map_err(|e| format!("the recipient's address: {e}"))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(format!("<{}@fitnesscrm>", message.id)));
        let email = match &message.body_html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                message.body_text.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(message.body_text.clone()),
        }
        .map_err(|e| format!("the message could not be built: {e}"))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| format!("the mail server: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_schemes_map_to_lettres() {
        assert_eq!(
            lettre_url("smtp://localhost:2525").unwrap(),
            "smtp://localhost:2525?tls=opportunistic"
        );
        assert_eq!(
            lettre_url("smtp+starttls://u:p@mail:587").unwrap(),
            "smtp://u:p@mail:587?tls=required"
        );
        assert_eq!(
            lettre_url("smtps://u:p@mail:465").unwrap(),
            "smtps://u:p@mail:465"
        );
        assert!(lettre_url("http://mail").is_err());
        assert!(check("smtp://localhost:2525", "FitnessCRM <no-reply@example.com>").is_ok());
        assert!(check("smtp://localhost:2525", "not an address").is_err());
        assert!(check("ftp://localhost", "a@example.com").is_err());
    }
}
