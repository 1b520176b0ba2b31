//! SNS engine scenarios over a real SQS engine, with an injected clock: topics, fan-out to queues (envelope,
//! raw, filters, FIFO), HTTP delivery with confirmations, retries and the dead-letter queue, and recovery.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wharf_sns::model::*;
use wharf_sns::{ErrorKind, Sns, SnsConfig};
use wharf_sqs::{ManualClock, Sqs, SqsConfig};
use wharf_store::Store;

const START: u64 = 1_700_000_000_000;
const ACCOUNT: &str = "000000000000";

struct World {
    sns: Arc<Sns>,
    sqs: Arc<Sqs>,
    clock: ManualClock,
}

fn world_on(store: Store, clock: ManualClock) -> World {
    let sqs = Sqs::open(SqsConfig::default(), Arc::new(clock.clone()), store.clone()).unwrap();
    let sns = Sns::open(
        SnsConfig::default(),
        Arc::new(clock.clone()),
        store,
        Arc::clone(&sqs),
    )
    .unwrap();
    World { sns, sqs, clock }
}

fn world() -> World {
    world_on(Store::in_memory(), ManualClock::new(START))
}

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn string_attr(value: &str) -> MessageAttributeValue {
    MessageAttributeValue {
        data_type: Some("String".into()),
        string_value: Some(value.into()),
        binary_value: None,
    }
}

impl World {
    async fn topic(&self, name: &str, attributes: &[(&str, &str)]) -> String {
        self.sns
            .create_topic(CreateTopicInput {
                name: Some(name.into()),
                attributes: attrs(attributes),
                ..Default::default()
            })
            .await
            .unwrap()
            .topic_arn
    }

    async fn queue(&self, name: &str, attributes: &[(&str, &str)]) -> (String, String) {
        let url = self
            .sqs
            .create_queue(wharf_sqs::model::CreateQueueInput {
                queue_name: Some(name.into()),
                attributes: attrs(attributes),
                tags: Default::default(),
            })
            .await
            .unwrap()
            .queue_url;
        (url, format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"))
    }

    async fn subscribe(
        &self,
        topic: &str,
        protocol: &str,
        endpoint: &str,
        attributes: &[(&str, &str)],
    ) -> Result<String, wharf_sns::SnsError> {
        self.sns
            .subscribe(SubscribeInput {
                topic_arn: Some(topic.into()),
                protocol: Some(protocol.into()),
                endpoint: Some(endpoint.into()),
                attributes: attrs(attributes),
                return_subscription_arn: true,
            })
            .await
            .map(|o| o.subscription_arn)
    }

    async fn publish(&self, input: PublishInput) -> Result<PublishOutput, wharf_sns::SnsError> {
        self.sns.publish(input).await
    }

    async fn receive(&self, url: &str) -> Vec<wharf_sqs::model::ReceivedMessage> {
        self.sqs
            .receive_message(wharf_sqs::model::ReceiveMessageInput {
                queue_url: Some(url.into()),
                max_number_of_messages: Some(10),
                message_attribute_names: vec!["All".into()],
                attribute_names: vec!["All".into()],
                wait_time_seconds: Some(0),
                visibility_timeout: Some(600),
                ..Default::default()
            })
            .await
            .unwrap()
            .messages
    }
}

fn publish_to(topic: &str, message: &str) -> PublishInput {
    PublishInput {
        topic_arn: Some(topic.into()),
        message: Some(message.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn topics_are_idempotent_and_validated() {
    let w = world();
    let arn = w.topic("orders", &[("DisplayName", "Orders")]).await;
    assert_eq!(arn, format!("arn:aws:sns:us-east-1:{ACCOUNT}:orders"));
    assert_eq!(w.topic("orders", &[("DisplayName", "Orders")]).await, arn);
    let err = w
        .sns
        .create_topic(CreateTopicInput {
            name: Some("orders".into()),
            attributes: attrs(&[("DisplayName", "Other")]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    );
    for bad in ["", "has space", "dot.name", &"x".repeat(257)] {
        let err = w
            .sns
            .create_topic(CreateTopicInput {
                name: Some(bad.into()),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidParameter, "{bad}");
    }
    let err = w
        .sns
        .create_topic(CreateTopicInput {
            name: Some("nofifo".into()),
            attributes: attrs(&[("FifoTopic", "true")]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err
        .message
        .starts_with("Invalid parameter: Fifo Topic names must end with .fifo"));
    let fifo = w.topic("events.fifo", &[("FifoTopic", "true")]).await;
    let attributes = w
        .sns
        .get_topic_attributes(TopicArnInput {
            topic_arn: Some(fifo.clone()),
        })
        .unwrap()
        .attributes;
    assert_eq!(attributes["FifoTopic"], "true");
    assert_eq!(attributes["ContentBasedDeduplication"], "false");
    assert_eq!(attributes["SubscriptionsConfirmed"], "0");
    assert!(attributes["Policy"].contains("__default_policy_ID"));
    assert!(attributes["EffectiveDeliveryPolicy"].contains("\"numRetries\":3"));
    let standard = w
        .sns
        .get_topic_attributes(TopicArnInput {
            topic_arn: Some(arn.clone()),
        })
        .unwrap()
        .attributes;
    assert_eq!(standard["DisplayName"], "Orders");
    assert!(!standard.contains_key("FifoTopic"));
    let err = w
        .sns
        .set_topic_attributes(SetTopicAttributesInput {
            topic_arn: Some(arn.clone()),
            attribute_name: Some("ContentBasedDeduplication".into()),
            attribute_value: Some("true".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidParameter);

    // Paging: 100 per page.
    for i in 0..230 {
        w.topic(&format!("t{i:03}"), &[]).await;
    }
    let mut seen = 0;
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = w
            .sns
            .list_topics(NextTokenInput {
                next_token: token.clone(),
            })
            .unwrap();
        seen += page.topics.len();
        pages += 1;
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!((seen, pages), (232, 3));

    w.sns
        .delete_topic(TopicArnInput {
            topic_arn: Some(arn.clone()),
        })
        .await
        .unwrap();
    w.sns
        .delete_topic(TopicArnInput {
            topic_arn: Some(arn.clone()),
        })
        .await
        .unwrap();
    let err = w
        .sns
        .get_topic_attributes(TopicArnInput {
            topic_arn: Some(arn),
        })
        .unwrap_err();
    assert_eq!(
        (err.kind, err.message.as_str()),
        (ErrorKind::NotFound, "Topic does not exist")
    );
    assert_eq!(err.kind.http_status(), 404);
}

#[tokio::test]
async fn publish_delivers_the_envelope_to_queues() {
    let w = world();
    let topic = w.topic("news", &[]).await;
    let (url, queue_arn) = w.queue("inbox", &[]).await;
    let sub = w.subscribe(&topic, "sqs", &queue_arn, &[]).await.unwrap();
    assert!(sub.starts_with(&format!("{topic}:")));
    let mut message_attributes = MessageAttributes::new();
    message_attributes.insert("color".into(), string_attr("blue"));
    let out = w
        .publish(PublishInput {
            subject: Some("Greetings".into()),
            message_attributes,
            ..publish_to(&topic, "hello")
        })
        .await
        .unwrap();
    let messages = w.receive(&url).await;
    assert_eq!(messages.len(), 1);
    let envelope: Value = serde_json::from_str(&messages[0].body).unwrap();
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["MessageId"], out.message_id.as_str());
    assert_eq!(envelope["TopicArn"], topic.as_str());
    assert_eq!(envelope["Subject"], "Greetings");
    assert_eq!(envelope["Message"], "hello");
    assert_eq!(envelope["Timestamp"], "2023-11-14T22:13:20.000Z");
    assert_eq!(envelope["SignatureVersion"], "1");
    assert!(envelope["UnsubscribeURL"]
        .as_str()
        .unwrap()
        .contains("Action=Unsubscribe"));
    assert_eq!(
        envelope["MessageAttributes"]["color"],
        serde_json::json!({"Type": "String", "Value": "blue"})
    );
    assert!(messages[0].message_attributes.is_empty());

    // Raw delivery: the message itself, attributes as SQS message attributes.
    w.sns
        .set_subscription_attributes(SetSubscriptionAttributesInput {
            subscription_arn: Some(sub.clone()),
            attribute_name: Some("RawMessageDelivery".into()),
            attribute_value: Some("true".into()),
        })
        .await
        .unwrap();
    let mut message_attributes = MessageAttributes::new();
    message_attributes.insert("color".into(), string_attr("red"));
    w.publish(PublishInput {
        message_attributes,
        ..publish_to(&topic, "raw body")
    })
    .await
    .unwrap();
    let messages = w.receive(&url).await;
    assert_eq!(messages[0].body, "raw body");
    assert_eq!(
        messages[0].message_attributes["color"]
            .string_value
            .as_deref(),
        Some("red")
    );

    let attributes = w
        .sns
        .get_subscription_attributes(SubscriptionArnInput {
            subscription_arn: Some(sub.clone()),
        })
        .unwrap()
        .attributes;
    assert_eq!(attributes["RawMessageDelivery"], "true");
    assert_eq!(attributes["PendingConfirmation"], "false");
    assert_eq!(attributes["Protocol"], "sqs");
    assert_eq!(attributes["Endpoint"], queue_arn);

    // MessageStructure=json picks the "sqs" message.
    w.publish(PublishInput {
        message_structure: Some("json".into()),
        ..publish_to(&topic, r#"{"default":"d","sqs":"for queues"}"#)
    })
    .await
    .unwrap();
    assert_eq!(w.receive(&url).await[0].body, "for queues");

    // Unsubscribed: nothing more arrives; unsubscribing again is fine.
    for _ in 0..2 {
        w.sns
            .unsubscribe(SubscriptionArnInput {
                subscription_arn: Some(sub.clone()),
            })
            .await
            .unwrap();
    }
    w.publish(publish_to(&topic, "lost")).await.unwrap();
    assert!(w.receive(&url).await.is_empty());
    let attributes = w
        .sns
        .get_topic_attributes(TopicArnInput {
            topic_arn: Some(topic),
        })
        .unwrap()
        .attributes;
    assert_eq!(attributes["SubscriptionsDeleted"], "1");
}

#[tokio::test]
async fn filter_policies_select_subscribers() {
    let w = world();
    let topic = w.topic("shop", &[]).await;
    let (all_url, all_arn) = w.queue("all", &[]).await;
    let (big_url, big_arn) = w.queue("big", &[]).await;
    let (body_url, body_arn) = w.queue("body", &[]).await;
    w.subscribe(&topic, "sqs", &all_arn, &[]).await.unwrap();
    w.subscribe(
        &topic,
        "sqs",
        &big_arn,
        &[(
            "FilterPolicy",
            r#"{"price": [{"numeric": [">=", 100]}], "kind": ["order"]}"#,
        )],
    )
    .await
    .unwrap();
    w.subscribe(
        &topic,
        "sqs",
        &body_arn,
        &[
            (
                "FilterPolicy",
                r#"{"order": {"region": [{"prefix": "eu-"}]}}"#,
            ),
            ("FilterPolicyScope", "MessageBody"),
            ("RawMessageDelivery", "true"),
        ],
    )
    .await
    .unwrap();
    let publish = |price: &str, body: &str| {
        let mut a = MessageAttributes::new();
        a.insert("kind".into(), string_attr("order"));
        a.insert(
            "price".into(),
            MessageAttributeValue {
                data_type: Some("Number".into()),
                string_value: Some(price.into()),
                binary_value: None,
            },
        );
        PublishInput {
            message_attributes: a,
            ..publish_to(&topic, body)
        }
    };
    w.publish(publish("150", r#"{"order":{"region":"eu-west-1"}}"#))
        .await
        .unwrap();
    w.publish(publish("50", r#"{"order":{"region":"us-east-1"}}"#))
        .await
        .unwrap();
    assert_eq!(w.receive(&all_url).await.len(), 2);
    assert_eq!(w.receive(&big_url).await.len(), 1);
    let body = w.receive(&body_url).await;
    assert_eq!(body.len(), 1);
    assert!(body[0].body.contains("eu-west-1"));

    // Invalid policies are refused with AWS's messages.
    let err = w
        .subscribe(
            &topic,
            "sqs",
            &all_arn,
            &[("FilterPolicy", r#"{"a": {"b": ["c"]}}"#)],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    );
    let err = w
        .subscribe(
            &topic,
            "sqs",
            &all_arn,
            &[("FilterPolicy", r#"{"a": [{"wildcard": "*"}]}"#)],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wildcard"
    );
}

#[tokio::test]
async fn fifo_topics_keep_groups_and_deduplicate() {
    let w = world();
    let topic = w
        .topic(
            "orders.fifo",
            &[
                ("FifoTopic", "true"),
                ("ContentBasedDeduplication", "false"),
            ],
        )
        .await;
    let (url, arn) = w.queue("orders.fifo", &[("FifoQueue", "true")]).await;
    w.subscribe(&topic, "sqs", &arn, &[]).await.unwrap();
    let err = w
        .subscribe(&topic, "http", "http://127.0.0.1:9/x", &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidParameter);
    let fifo_publish = |body: &str, dedup: Option<&str>| PublishInput {
        message_group_id: Some("g1".into()),
        message_deduplication_id: dedup.map(Into::into),
        ..publish_to(&topic, body)
    };
    let err = w.publish(publish_to(&topic, "no group")).await.unwrap_err();
    assert_eq!(
        err.message,
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    );
    let err = w.publish(fifo_publish("no dedup", None)).await.unwrap_err();
    assert!(err.message.contains("ContentBasedDeduplication"));
    let first = w.publish(fifo_publish("one", Some("d1"))).await.unwrap();
    let dup = w
        .publish(fifo_publish("one again", Some("d1")))
        .await
        .unwrap();
    assert_eq!(first.message_id, dup.message_id);
    assert_eq!(first.sequence_number, dup.sequence_number);
    let second = w.publish(fifo_publish("two", Some("d2"))).await.unwrap();
    assert!(second.sequence_number.as_ref().unwrap() > first.sequence_number.as_ref().unwrap());
    assert_eq!(first.sequence_number.as_ref().unwrap().len(), 20);
    let messages = w.receive(&url).await;
    assert_eq!(messages.len(), 2, "the duplicate was not delivered");
    assert_eq!(messages[0].attributes["MessageGroupId"], "g1");
    assert_eq!(messages[0].attributes["MessageDeduplicationId"], "d1");
    let envelope: Value = serde_json::from_str(&messages[0].body).unwrap();
    assert_eq!(envelope["Message"], "one");
    assert_eq!(
        envelope["SequenceNumber"],
        first.sequence_number.clone().unwrap().as_str()
    );
    let envelope: Value = serde_json::from_str(&messages[1].body).unwrap();
    assert_eq!(envelope["Message"], "two");

    // After the 5-minute window, the same id is a new message.
    w.clock.advance_secs(301);
    let again = w
        .publish(fifo_publish("one later", Some("d1")))
        .await
        .unwrap();
    assert_ne!(again.message_id, first.message_id);

    // Content-based deduplication.
    w.sns
        .set_topic_attributes(SetTopicAttributesInput {
            topic_arn: Some(topic.clone()),
            attribute_name: Some("ContentBasedDeduplication".into()),
            attribute_value: Some("true".into()),
        })
        .await
        .unwrap();
    let a = w.publish(fifo_publish("same body", None)).await.unwrap();
    let b = w.publish(fifo_publish("same body", None)).await.unwrap();
    assert_eq!(a.message_id, b.message_id);

    // A standard topic refuses FIFO queues; standard topics refuse dedup ids.
    let standard = w.topic("plain", &[]).await;
    let err = w.subscribe(&standard, "sqs", &arn, &[]).await.unwrap_err();
    assert_eq!(
        err.message,
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"
    );
    let err = w
        .publish(PublishInput {
            message_deduplication_id: Some("x".into()),
            ..publish_to(&standard, "m")
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidParameter);
}

#[tokio::test]
async fn publish_batch_reports_each_entry() {
    let w = world();
    let topic = w.topic("batch", &[]).await;
    let (url, arn) = w.queue("batchq", &[]).await;
    w.subscribe(&topic, "sqs", &arn, &[("RawMessageDelivery", "true")])
        .await
        .unwrap();
    let entry = |id: &str, message: &str| PublishBatchRequestEntry {
        id: Some(id.into()),
        message: Some(message.into()),
        ..Default::default()
    };
    // An invalid entry fails the whole request and nothing is published (as AWS answers).
    let err = w
        .sns
        .publish_batch(PublishBatchInput {
            topic_arn: Some(topic.clone()),
            publish_batch_request_entries: vec![
                entry("a", "one"),
                entry("b", ""),
                entry("c", "three"),
            ],
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidParameter);
    assert_eq!(err.message, "Invalid parameter: Empty message");
    let out = w
        .sns
        .publish_batch(PublishBatchInput {
            topic_arn: Some(topic.clone()),
            publish_batch_request_entries: vec![entry("a", "one"), entry("c", "three")],
        })
        .await
        .unwrap();
    assert_eq!(out.successful.len(), 2);
    assert!(out.failed.is_empty());
    assert_eq!(w.receive(&url).await.len(), 2);
    let err = w
        .sns
        .publish_batch(PublishBatchInput {
            topic_arn: Some(topic.clone()),
            publish_batch_request_entries: (0..11).map(|i| entry(&i.to_string(), "m")).collect(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooManyEntriesInBatchRequest);
    let err = w
        .sns
        .publish_batch(PublishBatchInput {
            topic_arn: Some(topic.clone()),
            publish_batch_request_entries: vec![entry("a", "1"), entry("a", "2")],
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BatchEntryIdsNotDistinct);
    let err = w
        .sns
        .publish_batch(PublishBatchInput {
            topic_arn: Some(topic),
            publish_batch_request_entries: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::EmptyBatchRequest);
}

type Requests = Arc<Mutex<Vec<(BTreeMap<String, String>, String)>>>;

/// A minimal HTTP endpoint: records each request and answers with the next scripted status.
struct Endpoint {
    url: String,
    requests: Requests,
    statuses: Arc<Mutex<Vec<u16>>>,
}

async fn endpoint() -> Endpoint {
    serve_endpoint(None).await
}

/// A self-signed certificate for 127.0.0.1 (P-256, valid for 100 years) and its PKCS#8 key, base64 DER.
const TEST_CERT: &str = "MIIBjzCCATagAwIBAgIUUTCvVNA8ZzTeO0MOdIPCFXDCcLIwCgYIKoZIzj0EAwIwFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTEyMTkwNloYDzIxMjYxMTAxMTIxOTA2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT8sfV7rj/Y5ng3QP3HpraWm4fvUsDHWHIklIVnU+apNcb274UpypZPbMbT4hj6hnBz+hpzV94Xf7R7qIqulaGzo2QwYjAdBgNVHQ4EFgQUmws1EQsLpR0ru4JS4pyhXFuFA4owHwYDVR0jBBgwFoAUmws1EQsLpR0ru4JS4pyhXFuFA4owDwYDVR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQCICGvxxFbXG92HhFGDcEZwI+3/tn8+koQmgs+Lb+13977AiAP4M4DzxChMnFoAKsA3wqdMMtVmx6nZgmkWFFs/vQZzA==";
const TEST_KEY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+pStAyAEqLGS1+XERXsb9NxQn9V5jvgl6+rPqY1FTwGhRANCAAT8sfV7rj/Y5ng3QP3HpraWm4fvUsDHWHIklIVnU+apNcb274UpypZPbMbT4hj6hnBz+hpzV94Xf7R7qIqulaGz";

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = rustls::pki_types::CertificateDer::from(b64.decode(TEST_CERT).unwrap());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(b64.decode(TEST_KEY).unwrap().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

async fn serve_endpoint(tls: Option<tokio_rustls::TlsAcceptor>) -> Endpoint {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}/hook", listener.local_addr().unwrap());
    let requests: Requests = Arc::new(Mutex::new(Vec::new()));
    let statuses: Arc<Mutex<Vec<u16>>> = Arc::new(Mutex::new(Vec::new()));
    let (r, s) = (Arc::clone(&requests), Arc::clone(&statuses));
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            match &tls {
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(socket).await {
                        answer(stream, &r, &s).await;
                    }
                }
                None => answer(socket, &r, &s).await,
            }
        }
    });
    Endpoint {
        url,
        requests,
        statuses,
    }
}

/// Reads one request from `socket`, records it and answers with the next scripted status.
async fn answer<S>(mut socket: S, requests: &Requests, statuses: &Arc<Mutex<Vec<u16>>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let (head, body) = loop {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                break (
                    head,
                    String::from_utf8_lossy(&data[end + 4..end + 4 + length]).to_string(),
                );
            }
        }
    };
    let headers: BTreeMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    requests.lock().push((headers, body));
    let status = {
        let mut s = statuses.lock();
        if s.is_empty() {
            200
        } else {
            s.remove(0)
        }
    };
    let _ = socket
        .write_all(
            format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await;
    let _ = socket.shutdown().await;
}

#[tokio::test]
async fn https_endpoints() {
    // Certificates are verified against the system's roots: a self-signed endpoint fails and is retried.
    let w = world();
    let topic = w.topic("secure", &[]).await;
    let hook = serve_endpoint(Some(tls_acceptor())).await;
    w.subscribe(&topic, "https", &hook.url, &[]).await.unwrap();
    assert_eq!(w.sns.deliver_due().await, 1);
    assert!(hook.requests.lock().is_empty());
    assert_eq!(w.sns.pending_delivery_count(), 1);

    // With https_accept_invalid_certs the same endpoint gets the confirmation.
    let clock = ManualClock::new(START);
    let store = Store::in_memory();
    let sqs = Sqs::open(SqsConfig::default(), Arc::new(clock.clone()), store.clone()).unwrap();
    let sns = Sns::open(
        SnsConfig {
            https_accept_invalid_certs: true,
            ..SnsConfig::default()
        },
        Arc::new(clock),
        store,
        sqs,
    )
    .unwrap();
    let topic = sns
        .create_topic(CreateTopicInput {
            name: Some("secure".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .topic_arn;
    sns.subscribe(SubscribeInput {
        topic_arn: Some(topic),
        protocol: Some("https".into()),
        endpoint: Some(hook.url.clone()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(sns.deliver_due().await, 1);
    let requests = hook.requests.lock().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].0["x-amz-sns-message-type"],
        "SubscriptionConfirmation"
    );
    assert_eq!(sns.pending_delivery_count(), 0);
}

#[tokio::test]
async fn http_subscriptions_confirm_deliver_retry_and_dead_letter() {
    let w = world();
    let topic = w.topic("hooks", &[]).await;
    let hook = endpoint().await;
    let pending = w
        .sns
        .subscribe(SubscribeInput {
            topic_arn: Some(topic.clone()),
            protocol: Some("http".into()),
            endpoint: Some(hook.url.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(pending.subscription_arn, "pending confirmation");
    assert_eq!(w.sns.deliver_due().await, 1);
    let (headers, body) = hook.requests.lock()[0].clone();
    assert_eq!(
        headers["x-amz-sns-message-type"],
        "SubscriptionConfirmation"
    );
    assert_eq!(headers["x-amz-sns-topic-arn"], topic);
    let confirmation: Value = serde_json::from_str(&body).unwrap();
    let token = confirmation["Token"].as_str().unwrap().to_string();
    assert!(confirmation["SubscribeURL"]
        .as_str()
        .unwrap()
        .contains("Action=ConfirmSubscription"));
    let listed = w
        .sns
        .list_subscriptions_by_topic(ListSubscriptionsByTopicInput {
            topic_arn: Some(topic.clone()),
            next_token: None,
        })
        .unwrap();
    assert_eq!(
        listed.subscriptions[0].subscription_arn,
        "PendingConfirmation"
    );
    // Nothing is delivered to a pending subscription.
    w.publish(publish_to(&topic, "too early")).await.unwrap();
    assert_eq!(w.sns.deliver_due().await, 0);
    let err = w
        .sns
        .confirm_subscription(ConfirmSubscriptionInput {
            topic_arn: Some(topic.clone()),
            token: Some("0badc0de".into()),
            authenticate_on_unsubscribe: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.message, "Invalid parameter: Token");
    let sub = w
        .sns
        .confirm_subscription(ConfirmSubscriptionInput {
            topic_arn: Some(topic.clone()),
            token: Some(token),
            authenticate_on_unsubscribe: None,
        })
        .await
        .unwrap()
        .subscription_arn;
    let (dlq_url, dlq_arn) = w.queue("hooks-dlq", &[]).await;
    w.sns
        .set_subscription_attributes(SetSubscriptionAttributesInput {
            subscription_arn: Some(sub.clone()),
            attribute_name: Some("RedrivePolicy".into()),
            attribute_value: Some(format!(r#"{{"deadLetterTargetArn":"{dlq_arn}"}}"#)),
        })
        .await
        .unwrap();

    // Delivered at the first attempt.
    let out = w.publish(publish_to(&topic, "ping")).await.unwrap();
    assert_eq!(w.sns.deliver_due().await, 1);
    let (headers, body) = hook.requests.lock()[1].clone();
    assert_eq!(headers["x-amz-sns-message-type"], "Notification");
    assert_eq!(headers["x-amz-sns-message-id"], out.message_id);
    assert_eq!(headers["x-amz-sns-subscription-arn"], sub);
    assert_eq!(headers["content-type"], "text/plain; charset=UTF-8");
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(envelope["Message"], "ping");
    assert_eq!(w.sns.pending_delivery_count(), 0);

    // Failing endpoint: default policy retries 3 times, 20 seconds apart, then the DLQ.
    hook.statuses.lock().extend([500, 503, 500, 502]);
    w.publish(publish_to(&topic, "doomed")).await.unwrap();
    assert_eq!(w.sns.deliver_due().await, 1);
    for retry in 1..=3 {
        w.clock.advance_secs(19);
        assert_eq!(w.sns.deliver_due().await, 0, "retry {retry} came early");
        w.clock.advance_secs(1);
        assert_eq!(w.sns.deliver_due().await, 1, "retry {retry} did not come");
    }
    assert_eq!(hook.requests.lock().len(), 6);
    assert_eq!(w.sns.pending_delivery_count(), 0);
    let dead = w.receive(&dlq_url).await;
    assert_eq!(dead.len(), 1);
    let envelope: Value = serde_json::from_str(&dead[0].body).unwrap();
    assert_eq!(envelope["Message"], "doomed");

    // A custom policy: one immediate retry, then success.
    w.sns
        .set_subscription_attributes(SetSubscriptionAttributesInput {
            subscription_arn: Some(sub.clone()),
            attribute_name: Some("DeliveryPolicy".into()),
            attribute_value: Some(
                r#"{"healthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":1,"minDelayTarget":5,"maxDelayTarget":5}}"#.into(),
            ),
        })
        .await
        .unwrap();
    hook.statuses.lock().push(500);
    w.publish(publish_to(&topic, "second try")).await.unwrap();
    assert_eq!(w.sns.deliver_due().await, 1);
    assert_eq!(w.sns.deliver_due().await, 1);
    assert_eq!(hook.requests.lock().len(), 8);
    assert_eq!(w.sns.pending_delivery_count(), 0);

    // Unsubscribing tells the endpoint.
    w.sns
        .unsubscribe(SubscriptionArnInput {
            subscription_arn: Some(sub),
        })
        .await
        .unwrap();
    assert_eq!(w.sns.deliver_due().await, 1);
    let (headers, _) = hook.requests.lock()[8].clone();
    assert_eq!(headers["x-amz-sns-message-type"], "UnsubscribeConfirmation");
}

#[tokio::test]
async fn the_signing_key_is_kept_in_the_store_and_survives_a_reset() {
    let store = Store::in_memory();
    let w = world_on(store.clone(), ManualClock::new(START));
    let certificate = w.sns.signing_certificate_pem().await.unwrap();
    assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----\n"));
    w.sns.reset().await.unwrap();
    assert_eq!(w.sns.signing_certificate_pem().await.unwrap(), certificate);
    // A second engine over the same store finds the key instead of generating one.
    let again = world_on(store, ManualClock::new(START));
    assert_eq!(
        again.sns.signing_certificate_pem().await.unwrap(),
        certificate
    );
    // A different store gets a different key.
    assert_ne!(
        world().sns.signing_certificate_pem().await.unwrap(),
        certificate
    );
}

/// Verifies an envelope's `Signature` with the public key of `certificate_pem`, as a subscriber would.
fn verify_signature(envelope: &Value, certificate_pem: &str) {
    use base64::Engine as _;
    use rsa::pkcs8::DecodePublicKey;
    use x509_cert::der::{DecodePem, Encode};

    let certificate = x509_cert::Certificate::from_pem(certificate_pem.as_bytes()).unwrap();
    let spki = certificate
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let key = rsa::PublicKey::from_public_key_der(&spki).unwrap();
    let field = |name: &str| envelope[name].as_str();
    let string_to_sign = wharf_sns::envelope::string_to_sign(&[
        ("Message", field("Message")),
        ("MessageId", field("MessageId")),
        ("Subject", field("Subject")),
        ("Timestamp", field("Timestamp")),
        ("TopicArn", field("TopicArn")),
        ("Type", field("Type")),
    ]);
    let signature = base64::engine::general_purpose::STANDARD
        .decode(field("Signature").unwrap())
        .unwrap();
    key.pkcs1v15_verify::<sha1::Sha1>(string_to_sign.as_bytes(), &signature)
        .unwrap_or_else(|e| panic!("signature does not verify ({e}) for {envelope:#}"));
}

/// The key pair is not generated when the engine opens but on first use, once even when the first uses are
/// concurrent; when durable it is persisted then and loaded by the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signing_key_is_generated_once_on_first_use_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let stored_key = |store: &Store| {
        store
            .get(wharf_store::Keyspace::Meta, wharf_sns::signing::STORE_KEY)
            .unwrap()
    };
    let certificate = {
        let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
        let w = world_on(store.clone(), clock.clone());
        assert!(stored_key(&store).is_none(), "generated at open");
        let topic = w.topic("signed", &[]).await;
        let (url, queue_arn) = w.queue("signed-inbox", &[]).await;
        w.subscribe(&topic, "sqs", &queue_arn, &[]).await.unwrap();
        // An SQS subscription needs no signed confirmation.
        assert!(stored_key(&store).is_none());
        // First uses at the same time: certificate requests and a publish (which signs) share one key.
        let requests: Vec<_> = (0..8)
            .map(|_| {
                let sns = Arc::clone(&w.sns);
                tokio::spawn(async move { sns.signing_certificate_pem().await.unwrap() })
            })
            .collect();
        w.publish(publish_to(&topic, "signed hello")).await.unwrap();
        let mut certificates = Vec::new();
        for request in requests {
            certificates.push(request.await.unwrap());
        }
        let certificate = w.sns.signing_certificate_pem().await.unwrap();
        assert!(certificates.iter().all(|c| *c == certificate));
        let record: serde_json::Value =
            serde_json::from_slice(&stored_key(&store).expect("persisted")).unwrap();
        assert_eq!(record["certificate"], certificate.as_str());
        let messages = w.receive(&url).await;
        assert_eq!(messages.len(), 1);
        let envelope: Value = serde_json::from_str(&messages[0].body).unwrap();
        verify_signature(&envelope, &certificate);
        certificate
    };
    // A restart loads the stored key: same certificate, and what it signs verifies with it.
    let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
    let w = world_on(store, clock);
    assert_eq!(w.sns.signing_certificate_pem().await.unwrap(), certificate);
    let topic = w.topic("signed", &[]).await;
    let (url, _) = w.queue("signed-inbox", &[]).await;
    w.receive(&url).await;
    w.publish(publish_to(&topic, "after restart"))
        .await
        .unwrap();
    let messages = w.receive(&url).await;
    let envelope: Value = serde_json::from_str(&messages[0].body).unwrap();
    assert_eq!(envelope["Message"], "after restart");
    verify_signature(&envelope, &certificate);
}

#[tokio::test]
async fn state_and_pending_deliveries_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let (topic, sub, fifo_topic, original, certificate) = {
        let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
        let w = world_on(store, clock.clone());
        let topic = w.topic("durable", &[("DisplayName", "D")]).await;
        w.sns
            .tag_resource(TagResourceInput {
                resource_arn: Some(topic.clone()),
                tags: vec![Tag {
                    key: "team".into(),
                    value: "core".into(),
                }],
            })
            .await
            .unwrap();
        let sub = w
            .subscribe(
                &topic,
                "http",
                "http://127.0.0.1:9/unreachable",
                &[("FilterPolicy", r#"{"k": ["v"]}"#)],
            )
            .await
            .unwrap();
        let fifo_topic = w.topic("d.fifo", &[("FifoTopic", "true")]).await;
        let original = w
            .publish(PublishInput {
                message_group_id: Some("g".into()),
                message_deduplication_id: Some("once".into()),
                ..publish_to(&fifo_topic, "m")
            })
            .await
            .unwrap();
        w.publish(PublishInput {
            phone_number: Some("+15550100".into()),
            message: Some("sms text".into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(w.sns.pending_delivery_count(), 1);
        let certificate = w.sns.signing_certificate_pem().await.unwrap();
        assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"));
        (topic, sub, fifo_topic, original, certificate)
    };
    let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
    let w = world_on(store, clock);
    // The signing key pair survived: the same certificate is served.
    assert_eq!(w.sns.signing_certificate_pem().await.unwrap(), certificate);
    let attributes = w
        .sns
        .get_topic_attributes(TopicArnInput {
            topic_arn: Some(topic.clone()),
        })
        .unwrap()
        .attributes;
    assert_eq!(attributes["DisplayName"], "D");
    assert_eq!(attributes["SubscriptionsPending"], "1");
    let tags = w
        .sns
        .list_tags_for_resource(ResourceArnInput {
            resource_arn: Some(topic),
        })
        .unwrap()
        .tags;
    assert_eq!(tags[0].key, "team");
    let sub_attributes = w
        .sns
        .get_subscription_attributes(SubscriptionArnInput {
            subscription_arn: Some(sub),
        })
        .unwrap()
        .attributes;
    assert_eq!(sub_attributes["FilterPolicy"], r#"{"k": ["v"]}"#);
    assert_eq!(sub_attributes["PendingConfirmation"], "true");
    // The pending confirmation is still queued.
    assert_eq!(w.sns.pending_delivery_count(), 1);
    // The FIFO dedup window survived.
    let first = w
        .publish(PublishInput {
            message_group_id: Some("g".into()),
            message_deduplication_id: Some("once".into()),
            ..publish_to(&fifo_topic, "m")
        })
        .await
        .unwrap();
    let outbox = w.sns.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].kind, "sms");
    assert_eq!(outbox[0].message, "sms text");
    assert_eq!(first.message_id, original.message_id);
    assert_eq!(first.sequence_number, original.sequence_number);
}

const HOURS_48: u64 = 48 * 60 * 60 * 1000;

/// The token of the SubscriptionConfirmation that the endpoint received `index`-th.
fn confirmation_token(hook: &Endpoint, index: usize) -> String {
    let (headers, body) = hook.requests.lock()[index].clone();
    assert_eq!(
        headers["x-amz-sns-message-type"],
        "SubscriptionConfirmation"
    );
    let confirmation: Value = serde_json::from_str(&body).unwrap();
    confirmation["Token"].as_str().unwrap().to_string()
}

fn confirm(topic: &str, token: &str) -> ConfirmSubscriptionInput {
    ConfirmSubscriptionInput {
        topic_arn: Some(topic.into()),
        token: Some(token.into()),
        authenticate_on_unsubscribe: None,
    }
}

#[tokio::test]
async fn pending_subscriptions_and_their_tokens_expire_after_48_hours() {
    let w = world();
    let topic = w.topic("expiring", &[]).await;
    let hook = endpoint().await;
    let kept = w.subscribe(&topic, "http", &hook.url, &[]).await.unwrap();
    let second = format!("{}/second", hook.url);
    let dropped = w.subscribe(&topic, "http", &second, &[]).await.unwrap();
    assert_eq!(w.sns.deliver_due().await, 2);
    let kept_token = confirmation_token(&hook, 0);
    let dropped_token = confirmation_token(&hook, 1);

    // A millisecond before the 48 hours are up, nothing has expired and tokens still confirm (again).
    w.clock.advance_millis(HOURS_48 - 1);
    assert_eq!(w.sns.expire_pending_subscriptions().await.unwrap(), 0);
    for _ in 0..2 {
        let arn = w
            .sns
            .confirm_subscription(confirm(&topic, &kept_token))
            .await
            .unwrap()
            .subscription_arn;
        assert_eq!(arn, kept);
    }

    // At 48 hours the subscription still pending is deleted, durably counted as deleted.
    w.clock.advance_millis(1);
    assert_eq!(w.sns.expire_pending_subscriptions().await.unwrap(), 1);
    assert_eq!(w.sns.expire_pending_subscriptions().await.unwrap(), 0);
    let listed = w
        .sns
        .list_subscriptions_by_topic(ListSubscriptionsByTopicInput {
            topic_arn: Some(topic.clone()),
            next_token: None,
        })
        .unwrap()
        .subscriptions;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].subscription_arn, kept);
    let err = w
        .sns
        .get_subscription_attributes(SubscriptionArnInput {
            subscription_arn: Some(dropped.clone()),
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    let attributes = w
        .sns
        .get_topic_attributes(TopicArnInput {
            topic_arn: Some(topic.clone()),
        })
        .unwrap()
        .attributes;
    assert_eq!(attributes["SubscriptionsPending"], "0");
    assert_eq!(attributes["SubscriptionsConfirmed"], "1");
    assert_eq!(attributes["SubscriptionsDeleted"], "1");

    // Both tokens are past their two days: the expired one and the one already used.
    for token in [&dropped_token, &kept_token] {
        let err = w
            .sns
            .confirm_subscription(confirm(&topic, token))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidParameter);
        assert_eq!(err.message, "Invalid parameter: Token");
    }
    // The confirmed subscription keeps receiving.
    w.publish(publish_to(&topic, "still here")).await.unwrap();
    assert_eq!(w.sns.deliver_due().await, 1);
    assert_eq!(hook.requests.lock().len(), 3);

    // Subscribing the endpoint again starts over: a new subscription, a new confirmation.
    let again = w.subscribe(&topic, "http", &second, &[]).await.unwrap();
    assert_ne!(again, dropped);
    assert_eq!(w.sns.deliver_due().await, 1);
    confirmation_token(&hook, 3);
}

#[tokio::test]
async fn subscribe_does_not_return_an_expired_pending_subscription() {
    // No sweep in between: Subscribe itself drops what has expired.
    let w = world();
    let topic = w.topic("lazy", &[]).await;
    let first = w
        .subscribe(&topic, "http", "http://127.0.0.1:9/hook", &[])
        .await
        .unwrap();
    w.clock.advance_millis(HOURS_48);
    let second = w
        .subscribe(&topic, "http", "http://127.0.0.1:9/hook", &[])
        .await
        .unwrap();
    assert_ne!(first, second);
    assert_eq!(w.sns.subscription_count(), 1);
}

#[tokio::test]
async fn pending_subscription_expiry_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let open = |clock: &ManualClock| {
        let store = Store::open(dir.path(), wharf_store::FsyncPolicy::Always).unwrap();
        world_on(store, clock.clone())
    };
    let (topic, pending) = {
        let w = open(&clock);
        let topic = w.topic("restart", &[]).await;
        let pending = w
            .subscribe(&topic, "http", "http://127.0.0.1:9/unreachable", &[])
            .await
            .unwrap();
        (topic, pending)
    };
    // Down for two days: the subscription comes back pending, and expires at the first sweep.
    clock.advance_millis(HOURS_48 + 1);
    {
        let w = open(&clock);
        assert_eq!(w.sns.subscription_count(), 1);
        assert_eq!(w.sns.expire_pending_subscriptions().await.unwrap(), 1);
    }
    let w = open(&clock);
    assert_eq!(w.sns.subscription_count(), 0);
    let err = w
        .sns
        .get_subscription_attributes(SubscriptionArnInput {
            subscription_arn: Some(pending),
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    let attributes = w
        .sns
        .get_topic_attributes(TopicArnInput {
            topic_arn: Some(topic),
        })
        .unwrap()
        .attributes;
    assert_eq!(attributes["SubscriptionsDeleted"], "1");
}

#[tokio::test]
async fn max_receives_per_second_paces_http_deliveries() {
    let w = world();
    let topic = w.topic("paced", &[]).await;
    let hook = endpoint().await;
    w.subscribe(&topic, "http", &hook.url, &[]).await.unwrap();
    assert_eq!(w.sns.deliver_due().await, 1);
    let token = confirmation_token(&hook, 0);
    let sub = w
        .sns
        .confirm_subscription(confirm(&topic, &token))
        .await
        .unwrap()
        .subscription_arn;
    w.sns
        .set_subscription_attributes(SetSubscriptionAttributesInput {
            subscription_arn: Some(sub.clone()),
            attribute_name: Some("DeliveryPolicy".into()),
            attribute_value: Some(r#"{"throttlePolicy":{"maxReceivesPerSecond":2}}"#.into()),
        })
        .await
        .unwrap();
    // An unthrottled subscriber on the same topic is not held back.
    let (free_url, free_arn) = w.queue("unpaced", &[]).await;
    w.subscribe(&topic, "sqs", &free_arn, &[]).await.unwrap();

    for i in 0..5 {
        w.publish(publish_to(&topic, &format!("m{i}")))
            .await
            .unwrap();
    }
    let delivered = || hook.requests.lock().len() - 1;
    assert_eq!(w.receive(&free_url).await.len(), 5);
    // Two a second, evenly spaced: one now, then one every 500 ms.
    assert_eq!(w.sns.deliver_due().await, 5);
    assert_eq!(delivered(), 1);
    assert_eq!(w.sns.pending_delivery_count(), 4);
    for expected in 2..=5 {
        w.clock.advance_millis(499);
        w.sns.deliver_due().await;
        assert_eq!(delivered(), expected - 1, "came early");
        w.clock.advance_millis(1);
        assert_eq!(w.sns.deliver_due().await, 1);
        assert_eq!(delivered(), expected);
    }
    assert_eq!(w.sns.pending_delivery_count(), 0);
    // In order, each message once.
    let messages: Vec<String> = hook.requests.lock()[1..]
        .iter()
        .map(|(_, body)| {
            serde_json::from_str::<Value>(body).unwrap()["Message"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(messages, ["m0", "m1", "m2", "m3", "m4"]);

    // After a quiet second there is no burst credit beyond the next slot.
    w.clock.advance_secs(10);
    for i in 0..2 {
        w.publish(publish_to(&topic, &format!("late{i}")))
            .await
            .unwrap();
    }
    assert_eq!(w.sns.deliver_due().await, 2);
    assert_eq!(delivered(), 6);
    w.clock.advance_millis(500);
    assert_eq!(w.sns.deliver_due().await, 1);
    assert_eq!(delivered(), 7);

    // The topic's defaultThrottlePolicy applies when the subscription sets none.
    w.sns
        .set_subscription_attributes(SetSubscriptionAttributesInput {
            subscription_arn: Some(sub),
            attribute_name: Some("DeliveryPolicy".into()),
            attribute_value: Some(String::new()),
        })
        .await
        .unwrap();
    w.sns
        .set_topic_attributes(SetTopicAttributesInput {
            topic_arn: Some(topic.clone()),
            attribute_name: Some("DeliveryPolicy".into()),
            attribute_value: Some(
                r#"{"http":{"defaultThrottlePolicy":{"maxReceivesPerSecond":1}}}"#.into(),
            ),
        })
        .await
        .unwrap();
    w.clock.advance_secs(10);
    for i in 0..3 {
        w.publish(publish_to(&topic, &format!("topic{i}")))
            .await
            .unwrap();
    }
    assert_eq!(w.sns.deliver_due().await, 3);
    assert_eq!(delivered(), 8);
    w.clock.advance_millis(999);
    assert_eq!(w.sns.deliver_due().await, 0);
    w.clock.advance_millis(1);
    assert_eq!(w.sns.deliver_due().await, 1);
    assert_eq!(delivered(), 9);
}

#[tokio::test]
async fn fan_out_to_many_queues_in_one_commit() {
    let w = world();
    let topic = w.topic("wide", &[]).await;
    let mut urls = Vec::new();
    for i in 0..40 {
        let (url, arn) = w.queue(&format!("wide-{i}"), &[]).await;
        let raw = if i % 2 == 0 { "true" } else { "false" };
        w.subscribe(&topic, "sqs", &arn, &[("RawMessageDelivery", raw)])
            .await
            .unwrap();
        urls.push(url);
    }
    // A subscribed queue that is gone does not stop the others (its delivery fails permanently).
    w.sqs
        .delete_queue(wharf_sqs::model::QueueUrlInput {
            queue_url: Some(urls[7].clone()),
        })
        .await
        .unwrap();
    let out = w.publish(publish_to(&topic, "everyone")).await.unwrap();
    for (i, url) in urls.iter().enumerate() {
        if i == 7 {
            continue;
        }
        let messages = w.receive(url).await;
        assert_eq!(messages.len(), 1, "queue {i}");
        if i % 2 == 0 {
            assert_eq!(messages[0].body, "everyone");
        } else {
            let envelope: Value = serde_json::from_str(&messages[0].body).unwrap();
            assert_eq!(envelope["MessageId"], out.message_id.as_str());
            assert_eq!(envelope["Message"], "everyone");
        }
    }
    assert_eq!(w.sns.pending_delivery_count(), 0);

    // FIFO: every queue keeps the group order and deduplicates on its own.
    let topic = w.topic("wide.fifo", &[("FifoTopic", "true")]).await;
    let mut fifo_urls = Vec::new();
    for i in 0..5 {
        let (url, arn) = w
            .queue(&format!("wide-{i}.fifo"), &[("FifoQueue", "true")])
            .await;
        w.subscribe(&topic, "sqs", &arn, &[("RawMessageDelivery", "true")])
            .await
            .unwrap();
        fifo_urls.push(url);
    }
    for (body, dedup) in [("a", "1"), ("b", "2"), ("a again", "1"), ("c", "3")] {
        w.publish(PublishInput {
            message_group_id: Some("g".into()),
            message_deduplication_id: Some(dedup.into()),
            ..publish_to(&topic, body)
        })
        .await
        .unwrap();
    }
    for url in &fifo_urls {
        let bodies: Vec<String> = w.receive(url).await.into_iter().map(|m| m.body).collect();
        assert_eq!(bodies, ["a", "b", "c"]);
    }
}
