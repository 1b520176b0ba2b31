//! Durability of the real `wharf` binary on a data directory: state acknowledged before a SIGKILL
//! must be there after a restart, and a data directory is used by one server at a time.

mod common;

use std::collections::{HashMap, HashSet};

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use aws_sdk_sqs::Client;
use common::{unique_name, Server, Storage};

async fn queue_attributes(client: &Client, url: &str) -> HashMap<QueueAttributeName, String> {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes()
        .cloned()
        .unwrap_or_default()
}

async fn queue_url(client: &Client, name: &str) -> String {
    client
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .expect("GetQueueUrl")
        .queue_url()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn acknowledged_state_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_data_dir(dir.path());
    let client = server.client();
    let name = unique_name("durable");
    let url = client
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .attributes(QueueAttributeName::MessageRetentionPeriod, "86400")
        .attributes(QueueAttributeName::MaximumMessageSize, "2048")
        .tags("team", "storage")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let before = queue_attributes(&client, &url).await;

    // 50 messages, each acknowledged by the server before the next is sent.
    for i in 0..50 {
        client
            .send_message()
            .queue_url(&url)
            .message_body(format!("message-{i:02}"))
            .send()
            .await
            .unwrap();
    }

    // Receive 10 (30 s visibility timeout), delete 5 of them.
    let mut received = Vec::new();
    for _ in 0..20 {
        if received.len() >= 10 {
            break;
        }
        let out = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages((10 - received.len()) as i32)
            .send()
            .await
            .unwrap();
        received.extend(out.messages().iter().cloned());
    }
    assert_eq!(received.len(), 10);
    let (deleted, in_flight) = received.split_at(5);
    for m in deleted {
        client
            .delete_message()
            .queue_url(&url)
            .receipt_handle(m.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
    let attrs = queue_attributes(&client, &url).await;
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessages],
        "40"
    );
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "5"
    );
    let deleted_bodies: HashSet<String> = deleted
        .iter()
        .map(|m| m.body().unwrap().to_string())
        .collect();
    let in_flight_bodies: HashSet<String> = in_flight
        .iter()
        .map(|m| m.body().unwrap().to_string())
        .collect();

    // Crash and restart on the same directory.
    let server = server.kill_and_restart();
    let client = server.client();

    let url = queue_url(&client, &name).await;
    assert_eq!(url, format!("{}/000000000000/{name}", server.endpoint()));
    let after = queue_attributes(&client, &url).await;
    for key in [
        QueueAttributeName::VisibilityTimeout,
        QueueAttributeName::MessageRetentionPeriod,
        QueueAttributeName::MaximumMessageSize,
        QueueAttributeName::DelaySeconds,
        QueueAttributeName::QueueArn,
        QueueAttributeName::CreatedTimestamp,
        QueueAttributeName::LastModifiedTimestamp,
    ] {
        assert_eq!(
            after.get(&key),
            before.get(&key),
            "{key:?} changed across the restart"
        );
    }
    assert_eq!(after[&QueueAttributeName::MaximumMessageSize], "2048");
    let tags = client
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().and_then(|t| t.get("team")).map(String::as_str),
        Some("storage")
    );

    // Exactly 45 messages remain: 40 visible, the 5 received-not-deleted still in flight.
    assert_eq!(
        after[&QueueAttributeName::ApproximateNumberOfMessages],
        "40",
        "{after:?}"
    );
    assert_eq!(
        after[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "5",
        "{after:?}"
    );

    // Drain the visible ones: 40 distinct bodies, none deleted, none of the in-flight ones.
    let mut seen = HashSet::new();
    for _ in 0..40 {
        let out = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        if out.messages().is_empty() {
            break;
        }
        for m in out.messages() {
            let body = m.body().unwrap().to_string();
            assert!(
                !deleted_bodies.contains(&body),
                "deleted message {body} came back"
            );
            assert!(
                !in_flight_bodies.contains(&body),
                "in-flight message {body} became visible early"
            );
            assert_eq!(
                m.attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .map(String::as_str),
                Some("1"),
                "{body} was never received before the restart"
            );
            assert!(seen.insert(body.clone()), "{body} delivered twice");
            client
                .delete_message()
                .queue_url(&url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(seen.len(), 40);
    let expected: HashSet<String> = (0..50)
        .map(|i| format!("message-{i:02}"))
        .filter(|b| !deleted_bodies.contains(b) && !in_flight_bodies.contains(b))
        .collect();
    assert_eq!(seen, expected);
    let attrs = queue_attributes(&client, &url).await;
    assert_eq!(attrs[&QueueAttributeName::ApproximateNumberOfMessages], "0");
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "5"
    );

    // Receipt handles issued before the crash still work: make the in-flight ones visible.
    for m in in_flight {
        client
            .change_message_visibility()
            .queue_url(&url)
            .receipt_handle(m.receipt_handle().unwrap())
            .visibility_timeout(0)
            .send()
            .await
            .unwrap_or_else(|e| panic!("pre-restart receipt handle rejected: {e:?}"));
    }
    let mut back = HashSet::new();
    for _ in 0..5 {
        let out = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        back.extend(out.messages().iter().map(|m| m.body().unwrap().to_string()));
        if back.len() == 5 {
            break;
        }
    }
    assert_eq!(back, in_flight_bodies);
}

#[tokio::test]
async fn fifo_deduplication_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_data_dir(dir.path());
    let client = server.client();
    let name = format!("{}.fifo", unique_name("dedup"));
    client
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap();
    let url = queue_url(&client, &name).await;
    let first = client
        .send_message()
        .queue_url(&url)
        .message_body("once")
        .message_group_id("g")
        .message_deduplication_id("X")
        .send()
        .await
        .unwrap();

    let server = server.kill_and_restart();
    let client = server.client();
    let url = queue_url(&client, &name).await;
    let second = client
        .send_message()
        .queue_url(&url)
        .message_body("once")
        .message_group_id("g")
        .message_deduplication_id("X")
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.message_id(),
        first.message_id(),
        "dedup must return the original MessageId"
    );

    let attrs = queue_attributes(&client, &url).await;
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessages],
        "1",
        "{attrs:?}"
    );
    let out = client
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert_eq!(out.messages().len(), 1, "{out:?}");
    assert_eq!(out.messages()[0].message_id(), first.message_id());

    // Still deduplicated after the message is deleted (the window outlives the message).
    client
        .delete_message()
        .queue_url(&url)
        .receipt_handle(out.messages()[0].receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    let server = server.kill_and_restart();
    let client = server.client();
    let url = queue_url(&client, &name).await;
    client
        .send_message()
        .queue_url(&url)
        .message_body("once")
        .message_group_id("g")
        .message_deduplication_id("X")
        .send()
        .await
        .unwrap();
    let attrs = queue_attributes(&client, &url).await;
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessages],
        "0",
        "{attrs:?}"
    );
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "0",
        "{attrs:?}"
    );
}

#[tokio::test]
async fn second_server_on_same_data_dir_fails() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::with_data_dir(dir.path());

    let failure = match Server::try_start(Storage::DataDir(dir.path().to_path_buf())) {
        Ok(second) => panic!(
            "a second server started on a locked data directory at {}",
            second.endpoint()
        ),
        Err(failure) => failure,
    };
    let status = failure
        .status
        .expect("the second server should exit, not hang");
    assert!(!status.success(), "second server exited with {status}");
    let stderr = failure.stderr.to_lowercase();
    assert!(
        stderr.contains("locked")
            && stderr.contains(&dir.path().display().to_string().to_lowercase()),
        "stderr should say the data directory is locked: {:?}",
        failure.stderr
    );
    assert!(failure.stdout_first_line.is_none(), "{failure:?}");

    // The first server is unaffected.
    let client = first.client();
    client
        .list_queues()
        .send()
        .await
        .expect("first server still serves");

    // Once the first is gone (even by SIGKILL), the directory can be opened again.
    first.kill();
    let again = Server::with_data_dir(dir.path());
    again.client().list_queues().send().await.unwrap();
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly_and_keeps_state() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_data_dir(dir.path());
    let client = server.client();
    let name = unique_name("graceful");
    let url = client
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    client
        .send_message()
        .queue_url(&url)
        .message_body("kept")
        .send()
        .await
        .unwrap();

    let status = server.terminate();
    assert!(status.success(), "SIGTERM exit status {status}");

    let server = Server::with_data_dir(dir.path());
    let client = server.client();
    let url = queue_url(&client, &name).await;
    let out = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(out.messages().len(), 1);
    assert_eq!(out.messages()[0].body(), Some("kept"));
}
