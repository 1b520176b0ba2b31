//! The JSON documents SNS hands to subscribers: `Notification` (the envelope SQS and HTTP/S subscribers
//! receive unless raw delivery is on), `SubscriptionConfirmation` and `UnsubscribeConfirmation`, laid out
//! as AWS lays them out (`"Key" : value`, two-space indent, AWS's member order).
//!
//! Signatures: `SignatureVersion` is the topic's (`1` = SHA1withRSA, `2` = SHA256withRSA). Wharf does not yet
//! sign with an RSA key: `Signature` carries a base64 SHA-1/SHA-256 digest of AWS's canonical string to
//! sign (see [`string_to_sign`]), and `SigningCertURL` points at `<base>/_wharf/sns/SimpleNotificationService.pem`,
//! which is not served. Consumers that verify SNS signatures must skip verification against Wharf.

use base64::Engine as _;
use serde_json::Value;
use sha2::Digest;

use crate::model::MessageAttributes;
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

/// The placeholder signature (a digest, not an RSA signature; see the module docs).
pub fn signature(canonical: &str, version: &str) -> String {
    let digest: Vec<u8> = if version == "2" {
        sha2::Sha256::digest(canonical.as_bytes()).to_vec()
    } else {
        // Without a SHA-1 implementation at hand, version 1 uses the first 20 bytes of SHA-512.
        sha2::Sha512::digest(canonical.as_bytes())[..20].to_vec()
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
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

/// The `Notification` envelope.
pub fn notification(base_url: &str, n: &Notification<'_>) -> String {
    let timestamp = iso8601(n.timestamp_millis);
    let canonical = string_to_sign(&[
        ("Message", Some(n.message)),
        ("MessageId", Some(n.message_id)),
        ("Subject", n.subject),
        ("Timestamp", Some(&timestamp)),
        ("TopicArn", Some(n.topic_arn)),
        ("Type", Some("Notification")),
    ]);
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
    doc.text("SignatureVersion", n.signature_version);
    doc.text("Signature", &signature(&canonical, n.signature_version));
    doc.text("SigningCertURL", &signing_cert_url(base_url));
    doc.text(
        "UnsubscribeURL",
        &unsubscribe_url(base_url, n.subscription_arn),
    );
    if !n.attributes.is_empty() {
        doc.field("MessageAttributes", &attributes_json(n.attributes));
    }
    doc.finish()
}

/// A `SubscriptionConfirmation` or `UnsubscribeConfirmation` message.
#[allow(clippy::too_many_arguments)]
pub fn confirmation(
    base_url: &str,
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
    doc.text("Signature", &signature(&canonical, signature_version));
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
        let text = notification(
            "http://localhost:4566",
            &Notification {
                message_id: "m-1",
                topic_arn: "arn:aws:sns:us-east-1:000000000000:t",
                subject: Some("Hi \"there\""),
                message: "line1\nline2",
                timestamp_millis: 1_335_920_046_655,
                sequence_number: None,
                subscription_arn: "arn:aws:sns:us-east-1:000000000000:t:abc",
                attributes: &attributes,
                signature_version: "1",
            },
        );
        assert!(text.starts_with("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"m-1\",\n"));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["Subject"], "Hi \"there\"");
        assert_eq!(value["Message"], "line1\nline2");
        assert_eq!(value["Timestamp"], "2012-05-02T00:54:06.655Z");
        assert_eq!(value["SignatureVersion"], "1");
        assert!(!value["Signature"].as_str().unwrap().is_empty());
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
        let text = confirmation(
            "http://h:1",
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
