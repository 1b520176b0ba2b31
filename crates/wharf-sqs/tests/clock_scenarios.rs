//! Engine scenarios driven by an injected clock: visibility, delays, retention, dedup windows and the
//! 60-second rules, without sleeping.

use std::sync::Arc;

use wharf_sqs::model::*;
use wharf_sqs::{ErrorKind, ManualClock, Sqs, SqsConfig};
use wharf_store::{FsyncPolicy, Store};

const START: u64 = 1_700_000_000_000;

fn engine() -> (Arc<Sqs>, ManualClock) {
    let clock = ManualClock::new(START);
    let sqs = Sqs::open(
        SqsConfig::default(),
        Arc::new(clock.clone()),
        Store::in_memory(),
    )
    .unwrap();
    (sqs, clock)
}

/// The engine on a durable store in `dir` (reopened by each call: a restart).
fn open_on(dir: &std::path::Path, clock: &ManualClock, fsync: FsyncPolicy) -> (Arc<Sqs>, Store) {
    let store = Store::open(dir, fsync).unwrap();
    let sqs = Sqs::open(SqsConfig::default(), Arc::new(clock.clone()), store.clone()).unwrap();
    (sqs, store)
}

async fn create(sqs: &Sqs, name: &str, attributes: &[(&str, &str)]) -> String {
    sqs.create_queue(CreateQueueInput {
        queue_name: Some(name.into()),
        attributes: attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        tags: Default::default(),
    })
    .await
    .unwrap()
    .queue_url
}

async fn send(
    sqs: &Sqs,
    url: &str,
    body: &str,
    group: Option<&str>,
    dedup: Option<&str>,
) -> SendMessageOutput {
    sqs.send_message(SendMessageInput {
        queue_url: Some(url.into()),
        message_body: Some(body.into()),
        message_group_id: group.map(Into::into),
        message_deduplication_id: dedup.map(Into::into),
        ..Default::default()
    })
    .await
    .unwrap()
}

async fn receive(sqs: &Sqs, url: &str, max: i64, visibility: Option<i64>) -> Vec<ReceivedMessage> {
    sqs.receive_message(ReceiveMessageInput {
        queue_url: Some(url.into()),
        max_number_of_messages: Some(max),
        visibility_timeout: visibility,
        wait_time_seconds: Some(0),
        attribute_names: vec!["All".into()],
        ..Default::default()
    })
    .await
    .unwrap()
    .messages
}

fn counts(sqs: &Sqs, url: &str) -> (String, String, String) {
    let attributes = sqs
        .get_queue_attributes(GetQueueAttributesInput {
            queue_url: Some(url.into()),
            attribute_names: vec!["All".into()],
        })
        .unwrap()
        .attributes;
    (
        attributes["ApproximateNumberOfMessages"].clone(),
        attributes["ApproximateNumberOfMessagesNotVisible"].clone(),
        attributes["ApproximateNumberOfMessagesDelayed"].clone(),
    )
}

#[tokio::test]
async fn visibility_timeout_expiry_redelivers_with_higher_receive_count() {
    let (sqs, clock) = engine();
    let url = create(&sqs, "vis", &[("VisibilityTimeout", "30")]).await;
    send(&sqs, &url, "a", None, None).await;
    let first = receive(&sqs, &url, 1, None).await;
    assert_eq!(first.len(), 1);
    assert_eq!(counts(&sqs, &url), ("0".into(), "1".into(), "0".into()));
    clock.advance_secs(29);
    assert!(receive(&sqs, &url, 1, None).await.is_empty());
    clock.advance_secs(1);
    let again = receive(&sqs, &url, 1, None).await;
    assert_eq!(again[0].attributes["ApproximateReceiveCount"], "2");
    // the first receipt handle is stale now: deleting with it is accepted but deletes nothing
    sqs.delete_message(DeleteMessageInput {
        queue_url: Some(url.clone()),
        receipt_handle: Some(first[0].receipt_handle.clone()),
    })
    .await
    .unwrap();
    assert_eq!(counts(&sqs, &url).1, "1");
    sqs.delete_message(DeleteMessageInput {
        queue_url: Some(url.clone()),
        receipt_handle: Some(again[0].receipt_handle.clone()),
    })
    .await
    .unwrap();
    assert_eq!(counts(&sqs, &url), ("0".into(), "0".into(), "0".into()));
}

#[tokio::test]
async fn change_visibility_rules() {
    let (sqs, clock) = engine();
    let url = create(&sqs, "cv", &[]).await;
    send(&sqs, &url, "a", None, None).await;
    let message = receive(&sqs, &url, 1, None).await.remove(0);
    let change = |timeout: i64| ChangeMessageVisibilityInput {
        queue_url: Some(url.clone()),
        receipt_handle: Some(message.receipt_handle.clone()),
        visibility_timeout: Some(timeout),
    };
    sqs.change_message_visibility(change(100)).await.unwrap();
    clock.advance_secs(99);
    assert!(receive(&sqs, &url, 1, None).await.is_empty());
    let error = sqs
        .change_message_visibility(change(43_200))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ErrorKind::InvalidParameterValue,
        "12 h total limit: {error}"
    );
    sqs.change_message_visibility(change(0)).await.unwrap();
    assert_eq!(receive(&sqs, &url, 1, None).await.len(), 1);
    // An older handle of a message in flight under a newer receive still changes its visibility (as AWS does).
    sqs.change_message_visibility(change(0)).await.unwrap();
    let third = receive(&sqs, &url, 1, None).await.remove(0);
    // Visible again through the latest handle: an older handle no longer applies.
    sqs.change_message_visibility(ChangeMessageVisibilityInput {
        queue_url: Some(url.clone()),
        receipt_handle: Some(third.receipt_handle.clone()),
        visibility_timeout: Some(0),
    })
    .await
    .unwrap();
    let error = sqs.change_message_visibility(change(10)).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::MessageNotInflight);
    // The latest handle of a visible message puts it back in flight.
    sqs.change_message_visibility(ChangeMessageVisibilityInput {
        queue_url: Some(url.clone()),
        receipt_handle: Some(third.receipt_handle.clone()),
        visibility_timeout: Some(10),
    })
    .await
    .unwrap();
    assert!(receive(&sqs, &url, 1, None).await.is_empty());
    clock.advance_secs(10);
    assert_eq!(receive(&sqs, &url, 1, None).await.len(), 1);
}

#[tokio::test]
async fn queue_and_message_delays() {
    let (sqs, clock) = engine();
    let url = create(&sqs, "delay", &[("DelaySeconds", "10")]).await;
    send(&sqs, &url, "queue-delay", None, None).await;
    sqs.send_message(SendMessageInput {
        queue_url: Some(url.clone()),
        message_body: Some("message-delay".into()),
        delay_seconds: Some(2),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(counts(&sqs, &url), ("0".into(), "0".into(), "2".into()));
    clock.advance_secs(2);
    let got = receive(&sqs, &url, 10, None).await;
    assert_eq!(
        got.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        vec!["message-delay"]
    );
    clock.advance_secs(8);
    assert_eq!(receive(&sqs, &url, 10, None).await[0].body, "queue-delay");
}

#[tokio::test]
async fn retention_period_removes_old_messages() {
    let (sqs, clock) = engine();
    let url = create(&sqs, "ret", &[("MessageRetentionPeriod", "60")]).await;
    send(&sqs, &url, "old", None, None).await;
    clock.advance_secs(30);
    send(&sqs, &url, "new", None, None).await;
    clock.advance_secs(30);
    assert_eq!(counts(&sqs, &url).0, "1");
    assert_eq!(receive(&sqs, &url, 10, None).await[0].body, "new");
}

#[tokio::test]
async fn fifo_dedup_window_outlives_delete_and_expires_after_five_minutes() {
    let (sqs, clock) = engine();
    let url = create(&sqs, "d.fifo", &[("FifoQueue", "true")]).await;
    let first = send(&sqs, &url, "x", Some("g"), Some("id-1")).await;
    let message = receive(&sqs, &url, 1, None).await.remove(0);
    sqs.delete_message(DeleteMessageInput {
        queue_url: Some(url.clone()),
        receipt_handle: Some(message.receipt_handle),
    })
    .await
    .unwrap();
    clock.advance_secs(299);
    let duplicate = send(&sqs, &url, "x", Some("g"), Some("id-1")).await;
    assert_eq!(duplicate.message_id, first.message_id);
    assert!(
        receive(&sqs, &url, 1, None).await.is_empty(),
        "duplicate must not be enqueued"
    );
    clock.advance_secs(1);
    let fresh = send(&sqs, &url, "x", Some("g"), Some("id-1")).await;
    assert_ne!(fresh.message_id, first.message_id);
    assert!(fresh.sequence_number > first.sequence_number);
    assert_eq!(receive(&sqs, &url, 1, None).await.len(), 1);
}

#[tokio::test]
async fn fifo_order_survives_visibility_expiry() {
    let (sqs, clock) = engine();
    let url = create(
        &sqs,
        "o.fifo",
        &[("FifoQueue", "true"), ("ContentBasedDeduplication", "true")],
    )
    .await;
    for body in ["1", "2", "3"] {
        send(&sqs, &url, body, Some("g"), None).await;
    }
    let got = receive(&sqs, &url, 1, Some(5)).await;
    assert_eq!(got[0].body, "1");
    assert!(
        receive(&sqs, &url, 10, None).await.is_empty(),
        "group is blocked while 1 is in flight"
    );
    clock.advance_secs(5);
    let got = receive(&sqs, &url, 10, None).await;
    assert_eq!(
        got.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        vec!["1", "2", "3"]
    );
}

#[tokio::test]
async fn redrive_moves_message_after_max_receive_count() {
    let (sqs, clock) = engine();
    let dlq = create(&sqs, "dlq", &[]).await;
    let policy =
        r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":2}"#;
    let url = create(
        &sqs,
        "src",
        &[("RedrivePolicy", policy), ("VisibilityTimeout", "1")],
    )
    .await;
    let sent = send(&sqs, &url, "poison", None, None).await;
    for _ in 0..2 {
        assert_eq!(receive(&sqs, &url, 1, None).await.len(), 1);
        clock.advance_secs(1);
    }
    assert!(receive(&sqs, &url, 1, None).await.is_empty());
    let moved = receive(&sqs, &dlq, 1, None).await.remove(0);
    assert_eq!(moved.message_id, sent.message_id);
    assert_eq!(
        moved.attributes["DeadLetterQueueSourceArn"],
        "arn:aws:sqs:us-east-1:000000000000:src"
    );
    let sources = sqs
        .list_dead_letter_source_queues(ListDeadLetterSourceQueuesInput {
            queue_url: Some(dlq),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(sources.queue_urls, vec![url]);
}

#[tokio::test]
async fn sixty_second_rules_for_purge_and_recreate() {
    let (sqs, clock) = engine();
    let url = create(&sqs, "p", &[]).await;
    send(&sqs, &url, "a", None, None).await;
    sqs.purge_queue(QueueUrlInput {
        queue_url: Some(url.clone()),
    })
    .await
    .unwrap();
    assert_eq!(counts(&sqs, &url).0, "0");
    let error = sqs
        .purge_queue(QueueUrlInput {
            queue_url: Some(url.clone()),
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::PurgeQueueInProgress);
    clock.advance_secs(60);
    sqs.purge_queue(QueueUrlInput {
        queue_url: Some(url.clone()),
    })
    .await
    .unwrap();
    sqs.delete_queue(QueueUrlInput {
        queue_url: Some(url.clone()),
    })
    .await
    .unwrap();
    let error = sqs
        .create_queue(CreateQueueInput {
            queue_name: Some("p".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::QueueDeletedRecently);
    clock.advance_secs(60);
    create(&sqs, "p", &[]).await;
}

#[tokio::test]
async fn restart_recovers_messages_in_flight_and_dedup() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let open = || open_on(dir.path(), &clock, FsyncPolicy::Always).0;
    let sqs = open();
    let url = create(
        &sqs,
        "r.fifo",
        &[("FifoQueue", "true"), ("VisibilityTimeout", "60")],
    )
    .await;
    for i in 0..3 {
        send(
            &sqs,
            &url,
            &format!("m{i}"),
            Some("g"),
            Some(&format!("d{i}")),
        )
        .await;
    }
    let received = receive(&sqs, &url, 1, None).await;
    assert_eq!(received[0].body, "m0");
    drop(sqs);
    let sqs = open();
    assert_eq!(counts(&sqs, &url), ("2".into(), "1".into(), "0".into()));
    // the group is still locked by the in-flight m0 until its visibility deadline
    assert!(receive(&sqs, &url, 10, None).await.is_empty());
    send(&sqs, &url, "m1-again", Some("g"), Some("d1")).await;
    clock.advance_secs(60);
    let bodies: Vec<String> = receive(&sqs, &url, 10, None)
        .await
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(bodies, vec!["m0", "m1", "m2"]);
}

/// A plain send writes only the content record; the message's place in the queue (delay, send time)
/// is rebuilt from its header. Messages received before the restart use their index entry instead.
#[tokio::test]
async fn restart_rebuilds_delayed_and_untouched_messages_from_their_content_records() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let open = || open_on(dir.path(), &clock, FsyncPolicy::Always).0;
    let sqs = open();
    let url = create(&sqs, "d", &[("VisibilityTimeout", "60")]).await;
    send(&sqs, &url, "first", None, None).await;
    let received = receive(&sqs, &url, 1, None).await;
    assert_eq!(received[0].body, "first");
    sqs.send_message(SendMessageInput {
        queue_url: Some(url.clone()),
        message_body: Some("delayed".into()),
        delay_seconds: Some(30),
        ..Default::default()
    })
    .await
    .unwrap();
    send(&sqs, &url, "plain", None, None).await;
    drop(sqs);
    clock.advance_secs(10);
    let sqs = open();
    assert_eq!(counts(&sqs, &url), ("1".into(), "1".into(), "1".into()));
    let plain = receive(&sqs, &url, 10, None).await;
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].body, "plain");
    assert_eq!(plain[0].attributes["ApproximateReceiveCount"], "1");
    assert_eq!(
        plain[0].attributes["SentTimestamp"],
        START.to_string(),
        "the send time survives the restart"
    );
    clock.advance_secs(20);
    let delayed = receive(&sqs, &url, 10, None).await;
    assert_eq!(delayed.len(), 1);
    assert_eq!(delayed[0].body, "delayed");
    clock.advance_secs(30);
    let first = receive(&sqs, &url, 10, None).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].body, "first");
    assert_eq!(first[0].attributes["ApproximateReceiveCount"], "2");
}

#[tokio::test]
async fn content_not_kept_in_memory_is_read_back_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Never).unwrap();
    let config = SqsConfig {
        resident_content_limit: 0,
        ..SqsConfig::default()
    };
    let sqs = Sqs::open(config, Arc::new(clock.clone()), store).unwrap();
    let dlq = create(&sqs, "spill-dlq", &[]).await;
    let policy = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:spill-dlq","maxReceiveCount":1}"#;
    let url = create(
        &sqs,
        "spill",
        &[("RedrivePolicy", policy), ("VisibilityTimeout", "1")],
    )
    .await;
    for i in 0..20 {
        send(&sqs, &url, &format!("body-{i}"), None, None).await;
    }
    assert_eq!(sqs.resident_content_bytes(), 0);
    let got = receive(&sqs, &url, 10, None).await;
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|m| m.body.starts_with("body-")));
    clock.advance_secs(1);
    // the ten received once go to the dead-letter queue on their next receive, with their bodies
    let mut bodies: Vec<String> = Vec::new();
    for _ in 0..3 {
        bodies.extend(
            receive(&sqs, &url, 10, None)
                .await
                .into_iter()
                .map(|m| m.body),
        );
    }
    assert_eq!(bodies.len(), 10);
    let moved = receive(&sqs, &dlq, 10, None).await;
    assert_eq!(moved.len(), 10);
    assert!(moved.iter().all(|m| m.body.starts_with("body-")));
}

#[tokio::test]
async fn move_task_redrives_dead_letters_and_is_remembered_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let open = || open_on(dir.path(), &clock, FsyncPolicy::Never).0;
    let sqs = open();
    let dlq = create(&sqs, "mt-dlq", &[]).await;
    let policy = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:mt-dlq","maxReceiveCount":1}"#;
    let url = create(
        &sqs,
        "mt-src",
        &[("RedrivePolicy", policy), ("VisibilityTimeout", "1")],
    )
    .await;
    send(&sqs, &url, "poison", None, None).await;
    receive(&sqs, &url, 1, None).await;
    clock.advance_secs(1);
    assert!(receive(&sqs, &url, 1, None).await.is_empty());
    assert_eq!(counts(&sqs, &dlq).0, "1");
    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:mt-dlq".to_string();
    let not_a_dlq = sqs
        .start_message_move_task(StartMessageMoveTaskInput {
            source_arn: Some("arn:aws:sqs:us-east-1:000000000000:mt-src".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(not_a_dlq.kind, ErrorKind::InvalidParameterValue);
    let started = sqs
        .start_message_move_task(StartMessageMoveTaskInput {
            source_arn: Some(dlq_arn.clone()),
            ..Default::default()
        })
        .unwrap();
    assert!(!started.task_handle.is_empty());
    let list = |sqs: &Sqs| {
        sqs.list_message_move_tasks(ListMessageMoveTasksInput {
            source_arn: Some(dlq_arn.clone()),
            max_results: Some(10),
        })
        .unwrap()
        .results
    };
    for _ in 0..200 {
        if list(&sqs)[0].status == "COMPLETED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let task = &list(&sqs)[0];
    assert_eq!(
        (
            task.status.as_str(),
            task.approximate_number_of_messages_moved
        ),
        ("COMPLETED", 1)
    );
    assert_eq!(receive(&sqs, &url, 1, None).await[0].body, "poison");
    drop(sqs);
    let sqs = open();
    let task = &list(&sqs)[0];
    assert_eq!(
        (
            task.status.as_str(),
            task.approximate_number_of_messages_moved
        ),
        ("COMPLETED", 1)
    );
}

/// Purge, retention expiry and queue deletion remove whole key ranges of the store: nothing deleted comes
/// back after a restart (before or after the store reclaimed the space), and later messages survive.
#[tokio::test]
async fn purge_expiry_and_delete_are_range_deletions_that_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let open = || open_on(dir.path(), &clock, FsyncPolicy::Always);
    let (sqs, store) = open();
    let keep = create(&sqs, "keep", &[]).await;
    let purged = create(&sqs, "purged", &[]).await;
    let ret = create(&sqs, "ret", &[("MessageRetentionPeriod", "60")]).await;
    let gone = create(&sqs, "gone", &[]).await;
    for i in 0..30 {
        send(&sqs, &purged, &format!("p{i}"), None, None).await;
        send(&sqs, &ret, &format!("r{i}"), None, None).await;
        send(&sqs, &gone, &format!("g{i}"), None, None).await;
    }
    send(&sqs, &keep, "k", None, None).await;
    sqs.purge_queue(QueueUrlInput {
        queue_url: Some(purged.clone()),
    })
    .await
    .unwrap();
    send(&sqs, &purged, "after-purge", None, None).await;
    clock.advance_secs(30);
    send(&sqs, &ret, "fresh", None, None).await;
    clock.advance_secs(31);
    // expires r0..r29 (one range deletion)
    assert_eq!(counts(&sqs, &ret).0, "1");
    sqs.delete_queue(QueueUrlInput {
        queue_url: Some(gone.clone()),
    })
    .await
    .unwrap();
    store.flush().unwrap();

    let check = |sqs: &Sqs| {
        assert_eq!(counts(sqs, &purged).0, "1");
        assert_eq!(counts(sqs, &ret).0, "1");
        assert_eq!(counts(sqs, &keep).0, "1");
        assert!(sqs
            .get_queue_url(GetQueueUrlInput {
                queue_name: Some("gone".into()),
                ..Default::default()
            })
            .is_err());
    };
    check(&sqs);
    drop(sqs);
    drop(store);

    let (sqs, store) = open();
    check(&sqs);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while store.pending_range_deletes() > 0 {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    drop(sqs);
    drop(store);

    let (sqs, _store) = open();
    check(&sqs);
    assert_eq!(
        receive(&sqs, &purged, 10, None).await[0].body,
        "after-purge"
    );
    assert_eq!(receive(&sqs, &ret, 10, None).await[0].body, "fresh");
}

/// The maintenance pass expires messages of queues nobody touches: their records leave the store without
/// any request to the queue (a restart finds only the fresh message, and nothing else is removed).
#[tokio::test]
async fn maintenance_expires_messages_of_untouched_queues() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let open = || open_on(dir.path(), &clock, FsyncPolicy::Always);
    let (sqs, store) = open();
    let idle = create(&sqs, "idle", &[("MessageRetentionPeriod", "60")]).await;
    let other = create(&sqs, "other", &[]).await;
    for i in 0..20 {
        send(&sqs, &idle, &format!("old{i}"), None, None).await;
    }
    send(&sqs, &other, "kept", None, None).await;
    clock.advance_secs(30);
    send(&sqs, &idle, "fresh", None, None).await;
    assert_eq!(sqs.expire_retained(), 0);
    clock.advance_secs(31);
    assert_eq!(sqs.expire_retained(), 20);
    assert_eq!(sqs.expire_retained(), 0);
    store.flush().unwrap();
    drop(sqs);
    drop(store);

    // Reopened with the clock moved back: had the expired records stayed in the store, recovery would
    // bring them back as live messages.
    let (sqs, _store) = {
        let clock = ManualClock::new(START + 30_000);
        let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
        let sqs = Sqs::open(SqsConfig::default(), Arc::new(clock), store.clone()).unwrap();
        (sqs, store)
    };
    assert_eq!(counts(&sqs, &idle).0, "1");
    assert_eq!(receive(&sqs, &idle, 10, None).await[0].body, "fresh");
    assert_eq!(counts(&sqs, &other).0, "1");
}
