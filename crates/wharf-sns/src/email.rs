//! Email and email-json deliveries through the SMTP relay of [`crate::SmtpConfig`] (lettre, tokio, rustls
//! with ring for STARTTLS and for SMTPS, i.e. implicit TLS on port 465). Server certificates are verified
//! against the system's roots unless the config accepts invalid ones. Each delivery is a durable record like an HTTP one ([`crate::delivery`]), retried
//! per AWS's policy for customer-managed endpoints ([`crate::delivery::CUSTOMER_ENDPOINT_POLICY`]): a
//! transient SMTP answer (4xx) or a connection failure is retried, a permanent one (5xx) is not.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::delivery::Outcome;
use crate::error::{SnsError, SnsResult};
use crate::SmtpConfig;

/// The subject of a notification email published without one.
pub const DEFAULT_SUBJECT: &str = "AWS Notification Message";
/// The subject of a subscription confirmation email.
pub const CONFIRMATION_SUBJECT: &str = "AWS Notification - Subscription Confirmation";
/// An SMTP exchange that takes longer fails (and is retried).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The SMTP transport and the sender address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> SnsResult<Mailer> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| SnsError::internal(format!("invalid SMTP from address: {e}")))?;
        if config.starttls && config.implicit_tls {
            return Err(SnsError::internal(
                "SMTP: starttls and implicit_tls exclude each other",
            ));
        }
        let tls = || {
            TlsParameters::builder(config.host.clone())
                .dangerous_accept_invalid_certs(config.accept_invalid_certs)
                .build()
                .map_err(|e| SnsError::internal(format!("SMTP TLS setup failed: {e}")))
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host);
        let builder = if config.implicit_tls {
            // SMTPS (RFC 8314): the connection is TLS from the start.
            builder.tls(Tls::Wrapper(tls()?))
        } else if config.starttls {
            // STARTTLS is required: no credentials or mail go out over a connection it cannot upgrade.
            builder.tls(Tls::Required(tls()?))
        } else {
            builder
        };
        let mut builder = builder.port(config.port).timeout(Some(SMTP_TIMEOUT));
        if let Some(username) = &config.username {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                config.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one plain-text message to `to`, dated `date_millis` (when SNS accepted it).
    pub(crate) async fn send(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        date_millis: u64,
    ) -> Outcome {
        let to: Mailbox = match to.parse() {
            Ok(to) => to,
            Err(error) => return Outcome::Failed(format!("invalid recipient: {error}")),
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .date(std::time::UNIX_EPOCH + Duration::from_millis(date_millis))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string());
        let message = match message {
            Ok(message) => message,
            Err(error) => return Outcome::Failed(format!("invalid message: {error}")),
        };
        match self.transport.send(message).await {
            Ok(_) => Outcome::Delivered,
            Err(error) if error.is_permanent() => Outcome::Failed(format!("SMTP: {error}")),
            Err(error) => Outcome::Retry(format!("SMTP: {error}")),
        }
    }
}

/// The text of an `email` notification: the message, then the unsubscribe link.
pub fn notification_text(message: &str, unsubscribe_url: &str) -> String {
    format!(
        "{message}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n{unsubscribe_url}\n\nPlease do not reply directly to this email. If you have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support"
    )
}

/// The text of an `email` subscription confirmation.
pub fn confirmation_text(topic_arn: &str, subscribe_url: &str) -> String {
    format!(
        "You have chosen to subscribe to the topic:\n{topic_arn}\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n{subscribe_url}"
    )
}
