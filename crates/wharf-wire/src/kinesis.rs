//! Kinesis over AWS JSON 1.1 and CBOR: the one place where an operation name meets the engine.
//!
//! Requests arrive with `X-Amz-Target: Kinesis_20131202.<Operation>`. Both encodings go through one
//! intermediate form, the JSON value of the operation's input/output:
//!
//! - JSON 1.1 (`application/x-amz-json-1.1`): blobs are base64 strings, timestamps epoch seconds with a
//!   fraction; this is the engine model's own serde form.
//! - CBOR (`application/x-amz-cbor-1.1`, Java SDK v2 / KCL): blobs are byte strings, timestamps CBOR tag 1
//!   holding epoch **milliseconds**. Requests are converted by type (byte string → base64, tag 1 →
//!   seconds); responses by member name (`Data` → byte string, the `*Timestamp` / `*At` members → tag 1).
//!
//! Errors are `{"__type": "<Exception>", "message": "..."}` in the request's encoding. SubscribeToShard is
//! answered with an `application/vnd.amazon.eventstream` body: see [`subscribe_to_shard`] and
//! [`encode_frame`].

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use ciborium::value::{Integer, Value as Cbor};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wharf_kinesis::{ErrorKind, Kinesis, KinesisError};

pub const TARGET_PREFIX: &str = "Kinesis_20131202.";
pub const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";
pub const CBOR_CONTENT_TYPE: &str = "application/x-amz-cbor-1.1";
pub const EVENT_STREAM_CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

/// Output members holding timestamps (CBOR encodes them as tag 1, milliseconds).
const TIMESTAMP_MEMBERS: &[&str] = &[
    "ApproximateArrivalTimestamp",
    "StreamCreationTimestamp",
    "ConsumerCreationTimestamp",
    "StartedAt",
    "EndedAt",
    "EarliestAllowedEndAt",
];
/// Output members holding blobs.
const BLOB_MEMBERS: &[&str] = &["Data"];

/// A complete (non-streaming) response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// The encoding of a request (and so of its response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Cbor,
}

impl Encoding {
    pub fn of(content_type: &str) -> Encoding {
        if content_type
            .trim()
            .to_ascii_lowercase()
            .starts_with("application/x-amz-cbor")
        {
            Encoding::Cbor
        } else {
            Encoding::Json
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => JSON_CONTENT_TYPE,
            Encoding::Cbor => CBOR_CONTENT_TYPE,
        }
    }
}

/// Runs `operation` (the part of `X-Amz-Target` after `Kinesis_20131202.`). SubscribeToShard is not
/// handled here (see [`subscribe_to_shard`]).
pub async fn dispatch(
    kinesis: &Arc<Kinesis>,
    operation: &str,
    content_type: &str,
    body: &[u8],
) -> KinesisResponse {
    let encoding = Encoding::of(content_type);
    let result = match decode_body(encoding, body) {
        Ok(input) => run(kinesis, operation, input).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(output) => KinesisResponse {
            status: 200,
            content_type: encoding.content_type(),
            body: encode_output(encoding, output),
        },
        Err(error) => error_response(encoding, &error),
    }
}

/// AWS's answer to a Kinesis request (JSON 1.1 or CBOR body) naming no known operation: HTTP 400 and a bare `UnknownOperationException` (kinesalite's recordings).
pub fn unknown_operation(content_type: &str) -> KinesisResponse {
    error_response(
        Encoding::of(content_type),
        &KinesisError::new(ErrorKind::UnknownOperation, ""),
    )
}

/// Whether a request without a Kinesis target is still meant for Kinesis: its content type is Kinesis's
/// (`application/x-amz-json-1.1` or `application/x-amz-cbor-1.1`; SQS uses JSON 1.0, SNS forms).
pub fn is_kinesis_content_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == JSON_CONTENT_TYPE || media == CBOR_CONTENT_TYPE
}

/// The error response for `error` in `encoding`.
pub fn error_response(encoding: Encoding, error: &KinesisError) -> KinesisResponse {
    let mut fields = Map::new();
    fields.insert(
        "__type".into(),
        Value::String(error.kind.type_name().into()),
    );
    // AWS's deserializer errors may carry no message at all.
    if !error.message.is_empty() {
        fields.insert("message".into(), Value::String(error.message.clone()));
    }
    let body = match encoding {
        Encoding::Json => Value::Object(fields).to_string().into_bytes(),
        Encoding::Cbor => cbor_bytes(&json_to_cbor(&Value::Object(fields), None)),
    };
    KinesisResponse {
        status: error.kind.http_status(),
        content_type: encoding.content_type(),
        body,
    }
}

fn serialization_error(detail: impl std::fmt::Display) -> KinesisError {
    KinesisError::new(ErrorKind::Serialization, detail.to_string())
}

/// The request body as the JSON value of the operation's input.
pub fn decode_body(encoding: Encoding, body: &[u8]) -> Result<Value, KinesisError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    // A body that does not parse is a SerializationException without a message, as on AWS (kinesalite's
    // recordings); the parser's own description would only name Wharf's internals.
    let value = match encoding {
        Encoding::Json => {
            serde_json::from_slice::<Value>(body).map_err(|_| serialization_error(""))?
        }
        Encoding::Cbor => {
            let cbor: Cbor =
                ciborium::de::from_reader(body).map_err(|_| serialization_error(""))?;
            cbor_to_json(cbor)?
        }
    };
    match value {
        Value::Object(_) => Ok(value),
        Value::Array(_) => Err(serialization_error(
            "Start of list found where not expected",
        )),
        _ => Err(serialization_error("")),
    }
}

/// The typed input; a member of the wrong type gets AWS's wording, any other mismatch no message.
fn decode<T: DeserializeOwned>(input: Value) -> Result<T, KinesisError> {
    serde_json::from_value(input).map_err(|error| {
        serialization_error(crate::type_errors::wrong_type_message(&error).unwrap_or_default())
    })
}

fn encode_output(encoding: Encoding, output: Value) -> Vec<u8> {
    let empty = output.as_object().is_some_and(Map::is_empty);
    match encoding {
        // Kinesis answers operations without output with an empty body.
        Encoding::Json if empty => Vec::new(),
        Encoding::Json => output.to_string().into_bytes(),
        Encoding::Cbor => cbor_bytes(&json_to_cbor(&output, None)),
    }
}

fn to_value<T: Serialize>(output: T) -> Value {
    serde_json::to_value(output).unwrap_or(Value::Null)
}

macro_rules! call {
    ($input:expr, |$i:ident| $body:expr) => {{
        let $i = decode($input)?;
        to_value($body?)
    }};
}

async fn run(kinesis: &Arc<Kinesis>, operation: &str, input: Value) -> Result<Value, KinesisError> {
    let k = kinesis;
    Ok(match operation {
        "CreateStream" => call!(input, |i| k.create_stream(i).await),
        "DeleteStream" => call!(input, |i| k.delete_stream(i).await),
        "DescribeStream" => call!(input, |i| k.describe_stream(i)),
        "DescribeStreamSummary" => call!(input, |i| k.describe_stream_summary(i)),
        "ListStreams" => call!(input, |i| k.list_streams(i)),
        "DescribeLimits" => call!(input, |i| k.describe_limits(i)),
        "IncreaseStreamRetentionPeriod" => {
            call!(input, |i| k.increase_stream_retention_period(i).await)
        }
        "DecreaseStreamRetentionPeriod" => {
            call!(input, |i| k.decrease_stream_retention_period(i).await)
        }
        "PutRecord" => call!(input, |i| k.put_record(i).await),
        "PutRecords" => call!(input, |i| k.put_records(i).await),
        "GetShardIterator" => call!(input, |i| k.get_shard_iterator(i)),
        "GetRecords" => call!(input, |i| k.get_records(i).await),
        "ListShards" => call!(input, |i| k.list_shards(i)),
        "SplitShard" => call!(input, |i| k.split_shard(i).await),
        "MergeShards" => call!(input, |i| k.merge_shards(i).await),
        "UpdateShardCount" => call!(input, |i| k.update_shard_count(i).await),
        "UpdateStreamMode" => call!(input, |i| k.update_stream_mode(i).await),
        "UpdateMaxRecordSize" => call!(input, |i| k.update_max_record_size(i).await),
        "UpdateStreamRecordDistributionStrategy" => {
            call!(input, |i| k
                .update_stream_record_distribution_strategy(i)
                .await)
        }
        "UpdateStreamWarmThroughput" => call!(input, |i| k.update_stream_warm_throughput(i).await),
        "StartStreamEncryption" => call!(input, |i| k.start_stream_encryption(i).await),
        "StopStreamEncryption" => call!(input, |i| k.stop_stream_encryption(i).await),
        "EnableEnhancedMonitoring" => call!(input, |i| k.enable_enhanced_monitoring(i).await),
        "DisableEnhancedMonitoring" => call!(input, |i| k.disable_enhanced_monitoring(i).await),
        "DescribeAccountSettings" => call!(input, |i| k.describe_account_settings(i)),
        "UpdateAccountSettings" => call!(input, |i| k.update_account_settings(i).await),
        "PutResourcePolicy" => call!(input, |i| k.put_resource_policy(i).await),
        "GetResourcePolicy" => call!(input, |i| k.get_resource_policy(i)),
        "DeleteResourcePolicy" => call!(input, |i| k.delete_resource_policy(i).await),
        "AddTagsToStream" => call!(input, |i| k.add_tags_to_stream(i).await),
        "RemoveTagsFromStream" => call!(input, |i| k.remove_tags_from_stream(i).await),
        "ListTagsForStream" => call!(input, |i| k.list_tags_for_stream(i)),
        "TagResource" => call!(input, |i| k.tag_resource(i).await),
        "UntagResource" => call!(input, |i| k.untag_resource(i).await),
        "ListTagsForResource" => call!(input, |i| k.list_tags_for_resource(i)),
        "RegisterStreamConsumer" => call!(input, |i| k.register_stream_consumer(i).await),
        "DescribeStreamConsumer" => call!(input, |i| k.describe_stream_consumer(i)),
        "ListStreamConsumers" => call!(input, |i| k.list_stream_consumers(i)),
        "DeregisterStreamConsumer" => call!(input, |i| k.deregister_stream_consumer(i).await),
        // AWS answers an unknown operation with a bare `UnknownOperationException`, no message
        // (kinesalite's recording, run against production).
        _ => return Err(KinesisError::new(ErrorKind::UnknownOperation, "")),
    })
}

// -----------------------------------------------------------------------------------------------------
// CBOR <-> JSON value

fn cbor_bytes(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(value, &mut out);
    out
}

fn millis_to_seconds(millis: f64) -> Value {
    let seconds = millis / 1000.0;
    Number::from_f64(seconds).map_or(Value::Null, Value::Number)
}

/// A decoded CBOR request as the JSON value the engine model reads.
pub fn cbor_to_json(value: Cbor) -> Result<Value, KinesisError> {
    Ok(match value {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Integer(i) => {
            let i = i128::from(i);
            if let Ok(v) = i64::try_from(i) {
                Value::from(v)
            } else if let Ok(v) = u64::try_from(i) {
                Value::from(v)
            } else {
                return Err(serialization_error("Integer out of range."));
            }
        }
        Cbor::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Cbor::Text(text) => Value::String(text),
        Cbor::Bytes(bytes) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        // Timestamps: tag 1 with epoch milliseconds.
        Cbor::Tag(1, inner) => match *inner {
            Cbor::Integer(i) => millis_to_seconds(i128::from(i) as f64),
            Cbor::Float(f) => millis_to_seconds(f),
            _ => return Err(serialization_error("Invalid timestamp.")),
        },
        Cbor::Tag(_, inner) => cbor_to_json(*inner)?,
        Cbor::Array(items) => Value::Array(
            items
                .into_iter()
                .map(cbor_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Cbor::Map(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let Cbor::Text(key) = key else {
                    return Err(serialization_error("Map keys must be strings."));
                };
                map.insert(key, cbor_to_json(value)?);
            }
            Value::Object(map)
        }
        _ => return Err(serialization_error("Unsupported CBOR value.")),
    })
}

/// An output JSON value as CBOR; `member` is the name of the member holding `value`.
pub fn json_to_cbor(value: &Value, member: Option<&str>) -> Cbor {
    match value {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) => {
            if member.is_some_and(|m| TIMESTAMP_MEMBERS.contains(&m)) {
                let millis = (n.as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
                Cbor::Tag(1, Box::new(Cbor::Integer(Integer::from(millis))))
            } else if let Some(i) = n.as_i64() {
                Cbor::Integer(Integer::from(i))
            } else if let Some(u) = n.as_u64() {
                Cbor::Integer(Integer::from(u))
            } else {
                Cbor::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(text) => {
            if member.is_some_and(|m| BLOB_MEMBERS.contains(&m)) {
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text) {
                    return Cbor::Bytes(bytes);
                }
            }
            Cbor::Text(text.clone())
        }
        // List members keep their member name (a list of timestamps would stay timestamps).
        Value::Array(items) => Cbor::Array(items.iter().map(|v| json_to_cbor(v, None)).collect()),
        Value::Object(map) => Cbor::Map(
            map.iter()
                .map(|(k, v)| (Cbor::Text(k.clone()), json_to_cbor(v, Some(k))))
                .collect(),
        ),
    }
}

// -----------------------------------------------------------------------------------------------------
// SubscribeToShard: AWS event stream

/// One header value of an event-stream frame (only strings are needed here).
fn push_string_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
    out.push(7); // value type 7: string
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value.as_bytes());
}

/// Encodes one event-stream message: prelude (total length, headers length, CRC32 of both), headers
/// (`name-len name type value-len value`), payload, and the CRC32 of everything before it.
pub fn encode_frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut header_bytes = Vec::new();
    for (name, value) in headers {
        push_string_header(&mut header_bytes, name, value);
    }
    let total = 12 + header_bytes.len() + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    out
}

fn event_frame(encoding: Encoding, event_type: &str, payload: &Value) -> Bytes {
    let body = match encoding {
        Encoding::Json => payload.to_string().into_bytes(),
        Encoding::Cbor => cbor_bytes(&json_to_cbor(payload, None)),
    };
    let content_type = match encoding {
        Encoding::Json => "application/json",
        Encoding::Cbor => CBOR_CONTENT_TYPE,
    };
    Bytes::from(encode_frame(
        &[
            (":message-type", "event"),
            (":event-type", event_type),
            (":content-type", content_type),
        ],
        &body,
    ))
}

fn exception_frame(encoding: Encoding, error: &KinesisError) -> Bytes {
    let mut fields = Map::new();
    // AWS's deserializer errors may carry no message at all.
    if !error.message.is_empty() {
        fields.insert("message".into(), Value::String(error.message.clone()));
    }
    let payload = Value::Object(fields);
    let body = match encoding {
        Encoding::Json => payload.to_string().into_bytes(),
        Encoding::Cbor => cbor_bytes(&json_to_cbor(&payload, None)),
    };
    let content_type = match encoding {
        Encoding::Json => "application/json",
        Encoding::Cbor => CBOR_CONTENT_TYPE,
    };
    Bytes::from(encode_frame(
        &[
            (":message-type", "exception"),
            (":exception-type", error.kind.type_name()),
            (":content-type", content_type),
        ],
        &body,
    ))
}

/// A SubscribeToShard response body: encoded event-stream frames, ending when the subscription does.
pub struct EventStream {
    /// `application/vnd.amazon.eventstream`.
    pub content_type: &'static str,
    pub frames: tokio::sync::mpsc::Receiver<Bytes>,
}

/// Starts SubscribeToShard. A request the engine refuses is an ordinary error response (`Err`);
/// otherwise a task pushes the `initial-response` frame and then one `SubscribeToShardEvent` frame per
/// event into the returned channel (HTTP 200, a streaming body). Dropping the receiver (client gone)
/// stops the task.
pub async fn subscribe_to_shard(
    kinesis: &Arc<Kinesis>,
    content_type: &str,
    body: &[u8],
) -> Result<EventStream, KinesisResponse> {
    let encoding = Encoding::of(content_type);
    let subscription = decode_body(encoding, body)
        .and_then(decode)
        .and_then(|input| kinesis.subscribe_to_shard(input))
        .map_err(|error| error_response(encoding, &error))?;
    let (sender, frames) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut subscription = subscription;
        let initial = event_frame(encoding, "initial-response", &Value::Object(Map::new()));
        if sender.send(initial).await.is_err() {
            return;
        }
        while let Some(event) = subscription.next_event().await {
            let frame = match event {
                Ok(event) => event_frame(encoding, "SubscribeToShardEvent", &to_value(event)),
                Err(error) => {
                    let _ = sender.send(exception_frame(encoding, &error)).await;
                    return;
                }
            };
            if sender.send(frame).await.is_err() {
                return;
            }
        }
    });
    Ok(EventStream {
        content_type: EVENT_STREAM_CONTENT_TYPE,
        frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_kinesis::Store;
    use wharf_kinesis::{KinesisConfig, ManualClock};

    fn engine() -> Arc<Kinesis> {
        Kinesis::open(
            KinesisConfig {
                transition_delay_millis: 0,
                ..KinesisConfig::default()
            },
            Arc::new(ManualClock::new(1_700_000_000_000)),
            Store::in_memory(),
        )
        .unwrap()
    }

    fn cbor_map(entries: Vec<(&str, Cbor)>) -> Vec<u8> {
        cbor_bytes(&Cbor::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Cbor::Text(k.into()), v))
                .collect(),
        ))
    }

    fn get<'a>(map: &'a Cbor, key: &str) -> &'a Cbor {
        let Cbor::Map(entries) = map else {
            panic!("not a map: {map:?}")
        };
        &entries
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in {map:?}"))
            .1
    }

    async fn json(k: &Arc<Kinesis>, op: &str, body: &str) -> (u16, Value) {
        let r = dispatch(k, op, JSON_CONTENT_TYPE, body.as_bytes()).await;
        assert_eq!(r.content_type, JSON_CONTENT_TYPE);
        let value = if r.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&r.body).unwrap()
        };
        (r.status, value)
    }

    #[tokio::test]
    async fn json_round_trip_and_errors() {
        let k = engine();
        let (status, body) = json(&k, "CreateStream", r#"{"StreamName":"s","ShardCount":1}"#).await;
        assert_eq!((status, body), (200, Value::Null));
        let (status, put) = json(
            &k,
            "PutRecord",
            r#"{"StreamName":"s","PartitionKey":"p","Data":"aGVsbG8="}"#,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(put["ShardId"], "shardId-000000000000");
        let (_, it) = json(
            &k,
            "GetShardIterator",
            r#"{"StreamName":"s","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}"#,
        )
        .await;
        let body = serde_json::json!({"ShardIterator": it["ShardIterator"]}).to_string();
        let (status, records) = json(&k, "GetRecords", &body).await;
        assert_eq!(status, 200);
        assert_eq!(records["Records"][0]["Data"], "aGVsbG8=");
        assert_eq!(
            records["Records"][0]["ApproximateArrivalTimestamp"].as_f64(),
            Some(1_700_000_000.0)
        );
        let (status, error) = json(&k, "DescribeStream", r#"{"StreamName":"nope"}"#).await;
        assert_eq!(status, 400);
        assert_eq!(
            error,
            serde_json::json!({
                "__type": "ResourceNotFoundException",
                "message": "Stream nope under account 000000000000 not found."
            })
        );
        let (status, error) = json(&k, "PutRecord", "[1]").await;
        assert_eq!(status, 400);
        assert_eq!(error["__type"], "SerializationException");
        let (status, error) = json(&k, "Frobnicate", "{}").await;
        assert_eq!(status, 400);
        assert_eq!(
            error,
            serde_json::json!({"__type": "UnknownOperationException"})
        );
    }

    #[tokio::test]
    async fn cbor_request_and_response() {
        let k = engine();
        let create = cbor_map(vec![
            ("StreamName", Cbor::Text("c".into())),
            ("ShardCount", Cbor::Integer(1.into())),
        ]);
        let r = dispatch(&k, "CreateStream", CBOR_CONTENT_TYPE, &create).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.content_type, CBOR_CONTENT_TYPE);
        let put = cbor_map(vec![
            ("StreamName", Cbor::Text("c".into())),
            ("PartitionKey", Cbor::Text("p".into())),
            ("Data", Cbor::Bytes(vec![0, 1, 2, 255])),
        ]);
        let r = dispatch(&k, "PutRecord", CBOR_CONTENT_TYPE, &put).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let out: Cbor = ciborium::de::from_reader(r.body.as_slice()).unwrap();
        assert_eq!(
            get(&out, "ShardId"),
            &Cbor::Text("shardId-000000000000".into())
        );
        // AT_TIMESTAMP with a CBOR timestamp (tag 1, milliseconds).
        let iterator = cbor_map(vec![
            ("StreamName", Cbor::Text("c".into())),
            ("ShardId", Cbor::Text("shardId-000000000000".into())),
            ("ShardIteratorType", Cbor::Text("AT_TIMESTAMP".into())),
            (
                "Timestamp",
                Cbor::Tag(1, Box::new(Cbor::Integer(1_700_000_000_000i64.into()))),
            ),
        ]);
        let r = dispatch(&k, "GetShardIterator", CBOR_CONTENT_TYPE, &iterator).await;
        assert_eq!(r.status, 200);
        let out: Cbor = ciborium::de::from_reader(r.body.as_slice()).unwrap();
        let it = get(&out, "ShardIterator").clone();
        let r = dispatch(
            &k,
            "GetRecords",
            CBOR_CONTENT_TYPE,
            &cbor_map(vec![("ShardIterator", it)]),
        )
        .await;
        assert_eq!(r.status, 200);
        let out: Cbor = ciborium::de::from_reader(r.body.as_slice()).unwrap();
        let Cbor::Array(records) = get(&out, "Records") else {
            panic!("no records")
        };
        assert_eq!(get(&records[0], "Data"), &Cbor::Bytes(vec![0, 1, 2, 255]));
        assert_eq!(
            get(&records[0], "ApproximateArrivalTimestamp"),
            &Cbor::Tag(1, Box::new(Cbor::Integer(1_700_000_000_000i64.into())))
        );
        assert_eq!(get(&out, "MillisBehindLatest"), &Cbor::Integer(0.into()));
        // Errors are CBOR maps too.
        let r = dispatch(
            &k,
            "DescribeStream",
            CBOR_CONTENT_TYPE,
            &cbor_map(vec![("StreamName", Cbor::Text("nope".into()))]),
        )
        .await;
        assert_eq!(r.status, 400);
        let out: Cbor = ciborium::de::from_reader(r.body.as_slice()).unwrap();
        assert_eq!(
            get(&out, "__type"),
            &Cbor::Text("ResourceNotFoundException".into())
        );
        // A hand-built request: {"StreamName": "c"} as raw CBOR bytes.
        let mut raw = vec![0xa1, 0x6a];
        raw.extend_from_slice(b"StreamName");
        raw.extend_from_slice(&[0x61, b'c']);
        let r = dispatch(&k, "DescribeStreamSummary", CBOR_CONTENT_TYPE, &raw).await;
        assert_eq!(r.status, 200);
        let out: Cbor = ciborium::de::from_reader(r.body.as_slice()).unwrap();
        let summary = get(&out, "StreamDescriptionSummary");
        assert_eq!(
            get(summary, "StreamCreationTimestamp"),
            &Cbor::Tag(1, Box::new(Cbor::Integer(1_700_000_000_000i64.into())))
        );
        assert_eq!(get(summary, "OpenShardCount"), &Cbor::Integer(1.into()));
    }

    /// Bitwise CRC32 (IEEE, reflected, polynomial 0xEDB88320), independent of `crc32fast`.
    fn crc32_by_hand(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn empty_frame_matches_the_published_vector() {
        // A message without headers or payload: 16 bytes, prelude CRC 0x05c248eb, message CRC 0x7d98c8ff.
        assert_eq!(
            encode_frame(&[], b""),
            vec![0, 0, 0, 16, 0, 0, 0, 0, 0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8, 0xff]
        );
    }

    #[test]
    fn frame_with_header_and_payload_is_laid_out_by_hand() {
        let frame = encode_frame(&[(":event-type", "X")], b"{}");
        // Header: 1 (name length) + 11 (":event-type") + 1 (type) + 2 (value length) + 1 ("X") = 16.
        let mut expected = vec![0, 0, 0, 34, 0, 0, 0, 16];
        let prelude_crc = crc32_by_hand(&expected);
        expected.extend_from_slice(&prelude_crc.to_be_bytes());
        expected.push(11);
        expected.extend_from_slice(b":event-type");
        expected.extend_from_slice(&[7, 0, 1, b'X']);
        expected.extend_from_slice(b"{}");
        let message_crc = crc32_by_hand(&expected);
        expected.extend_from_slice(&message_crc.to_be_bytes());
        assert_eq!(frame, expected);
        assert_eq!(frame.len(), 34);
    }

    #[tokio::test]
    async fn subscribe_to_shard_streams_frames() {
        let k = engine();
        let (status, _) = json(&k, "CreateStream", r#"{"StreamName":"s","ShardCount":1}"#).await;
        assert_eq!(status, 200);
        let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
        let body = serde_json::json!({"StreamARN": arn, "ConsumerName": "c"}).to_string();
        let (status, consumer) = json(&k, "RegisterStreamConsumer", &body).await;
        assert_eq!(status, 200);
        let consumer_arn = consumer["Consumer"]["ConsumerARN"]
            .as_str()
            .unwrap()
            .to_string();
        let body = serde_json::json!({
            "ConsumerARN": consumer_arn,
            "ShardId": "shardId-000000000000",
            "StartingPosition": {"Type": "TRIM_HORIZON"}
        })
        .to_string();
        json(
            &k,
            "PutRecord",
            r#"{"StreamName":"s","PartitionKey":"p","Data":"AQI="}"#,
        )
        .await;
        let mut stream = subscribe_to_shard(&k, JSON_CONTENT_TYPE, body.as_bytes())
            .await
            .unwrap();
        assert_eq!(stream.content_type, EVENT_STREAM_CONTENT_TYPE);
        let initial = stream.frames.recv().await.unwrap();
        assert!(initial
            .windows(b"initial-response".len())
            .any(|w| w == b"initial-response"));
        let event = stream.frames.recv().await.unwrap();
        let total = u32::from_be_bytes(event[0..4].try_into().unwrap()) as usize;
        let headers = u32::from_be_bytes(event[4..8].try_into().unwrap()) as usize;
        assert_eq!(total, event.len());
        let payload: Value = serde_json::from_slice(&event[12 + headers..total - 4]).unwrap();
        assert_eq!(payload["Records"][0]["Data"], "AQI=");
        assert!(payload["ContinuationSequenceNumber"].is_string());
        // A refused subscription is a plain error response.
        let bad = serde_json::json!({
            "ConsumerARN": format!("{arn}/consumer/none:1"),
            "ShardId": "shardId-000000000000",
            "StartingPosition": {"Type": "LATEST"}
        })
        .to_string();
        let Err(response) = subscribe_to_shard(&k, JSON_CONTENT_TYPE, bad.as_bytes()).await else {
            panic!("subscription to an unknown consumer started")
        };
        assert_eq!(response.status, 400);
    }
}
