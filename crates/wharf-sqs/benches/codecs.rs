//! Micro-benchmarks of the SQS engine's hot codecs: the AWS JSON 1.0 decoding of inputs and encoding of
//! outputs (the serde types of `model.rs`, as the wire layer runs them) and the MD5 digests of bodies and
//! message attributes, and the binary store records of a send. Run with `cargo bench -p wharf-sqs`; numbers are
//! in docs/performance.md.

use std::collections::BTreeMap;

use divan::{black_box, Bencher};
use wharf_sqs::md5::{md5_hex, md5_of_attributes};
use wharf_sqs::model::{
    Blob, MessageAttributeValue, MessageAttributes, ReceiveMessageInput, ReceiveMessageOutput,
    ReceivedMessage, SendMessageInput, SendMessageOutput,
};

fn main() {
    divan::main();
}

const QUEUE_URL: &str = "http://127.0.0.1:4566/000000000000/bench";

/// A 100-byte body, like the load generator's.
fn body() -> String {
    format!("{:020}|{}", 1_234_567_890u64, "x".repeat(79))
}

/// Three attributes of the three kinds: String, Number and Binary.
fn attributes() -> MessageAttributes {
    let mut attributes = MessageAttributes::new();
    attributes.insert(
        "trace".into(),
        MessageAttributeValue {
            string_value: Some("Root=1-5759e988-bd862e3fe1be46a994272793".into()),
            data_type: Some("String".into()),
            ..Default::default()
        },
    );
    attributes.insert(
        "attempt".into(),
        MessageAttributeValue {
            string_value: Some("3".into()),
            data_type: Some("Number".into()),
            ..Default::default()
        },
    );
    attributes.insert(
        "checksum".into(),
        MessageAttributeValue {
            binary_value: Some(Blob(vec![0xab; 16])),
            data_type: Some("Binary".into()),
            ..Default::default()
        },
    );
    attributes
}

/// Ten attributes (the most SQS allows), String values of 32 bytes.
fn ten_attributes() -> MessageAttributes {
    (0..10)
        .map(|i| {
            (
                format!("attribute-{i}"),
                MessageAttributeValue {
                    string_value: Some(format!("{i:032}")),
                    data_type: Some("String".into()),
                    ..Default::default()
                },
            )
        })
        .collect()
}

fn send_request(with_attributes: bool) -> Vec<u8> {
    let mut value = serde_json::json!({ "QueueUrl": QUEUE_URL, "MessageBody": body() });
    if with_attributes {
        value["MessageAttributes"] = serde_json::to_value(attributes()).unwrap();
    }
    serde_json::to_vec(&value).unwrap()
}

fn received_message(i: usize) -> ReceivedMessage {
    let body = body();
    let mut system = BTreeMap::new();
    system.insert("SentTimestamp".to_string(), "1764079200000".to_string());
    system.insert("ApproximateReceiveCount".to_string(), "1".to_string());
    ReceivedMessage {
        message_id: format!("6b3f8a2c-1d4e-4f5a-9b8c-{i:012}"),
        receipt_handle: "AAAAAAAAAAEAAAAAAAAAKgAAAAAAAAAJ".to_string(),
        md5_of_body: md5_hex(body.as_bytes()).to_string(),
        body,
        attributes: system,
        md5_of_message_attributes: md5_of_attributes(&attributes()),
        message_attributes: attributes(),
    }
}

/// A ReceiveMessage response with `count` messages of 100 bytes, two system and three user attributes.
fn receive_output(count: usize) -> ReceiveMessageOutput {
    ReceiveMessageOutput {
        messages: (0..count).map(received_message).collect(),
    }
}

mod json {
    use super::*;

    #[divan::bench]
    fn decode_send_message(bencher: Bencher) {
        let request = send_request(false);
        bencher.bench(|| serde_json::from_slice::<SendMessageInput>(black_box(&request)).unwrap());
    }

    #[divan::bench]
    fn decode_send_message_3_attributes(bencher: Bencher) {
        let request = send_request(true);
        bencher.bench(|| serde_json::from_slice::<SendMessageInput>(black_box(&request)).unwrap());
    }

    #[divan::bench]
    fn decode_receive_message(bencher: Bencher) {
        let request = serde_json::to_vec(&serde_json::json!({
            "QueueUrl": QUEUE_URL,
            "MaxNumberOfMessages": 10,
            "WaitTimeSeconds": 20,
            "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }))
        .unwrap();
        bencher
            .bench(|| serde_json::from_slice::<ReceiveMessageInput>(black_box(&request)).unwrap());
    }

    #[divan::bench]
    fn encode_send_message(bencher: Bencher) {
        let output = SendMessageOutput {
            md5_of_message_body: md5_hex(body().as_bytes()).to_string(),
            md5_of_message_attributes: None,
            md5_of_message_system_attributes: None,
            message_id: "6b3f8a2c-1d4e-4f5a-9b8c-000000000001".into(),
            sequence_number: None,
        };
        bencher.bench(|| serde_json::to_vec(black_box(&output)).unwrap());
    }

    #[divan::bench]
    fn encode_receive_message_10(bencher: Bencher) {
        let output = receive_output(10);
        bencher.bench(|| serde_json::to_vec(black_box(&output)).unwrap());
    }
}

mod md5 {
    use super::*;

    #[divan::bench]
    fn body_100_bytes(bencher: Bencher) {
        let body = body();
        bencher.bench(|| md5_hex(black_box(body.as_bytes())));
    }

    #[divan::bench]
    fn body_64_kib(bencher: Bencher) {
        let body = vec![b'x'; 64 * 1024];
        bencher
            .counter(divan::counter::BytesCount::new(body.len()))
            .bench(|| md5_hex(black_box(&body)));
    }

    #[divan::bench]
    fn attributes_3(bencher: Bencher) {
        let attributes = attributes();
        bencher.bench(|| md5_of_attributes(black_box(&attributes)));
    }

    #[divan::bench]
    fn attributes_10(bencher: Bencher) {
        let attributes = ten_attributes();
        bencher.bench(|| md5_of_attributes(black_box(&attributes)));
    }
}

/// The store records written for every durable send (binary layout of `record.rs`).
mod store_record {
    use super::*;
    use wharf_sqs::queue::{ContentExtra, MessageContent};
    use wharf_sqs::record::{decode_initial_state, decode_message, encode_message};

    fn content() -> MessageContent {
        MessageContent::new(
            wharf_sqs::fixed::MessageId::new("5fea7756-0ea4-451a-a703-a558b933e274").unwrap(),
            body(),
            md5_hex(body().as_bytes()),
            1_764_000_000_000,
            "000000000000".into(),
            ContentExtra::default(),
        )
    }

    #[divan::bench]
    fn encode_message_100_bytes(bencher: Bencher) {
        let content = content();
        bencher.bench(|| encode_message(black_box(&content), 1_764_000_000_000));
    }

    #[divan::bench]
    fn decode_message_100_bytes(bencher: Bencher) {
        let bytes = encode_message(&content(), 1_764_000_000_000);
        bencher.bench(|| decode_message(black_box(&bytes)));
    }

    /// What recovery reads for a message nothing happened to since its send.
    #[divan::bench]
    fn decode_header_100_bytes(bencher: Bencher) {
        let bytes = encode_message(&content(), 1_764_000_000_000);
        bencher.bench(|| decode_initial_state(black_box(&bytes)));
    }
}
