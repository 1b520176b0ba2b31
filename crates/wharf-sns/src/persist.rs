//! How SNS state is laid out in the store (format version 1). Values are JSON with `"v":1`.
//!
//! | keyspace           | key                              | value                                           |
//! |--------------------|----------------------------------|-------------------------------------------------|
//! | `SnsTopics`        | topic name                       | [`TopicRecord`]: attributes, tags, counters      |
//! | `SnsSubscriptions` | subscription ARN                 | [`SubscriptionRecord`]: endpoint, attributes, token, confirmation |
//! | `SnsMeta`          | `dedup/<topic>\0<key>`           | FIFO dedup entry (expiry, message id, sequence)  |
//! | `SnsMeta`          | `archive/<topic>\0<publish ms, 8 B BE><seq, 8 B BE>` | [`crate::archive::ArchivedMessage`]: a FIFO topic's archived message |
//! | `SnsMeta`          | `replay/<subscription ARN>`      | [`crate::archive::ReplayRecord`]: a subscription's message replay |
//! | `SnsMeta`          | `outbox/<seq, 16 hex digits>`    | [`crate::OutboxEntry`]: email/SMS/push/Lambda/Firehose deliveries |
//! | `SnsMeta`          | `app/<arn>`, `endpoint/<arn>`    | platform applications and endpoints             |
//! | `SnsMeta`          | `sms-attributes`, `sandbox/<number>` | SMS settings and sandbox numbers            |
//! | `SnsDeliveries`    | delivery id (8 B big-endian)     | [`crate::delivery::DeliveryRecord`]: pending HTTP/S or retried SQS delivery |
//! | `Meta`             | `sns/signing-key`                | [`crate::signing::KeyRecord`]: the signing key (PKCS#8 PEM) and certificate |

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wharf_store::{Batch, Keyspace};

use crate::{DedupEntry, Subscription, TopicEntry};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopicRecord {
    pub v: u32,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub data_protection_policy: Option<String>,
    pub subscriptions_deleted: u64,
    pub created_millis: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    pub v: u32,
    pub arn: String,
    pub topic_arn: String,
    pub topic_name: String,
    pub protocol: String,
    pub endpoint: String,
    pub owner: String,
    pub attributes: BTreeMap<String, String>,
    pub confirmed: bool,
    pub token: String,
    pub authenticated: bool,
    pub created_millis: u64,
}

pub(crate) fn json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing these plain structs cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

pub fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

pub(crate) fn put_topic(batch: &mut Batch, entry: &TopicEntry) {
    let record = TopicRecord {
        v: FORMAT_VERSION,
        name: entry.topic.name.clone(),
        attributes: entry.attributes.clone(),
        tags: entry.tags.clone(),
        data_protection_policy: entry.data_protection_policy.clone(),
        subscriptions_deleted: entry.subscriptions_deleted,
        created_millis: entry.created_millis,
    };
    batch.put(
        Keyspace::SnsTopics,
        entry.topic.name.as_bytes().to_vec(),
        json(&record),
    );
}

pub(crate) fn delete_topic(batch: &mut Batch, name: &str) {
    batch.delete(Keyspace::SnsTopics, name.as_bytes().to_vec());
    batch.delete_prefix(Keyspace::SnsMeta, dedup_prefix(name));
    crate::archive::delete_archive(batch, name);
}

pub(crate) fn put_subscription(batch: &mut Batch, sub: &Subscription) {
    let record = SubscriptionRecord {
        v: FORMAT_VERSION,
        arn: sub.arn.clone(),
        topic_arn: sub.topic_arn.clone(),
        topic_name: sub.topic_name.clone(),
        protocol: sub.protocol.clone(),
        endpoint: sub.endpoint.clone(),
        owner: sub.owner.clone(),
        attributes: sub.attributes.clone(),
        confirmed: sub.confirmed,
        token: sub.token.clone(),
        authenticated: sub.authenticated,
        created_millis: sub.created_millis,
    };
    batch.put(
        Keyspace::SnsSubscriptions,
        sub.arn.as_bytes().to_vec(),
        json(&record),
    );
}

pub(crate) fn delete_subscription(batch: &mut Batch, arn: &str) {
    batch.delete(Keyspace::SnsSubscriptions, arn.as_bytes().to_vec());
}

pub(crate) fn dedup_prefix(topic: &str) -> Vec<u8> {
    format!("dedup/{topic}\u{0}").into_bytes()
}

pub(crate) fn dedup_key(topic: &str, key: &str) -> Vec<u8> {
    let mut out = dedup_prefix(topic);
    out.extend_from_slice(key.as_bytes());
    out
}

pub(crate) fn put_dedup(batch: &mut Batch, topic: &str, key: &str, entry: &DedupEntry) {
    batch.put(Keyspace::SnsMeta, dedup_key(topic, key), json(entry));
}

pub(crate) fn delete_dedup(batch: &mut Batch, topic: &str, key: &str) {
    batch.delete(Keyspace::SnsMeta, dedup_key(topic, key));
}

pub(crate) fn outbox_key(seq: u64) -> Vec<u8> {
    format!("outbox/{seq:016x}").into_bytes()
}

pub(crate) fn delivery_key(id: u64) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}
