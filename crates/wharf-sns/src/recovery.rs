//! Start-up: rebuilds topics, subscriptions, dedup windows, message replays, platform state, the outbox
//! and the delivery queue from the store.

use std::sync::Arc;

use parking_lot::Mutex;
use wharf_store::Keyspace;

use crate::attributes::compile_filter;
use crate::delivery::DeliveryRecord;
use crate::error::SnsResult;
use crate::ops::platform::{
    OutboxEntry, PlatformApplication, PlatformEndpoint, SMS_ATTRIBUTES_KEY,
};
use crate::persist::{self, SubscriptionRecord, TopicRecord};
use crate::{DedupEntry, PublishState, Sns, Subscription, Topic, TopicEntry};

impl Sns {
    pub(crate) fn recover(&self) -> SnsResult<()> {
        let now = self.now();
        let mut registry = self.registry.write();
        for (_, value) in self.store.scan_prefix(Keyspace::SnsTopics, b"")? {
            let Some(record) = persist::parse::<TopicRecord>(&value) else {
                tracing::error!("skipping an unreadable topic record");
                continue;
            };
            let fifo = record.name.ends_with(".fifo");
            let mut publish = PublishState {
                last_seq: now << 16,
                ..PublishState::default()
            };
            for (key, value) in self
                .store
                .scan_prefix(Keyspace::SnsMeta, &persist::dedup_prefix(&record.name))?
            {
                let dedup_key =
                    String::from_utf8_lossy(&key[persist::dedup_prefix(&record.name).len()..])
                        .to_string();
                if let Some(entry) = persist::parse::<DedupEntry>(&value) {
                    if let Some(seq) = entry
                        .sequence_number
                        .as_deref()
                        .and_then(|s| s.parse::<u64>().ok())
                    {
                        publish.last_seq = publish.last_seq.max(seq);
                    }
                    publish.dedup.insert(dedup_key, entry);
                }
            }
            let topic = Arc::new(Topic {
                arn: self.topic_arn_of(&record.name),
                name: record.name.clone(),
                fifo,
                publish: Mutex::new(publish),
                gate: tokio::sync::Mutex::new(()),
            });
            registry.topics.insert(
                record.name.clone(),
                TopicEntry {
                    topic,
                    attributes: record.attributes,
                    tags: record.tags,
                    data_protection_policy: record.data_protection_policy,
                    subscriptions: Vec::new(),
                    subscriptions_deleted: record.subscriptions_deleted,
                    created_millis: record.created_millis,
                },
            );
        }
        let mut subscriptions = Vec::new();
        for (_, value) in self.store.scan_prefix(Keyspace::SnsSubscriptions, b"")? {
            let Some(record) = persist::parse::<SubscriptionRecord>(&value) else {
                tracing::error!("skipping an unreadable subscription record");
                continue;
            };
            let filter = compile_filter(&record.attributes).unwrap_or_else(|error| {
                tracing::error!(subscription = %record.arn, error = %error.reason, "stored filter policy no longer compiles; ignoring it");
                None
            });
            subscriptions.push(Subscription {
                arn: record.arn,
                topic_arn: record.topic_arn,
                topic_name: record.topic_name,
                protocol: record.protocol,
                endpoint: record.endpoint,
                owner: record.owner,
                attributes: record.attributes,
                filter,
                confirmed: record.confirmed,
                token: record.token,
                authenticated: record.authenticated,
                created_millis: record.created_millis,
            });
        }
        subscriptions.sort_by(|a, b| (a.created_millis, &a.arn).cmp(&(b.created_millis, &b.arn)));
        for sub in subscriptions {
            let Some(entry) = registry.topics.get_mut(&sub.topic_name) else {
                tracing::warn!(subscription = %sub.arn, "subscription of a missing topic; skipping");
                continue;
            };
            entry.subscriptions.push(sub.arn.clone());
            if !sub.confirmed {
                registry
                    .pending
                    .insert((sub.expires_millis(), sub.arn.clone()));
            }
            registry
                .subscriptions
                .insert(sub.arn.clone(), Arc::new(sub));
        }
        for (key, value) in self.store.scan_prefix(Keyspace::SnsMeta, b"app/")? {
            if let Some(app) = persist::parse::<PlatformApplication>(&value) {
                registry.platform.applications.insert(app.arn.clone(), app);
            } else {
                tracing::error!(key = %String::from_utf8_lossy(&key), "unreadable platform application");
            }
        }
        for (_, value) in self.store.scan_prefix(Keyspace::SnsMeta, b"endpoint/")? {
            if let Some(endpoint) = persist::parse::<PlatformEndpoint>(&value) {
                registry
                    .platform
                    .endpoints
                    .insert(endpoint.arn.clone(), endpoint);
            }
        }
        if let Some(value) = self.store.get(Keyspace::SnsMeta, SMS_ATTRIBUTES_KEY)? {
            if let Some(attributes) = persist::parse(&value) {
                registry.platform.sms_attributes = attributes;
            }
        }
        for (key, value) in self.store.scan_prefix(Keyspace::SnsMeta, b"sandbox/")? {
            let number = String::from_utf8_lossy(&key["sandbox/".len()..]).to_string();
            registry
                .platform
                .sandbox_numbers
                .insert(number, String::from_utf8_lossy(&value).to_string());
        }
        drop(registry);
        {
            // Replays: an unfinished one resumes after its cursor once the worker starts.
            let mut replays = self.replays.lock();
            for (_, value) in self
                .store
                .scan_prefix(Keyspace::SnsMeta, crate::archive::REPLAY_PREFIX)?
            {
                match persist::parse::<crate::archive::ReplayRecord>(&value) {
                    Some(record) => {
                        self.set_replay_generation(record.generation);
                        replays.insert(record.subscription_arn.clone(), record);
                    }
                    None => tracing::error!("skipping an unreadable replay record"),
                }
            }
        }
        {
            let mut outbox = self.outbox.lock();
            for (_, value) in self.store.scan_prefix(Keyspace::SnsMeta, b"outbox/")? {
                if let Some(entry) = persist::parse::<OutboxEntry>(&value) {
                    self.set_outbox_seq(entry.seq);
                    outbox.push_back(entry);
                }
            }
        }
        for (_, value) in self.store.scan_prefix(Keyspace::SnsDeliveries, b"")? {
            match persist::parse::<DeliveryRecord>(&value) {
                Some(record) => self.recover_delivery(record),
                None => tracing::error!("skipping an unreadable delivery record"),
            }
        }
        Ok(())
    }
}
