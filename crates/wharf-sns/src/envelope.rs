//! The JSON documents SNS hands to subscribers: `Notification` (the envelope SQS and HTTP/S subscribers
//! receive unless raw delivery is on), `SubscriptionConfirmation` and `UnsubscribeConfirmation`, laid out
//! as AWS lays them out (`"Key" : value`, two-space indent, AWS's member order).
//!
//! Signatures: `SignatureVersion` is the topic's (`1` = SHA1withRSA, `2` = SHA256withRSA); `Signature` is
//! the server key's signature ([`crate::signing`]) of AWS's canonical string to sign ([`string_to_sign`]:
//! the members AWS documents for each message type, in that order, each as `Name\nvalue\n`), and
//! `SigningCertURL` (`<base>/_wharf/sns/SimpleNotificationService.pem`) serves the certificate of its key.

use base64::Engine as _;
use serde_json::Value;

use crate::model::MessageAttributes;
use crate::signing::Signer;
use crate::util::{iso8601, url_encode};

/// One published message as one subscription sees it.
pub struct Notification<'a> {
    pub message_id: &'a str,
    pub topic_arn: &'a str,
    pub subject: Option<&'a str>,
    pub message: &'a str,
    pub timestamp_millis: u64,
    pub sequence_number: Option<&'a str>,
    pub subscription_arn: &'a str,
    pub attributes: &'a MessageAttributes,
    pub signature_version: &'a str,
    /// Delivered again from a FIFO topic's archive (a message replay).
    pub replayed: bool,
}

/// Where subscribers fetch the signing certificate.
pub fn signing_cert_url(base_url: &str) -> String {
    format!("{base_url}/_wharf/sns/SimpleNotificationService.pem")
}

pub fn unsubscribe_url(base_url: &str, subscription_arn: &str) -> String {
    format!(
        "{base_url}/?Action=Unsubscribe&SubscriptionArn={}",
        url_encode(subscription_arn)
    )
}

pub fn subscribe_url(base_url: &str, topic_arn: &str, token: &str) -> String {
    format!(
        "{base_url}/?Action=ConfirmSubscription&TopicArn={}&Token={}",
        url_encode(topic_arn),
        url_encode(token)
    )
}

/// AWS's canonical string to sign: `Name\nvalue\n` for each present member, in this order.
pub fn string_to_sign(fields: &[(&str, Option<&str>)]) -> String {
    let mut out = String::new();
    for (name, value) in fields {
        if let Some(value) = value {
            out.push_str(name);
            out.push('\n');
            out.push_str(value);
            out.push('\n');
        }
    }
    out
}

/// The string to sign of a `Notification`: `Message`, `MessageId`, `Subject` (only when present),
/// `Timestamp`, `TopicArn`, `Type`. It does not depend on the subscription, so one signature serves every
/// subscriber that receives the same message text.
pub fn notification_string_to_sign(n: &Notification<'_>) -> String {
    string_to_sign(&[
        ("Message", Some(n.message)),
        ("MessageId", Some(n.message_id)),
        ("Subject", n.subject),
        ("Timestamp", Some(&iso8601(n.timestamp_millis))),
        ("TopicArn", Some(n.topic_arn)),
        ("Type", Some("Notification")),
    ])
}

fn quote(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

struct Doc(String);

impl Doc {
    fn new() -> Self {
        Doc(String::from("{\n"))
    }
    fn field(&mut self, name: &str, value: &str) {
        if self.0.len() > 2 {
            self.0.push_str(",\n");
        }
        self.0.push_str("  ");
        self.0.push_str(&quote(name));
        self.0.push_str(" : ");
        self.0.push_str(value);
    }
    fn text(&mut self, name: &str, value: &str) {
        self.field(name, &quote(value));
    }
    fn finish(mut self) -> String {
        self.0.push_str("\n}");
        self.0
    }
}

/// The `MessageAttributes` member: `{"name" : {"Type":"String","Value":"v"}}` (binary values base64).
fn attributes_json(attributes: &MessageAttributes) -> String {
    let mut out = String::from("{\n");
    let mut first = true;
    for (name, value) in attributes {
        let text = match (&value.string_value, &value.binary_value) {
            (Some(s), _) => s.clone(),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD.encode(&b.0),
            (None, None) => String::new(),
        };
        if !first {
            out.push_str(",\n");
        }
        first = false;
        out.push_str(&format!(
            "    {} : {{\"Type\":{},\"Value\":{}}}",
            quote(name),
            quote(value.data_type.as_deref().unwrap_or("String")),
            quote(&text)
        ));
    }
    out.push_str("\n  }");
    out
}

/// The `Notification` envelope, with `signature` (the base64 signature of
/// [`notification_string_to_sign`] by the version `n.signature_version` names; see [`Signer::sign`]).
pub fn notification(base_url: &str, n: &Notification<'_>, signature: &str) -> String {
    let timestamp = iso8601(n.timestamp_millis);
    let mut doc = Doc::new();
    doc.text("Type", "Notification");
    doc.text("MessageId", n.message_id);
    if let Some(seq) = n.sequence_number {
        doc.text("SequenceNumber", seq);
    }
    doc.text("TopicArn", n.topic_arn);
    if let Some(subject) = n.subject {
        doc.text("Subject", subject);
    }
    doc.text("Message", n.message);
    doc.text("Timestamp", &timestamp);
    // A FIFO topic's notifications (those with a SequenceNumber) are not signed: AWS sends them without
    // SignatureVersion, Signature and SigningCertURL.
    if n.sequence_number.is_none() {
        doc.text("SignatureVersion", n.signature_version);
        doc.text("Signature", signature);
        doc.text("SigningCertURL", &signing_cert_url(base_url));
    }
    doc.text(
        "UnsubscribeURL",
        &unsubscribe_url(base_url, n.subscription_arn),
    );
    if !n.attributes.is_empty() {
        doc.field("MessageAttributes", &attributes_json(n.attributes));
    }
    if n.replayed {
        doc.field("Replayed", "true");
    }
    doc.finish()
}

/// The event a Lambda function subscribed to a topic receives: one record whose `Sns` member carries the
/// notification's members, with Lambda's casing (`SigningCertUrl`, `UnsubscribeUrl`), `Subject` null
/// when absent and `MessageAttributes` always present.
pub fn lambda_event(base_url: &str, n: &Notification<'_>, signature: &str) -> String {
    let attributes: serde_json::Map<String, Value> = n
        .attributes
        .iter()
        .map(|(name, value)| {
            let text = match (&value.string_value, &value.binary_value) {
                (Some(s), _) => s.clone(),
                (None, Some(b)) => base64::engine::general_purpose::STANDARD.encode(&b.0),
                (None, None) => String::new(),
            };
            let data_type = value.data_type.as_deref().unwrap_or("String");
            (
                name.clone(),
                serde_json::json!({ "Type": data_type, "Value": text }),
            )
        })
        .collect();
    let event = serde_json::json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": n.subscription_arn,
            "Sns": {
                "Type": "Notification",
                "MessageId": n.message_id,
                "TopicArn": n.topic_arn,
                "Subject": n.subject,
                "Message": n.message,
                "Timestamp": iso8601(n.timestamp_millis),
                "SignatureVersion": n.signature_version,
                "Signature": signature,
                "SigningCertUrl": signing_cert_url(base_url),
                "UnsubscribeUrl": unsubscribe_url(base_url, n.subscription_arn),
                "MessageAttributes": attributes,
            }
        }]
    });
    event.to_string()
}

/// A `SubscriptionConfirmation` or `UnsubscribeConfirmation` message, signed by `signer`. Its string to
/// sign is `Message`, `MessageId`, `SubscribeURL`, `Timestamp`, `Token`, `TopicArn`, `Type`.
#[allow(clippy::too_many_arguments)]
pub fn confirmation(
    base_url: &str,
    signer: &Signer,
    kind: &str,
    message_id: &str,
    token: &str,
    topic_arn: &str,
    timestamp_millis: u64,
    signature_version: &str,
) -> String {
    let timestamp = iso8601(timestamp_millis);
    let message = if kind == "SubscriptionConfirmation" {
        format!("You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.")
    } else {
        format!("You have chosen to deactivate subscription to the topic {topic_arn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.")
    };
    let url = subscribe_url(base_url, topic_arn, token);
    let canonical = string_to_sign(&[
        ("Message", Some(&message)),
        ("MessageId", Some(message_id)),
        ("SubscribeURL", Some(&url)),
        ("Timestamp", Some(&timestamp)),
        ("Token", Some(token)),
        ("TopicArn", Some(topic_arn)),
        ("Type", Some(kind)),
    ]);
    let mut doc = Doc::new();
    doc.text("Type", kind);
    doc.text("MessageId", message_id);
    doc.text("Token", token);
    doc.text("TopicArn", topic_arn);
    doc.text("Message", &message);
    doc.text("SubscribeURL", &url);
    doc.text("Timestamp", &timestamp);
    doc.text("SignatureVersion", signature_version);
    doc.text("Signature", &signer.sign(&canonical, signature_version));
    doc.text("SigningCertURL", &signing_cert_url(base_url));
    doc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Blob, MessageAttributeValue};

    #[test]
    fn notification_envelope_has_aws_members_and_layout() {
        let mut attributes = MessageAttributes::new();
        attributes.insert(
            "color".into(),
            MessageAttributeValue {
                data_type: Some("String".into()),
                string_value: Some("blue".into()),
                binary_value: None,
            },
        );
        attributes.insert(
            "raw".into(),
            MessageAttributeValue {
                data_type: Some("Binary".into()),
                string_value: None,
                binary_value: Some(Blob(vec![0, 1, 2])),
            },
        );
        let n = Notification {
            message_id: "m-1",
            topic_arn: "arn:aws:sns:us-east-1:000000000000:t",
            subject: Some("Hi \"there\""),
            message: "line1\nline2",
            timestamp_millis: 1_335_920_046_655,
            sequence_number: None,
            subscription_arn: "arn:aws:sns:us-east-1:000000000000:t:abc",
            attributes: &attributes,
            signature_version: "1",
            replayed: false,
        };
        assert_eq!(
            notification_string_to_sign(&n),
            "Message\nline1\nline2\nMessageId\nm-1\nSubject\nHi \"there\"\nTimestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:aws:sns:us-east-1:000000000000:t\nType\nNotification\n"
        );
        let text = notification("http://localhost:4566", &n, "c2ln");
        assert!(text.starts_with("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"m-1\",\n"));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["Subject"], "Hi \"there\"");
        assert_eq!(value["Message"], "line1\nline2");
        assert_eq!(value["Timestamp"], "2012-05-02T00:54:06.655Z");
        assert_eq!(value["SignatureVersion"], "1");
        assert_eq!(value["Signature"], "c2ln");
        assert_eq!(
            value["SigningCertURL"],
            "http://localhost:4566/_wharf/sns/SimpleNotificationService.pem"
        );
        assert_eq!(
            value["UnsubscribeURL"],
            "http://localhost:4566/?Action=Unsubscribe&SubscriptionArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At%3Aabc"
        );
        assert_eq!(value["MessageAttributes"]["color"]["Type"], "String");
        assert_eq!(value["MessageAttributes"]["color"]["Value"], "blue");
        assert_eq!(value["MessageAttributes"]["raw"]["Value"], "AAEC");
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert!(!keys.contains(&"SequenceNumber"));
    }

    #[test]
    fn confirmation_carries_token_and_subscribe_url() {
        let signer = Signer::generate(0).unwrap();
        let text = confirmation(
            "http://h:1",
            &signer,
            "SubscriptionConfirmation",
            "id",
            "tok",
            "arn:aws:sns:us-east-1:000000000000:t",
            0,
            "1",
        );
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["Type"], "SubscriptionConfirmation");
        assert_eq!(value["Token"], "tok");
        assert_eq!(
            value["SubscribeURL"],
            "http://h:1/?Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Token=tok"
        );
        // Signed over Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
        let canonical = string_to_sign(&[
            ("Message", value["Message"].as_str()),
            ("MessageId", Some("id")),
            ("SubscribeURL", value["SubscribeURL"].as_str()),
            ("Timestamp", Some("1970-01-01T00:00:00.000Z")),
            ("Token", Some("tok")),
            ("TopicArn", Some("arn:aws:sns:us-east-1:000000000000:t")),
            ("Type", Some("SubscriptionConfirmation")),
        ]);
        assert_eq!(value["Signature"], signer.sign(&canonical, "1"));
    }

    #[test]
    fn canonical_string() {
        assert_eq!(
            string_to_sign(&[
                ("Message", Some("m")),
                ("Subject", None),
                ("Type", Some("Notification"))
            ]),
            "Message\nm\nType\nNotification\n"
        );
    }
}
