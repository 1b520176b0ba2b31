//! End-to-end tests of the real `wharf` binary through aws-sdk-rust (AWS JSON 1.0 protocol).
//! One scenario per test; every test starts its own in-memory server and uses unique queue names.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::operation::delete_message_batch::DeleteMessageBatchError;
use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesError;
use aws_sdk_sqs::operation::get_queue_url::GetQueueUrlError;
use aws_sdk_sqs::operation::purge_queue::PurgeQueueError;
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchError;
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName, SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;
use common::{md5_hex, md5_of_message_attributes, unique_name, Server};

async fn create_queue(
    client: &Client,
    name: &str,
    attributes: &[(QueueAttributeName, &str)],
) -> String {
    let mut request = client.create_queue().queue_name(name);
    for (key, value) in attributes {
        request = request.attributes(key.clone(), *value);
    }
    request
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .expect("QueueUrl")
        .to_string()
}

async fn attributes(client: &Client, url: &str) -> HashMap<QueueAttributeName, String> {
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

async fn attribute(client: &Client, url: &str, name: QueueAttributeName) -> String {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes()
        .and_then(|a| a.get(&name).cloned())
        .unwrap_or_else(|| panic!("attribute {name:?} missing"))
}

fn string_attr(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .unwrap()
}

#[tokio::test]
async fn queue_create_get_url_list_delete() {
    let server = Server::in_memory();
    let client = server.client();
    let prefix = unique_name("lifecycle");
    let name_a = format!("{prefix}-a");
    let name_b = format!("{prefix}-b");

    let url_a = create_queue(&client, &name_a, &[]).await;
    assert_eq!(
        url_a,
        format!("{}/000000000000/{name_a}", server.endpoint())
    );
    // Creating again with the same (no) attributes is idempotent.
    assert_eq!(create_queue(&client, &name_a, &[]).await, url_a);
    let url_b = create_queue(&client, &name_b, &[]).await;

    let got = client
        .get_queue_url()
        .queue_name(&name_a)
        .send()
        .await
        .unwrap();
    assert_eq!(got.queue_url(), Some(url_a.as_str()));

    let listed = client
        .list_queues()
        .queue_name_prefix(&prefix)
        .send()
        .await
        .unwrap();
    let mut urls = listed.queue_urls().to_vec();
    urls.sort();
    assert_eq!(urls, vec![url_a.clone(), url_b.clone()]);

    client
        .delete_queue()
        .queue_url(&url_a)
        .send()
        .await
        .unwrap();

    let err = client
        .get_queue_url()
        .queue_name(&name_a)
        .send()
        .await
        .expect_err("deleted queue must be gone");
    assert!(
        matches!(
            err.as_service_error(),
            Some(GetQueueUrlError::QueueDoesNotExist(_))
        ),
        "unexpected error: {err:?}"
    );
    let listed = client
        .list_queues()
        .queue_name_prefix(&prefix)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.queue_urls(), &[url_b]);
}

#[tokio::test]
async fn queue_attributes_defaults_and_set_get() {
    let server = Server::in_memory();
    let client = server.client();
    let name = unique_name("attrs");
    let url = create_queue(&client, &name, &[]).await;

    let attrs = attributes(&client, &url).await;
    let get = |k: QueueAttributeName| {
        attrs
            .get(&k)
            .cloned()
            .unwrap_or_else(|| panic!("{k:?} missing in {attrs:?}"))
    };
    assert_eq!(get(QueueAttributeName::VisibilityTimeout), "30");
    assert_eq!(get(QueueAttributeName::DelaySeconds), "0");
    assert_eq!(get(QueueAttributeName::MessageRetentionPeriod), "345600");
    assert_eq!(get(QueueAttributeName::MaximumMessageSize), "1048576");
    assert_eq!(get(QueueAttributeName::ReceiveMessageWaitTimeSeconds), "0");
    assert_eq!(get(QueueAttributeName::ApproximateNumberOfMessages), "0");
    assert_eq!(
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        "0"
    );
    assert_eq!(
        get(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        "0"
    );
    assert_eq!(
        get(QueueAttributeName::QueueArn),
        format!("arn:aws:sqs:us-east-1:000000000000:{name}")
    );
    let created: i64 = get(QueueAttributeName::CreatedTimestamp).parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - created).abs() < 60,
        "CreatedTimestamp {created} vs now {now}"
    );
    assert!(get(QueueAttributeName::LastModifiedTimestamp)
        .parse::<i64>()
        .is_ok());
    assert!(
        !attrs.contains_key(&QueueAttributeName::FifoQueue),
        "standard queue reports FifoQueue"
    );

    client
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::VisibilityTimeout, "45")
        .attributes(QueueAttributeName::DelaySeconds, "5")
        .attributes(QueueAttributeName::ReceiveMessageWaitTimeSeconds, "3")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attribute(&client, &url, QueueAttributeName::VisibilityTimeout).await,
        "45"
    );
    assert_eq!(
        attribute(&client, &url, QueueAttributeName::DelaySeconds).await,
        "5"
    );
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ReceiveMessageWaitTimeSeconds
        )
        .await,
        "3"
    );

    // An invalid value is rejected and leaves the attribute unchanged.
    let err = client
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::VisibilityTimeout, "43201")
        .send()
        .await
        .expect_err("VisibilityTimeout 43201 must be rejected");
    assert_eq!(err.code(), Some("InvalidAttributeValue"), "{err:?}");
    assert_eq!(
        attribute(&client, &url, QueueAttributeName::VisibilityTimeout).await,
        "45"
    );
}

#[tokio::test]
async fn send_receive_delete_with_message_attributes_and_md5s() {
    let server = Server::in_memory();
    let client = server.client();
    let url = create_queue(&client, &unique_name("msgs"), &[]).await;

    let body = "hello, wharf \u{e9}\u{1F600}";
    let mut message_attributes = HashMap::new();
    message_attributes.insert("app.color".to_string(), string_attr("blue"));
    message_attributes.insert(
        "app.count".to_string(),
        MessageAttributeValue::builder()
            .data_type("Number")
            .string_value("42")
            .build()
            .unwrap(),
    );
    message_attributes.insert(
        "blob".to_string(),
        MessageAttributeValue::builder()
            .data_type("Binary")
            .binary_value(Blob::new(vec![0u8, 1, 2, 255]))
            .build()
            .unwrap(),
    );
    let expected_attr_md5 = md5_of_message_attributes(&message_attributes);

    let sent = client
        .send_message()
        .queue_url(&url)
        .message_body(body)
        .set_message_attributes(Some(message_attributes.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.md5_of_message_body(),
        Some(md5_hex(body.as_bytes()).as_str())
    );
    assert_eq!(
        sent.md5_of_message_attributes(),
        Some(expected_attr_md5.as_str())
    );
    let message_id = sent.message_id().expect("MessageId").to_string();

    let received = client
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let messages = received.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.message_id(), Some(message_id.as_str()));
    assert_eq!(message.body(), Some(body));
    assert_eq!(
        message.md5_of_body(),
        Some(md5_hex(body.as_bytes()).as_str())
    );
    assert_eq!(
        message.md5_of_message_attributes(),
        Some(expected_attr_md5.as_str())
    );
    assert_eq!(message.message_attributes(), Some(&message_attributes));
    let system = message.attributes().expect("system attributes");
    assert_eq!(
        system
            .get(&MessageSystemAttributeName::ApproximateReceiveCount)
            .map(String::as_str),
        Some("1")
    );
    assert!(system.contains_key(&MessageSystemAttributeName::SentTimestamp));
    assert!(system.contains_key(&MessageSystemAttributeName::ApproximateFirstReceiveTimestamp));
    assert!(system.contains_key(&MessageSystemAttributeName::SenderId));

    // A `prefix.*` filter returns only the attributes named `prefix.…` (and the MD5 of that subset).
    client
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(message.receipt_handle().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let filtered = client
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("app.*")
        .send()
        .await
        .unwrap();
    let filtered = &filtered.messages()[0];
    let mut app_only = message_attributes.clone();
    app_only.remove("blob");
    assert_eq!(filtered.message_attributes(), Some(&app_only));
    assert_eq!(
        filtered.md5_of_message_attributes(),
        Some(md5_of_message_attributes(&app_only).as_str())
    );

    client
        .delete_message()
        .queue_url(&url)
        .receipt_handle(filtered.receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    let attrs = attributes(&client, &url).await;
    assert_eq!(attrs[&QueueAttributeName::ApproximateNumberOfMessages], "0");
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "0"
    );
    let again = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert!(
        again.messages().is_empty(),
        "deleted message came back: {again:?}"
    );
}

#[tokio::test]
async fn visibility_timeout_zero_redelivers_with_receive_count_two() {
    let server = Server::in_memory();
    let client = server.client();
    let url = create_queue(&client, &unique_name("vt0"), &[]).await;
    client
        .send_message()
        .queue_url(&url)
        .message_body("again")
        .send()
        .await
        .unwrap();

    let mut handles = Vec::new();
    for expected_count in ["1", "2"] {
        let out = client
            .receive_message()
            .queue_url(&url)
            .visibility_timeout(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        assert_eq!(out.messages().len(), 1, "expected a redelivery: {out:?}");
        let m = &out.messages()[0];
        assert_eq!(m.body(), Some("again"));
        assert_eq!(
            m.attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .map(String::as_str),
            Some(expected_count)
        );
        handles.push(m.receipt_handle().unwrap().to_string());
    }
    assert_ne!(
        handles[0], handles[1],
        "each receive must hand out a new receipt handle"
    );
    // The latest receipt handle deletes the message.
    client
        .delete_message()
        .queue_url(&url)
        .receipt_handle(&handles[1])
        .send()
        .await
        .unwrap();
    let out = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert!(out.messages().is_empty());
}

#[tokio::test]
async fn change_message_visibility() {
    let server = Server::in_memory();
    let client = server.client();
    let url = create_queue(&client, &unique_name("chvis"), &[]).await;
    client
        .send_message()
        .queue_url(&url)
        .message_body("m")
        .send()
        .await
        .unwrap();

    let out = client
        .receive_message()
        .queue_url(&url)
        .visibility_timeout(30)
        .send()
        .await
        .unwrap();
    let handle = out.messages()[0].receipt_handle().unwrap().to_string();
    // In flight: not receivable.
    let none = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert!(none.messages().is_empty());
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible
        )
        .await,
        "1"
    );

    // Make it visible again at once.
    client
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "1"
    );
    let out = client
        .receive_message()
        .queue_url(&url)
        .visibility_timeout(30)
        .send()
        .await
        .unwrap();
    assert_eq!(out.messages().len(), 1);
    let handle = out.messages()[0].receipt_handle().unwrap().to_string();

    // Shorten the timeout to 1 s: it comes back after about a second.
    client
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(1)
        .send()
        .await
        .unwrap();
    assert!(client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages()
        .is_empty());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let out = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.messages().len(),
        1,
        "message should be visible after the 1 s timeout"
    );

    // More than 12 hours is rejected.
    let err = client
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(out.messages()[0].receipt_handle().unwrap())
        .visibility_timeout(43201)
        .send()
        .await
        .expect_err("43201 s must be rejected");
    assert_eq!(err.code(), Some("InvalidParameterValue"), "{err:?}");
}

#[tokio::test]
async fn batch_send_and_delete_with_error_entries() {
    let server = Server::in_memory();
    let client = server.client();
    let url = create_queue(&client, &unique_name("batch"), &[]).await;

    let entry = |id: &str, body: &str| {
        SendMessageBatchRequestEntry::builder()
            .id(id)
            .message_body(body)
    };
    let out = client
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "body-a").build().unwrap())
        .entries(entry("b", "body-b").build().unwrap())
        .entries(
            entry("bad", "too late")
                .delay_seconds(1000)
                .build()
                .unwrap(),
        )
        .entries(entry("c", "body-c").build().unwrap())
        .send()
        .await
        .unwrap();
    let mut ok: Vec<&str> = out.successful().iter().map(|e| e.id()).collect();
    ok.sort();
    assert_eq!(ok, ["a", "b", "c"]);
    for e in out.successful() {
        let body = format!("body-{}", e.id());
        assert_eq!(e.md5_of_message_body(), md5_hex(body.as_bytes()));
    }
    assert_eq!(out.failed().len(), 1, "{out:?}");
    let failed = &out.failed()[0];
    assert_eq!(failed.id(), "bad");
    assert!(failed.sender_fault());
    assert_eq!(failed.code(), "InvalidParameterValue");

    let mut received = Vec::new();
    for _ in 0..5 {
        let r = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        received.extend(r.messages().iter().cloned());
        if received.len() >= 3 {
            break;
        }
    }
    let mut bodies: Vec<&str> = received.iter().filter_map(|m| m.body()).collect();
    bodies.sort();
    assert_eq!(bodies, ["body-a", "body-b", "body-c"]);

    let mut delete = client.delete_message_batch().queue_url(&url);
    for (i, m) in received.iter().enumerate() {
        delete = delete.entries(
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle().unwrap())
                .build()
                .unwrap(),
        );
    }
    delete = delete.entries(
        DeleteMessageBatchRequestEntry::builder()
            .id("bogus")
            .receipt_handle("not-a-receipt-handle")
            .build()
            .unwrap(),
    );
    let out = delete.send().await.unwrap();
    assert_eq!(out.successful().len(), 3, "{out:?}");
    assert_eq!(out.failed().len(), 1, "{out:?}");
    assert_eq!(out.failed()[0].id(), "bogus");
    assert_eq!(out.failed()[0].code(), "ReceiptHandleIsInvalid");
    assert!(out.failed()[0].sender_fault());

    let attrs = attributes(&client, &url).await;
    assert_eq!(attrs[&QueueAttributeName::ApproximateNumberOfMessages], "0");
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "0"
    );
}

#[tokio::test]
async fn error_codes_through_the_sdk() {
    let server = Server::in_memory();
    let client = server.client();

    // Non-existent queue, by name and by URL.
    let err = client
        .get_queue_url()
        .queue_name(unique_name("missing"))
        .send()
        .await
        .expect_err("no such queue");
    eprintln!(
        "GetQueueUrl(missing): code={:?} type={:?} message={:?}",
        err.code(),
        err.meta().extra("type"),
        err.message()
    );
    assert_eq!(err.code(), Some("AWS.SimpleQueueService.NonExistentQueue"));
    assert_eq!(err.meta().extra("type"), Some("Sender"));
    assert!(matches!(
        err.into_service_error(),
        GetQueueUrlError::QueueDoesNotExist(_)
    ));

    let missing_url = format!(
        "{}/000000000000/{}",
        server.endpoint(),
        unique_name("missing")
    );
    let err = client
        .get_queue_attributes()
        .queue_url(&missing_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect_err("no such queue");
    assert_eq!(err.code(), Some("AWS.SimpleQueueService.NonExistentQueue"));
    assert!(matches!(
        err.into_service_error(),
        GetQueueAttributesError::QueueDoesNotExist(_)
    ));

    // DelaySeconds out of range.
    let url = create_queue(&client, &unique_name("errors"), &[]).await;
    let err = client
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .delay_seconds(1000)
        .send()
        .await
        .expect_err("DelaySeconds 1000 must be rejected");
    eprintln!(
        "SendMessage(DelaySeconds=1000): code={:?} type={:?} message={:?}",
        err.code(),
        err.meta().extra("type"),
        err.message()
    );
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    assert_eq!(err.meta().extra("type"), Some("Sender"));
    assert!(err
        .as_service_error()
        .is_some_and(|e| e.meta().code() == Some("InvalidParameterValue")));
    assert!(
        err.message().is_some_and(|m| m.contains("DelaySeconds")),
        "{err:?}"
    );

    // Empty batches.
    let err = client
        .send_message_batch()
        .queue_url(&url)
        .set_entries(Some(vec![]))
        .send()
        .await
        .expect_err("empty batch must be rejected");
    eprintln!("SendMessageBatch(empty): code={:?}", err.code());
    assert_eq!(err.code(), Some("AWS.SimpleQueueService.EmptyBatchRequest"));
    assert!(matches!(
        err.into_service_error(),
        SendMessageBatchError::EmptyBatchRequest(_)
    ));
    let err = client
        .delete_message_batch()
        .queue_url(&url)
        .set_entries(Some(vec![]))
        .send()
        .await
        .expect_err("empty batch must be rejected");
    assert!(matches!(
        err.into_service_error(),
        DeleteMessageBatchError::EmptyBatchRequest(_)
    ));

    // Duplicate batch entry ids.
    let e = SendMessageBatchRequestEntry::builder()
        .id("same")
        .message_body("x")
        .build()
        .unwrap();
    let err = client
        .send_message_batch()
        .queue_url(&url)
        .entries(e.clone())
        .entries(e)
        .send()
        .await
        .expect_err("duplicate ids must be rejected");
    assert!(matches!(
        err.into_service_error(),
        SendMessageBatchError::BatchEntryIdsNotDistinct(_)
    ));
}

#[tokio::test]
async fn fifo_order_within_group_and_dedup() {
    let server = Server::in_memory();
    let client = server.client();
    let name = format!("{}.fifo", unique_name("fifo"));
    let url = create_queue(&client, &name, &[(QueueAttributeName::FifoQueue, "true")]).await;
    assert_eq!(
        attribute(&client, &url, QueueAttributeName::FifoQueue).await,
        "true"
    );

    // Interleave two groups.
    let mut sequence_numbers = Vec::new();
    let mut first_id_of_d2 = None;
    for i in 0..6 {
        let group = if i % 2 == 0 { "g1" } else { "g2" };
        let out = client
            .send_message()
            .queue_url(&url)
            .message_body(format!("{group}-{i}"))
            .message_group_id(group)
            .message_deduplication_id(format!("d{i}"))
            .send()
            .await
            .unwrap();
        let seq: u128 = out
            .sequence_number()
            .expect("SequenceNumber")
            .parse()
            .unwrap();
        sequence_numbers.push(seq);
        if i == 2 {
            first_id_of_d2 = out.message_id().map(str::to_string);
        }
    }
    assert!(
        sequence_numbers.windows(2).all(|w| w[0] < w[1]),
        "{sequence_numbers:?}"
    );

    // Same dedup id within 5 minutes: accepted, but not enqueued again (same MessageId).
    let dup = client
        .send_message()
        .queue_url(&url)
        .message_body("duplicate body is ignored")
        .message_group_id("g1")
        .message_deduplication_id("d2")
        .send()
        .await
        .unwrap();
    assert_eq!(dup.message_id().map(str::to_string), first_id_of_d2);
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "6"
    );

    // Receive everything (in flight groups block, so receive one at a time and delete).
    let mut by_group: HashMap<String, Vec<String>> = HashMap::new();
    for _ in 0..6 {
        let out = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(1)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .unwrap();
        assert_eq!(out.messages().len(), 1, "{out:?}");
        let m = &out.messages()[0];
        let group = m.attributes().unwrap()[&MessageSystemAttributeName::MessageGroupId].clone();
        by_group
            .entry(group)
            .or_default()
            .push(m.body().unwrap().to_string());
        client
            .delete_message()
            .queue_url(&url)
            .receipt_handle(m.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(by_group["g1"], ["g1-0", "g1-2", "g1-4"]);
    assert_eq!(by_group["g2"], ["g2-1", "g2-3", "g2-5"]);
    assert!(client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages()
        .is_empty());

    // A group with a message in flight is blocked; order within a batch receive is preserved.
    for i in 0..3 {
        client
            .send_message()
            .queue_url(&url)
            .message_body(format!("b{i}"))
            .message_group_id("blocked")
            .message_deduplication_id(format!("b{i}"))
            .send()
            .await
            .unwrap();
    }
    let out = client
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(2)
        .send()
        .await
        .unwrap();
    let bodies: Vec<_> = out.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(bodies, ["b0", "b1"]);
    let blocked = client
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert!(
        blocked.messages().is_empty(),
        "group must be blocked while in flight: {blocked:?}"
    );

    // Missing MessageGroupId on a FIFO queue is an error.
    let err = client
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .message_deduplication_id("x")
        .send()
        .await
        .expect_err("MessageGroupId is required");
    assert_eq!(err.code(), Some("MissingParameter"), "{err:?}");
}

#[tokio::test]
async fn dead_letter_queue_redrive_after_max_receive_count() {
    let server = Server::in_memory();
    let client = server.client();
    let dlq_url = create_queue(&client, &unique_name("dlq"), &[]).await;
    let dlq_arn = attribute(&client, &dlq_url, QueueAttributeName::QueueArn).await;
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"1"}}"#);
    let src_url = create_queue(
        &client,
        &unique_name("src"),
        &[(QueueAttributeName::RedrivePolicy, &policy)],
    )
    .await;

    let sources = client
        .list_dead_letter_source_queues()
        .queue_url(&dlq_url)
        .send()
        .await
        .unwrap();
    assert_eq!(sources.queue_urls(), std::slice::from_ref(&src_url));

    let sent = client
        .send_message()
        .queue_url(&src_url)
        .message_body("poison")
        .send()
        .await
        .unwrap();

    // First receive: delivered (receive count 1), not deleted, visible again immediately.
    let first = client
        .receive_message()
        .queue_url(&src_url)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    assert_eq!(first.messages().len(), 1);
    assert_eq!(first.messages()[0].body(), Some("poison"));

    // Second receive would exceed maxReceiveCount 1: the message moves to the DLQ instead.
    let second = client
        .receive_message()
        .queue_url(&src_url)
        .send()
        .await
        .unwrap();
    assert!(
        second.messages().is_empty(),
        "should have moved to the DLQ: {second:?}"
    );
    let src_attrs = attributes(&client, &src_url).await;
    assert_eq!(
        src_attrs[&QueueAttributeName::ApproximateNumberOfMessages],
        "0"
    );
    assert_eq!(
        src_attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "0"
    );

    let moved = client
        .receive_message()
        .queue_url(&dlq_url)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.messages().len(), 1, "DLQ should hold the message");
    let m = &moved.messages()[0];
    assert_eq!(m.body(), Some("poison"));
    assert_eq!(
        m.message_id(),
        sent.message_id(),
        "MessageId is kept when moving to the DLQ"
    );
    assert_eq!(m.md5_of_body(), Some(md5_hex(b"poison").as_str()));
}

#[tokio::test]
async fn long_poll_returns_promptly_when_a_message_arrives() {
    let server = Server::in_memory();
    let client = server.client();
    let url = create_queue(&client, &unique_name("longpoll"), &[]).await;

    // An empty long poll waits about WaitTimeSeconds.
    let started = Instant::now();
    let out = client
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(out.messages().is_empty());
    assert!(
        waited >= Duration::from_millis(900),
        "returned after {waited:?}, should wait ~1 s"
    );
    assert!(waited < Duration::from_secs(3), "returned after {waited:?}");

    let poller = {
        let client = client.clone();
        let url = url.clone();
        tokio::spawn(async move {
            let out = client
                .receive_message()
                .queue_url(&url)
                .wait_time_seconds(2)
                .send()
                .await
                .unwrap();
            (out, Instant::now())
        })
    };
    // Let the poll reach the server and start waiting.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let sender = {
        let client = client.clone();
        let url = url.clone();
        tokio::spawn(async move {
            client
                .send_message()
                .queue_url(&url)
                .message_body("wake up")
                .send()
                .await
                .unwrap();
            Instant::now()
        })
    };
    let sent_at = sender.await.unwrap();
    let (out, received_at) = tokio::time::timeout(Duration::from_secs(5), poller)
        .await
        .expect("long poll hung")
        .unwrap();
    assert_eq!(
        out.messages().len(),
        1,
        "long poll should return the message: {out:?}"
    );
    assert_eq!(out.messages()[0].body(), Some("wake up"));
    let latency = received_at.saturating_duration_since(sent_at);
    assert!(
        latency < Duration::from_secs(1),
        "long poll returned {latency:?} after the send"
    );
}

#[tokio::test]
async fn purge_queue() {
    let server = Server::in_memory();
    let client = server.client();
    let url = create_queue(&client, &unique_name("purge"), &[]).await;
    for i in 0..5 {
        client
            .send_message()
            .queue_url(&url)
            .message_body(format!("m{i}"))
            .send()
            .await
            .unwrap();
    }
    // One in flight too.
    let inflight = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(inflight.messages().len(), 1);
    assert_eq!(
        attribute(
            &client,
            &url,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        "4"
    );

    client.purge_queue().queue_url(&url).send().await.unwrap();
    let attrs = attributes(&client, &url).await;
    assert_eq!(attrs[&QueueAttributeName::ApproximateNumberOfMessages], "0");
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "0"
    );
    let out = client
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert!(
        out.messages().is_empty(),
        "purged messages came back: {out:?}"
    );

    // A second purge within 60 s is refused.
    let err = client
        .purge_queue()
        .queue_url(&url)
        .send()
        .await
        .expect_err("second purge");
    assert_eq!(
        err.code(),
        Some("AWS.SimpleQueueService.PurgeQueueInProgress")
    );
    assert!(matches!(
        err.into_service_error(),
        PurgeQueueError::PurgeQueueInProgress(_)
    ));

    // New messages after the purge are kept.
    client
        .send_message()
        .queue_url(&url)
        .message_body("after")
        .send()
        .await
        .unwrap();
    let out = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(out.messages().len(), 1);
    assert_eq!(out.messages()[0].body(), Some("after"));
}

/// The flow of the AWS SDK for Rust SQS example (awsdocs/aws-doc-sdk-examples `rustv1/examples/sqs`,
/// `sqs-hello-world`) as its users run it: a client whose region is the examples' fallback (`us-west-2`)
/// and an endpoint written with a trailing slash (the `use-localstack` example's form). ListQueues on an
/// empty account lists nothing; the first listed queue takes a message; a ReceiveMessage with no options
/// returns that one message, with no attributes, and nothing more while it is in flight.
#[tokio::test]
async fn docs_example_hello_flow_from_another_region_and_a_slash_ended_endpoint() {
    let server = Server::in_memory();
    let client = common::client_in(&format!("{}/", server.endpoint()), "us-west-2");

    let listed = client.list_queues().send().await.unwrap();
    assert!(listed.queue_urls().is_empty(), "{listed:?}");
    let url = create_queue(&client, &unique_name("hello"), &[]).await;
    let listed = client.list_queues().send().await.unwrap();
    assert_eq!(listed.queue_urls().first(), Some(&url));

    let body = "hello from my queue";
    let sent = client
        .send_message()
        .queue_url(&url)
        .message_body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.md5_of_message_body(),
        Some(md5_hex(body.as_bytes()).as_str())
    );
    assert_eq!(sent.md5_of_message_attributes(), None);

    let received = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    let messages = received.messages();
    assert_eq!(messages.len(), 1, "{received:?}");
    let message = &messages[0];
    assert_eq!(message.body(), Some(body));
    assert_eq!(message.message_id(), sent.message_id());
    assert_eq!(message.md5_of_body(), sent.md5_of_message_body());
    assert!(message.receipt_handle().is_some());
    assert!(message.attributes().is_none() && message.message_attributes().is_none());

    let again = client
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert!(again.messages().is_empty(), "{again:?}");
}
