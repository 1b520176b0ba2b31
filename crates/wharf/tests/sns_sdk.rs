//! End-to-end tests of SNS in the real `wharf` binary through aws-sdk-sns (AWS Query protocol), delivering to
//! queues read back with aws-sdk-sqs. One scenario per test; every test starts its own in-memory server.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::primitives::Blob;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use base64::Engine as _;
use common::{http_get, unique_name, Server};
use serde_json::Value;

const ACCOUNT: &str = "000000000000";

/// Both clients of one server.
struct Clients {
    sns: aws_sdk_sns::Client,
    sqs: aws_sdk_sqs::Client,
}

impl Clients {
    fn of(server: &Server) -> Clients {
        Clients {
            sns: server.sns_client(),
            sqs: server.client(),
        }
    }

    async fn topic(&self, name: &str, attributes: &[(&str, &str)]) -> String {
        let mut request = self.sns.create_topic().name(name);
        for (key, value) in attributes {
            request = request.attributes(*key, *value);
        }
        request
            .send()
            .await
            .expect("CreateTopic")
            .topic_arn()
            .expect("TopicArn")
            .to_string()
    }

    /// A new queue: (url, arn).
    async fn queue(&self, name: &str) -> (String, String) {
        let mut request = self.sqs.create_queue().queue_name(name);
        if name.ends_with(".fifo") {
            request = request.attributes(QueueAttributeName::FifoQueue, "true");
        }
        let url = request
            .send()
            .await
            .expect("CreateQueue")
            .queue_url()
            .expect("QueueUrl")
            .to_string();
        let arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("GetQueueAttributes")
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .expect("QueueArn");
        (url, arn)
    }

    /// Subscribes the queue `queue_arn`; returns the subscription ARN.
    async fn subscribe_queue(
        &self,
        topic_arn: &str,
        queue_arn: &str,
        attributes: &[(&str, &str)],
    ) -> String {
        let mut request = self
            .sns
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .return_subscription_arn(true);
        for (key, value) in attributes {
            request = request.attributes(*key, *value);
        }
        request
            .send()
            .await
            .expect("Subscribe")
            .subscription_arn()
            .expect("SubscriptionArn")
            .to_string()
    }

    /// Receives until `expected` messages arrived (deleting them) or `timeout` passed.
    async fn receive(&self, url: &str, expected: usize, timeout: Duration) -> Vec<Message> {
        let mut messages = Vec::new();
        let deadline = Instant::now() + timeout;
        while messages.len() < expected && Instant::now() < deadline {
            let output = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .expect("ReceiveMessage");
            for message in output.messages() {
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .expect("DeleteMessage");
                messages.push(message.clone());
            }
        }
        messages
    }

    /// Bodies of the messages that arrive within a short wait (for "nothing else arrived").
    async fn drain(&self, url: &str) -> Vec<String> {
        self.receive(url, usize::MAX, Duration::from_millis(1500))
            .await
            .iter()
            .map(|m| m.body().unwrap_or_default().to_string())
            .collect()
    }
}

fn string_attr(data_type: &str, value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .unwrap()
}

fn envelope(message: &Message) -> Value {
    serde_json::from_str(message.body().expect("a body")).expect("a JSON envelope")
}

fn text<'a>(envelope: &'a Value, member: &str) -> &'a str {
    envelope[member]
        .as_str()
        .unwrap_or_else(|| panic!("{member} missing from {envelope:#}"))
}

/// Verifies an envelope's `Signature` as a subscriber would: download `SigningCertURL`, take the RSA key of
/// the certificate, check the signature over AWS's string to sign for the message type.
fn verify_signature(envelope: &Value) {
    use rsa::pkcs8::DecodePublicKey;
    use x509_cert::der::{DecodePem, Encode};

    let (status, pem) = http_get(text(envelope, "SigningCertURL"));
    assert_eq!(status, 200);
    let certificate = x509_cert::Certificate::from_pem(pem.as_bytes()).expect("a PEM certificate");
    let spki = certificate
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let key = rsa::PublicKey::from_public_key_der(&spki).expect("an RSA public key");
    let members: &[&str] = if text(envelope, "Type") == "Notification" {
        &[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ]
    } else {
        &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ]
    };
    let mut string_to_sign = String::new();
    for member in members {
        if let Some(value) = envelope[*member].as_str() {
            string_to_sign.push_str(&format!("{member}\n{value}\n"));
        }
    }
    let signature = base64::engine::general_purpose::STANDARD
        .decode(text(envelope, "Signature"))
        .expect("a base64 signature");
    assert_eq!(signature.len(), 256, "an RSA 2048 signature");
    let verified = match text(envelope, "SignatureVersion") {
        "1" => key.pkcs1v15_verify::<sha1::Sha1>(string_to_sign.as_bytes(), &signature),
        "2" => key.pkcs1v15_verify::<rsa::sha2::Sha256>(string_to_sign.as_bytes(), &signature),
        other => panic!("unexpected SignatureVersion {other}"),
    };
    verified.unwrap_or_else(|e| panic!("signature does not verify ({e}) for {envelope:#}"));
}

#[tokio::test]
async fn topics_are_idempotent_and_list_in_pages() {
    let server = Server::in_memory();
    let c = Clients::of(&server);
    let name = unique_name("idem");
    let arn = c.topic(&name, &[("DisplayName", "D")]).await;
    assert_eq!(arn, format!("arn:aws:sns:us-east-1:{ACCOUNT}:{name}"));
    assert_eq!(c.topic(&name, &[("DisplayName", "D")]).await, arn);
    let fifo = c
        .topic(&format!("{name}.fifo"), &[("FifoTopic", "true")])
        .await;
    assert_eq!(
        c.topic(&format!("{name}.fifo"), &[("FifoTopic", "true")])
            .await,
        fifo
    );
    let attributes = c
        .sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap()
        .attributes()
        .cloned()
        .unwrap();
    assert_eq!(attributes["DisplayName"], "D");
    assert_eq!(attributes["TopicArn"], arn);

    let mut created = vec![arn, fifo];
    for i in 0..103 {
        created.push(c.topic(&format!("{name}-{i}"), &[]).await);
    }
    let mut listed = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let page = c
            .sns
            .list_topics()
            .set_next_token(token.take())
            .send()
            .await
            .expect("ListTopics");
        pages += 1;
        assert!(page.topics().len() <= 100);
        listed.extend(
            page.topics()
                .iter()
                .map(|t| t.topic_arn().unwrap().to_string()),
        );
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    listed.sort();
    created.sort();
    assert_eq!(listed, created);
}

#[tokio::test]
async fn publish_delivers_a_signed_envelope_to_a_queue() {
    let server = Server::in_memory();
    let c = Clients::of(&server);
    let topic = c.topic(&unique_name("env"), &[]).await;
    let (url, queue_arn) = c.queue(&unique_name("env")).await;
    let sub = c.subscribe_queue(&topic, &queue_arn, &[]).await;
    assert!(sub.starts_with(&format!("{topic}:")));

    let published = c
        .sns
        .publish()
        .topic_arn(&topic)
        .message("hello\nworld")
        .subject("Greetings")
        .message_attributes("color", string_attr("String", "blue"))
        .message_attributes("count", string_attr("Number", "3"))
        .send()
        .await
        .expect("Publish");
    let message_id = published.message_id().unwrap();
    assert!(published.sequence_number().is_none());

    let messages = c.receive(&url, 1, Duration::from_secs(5)).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0].message_attributes().is_none());
    let body = envelope(&messages[0]);
    assert_eq!(text(&body, "Type"), "Notification");
    assert_eq!(text(&body, "MessageId"), message_id);
    assert_eq!(text(&body, "TopicArn"), topic);
    assert_eq!(text(&body, "Subject"), "Greetings");
    assert_eq!(text(&body, "Message"), "hello\nworld");
    let timestamp = text(&body, "Timestamp");
    assert_eq!(timestamp.len(), "2024-01-01T00:00:00.000Z".len());
    assert!(timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b'T');
    assert_eq!(text(&body, "SignatureVersion"), "1");
    assert_eq!(
        text(&body, "SigningCertURL"),
        format!(
            "{}/_wharf/sns/SimpleNotificationService.pem",
            server.endpoint()
        )
    );
    assert_eq!(
        text(&body, "UnsubscribeURL"),
        format!(
            "{}/?Action=Unsubscribe&SubscriptionArn={}",
            server.endpoint(),
            sub.replace(':', "%3A")
        )
    );
    assert_eq!(
        body["MessageAttributes"]["color"],
        serde_json::json!({"Type": "String", "Value": "blue"})
    );
    assert_eq!(
        body["MessageAttributes"]["count"],
        serde_json::json!({"Type": "Number", "Value": "3"})
    );
    assert!(body.get("SequenceNumber").is_none());
    verify_signature(&body);

    // SignatureVersion 2 (SHA256withRSA); without a Subject, none is signed.
    c.sns
        .set_topic_attributes()
        .topic_arn(&topic)
        .attribute_name("SignatureVersion")
        .attribute_value("2")
        .send()
        .await
        .expect("SetTopicAttributes");
    c.sns
        .publish()
        .topic_arn(&topic)
        .message("second")
        .send()
        .await
        .unwrap();
    let messages = c.receive(&url, 1, Duration::from_secs(5)).await;
    let body = envelope(&messages[0]);
    assert_eq!(text(&body, "SignatureVersion"), "2");
    assert!(body.get("Subject").is_none());
    verify_signature(&body);

    // The UnsubscribeURL works by GET.
    let (status, response) = http_get(text(&body, "UnsubscribeURL"));
    assert_eq!(status, 200, "{response}");
    c.sns
        .publish()
        .topic_arn(&topic)
        .message("after unsubscribing")
        .send()
        .await
        .unwrap();
    assert!(c.drain(&url).await.is_empty());
}

#[tokio::test]
async fn raw_delivery_keeps_message_attributes() {
    let server = Server::in_memory();
    let c = Clients::of(&server);
    let topic = c.topic(&unique_name("raw"), &[]).await;
    let (url, queue_arn) = c.queue(&unique_name("raw")).await;
    let sub = c
        .subscribe_queue(&topic, &queue_arn, &[("RawMessageDelivery", "true")])
        .await;
    let attributes = c
        .sns
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap()
        .attributes()
        .cloned()
        .unwrap();
    assert_eq!(attributes["RawMessageDelivery"], "true");
    assert_eq!(attributes["Protocol"], "sqs");
    assert_eq!(attributes["Endpoint"], queue_arn);

    c.sns
        .publish()
        .topic_arn(&topic)
        .message("just the body")
        .message_attributes("color", string_attr("String", "red"))
        .message_attributes("price", string_attr("Number", "9.5"))
        .message_attributes(
            "blob",
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(Blob::new(vec![0u8, 1, 2, 255]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let messages = c.receive(&url, 1, Duration::from_secs(5)).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body(), Some("just the body"));
    let received = messages[0]
        .message_attributes()
        .expect("message attributes");
    assert_eq!(received.len(), 3);
    assert_eq!(received["color"].data_type(), "String");
    assert_eq!(received["color"].string_value(), Some("red"));
    assert_eq!(received["price"].data_type(), "Number");
    assert_eq!(received["price"].string_value(), Some("9.5"));
    assert_eq!(received["blob"].data_type(), "Binary");
    assert_eq!(
        received["blob"].binary_value().map(|b| b.as_ref().to_vec()),
        Some(vec![0u8, 1, 2, 255])
    );
    assert_eq!(
        messages[0].md5_of_message_attributes(),
        Some(common::md5_of_message_attributes(received).as_str())
    );
}

#[tokio::test]
async fn filter_policies_select_what_a_subscription_receives() {
    let server = Server::in_memory();
    let c = Clients::of(&server);
    let topic = c.topic(&unique_name("filter"), &[]).await;
    let (all_url, all_arn) = c.queue(&unique_name("all")).await;
    let (blue_url, blue_arn) = c.queue(&unique_name("blue")).await;
    let (body_url, body_arn) = c.queue(&unique_name("body")).await;
    c.subscribe_queue(&topic, &all_arn, &[("RawMessageDelivery", "true")])
        .await;
    c.subscribe_queue(
        &topic,
        &blue_arn,
        &[
            ("RawMessageDelivery", "true"),
            (
                "FilterPolicy",
                r#"{"color": ["blue"], "size": [{"numeric": [">", 10]}]}"#,
            ),
        ],
    )
    .await;
    c.subscribe_queue(
        &topic,
        &body_arn,
        &[
            ("RawMessageDelivery", "true"),
            ("FilterPolicyScope", "MessageBody"),
            (
                "FilterPolicy",
                r#"{"order": {"kind": [{"prefix": "rush"}]}}"#,
            ),
        ],
    )
    .await;

    let publish = |message: &'static str, color: &'static str, size: &'static str| {
        c.sns
            .publish()
            .topic_arn(&topic)
            .message(message)
            .message_attributes("color", string_attr("String", color))
            .message_attributes("size", string_attr("Number", size))
            .send()
    };
    publish("blue-big", "blue", "11").await.unwrap();
    publish("blue-small", "blue", "2").await.unwrap();
    publish("red-big", "red", "50").await.unwrap();
    publish(r#"{"order": {"kind": "rush-delivery"}}"#, "red", "1")
        .await
        .unwrap();
    publish(r#"{"order": {"kind": "standard"}}"#, "red", "1")
        .await
        .unwrap();

    let mut all = c.drain(&all_url).await;
    all.sort();
    assert_eq!(all.len(), 5, "{all:?}");
    assert_eq!(c.drain(&blue_url).await, vec!["blue-big".to_string()]);
    assert_eq!(
        c.drain(&body_url).await,
        vec![r#"{"order": {"kind": "rush-delivery"}}"#.to_string()]
    );
}

#[tokio::test]
async fn fifo_topic_to_fifo_queue_keeps_order_and_deduplicates() {
    let server = Server::in_memory();
    let c = Clients::of(&server);
    let topic = c
        .topic(
            &format!("{}.fifo", unique_name("order")),
            &[("FifoTopic", "true")],
        )
        .await;
    let (url, queue_arn) = c.queue(&format!("{}.fifo", unique_name("order"))).await;
    c.subscribe_queue(&topic, &queue_arn, &[]).await;

    let mut ids = Vec::new();
    let mut sequence_numbers = Vec::new();
    for i in 0..6 {
        let output = c
            .sns
            .publish()
            .topic_arn(&topic)
            .message(format!("m{i}"))
            .message_group_id(if i % 2 == 0 { "even" } else { "odd" })
            .message_deduplication_id(format!("d{i}"))
            .send()
            .await
            .expect("Publish");
        ids.push(output.message_id().unwrap().to_string());
        let seq = output
            .sequence_number()
            .expect("SequenceNumber")
            .to_string();
        assert_eq!(seq.len(), 20);
        sequence_numbers.push(seq);
    }
    let mut sorted = sequence_numbers.clone();
    sorted.sort();
    assert_eq!(sorted, sequence_numbers, "sequence numbers increase");

    // A duplicate within the window is accepted but not delivered, and gets the original's id.
    let duplicate = c
        .sns
        .publish()
        .topic_arn(&topic)
        .message("again")
        .message_group_id("even")
        .message_deduplication_id("d0")
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.message_id(), Some(ids[0].as_str()));

    let messages = c.receive(&url, 6, Duration::from_secs(10)).await;
    let group = |m: &Message| {
        m.attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId).cloned())
            .unwrap()
    };
    let in_group = |name: &str| -> Vec<String> {
        messages
            .iter()
            .filter(|m| group(m) == name)
            .map(|m| text(&envelope(m), "Message").to_string())
            .collect()
    };
    assert_eq!(in_group("even"), ["m0", "m2", "m4"]);
    assert_eq!(in_group("odd"), ["m1", "m3", "m5"]);
    for message in &messages {
        let body = envelope(message);
        let i: usize = text(&body, "Message")[1..].parse().unwrap();
        assert_eq!(text(&body, "MessageId"), ids[i]);
        assert_eq!(text(&body, "SequenceNumber"), sequence_numbers[i]);
        assert_eq!(
            message
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::MessageDeduplicationId)),
            Some(&format!("d{i}"))
        );
    }
    assert!(
        c.drain(&url).await.is_empty(),
        "the duplicate was not delivered"
    );

    // FIFO topics need a group id, and a dedup id without content-based deduplication.
    let error = c
        .sns
        .publish()
        .topic_arn(&topic)
        .message("no group")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_parameter_exception(), "{error:?}");
    assert_eq!(
        error.message(),
        Some("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    );
}

#[tokio::test]
async fn publish_batch_refuses_an_invalid_entry_whole() {
    let server = Server::in_memory();
    let c = Clients::of(&server);
    let topic = c.topic(&unique_name("batch"), &[]).await;
    let (url, queue_arn) = c.queue(&unique_name("batch")).await;
    c.subscribe_queue(&topic, &queue_arn, &[("RawMessageDelivery", "true")])
        .await;
    let entry =
        |id: &str, message: &str| PublishBatchRequestEntry::builder().id(id).message(message);
    let valid = [
        entry("one", "first").build().unwrap(),
        entry("two", "second")
            .message_attributes("k", string_attr("String", "v"))
            .build()
            .unwrap(),
    ];
    // An invalid entry fails the whole request, nothing is published (AWS, as recorded in LocalStack's
    // test_sns.snapshot.json, test_publish_batch_exceptions).
    let error = c
        .sns
        .publish_batch()
        .topic_arn(&topic)
        .set_publish_batch_request_entries(Some(valid.to_vec()))
        .publish_batch_request_entries(
            entry("bad", "not json")
                .message_structure("json")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidParameter"), "{error:?}");
    let output = c
        .sns
        .publish_batch()
        .topic_arn(&topic)
        .set_publish_batch_request_entries(Some(valid.to_vec()))
        .send()
        .await
        .expect("PublishBatch");
    let mut successful: Vec<&str> = output.successful().iter().filter_map(|e| e.id()).collect();
    successful.sort();
    assert_eq!(successful, ["one", "two"]);
    assert!(output.successful().iter().all(|e| e.message_id().is_some()));
    assert!(output.failed().is_empty());
    let mut bodies: Vec<String> = c
        .receive(&url, 3, Duration::from_secs(2))
        .await
        .iter()
        .map(|m| m.body().unwrap().to_string())
        .collect();
    bodies.sort();
    assert_eq!(bodies, ["first", "second"]);

    let mut too_many = c.sns.publish_batch().topic_arn(&topic);
    for i in 0..11 {
        too_many =
            too_many.publish_batch_request_entries(entry(&i.to_string(), "m").build().unwrap());
    }
    let error = too_many.send().await.unwrap_err().into_service_error();
    assert!(
        error.is_too_many_entries_in_batch_request_exception(),
        "{error:?}"
    );
    let error = c
        .sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(entry("a", "m").build().unwrap())
        .publish_batch_request_entries(entry("a", "n").build().unwrap())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        error.is_batch_entry_ids_not_distinct_exception(),
        "{error:?}"
    );
}

#[tokio::test]
async fn errors_carry_aws_codes() {
    let server = Server::in_memory();
    let c = Clients::of(&server);
    let missing = format!("arn:aws:sns:us-east-1:{ACCOUNT}:{}", unique_name("missing"));

    let error = c
        .sns
        .publish()
        .topic_arn(&missing)
        .message("x")
        .send()
        .await
        .unwrap_err();
    let raw_status = error.raw_response().map(|r| r.status().as_u16());
    let error = error.into_service_error();
    assert!(error.is_not_found_exception(), "{error:?}");
    assert_eq!(error.code(), Some("NotFound"));
    assert_eq!(error.message(), Some("Topic does not exist"));
    assert_eq!(raw_status, Some(404));

    let error = c
        .sns
        .get_topic_attributes()
        .topic_arn(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_not_found_exception(), "{error:?}");

    let error = c
        .sns
        .subscribe()
        .topic_arn(&missing)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:q"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_not_found_exception(), "{error:?}");

    // Deleting a topic that does not exist succeeds, as on AWS.
    c.sns
        .delete_topic()
        .topic_arn(&missing)
        .send()
        .await
        .unwrap();

    let error = c
        .sns
        .get_topic_attributes()
        .topic_arn("not-an-arn")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_parameter_exception(), "{error:?}");
    assert_eq!(error.code(), Some("InvalidParameter"));

    let error = c
        .sns
        .create_topic()
        .name("bad name!")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_parameter_exception(), "{error:?}");

    let topic = c.topic(&unique_name("sub"), &[]).await;
    let error = c
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint("not-an-arn")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_parameter_exception(), "{error:?}");
    assert_eq!(error.message(), Some("Invalid parameter: SQS endpoint ARN"));

    let error = c
        .sns
        .get_subscription_attributes()
        .subscription_arn(format!("{topic}:00000000-0000-0000-0000-000000000000"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_not_found_exception(), "{error:?}");

    let attributes: HashMap<String, String> = c
        .sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap()
        .attributes()
        .cloned()
        .unwrap();
    assert_eq!(attributes["SubscriptionsConfirmed"], "0");
}

#[tokio::test]
async fn a_topic_with_fifty_queue_subscriptions_delivers_to_every_queue() {
    let server = Server::in_memory();
    let c = Clients::of(&server);
    let topic = c.topic(&unique_name("wide"), &[]).await;
    let mut queues = Vec::new();
    for i in 0..50 {
        let (url, queue_arn) = c.queue(&unique_name(&format!("wide{i}"))).await;
        let raw = if i % 2 == 0 { "true" } else { "false" };
        c.subscribe_queue(&topic, &queue_arn, &[("RawMessageDelivery", raw)])
            .await;
        queues.push(url);
    }
    let mut published = Vec::new();
    for n in 0..3 {
        let out = c
            .sns
            .publish()
            .topic_arn(&topic)
            .message(format!("fan-out {n}"))
            .send()
            .await
            .expect("Publish");
        published.push(out.message_id().unwrap().to_string());
    }
    // Publish returns once the message is in every queue: each one holds all three right away.
    for (i, url) in queues.iter().enumerate() {
        let output = c
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("ReceiveMessage");
        let mut messages: Vec<String> = output
            .messages()
            .iter()
            .map(|m| {
                let body = m.body().unwrap_or_default();
                if i % 2 == 0 {
                    body.to_string()
                } else {
                    let envelope: Value = serde_json::from_str(body).unwrap();
                    assert!(published.contains(&text(&envelope, "MessageId").to_string()));
                    text(&envelope, "Message").to_string()
                }
            })
            .collect();
        messages.sort();
        assert_eq!(
            messages,
            ["fan-out 0", "fan-out 1", "fan-out 2"],
            "queue {i}"
        );
    }
    let attributes: HashMap<String, String> = c
        .sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap()
        .attributes()
        .cloned()
        .unwrap();
    assert_eq!(attributes["SubscriptionsConfirmed"], "50");
}

/// The AWS SDK for Rust SNS examples (awsdocs/aws-doc-sdk-examples `rustv1/examples/sns`: `create-topic`,
/// `list-topics`, `sns-hello-world`) through a client whose region is the examples' fallback (`us-west-2`)
/// and an endpoint with a trailing slash. An email subscription needs confirmation: Subscribe answers
/// "pending confirmation", or the subscription's ARN with `ReturnSubscriptionArn` (API reference,
/// Subscribe `SubscriptionArn`), which GetSubscriptionAttributes shows as `PendingConfirmation` "true";
/// listings show "PendingConfirmation"; Publish to the topic still succeeds. An address that is not an
/// email address is refused.
#[tokio::test]
async fn docs_example_email_subscription_stays_pending_and_publish_succeeds() {
    let server = Server::in_memory();
    let sns = common::sns_client_in(&format!("{}/", server.endpoint()), "us-west-2");
    let name = unique_name("hello");
    let arn = sns
        .create_topic()
        .name(&name)
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let listed = sns.list_topics().send().await.unwrap();
    let listed: Vec<_> = listed
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .collect();
    assert_eq!(listed, [arn.as_str()]);

    let pending = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("email")
        .endpoint("someone@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(pending.subscription_arn(), Some("pending confirmation"));
    let with_arn = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("email")
        .endpoint("other@example.com")
        .return_subscription_arn(true)
        .send()
        .await
        .unwrap();
    let sub_arn = with_arn.subscription_arn().unwrap();
    assert!(sub_arn.starts_with(&format!("{arn}:")), "{sub_arn}");
    let attributes = sns
        .get_subscription_attributes()
        .subscription_arn(sub_arn)
        .send()
        .await
        .unwrap();
    let attributes = attributes.attributes().unwrap();
    assert_eq!(attributes["PendingConfirmation"], "true");
    assert_eq!(attributes["Protocol"], "email");
    let subscriptions = sns
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    let mut endpoints: Vec<_> = subscriptions
        .subscriptions()
        .iter()
        .map(|s| (s.endpoint().unwrap(), s.subscription_arn().unwrap()))
        .collect();
    endpoints.sort();
    assert_eq!(
        endpoints,
        [
            ("other@example.com", "PendingConfirmation"),
            ("someone@example.com", "PendingConfirmation")
        ]
    );

    let published = sns
        .publish()
        .topic_arn(&arn)
        .message("hello sns!")
        .send()
        .await
        .unwrap();
    assert!(published.message_id().is_some_and(|id| !id.is_empty()));

    let error = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("email")
        .endpoint("not-an-email")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidParameter"));
    assert_eq!(error.message(), Some("Invalid parameter: Email address"));
}
