//! FIFO topic message archiving and replay over a real SQS engine, with an injected clock: retention
//! expiry, replay windows, and a replay that resumes after a restart.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use wharf_sns::archive::DAY_MILLIS;
use wharf_sns::model::*;
use wharf_sns::util::iso8601;
use wharf_sns::{Sns, SnsConfig};
use wharf_sqs::{ManualClock, Sqs, SqsConfig};
use wharf_store::{Keyspace, Store};

const START: u64 = 1_700_000_000_000;
const ACCOUNT: &str = "000000000000";

struct World {
    sns: Arc<Sns>,
    sqs: Arc<Sqs>,
    store: Store,
}

fn world_on(store: Store, clock: &ManualClock) -> World {
    let sqs = Sqs::open(SqsConfig::default(), Arc::new(clock.clone()), store.clone()).unwrap();
    let sns = Sns::open(
        SnsConfig::default(),
        Arc::new(clock.clone()),
        store.clone(),
        Arc::clone(&sqs),
    )
    .unwrap();
    World { sns, sqs, store }
}

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl World {
    async fn archived_topic(&self, name: &str, days: u64) -> String {
        let policy = format!(r#"{{"MessageRetentionPeriod":{days}}}"#);
        self.sns
            .create_topic(CreateTopicInput {
                name: Some(name.into()),
                attributes: attrs(&[("FifoTopic", "true"), ("ArchivePolicy", &policy)]),
                ..Default::default()
            })
            .await
            .unwrap()
            .topic_arn
    }

    async fn fifo_queue(&self, name: &str) -> (String, String) {
        let url = self
            .sqs
            .create_queue(wharf_sqs::model::CreateQueueInput {
                queue_name: Some(name.into()),
                attributes: attrs(&[("FifoQueue", "true")]),
                tags: Default::default(),
            })
            .await
            .unwrap()
            .queue_url;
        (url, format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"))
    }

    async fn subscribe(&self, topic: &str, queue_arn: &str, replay: Option<&str>) -> String {
        let mut attributes = BTreeMap::new();
        if let Some(policy) = replay {
            attributes.insert("ReplayPolicy".to_string(), policy.to_string());
        }
        self.sns
            .subscribe(SubscribeInput {
                topic_arn: Some(topic.into()),
                protocol: Some("sqs".into()),
                endpoint: Some(queue_arn.into()),
                attributes,
                return_subscription_arn: true,
            })
            .await
            .unwrap()
            .subscription_arn
    }

    async fn publish(&self, topic: &str, body: &str) -> PublishOutput {
        self.sns
            .publish(PublishInput {
                topic_arn: Some(topic.into()),
                message: Some(body.into()),
                message_group_id: Some("g".into()),
                message_deduplication_id: Some(body.into()),
                ..Default::default()
            })
            .await
            .unwrap()
    }

    fn archived(&self, topic: &str) -> usize {
        let name = topic.rsplit(':').next().unwrap();
        self.store
            .scan_prefix(Keyspace::SnsMeta, format!("archive/{name}\0").as_bytes())
            .unwrap()
            .len()
    }

    fn status(&self, subscription: &str) -> Option<String> {
        self.sns
            .get_subscription_attributes(SubscriptionArnInput {
                subscription_arn: Some(subscription.into()),
            })
            .unwrap()
            .attributes
            .get("ReplayStatus")
            .cloned()
    }

    async fn wait_completed(&self, subscription: &str) {
        for _ in 0..200 {
            if self.status(subscription).as_deref() == Some("Completed") {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!(
            "the replay did not complete: {:?}",
            self.status(subscription)
        );
    }

    /// Bodies of the notifications in a queue (each must be marked as replayed).
    async fn replayed(&self, url: &str) -> Vec<String> {
        let messages = self
            .sqs
            .receive_message(wharf_sqs::model::ReceiveMessageInput {
                queue_url: Some(url.into()),
                max_number_of_messages: Some(10),
                wait_time_seconds: Some(0),
                visibility_timeout: Some(600),
                ..Default::default()
            })
            .await
            .unwrap()
            .messages;
        messages
            .iter()
            .map(|m| {
                let body: Value = serde_json::from_str(&m.body).unwrap();
                assert_eq!(body["Replayed"], Value::Bool(true));
                body["Message"].as_str().unwrap().to_string()
            })
            .collect()
    }
}

fn from(millis: u64) -> String {
    format!(
        r#"{{"PointType":"Timestamp","StartingPoint":"{}"}}"#,
        iso8601(millis)
    )
}

#[tokio::test]
async fn messages_past_the_retention_period_are_deleted_and_not_replayed() {
    let clock = ManualClock::new(START);
    let w = world_on(Store::in_memory(), &clock);
    let _worker = w.sns.start();
    let topic = w.archived_topic("kept.fifo", 2).await;
    w.publish(&topic, "day0-a").await;
    w.publish(&topic, "day0-b").await;
    clock.advance_millis(DAY_MILLIS);
    w.publish(&topic, "day1").await;
    assert_eq!(w.archived(&topic), 3);

    // Two days after the first ones they are past retention: the next publish deletes them.
    clock.advance_millis(DAY_MILLIS + 1);
    w.publish(&topic, "day2").await;
    assert_eq!(w.archived(&topic), 2);

    // Without a publish, a replay still skips what is past retention.
    clock.advance_millis(DAY_MILLIS);
    let (url, queue) = w.fifo_queue("replay.fifo").await;
    // The start must be inside the archive: two days back at most.
    let too_early = w
        .sns
        .subscribe(SubscribeInput {
            topic_arn: Some(topic.clone()),
            protocol: Some("sqs".into()),
            endpoint: Some(queue.clone()),
            attributes: attrs(&[("ReplayPolicy", &from(START))]),
            return_subscription_arn: true,
        })
        .await
        .unwrap_err();
    assert!(too_early.message.contains("BeginningArchiveTime"));
    let start = START + DAY_MILLIS + 1;
    let sub = w.subscribe(&topic, &queue, Some(&from(start))).await;
    w.wait_completed(&sub).await;
    assert_eq!(w.replayed(&url).await, ["day2"]);
}

#[tokio::test]
async fn archiving_off_and_topic_deletion_delete_the_archive() {
    let clock = ManualClock::new(START);
    let w = world_on(Store::in_memory(), &clock);
    let topic = w.archived_topic("off.fifo", 7).await;
    w.publish(&topic, "a").await;
    assert_eq!(w.archived(&topic), 1);
    w.sns
        .set_topic_attributes(SetTopicAttributesInput {
            topic_arn: Some(topic.clone()),
            attribute_name: Some("ArchivePolicy".into()),
            attribute_value: Some("{}".into()),
        })
        .await
        .unwrap();
    assert_eq!(w.archived(&topic), 0);
    w.publish(&topic, "not-archived").await;
    assert_eq!(w.archived(&topic), 0);

    let topic = w.archived_topic("gone.fifo", 7).await;
    w.publish(&topic, "b").await;
    assert_eq!(w.archived(&topic), 1);
    w.sns
        .delete_topic(TopicArnInput {
            topic_arn: Some(topic.clone()),
        })
        .await
        .unwrap();
    assert_eq!(w.archived(&topic), 0);
}

#[tokio::test]
async fn a_replay_left_pending_runs_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let open = || Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
    let clock = ManualClock::new(START);
    let (topic, sub, url) = {
        // No worker: the replay is requested but does not run before the restart.
        let w = world_on(open(), &clock);
        let topic = w.archived_topic("resume.fifo", 1).await;
        for body in ["one", "two", "three"] {
            w.publish(&topic, body).await;
        }
        clock.advance_millis(1000);
        let (url, queue) = w.fifo_queue("resume.fifo").await;
        let sub = w.subscribe(&topic, &queue, Some(&from(START))).await;
        assert_eq!(w.status(&sub).as_deref(), Some("Pending"));
        (topic, sub, url)
    };
    let w = world_on(open(), &clock);
    assert_eq!(w.status(&sub).as_deref(), Some("Pending"));
    let _worker = w.sns.start();
    w.wait_completed(&sub).await;
    assert_eq!(w.replayed(&url).await, ["one", "two", "three"]);
    assert_eq!(w.archived(&topic), 3);
}
