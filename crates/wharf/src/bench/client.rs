//! A minimal SQS client for the load generator: one HTTP/1.1 connection per client (hyper-util's legacy
//! client), requests encoded in AWS JSON 1.0 or AWS Query, responses decoded only as far as the load
//! generator needs (queue URLs, received messages, batch failures, error codes). Requests are not signed;
//! a dummy `Authorization` header is sent so that endpoints checking for its presence accept them.

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The SQS wire protocol a client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.<Op>`), what current SDKs use.
    Json,
    /// AWS Query (form-encoded `Action=<Op>`, XML responses).
    Query,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            Protocol::Query => "query",
        }
    }
}

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const QUERY_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
const QUERY_VERSION: &str = "2012-11-05";
const DUMMY_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";
const DUMMY_DATE: &str = "20250101T000000Z";

/// One entry of a SendMessageBatch.
#[derive(Clone, Debug)]
pub struct SendEntry {
    pub body: String,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
}

/// One SQS request, in a protocol-neutral form.
#[derive(Clone, Debug)]
pub enum Op<'a> {
    CreateQueue {
        name: &'a str,
        fifo: bool,
    },
    DeleteQueue {
        queue_url: &'a str,
    },
    SendMessage {
        queue_url: &'a str,
        entry: &'a SendEntry,
    },
    SendMessageBatch {
        queue_url: &'a str,
        entries: &'a [SendEntry],
    },
    ReceiveMessage {
        queue_url: &'a str,
        max: u32,
        wait_time: u32,
    },
    DeleteMessage {
        queue_url: &'a str,
        receipt_handle: &'a str,
    },
    DeleteMessageBatch {
        queue_url: &'a str,
        receipt_handles: &'a [String],
    },
}

impl Op<'_> {
    pub fn action(&self) -> &'static str {
        match self {
            Op::CreateQueue { .. } => "CreateQueue",
            Op::DeleteQueue { .. } => "DeleteQueue",
            Op::SendMessage { .. } => "SendMessage",
            Op::SendMessageBatch { .. } => "SendMessageBatch",
            Op::ReceiveMessage { .. } => "ReceiveMessage",
            Op::DeleteMessage { .. } => "DeleteMessage",
            Op::DeleteMessageBatch { .. } => "DeleteMessageBatch",
        }
    }

    /// The AWS JSON 1.0 request body.
    pub fn encode_json(&self) -> Vec<u8> {
        let value = match self {
            Op::CreateQueue { name, fifo } => {
                let mut value = json!({ "QueueName": name });
                if *fifo {
                    value["Attributes"] = json!({ "FifoQueue": "true" });
                }
                value
            }
            Op::DeleteQueue { queue_url } => json!({ "QueueUrl": queue_url }),
            // The hot requests are serialized straight from borrowed fields: building a `Value` tree per
            // request cost the generator an allocation per field (it shares the cores with the server).
            Op::SendMessage { queue_url, entry } => {
                return to_json(
                    &JsonSend {
                        queue_url,
                        entry: JsonEntry::of(None, entry),
                    },
                    queue_url.len() + entry.body.len() + 64,
                );
            }
            Op::SendMessageBatch { queue_url, entries } => {
                let entries: Vec<JsonEntry<'_>> = entries
                    .iter()
                    .enumerate()
                    .map(|(index, entry)| JsonEntry::of(Some(index), entry))
                    .collect();
                let size_hint = queue_url.len()
                    + entries
                        .iter()
                        .map(|e| e.message_body.len() + 48)
                        .sum::<usize>()
                    + 32;
                return to_json(&JsonSendBatch { queue_url, entries }, size_hint);
            }
            Op::ReceiveMessage {
                queue_url,
                max,
                wait_time,
            } => json!({
                "QueueUrl": queue_url,
                "MaxNumberOfMessages": max,
                "WaitTimeSeconds": wait_time,
            }),
            Op::DeleteMessage {
                queue_url,
                receipt_handle,
            } => json!({ "QueueUrl": queue_url, "ReceiptHandle": receipt_handle }),
            Op::DeleteMessageBatch {
                queue_url,
                receipt_handles,
            } => {
                let entries: Vec<Value> = receipt_handles
                    .iter()
                    .enumerate()
                    .map(|(index, handle)| json!({ "Id": index.to_string(), "ReceiptHandle": handle }))
                    .collect();
                json!({ "QueueUrl": queue_url, "Entries": entries })
            }
        };
        serde_json::to_vec(&value).expect("a JSON value always serializes")
    }

    /// The AWS Query (form-encoded) request body.
    pub fn encode_query(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", self.action());
        form.append_pair("Version", QUERY_VERSION);
        match self {
            Op::CreateQueue { name, fifo } => {
                form.append_pair("QueueName", name);
                if *fifo {
                    form.append_pair("Attribute.1.Name", "FifoQueue");
                    form.append_pair("Attribute.1.Value", "true");
                }
            }
            Op::DeleteQueue { queue_url } => {
                form.append_pair("QueueUrl", queue_url);
            }
            Op::SendMessage { queue_url, entry } => {
                form.append_pair("QueueUrl", queue_url);
                form.append_pair("MessageBody", &entry.body);
                if let Some(group) = &entry.group_id {
                    form.append_pair("MessageGroupId", group);
                }
                if let Some(dedup) = &entry.dedup_id {
                    form.append_pair("MessageDeduplicationId", dedup);
                }
            }
            Op::SendMessageBatch { queue_url, entries } => {
                form.append_pair("QueueUrl", queue_url);
                for (index, entry) in entries.iter().enumerate() {
                    let prefix = format!("SendMessageBatchRequestEntry.{}", index + 1);
                    form.append_pair(&format!("{prefix}.Id"), &index.to_string());
                    form.append_pair(&format!("{prefix}.MessageBody"), &entry.body);
                    if let Some(group) = &entry.group_id {
                        form.append_pair(&format!("{prefix}.MessageGroupId"), group);
                    }
                    if let Some(dedup) = &entry.dedup_id {
                        form.append_pair(&format!("{prefix}.MessageDeduplicationId"), dedup);
                    }
                }
            }
            Op::ReceiveMessage {
                queue_url,
                max,
                wait_time,
            } => {
                form.append_pair("QueueUrl", queue_url);
                form.append_pair("MaxNumberOfMessages", &max.to_string());
                form.append_pair("WaitTimeSeconds", &wait_time.to_string());
            }
            Op::DeleteMessage {
                queue_url,
                receipt_handle,
            } => {
                form.append_pair("QueueUrl", queue_url);
                form.append_pair("ReceiptHandle", receipt_handle);
            }
            Op::DeleteMessageBatch {
                queue_url,
                receipt_handles,
            } => {
                form.append_pair("QueueUrl", queue_url);
                for (index, handle) in receipt_handles.iter().enumerate() {
                    let prefix = format!("DeleteMessageBatchRequestEntry.{}", index + 1);
                    form.append_pair(&format!("{prefix}.Id"), &index.to_string());
                    form.append_pair(&format!("{prefix}.ReceiptHandle"), handle);
                }
            }
        }
        form.finish()
    }
}

fn to_json(value: &impl Serialize, size_hint: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size_hint);
    serde_json::to_writer(&mut out, value).expect("a request of strings always serializes");
    out
}

/// Batch entry ids: requests hold at most 10 entries, larger indexes are formatted.
const ENTRY_IDS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonSend<'a> {
    queue_url: &'a str,
    #[serde(flatten)]
    entry: JsonEntry<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonSendBatch<'a> {
    queue_url: &'a str,
    entries: Vec<JsonEntry<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonEntry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<std::borrow::Cow<'a, str>>,
    message_body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_deduplication_id: Option<&'a str>,
}

impl<'a> JsonEntry<'a> {
    fn of(index: Option<usize>, entry: &'a SendEntry) -> JsonEntry<'a> {
        JsonEntry {
            id: index.map(|index| match ENTRY_IDS.get(index) {
                Some(id) => std::borrow::Cow::Borrowed(*id),
                None => std::borrow::Cow::Owned(index.to_string()),
            }),
            message_body: &entry.body,
            message_group_id: entry.group_id.as_deref(),
            message_deduplication_id: entry.dedup_id.as_deref(),
        }
    }
}

/// A failed request: an SQS error code (`QueueDoesNotExist`, `AWS.SimpleQueueService.NonExistentQueue`,
/// ...), `HTTP <status>` when the endpoint gave none, or a transport-level failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    pub code: String,
    pub detail: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for CallError {}

/// A received message: what a consumer needs to delete it and to measure its end-to-end latency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub receipt_handle: String,
    pub body: String,
}

/// A client holding (at most) one keep-alive connection to `endpoint`.
#[derive(Clone)]
pub struct SqsClient {
    http: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
    protocol: Protocol,
}

impl SqsClient {
    pub fn new(endpoint: &str, protocol: Protocol) -> anyhow::Result<SqsClient> {
        let (http, uri) = http_client(endpoint)?;
        Ok(SqsClient {
            http,
            uri,
            protocol,
        })
    }

    /// Sends `op`; returns the response body of a 2xx response, or the error code of any other.
    pub async fn call(&self, op: &Op<'_>) -> Result<Bytes, CallError> {
        let (body, content_type) = match self.protocol {
            Protocol::Json => (Bytes::from(op.encode_json()), JSON_CONTENT_TYPE),
            Protocol::Query => (Bytes::from(op.encode_query()), QUERY_CONTENT_TYPE),
        };
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(header::CONTENT_TYPE, HeaderValue::from_static(content_type))
            .header(
                header::AUTHORIZATION,
                HeaderValue::from_static(DUMMY_AUTHORIZATION),
            )
            .header("x-amz-date", HeaderValue::from_static(DUMMY_DATE));
        if self.protocol == Protocol::Json {
            request = request.header("x-amz-target", target_header(op.action()));
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| transport("RequestError", e))?;
        round_trip(&self.http, request, self.protocol).await
    }

    pub async fn create_queue(&self, name: &str, fifo: bool) -> Result<String, CallError> {
        let body = self.call(&Op::CreateQueue { name, fifo }).await?;
        decode_queue_url(self.protocol, &body).ok_or_else(|| CallError {
            code: "BadResponse".into(),
            detail: format!(
                "CreateQueue response without a QueueUrl: {}",
                String::from_utf8_lossy(&body)
            ),
        })
    }

    pub async fn delete_queue(&self, queue_url: &str) -> Result<(), CallError> {
        self.call(&Op::DeleteQueue { queue_url }).await.map(|_| ())
    }

    pub async fn send(&self, queue_url: &str, entry: &SendEntry) -> Result<(), CallError> {
        self.call(&Op::SendMessage { queue_url, entry })
            .await
            .map(|_| ())
    }

    /// Returns the error codes of the entries that failed.
    pub async fn send_batch(
        &self,
        queue_url: &str,
        entries: &[SendEntry],
    ) -> Result<Vec<String>, CallError> {
        let body = self
            .call(&Op::SendMessageBatch { queue_url, entries })
            .await?;
        Ok(decode_batch_failures(self.protocol, &body))
    }

    pub async fn receive(
        &self,
        queue_url: &str,
        max: u32,
        wait_time: u32,
    ) -> Result<Vec<Received>, CallError> {
        let body = self
            .call(&Op::ReceiveMessage {
                queue_url,
                max,
                wait_time,
            })
            .await?;
        decode_received(self.protocol, &body)
    }

    pub async fn delete(&self, queue_url: &str, receipt_handle: &str) -> Result<(), CallError> {
        self.call(&Op::DeleteMessage {
            queue_url,
            receipt_handle,
        })
        .await
        .map(|_| ())
    }

    /// Returns the error codes of the entries that failed.
    pub async fn delete_batch(
        &self,
        queue_url: &str,
        receipt_handles: &[String],
    ) -> Result<Vec<String>, CallError> {
        let body = self
            .call(&Op::DeleteMessageBatch {
                queue_url,
                receipt_handles,
            })
            .await?;
        Ok(decode_batch_failures(self.protocol, &body))
    }
}

fn target_header(action: &'static str) -> HeaderValue {
    HeaderValue::from_static(match action {
        "CreateQueue" => "AmazonSQS.CreateQueue",
        "DeleteQueue" => "AmazonSQS.DeleteQueue",
        "SendMessage" => "AmazonSQS.SendMessage",
        "SendMessageBatch" => "AmazonSQS.SendMessageBatch",
        "ReceiveMessage" => "AmazonSQS.ReceiveMessage",
        "DeleteMessage" => "AmazonSQS.DeleteMessage",
        "DeleteMessageBatch" => "AmazonSQS.DeleteMessageBatch",
        _ => unreachable!("every Op has a target"),
    })
}

/// An HTTP/1.1 client keeping (at most) one keep-alive connection to `endpoint`, and the endpoint's root
/// URI. Only `http://` endpoints are supported.
pub fn http_client(endpoint: &str) -> anyhow::Result<(Client<HttpConnector, Full<Bytes>>, Uri)> {
    let base = endpoint.trim_end_matches('/');
    let uri: Uri = format!("{base}/")
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid endpoint URL {endpoint}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        anyhow::bail!("endpoint {endpoint}: only http:// endpoints are supported");
    }
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    let http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector);
    Ok((http, uri))
}

/// Sends `request` and reads the whole response: its body when the status is 2xx, else the AWS error it
/// carries (`ConnectError` / `TransportError` when there is no response).
pub async fn round_trip(
    http: &Client<HttpConnector, Full<Bytes>>,
    request: Request<Full<Bytes>>,
    protocol: Protocol,
) -> Result<Bytes, CallError> {
    let response = http.request(request).await.map_err(|e| {
        let code = if e.is_connect() {
            "ConnectError"
        } else {
            "TransportError"
        };
        transport(code, e)
    })?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| transport("TransportError", e))?
        .to_bytes();
    if parts.status.is_success() {
        Ok(body)
    } else {
        Err(decode_error(protocol, parts.status, &parts.headers, &body))
    }
}

pub(crate) fn transport(code: &str, error: impl std::fmt::Display) -> CallError {
    CallError {
        code: code.to_string(),
        detail: error.to_string(),
    }
}

/// The error code of a non-2xx response: the JSON `__type` (after `#`), the `x-amzn-query-error` header,
/// or the Query XML `<Code>`; `HTTP <status>` if there is none.
pub fn decode_error(
    protocol: Protocol,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> CallError {
    let text = String::from_utf8_lossy(body);
    let code = match protocol {
        Protocol::Json => serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|value| {
                value
                    .get("__type")
                    .and_then(Value::as_str)
                    .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
            })
            .or_else(|| {
                headers
                    .get("x-amzn-query-error")
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.split(';').next().unwrap_or(v).to_string())
            }),
        Protocol::Query => xml_elements(&text, "Code").next().map(xml_unescape),
    };
    CallError {
        code: code
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16())),
        detail: text.chars().take(300).collect(),
    }
}

pub fn decode_queue_url(protocol: Protocol, body: &[u8]) -> Option<String> {
    match protocol {
        Protocol::Json => serde_json::from_slice::<Value>(body)
            .ok()?
            .get("QueueUrl")?
            .as_str()
            .map(str::to_string),
        Protocol::Query => xml_elements(&String::from_utf8_lossy(body), "QueueUrl")
            .next()
            .map(xml_unescape),
    }
}

#[derive(Deserialize)]
struct JsonBatchResult {
    #[serde(rename = "Failed", default)]
    failed: Option<Vec<JsonBatchFailure>>,
}

#[derive(Deserialize)]
struct JsonBatchFailure {
    #[serde(rename = "Code", default)]
    code: Option<String>,
}

/// The error codes of a batch response's failed entries.
pub fn decode_batch_failures(protocol: Protocol, body: &[u8]) -> Vec<String> {
    // Every failed entry has a `Code` (BatchResultErrorEntry); a response without one has no failures
    // and is not parsed (the generator shares the cores with the server it measures).
    let code = match protocol {
        Protocol::Json => &b"\"Code\""[..],
        Protocol::Query => &b"<Code>"[..],
    };
    if !body.windows(code.len()).any(|window| window == code) {
        return Vec::new();
    }
    match protocol {
        Protocol::Json => serde_json::from_slice::<JsonBatchResult>(body)
            .ok()
            .and_then(|result| result.failed)
            .unwrap_or_default()
            .into_iter()
            .map(|failure| failure.code.unwrap_or_else(|| "BatchEntryFailed".into()))
            .collect(),
        Protocol::Query => {
            let text = String::from_utf8_lossy(body);
            xml_elements(&text, "BatchResultErrorEntry")
                .map(|entry| {
                    xml_elements(entry, "Code")
                        .next()
                        .map(xml_unescape)
                        .unwrap_or_else(|| "BatchEntryFailed".into())
                })
                .collect()
        }
    }
}

#[derive(Deserialize)]
struct JsonReceiveResult {
    #[serde(rename = "Messages", default)]
    messages: Option<Vec<JsonMessage>>,
}

#[derive(Deserialize)]
struct JsonMessage {
    #[serde(rename = "ReceiptHandle")]
    receipt_handle: String,
    #[serde(rename = "Body", default)]
    body: String,
}

pub fn decode_received(protocol: Protocol, body: &[u8]) -> Result<Vec<Received>, CallError> {
    let bad = |detail: String| CallError {
        code: "BadResponse".into(),
        detail,
    };
    match protocol {
        Protocol::Json => {
            let result: JsonReceiveResult = serde_json::from_slice(body)
                .map_err(|e| bad(format!("ReceiveMessage response: {e}")))?;
            Ok(result
                .messages
                .unwrap_or_default()
                .into_iter()
                .map(|m| Received {
                    receipt_handle: m.receipt_handle,
                    body: m.body,
                })
                .collect())
        }
        Protocol::Query => {
            let text = String::from_utf8_lossy(body);
            xml_elements(&text, "Message")
                .map(|message| {
                    let receipt_handle = xml_elements(message, "ReceiptHandle")
                        .next()
                        .map(xml_unescape)
                        .ok_or_else(|| bad("a <Message> without <ReceiptHandle>".into()))?;
                    let body = xml_elements(message, "Body")
                        .next()
                        .map(xml_unescape)
                        .unwrap_or_default();
                    Ok(Received {
                        receipt_handle,
                        body,
                    })
                })
                .collect()
        }
    }
}

/// The inner text of each `<tag>...</tag>` in `xml` (not nested in itself; SQS responses never nest an
/// element in one of the same name). `<tag/>` yields an empty string.
pub fn xml_elements<'a>(xml: &'a str, tag: &str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{tag}>");
    let empty = format!("<{tag}/>");
    let close = format!("</{tag}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let at_open = rest.find(&open);
        let at_empty = rest.find(&empty);
        match (at_open, at_empty) {
            (Some(o), e) if e.is_none_or(|e| o < e) => {
                let inner = &rest[o + open.len()..];
                let end = inner.find(&close)?;
                rest = &inner[end + close.len()..];
                Some(&inner[..end])
            }
            (_, Some(e)) => {
                rest = &rest[e + empty.len()..];
                Some("")
            }
            _ => None,
        }
    })
}

/// Undoes XML escaping: the five named entities and numeric character references.
pub fn xml_unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(end) = after.find(';').filter(|&end| end <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: &str) -> SendEntry {
        SendEntry {
            body: body.into(),
            group_id: None,
            dedup_id: None,
        }
    }

    #[test]
    fn encodes_json_requests() {
        let e = entry("hi \"there\"");
        let body = Op::SendMessage {
            queue_url: "http://h/000000000000/q",
            entry: &e,
        }
        .encode_json();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            json!({"QueueUrl": "http://h/000000000000/q", "MessageBody": "hi \"there\""})
        );

        let entries = vec![
            SendEntry {
                body: "a".into(),
                group_id: Some("g0".into()),
                dedup_id: Some("d0".into()),
            },
            entry("b"),
        ];
        let body = Op::SendMessageBatch {
            queue_url: "u",
            entries: &entries,
        }
        .encode_json();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            json!({"QueueUrl": "u", "Entries": [
                {"Id": "0", "MessageBody": "a", "MessageGroupId": "g0", "MessageDeduplicationId": "d0"},
                {"Id": "1", "MessageBody": "b"},
            ]})
        );

        let body = Op::CreateQueue {
            name: "q.fifo",
            fifo: true,
        }
        .encode_json();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            json!({"QueueName": "q.fifo", "Attributes": {"FifoQueue": "true"}})
        );
    }

    #[test]
    fn encodes_query_requests() {
        let e = entry("a b&c=d");
        assert_eq!(
            Op::SendMessage {
                queue_url: "http://h:1/000000000000/q",
                entry: &e
            }
            .encode_query(),
            "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Fh%3A1%2F000000000000%2Fq&MessageBody=a+b%26c%3Dd"
        );
        let handles = vec!["r1".to_string(), "r+2".to_string()];
        assert_eq!(
            Op::DeleteMessageBatch {
                queue_url: "u",
                receipt_handles: &handles
            }
            .encode_query(),
            "Action=DeleteMessageBatch&Version=2012-11-05&QueueUrl=u\
             &DeleteMessageBatchRequestEntry.1.Id=0&DeleteMessageBatchRequestEntry.1.ReceiptHandle=r1\
             &DeleteMessageBatchRequestEntry.2.Id=1&DeleteMessageBatchRequestEntry.2.ReceiptHandle=r%2B2"
        );
        assert_eq!(
            Op::ReceiveMessage {
                queue_url: "u",
                max: 10,
                wait_time: 1
            }
            .encode_query(),
            "Action=ReceiveMessage&Version=2012-11-05&QueueUrl=u&MaxNumberOfMessages=10&WaitTimeSeconds=1"
        );
    }

    #[test]
    fn decodes_query_responses() {
        let xml = "<?xml version=\"1.0\"?><ReceiveMessageResponse><ReceiveMessageResult>\
            <Message><MessageId>m1</MessageId><ReceiptHandle>r&amp;1</ReceiptHandle><MD5OfBody>x</MD5OfBody>\
            <Body>&lt;hi&gt; &#x41;&#66;</Body></Message>\
            <Message><MessageId>m2</MessageId><ReceiptHandle>r2</ReceiptHandle><Body/></Message>\
            </ReceiveMessageResult></ReceiveMessageResponse>";
        assert_eq!(
            decode_received(Protocol::Query, xml.as_bytes()).unwrap(),
            vec![
                Received {
                    receipt_handle: "r&1".into(),
                    body: "<hi> AB".into()
                },
                Received {
                    receipt_handle: "r2".into(),
                    body: "".into()
                },
            ]
        );
        let batch = "<SendMessageBatchResponse><SendMessageBatchResult>\
            <SendMessageBatchResultEntry><Id>0</Id></SendMessageBatchResultEntry>\
            <BatchResultErrorEntry><Id>1</Id><Code>InvalidMessageContents</Code><SenderFault>true</SenderFault></BatchResultErrorEntry>\
            </SendMessageBatchResult></SendMessageBatchResponse>";
        assert_eq!(
            decode_batch_failures(Protocol::Query, batch.as_bytes()),
            vec!["InvalidMessageContents".to_string()]
        );
        let error = "<ErrorResponse><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code></Error></ErrorResponse>";
        assert_eq!(
            decode_error(
                Protocol::Query,
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                error.as_bytes()
            )
            .code,
            "AWS.SimpleQueueService.NonExistentQueue"
        );
        assert_eq!(
            decode_queue_url(
                Protocol::Query,
                b"<CreateQueueResult><QueueUrl>http://h/1/q</QueueUrl></CreateQueueResult>"
            ),
            Some("http://h/1/q".to_string())
        );
    }

    #[test]
    fn decodes_json_responses() {
        let body =
            br#"{"Messages":[{"MessageId":"m","ReceiptHandle":"r","Body":"b","MD5OfBody":"x"}]}"#;
        assert_eq!(
            decode_received(Protocol::Json, body).unwrap(),
            vec![Received {
                receipt_handle: "r".into(),
                body: "b".into()
            }]
        );
        assert!(decode_received(Protocol::Json, b"{}").unwrap().is_empty());
        assert_eq!(
            decode_batch_failures(
                Protocol::Json,
                br#"{"Successful":[],"Failed":[{"Id":"0","Code":"X","SenderFault":true}]}"#
            ),
            vec!["X".to_string()]
        );
        let error = decode_error(
            Protocol::Json,
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"no"}"#,
        );
        assert_eq!(error.code, "QueueDoesNotExist");
        let error = decode_error(
            Protocol::Json,
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new(),
            b"",
        );
        assert_eq!(error.code, "HTTP 503");
    }
}
