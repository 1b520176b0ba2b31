//! Micro-benchmarks of the AWS Query codec as the router runs it: a form-encoded request parsed, folded
//! into the JSON shape (`query::to_json`) and decoded into the typed input; a typed output turned into a
//! JSON value and rendered as SQS XML (`xml::success`). Run with `cargo bench -p wharf-wire`; numbers are
//! in docs/performance.md.

use std::collections::BTreeMap;

use divan::{black_box, Bencher};
use wharf_sqs::model::{
    MessageAttributeValue, MessageAttributes, ReceiveMessageInput, ReceiveMessageOutput,
    ReceivedMessage, SendMessageBatchInput, SendMessageInput, SendMessageOutput,
};
use wharf_wire::{query, xml};

fn main() {
    divan::main();
}

const QUEUE_URL: &str = "http://127.0.0.1:4566/000000000000/bench";

fn body() -> String {
    format!("{:020}|{}", 1_234_567_890u64, "x".repeat(79))
}

/// Parses the form the way the router does, then folds and decodes it.
fn decode<T: serde::de::DeserializeOwned>(action: &str, form: &[u8]) -> T {
    let params: Vec<(String, String)> = form_urlencoded::parse(form).into_owned().collect();
    let value = query::to_json(action, &params).unwrap_or_else(|e| panic!("{e:?}"));
    serde_json::from_value(value).unwrap()
}

fn form(pairs: &[(String, String)]) -> Vec<u8> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        form.append_pair(k, v);
    }
    form.finish().into_bytes()
}

fn send_form(with_attributes: bool) -> Vec<u8> {
    let mut pairs = vec![
        ("Action".to_string(), "SendMessage".to_string()),
        ("Version".to_string(), "2012-11-05".to_string()),
        ("QueueUrl".to_string(), QUEUE_URL.to_string()),
        ("MessageBody".to_string(), body()),
    ];
    if with_attributes {
        for (i, (name, data_type, value)) in [
            (
                "trace",
                "String",
                "Root=1-5759e988-bd862e3fe1be46a994272793",
            ),
            ("attempt", "Number", "3"),
            ("origin", "String", "bench"),
        ]
        .into_iter()
        .enumerate()
        {
            let prefix = format!("MessageAttribute.{}", i + 1);
            pairs.push((format!("{prefix}.Name"), name.to_string()));
            pairs.push((format!("{prefix}.Value.DataType"), data_type.to_string()));
            pairs.push((format!("{prefix}.Value.StringValue"), value.to_string()));
        }
    }
    form(&pairs)
}

fn received_message(i: usize) -> ReceivedMessage {
    let mut system = BTreeMap::new();
    system.insert("SentTimestamp".to_string(), "1764079200000".to_string());
    system.insert("ApproximateReceiveCount".to_string(), "1".to_string());
    let mut user = MessageAttributes::new();
    user.insert(
        "trace".into(),
        MessageAttributeValue {
            string_value: Some("Root=1-5759e988-bd862e3fe1be46a994272793".into()),
            data_type: Some("String".into()),
            ..Default::default()
        },
    );
    ReceivedMessage {
        message_id: format!("6b3f8a2c-1d4e-4f5a-9b8c-{i:012}"),
        receipt_handle: "AAAAAAAAAAEAAAAAAAAAKgAAAAAAAAAJ".to_string(),
        md5_of_body: "0c9f1c5b5a0e8e7a4e9d0f3c2b1a0987".to_string(),
        body: body(),
        attributes: system,
        md5_of_message_attributes: Some("5ae4d5d7636402d80f4eb6d213245a88".to_string()),
        message_attributes: user,
    }
}

mod query_decode {
    use super::*;

    #[divan::bench]
    fn send_message(bencher: Bencher) {
        let form = send_form(false);
        bencher.bench(|| decode::<SendMessageInput>("SendMessage", black_box(&form)));
    }

    #[divan::bench]
    fn send_message_3_attributes(bencher: Bencher) {
        let form = send_form(true);
        bencher.bench(|| decode::<SendMessageInput>("SendMessage", black_box(&form)));
    }

    #[divan::bench]
    fn send_message_batch_10(bencher: Bencher) {
        let mut pairs = vec![
            ("Action".to_string(), "SendMessageBatch".to_string()),
            ("QueueUrl".to_string(), QUEUE_URL.to_string()),
        ];
        for i in 1..=10 {
            let prefix = format!("SendMessageBatchRequestEntry.{i}");
            pairs.push((format!("{prefix}.Id"), i.to_string()));
            pairs.push((format!("{prefix}.MessageBody"), body()));
        }
        let form = form(&pairs);
        bencher.bench(|| decode::<SendMessageBatchInput>("SendMessageBatch", black_box(&form)));
    }

    #[divan::bench]
    fn receive_message(bencher: Bencher) {
        let form = form(&[
            ("Action".to_string(), "ReceiveMessage".to_string()),
            ("QueueUrl".to_string(), QUEUE_URL.to_string()),
            ("MaxNumberOfMessages".to_string(), "10".to_string()),
            ("WaitTimeSeconds".to_string(), "20".to_string()),
            ("AttributeName.1".to_string(), "All".to_string()),
            ("MessageAttributeName.1".to_string(), "All".to_string()),
        ]);
        bencher.bench(|| decode::<ReceiveMessageInput>("ReceiveMessage", black_box(&form)));
    }
}

mod xml_encode {
    use super::*;

    /// What the router does for a Query response: typed output → JSON value → XML.
    fn render<T: serde::Serialize>(action: &str, output: &T) -> String {
        let value = serde_json::to_value(output).unwrap();
        xml::success(action, &value, "6f1d7c3e-0000-4000-8000-000000000000")
    }

    #[divan::bench]
    fn send_message(bencher: Bencher) {
        let output = SendMessageOutput {
            md5_of_message_body: "0c9f1c5b5a0e8e7a4e9d0f3c2b1a0987".into(),
            md5_of_message_attributes: None,
            md5_of_message_system_attributes: None,
            message_id: "6b3f8a2c-1d4e-4f5a-9b8c-000000000001".into(),
            sequence_number: None,
        };
        bencher.bench(|| render("SendMessage", black_box(&output)));
    }

    #[divan::bench]
    fn receive_message_10(bencher: Bencher) {
        let output = ReceiveMessageOutput {
            messages: (0..10).map(received_message).collect(),
        };
        bencher.bench(|| render("ReceiveMessage", black_box(&output)));
    }

    /// The XML rendering alone, from an already built JSON value.
    #[divan::bench]
    fn receive_message_10_from_value(bencher: Bencher) {
        let value = serde_json::to_value(ReceiveMessageOutput {
            messages: (0..10).map(received_message).collect(),
        })
        .unwrap();
        bencher.bench(|| xml::success("ReceiveMessage", black_box(&value), "rid"));
    }
}
