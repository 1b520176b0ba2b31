//! `wharf bench kinesis`: PutRecords throughput, GetRecords read throughput and put → get end-to-end
//! latency against a Kinesis Data Streams endpoint (AWS JSON 1.1) or a Wharf started for the run.
//!
//! - `put`: producers send PutRecords (or PutRecord with `--batch 1`) in a closed loop over one stream of
//!   `--shards` shards, each record with its own partition key (so records spread evenly over the shards).
//! - `get`: a back-log of `--backlog` records is put first (not measured); consumers then read it from
//!   TRIM_HORIZON with GetRecords (no warm-up); the window ends with the last records a consumer got once
//!   its shards are drained.
//! - `steady`: producers and consumers together; consumers read from LATEST, and every record's data
//!   starts with the generator's clock at put time, so the consumer measures put → get latency.
//!
//! Consumers poll each of their shards at most once per `--poll-interval-ms` (200 ms: Kinesis allows 5
//! GetRecords per second per shard), so polled put → get latency is mostly that interval; with
//! `--fan-out` (steady) a registered consumer holds one SubscribeToShard event stream per shard instead and
//! records are pushed as they arrive. Wharf enforces Kinesis's per-shard limits (writes 1,000 records/s and
//! 1 MiB/s, reads 5 calls/s and 2 MiB/s), so the shard count bounds what a run can reach: the report
//! states that bound next to the measured rates, and counts throttled records and reads apart from errors.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;
use bytes::Bytes;
use clap::Args;
use http::{header, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::time::sleep_until;

use super::client::{decode_error, http_client, CallError, Protocol};
use super::process::{self, ChildServer};
use super::report::{
    cpu_seconds, group_digits, peak_rss_kib, ratio, render_tail, LatencySummary, Machine,
    ProcessUsage, Stats,
};
use super::scenarios::{body_stamp, now_micros, stamped_body};

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const TARGET_PREFIX: &str = "Kinesis_20131202.";
const DUMMY_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000";
const DUMMY_DATE: &str = "20250101T000000Z";
const THROTTLED: &str = "ProvisionedThroughputExceededException";
/// PutRecords' limit on a whole request (data and partition keys).
const PUT_RECORDS_MAX_BYTES: u64 = wharf_kinesis::limits::PUT_RECORDS_MAX_BYTES as u64;
const MIB: f64 = 1024.0 * 1024.0;

/// What the load does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KinesisScenario {
    /// Producers only: PutRecords (PutRecord with --batch 1) in a closed loop.
    Put,
    /// Consumers only: GetRecords over a back-log put before the measurement.
    Get,
    /// Producers and consumers together: put → GetRecords end-to-end latency.
    Steady,
}

impl KinesisScenario {
    fn name(self) -> &'static str {
        match self {
            KinesisScenario::Put => "put",
            KinesisScenario::Get => "get",
            KinesisScenario::Steady => "steady",
        }
    }
}

#[derive(Args)]
pub struct KinesisArgs {
    /// The Kinesis endpoint to drive; without it the benchmark starts a Wharf of its own and stops it after.
    #[arg(long)]
    endpoint: Option<String>,
    /// What the load does.
    #[arg(long, value_enum, default_value = "put")]
    scenario: KinesisScenario,
    /// Shards of the stream the run creates (each takes 1,000 records/s and 1 MiB/s of writes).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    shards: u32,
    /// Producer connections (put, steady; they also fill the back-log of get).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    producers: u32,
    /// Consumer connections (get, steady); shards are dealt out among them.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=4096))]
    consumers: u32,
    /// Records per PutRecords request; 1 uses PutRecord.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=500))]
    batch: u32,
    /// Data bytes per record (at least 21: the data carries the put timestamp).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    record_size: u32,
    /// `Limit` of each GetRecords.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    get_limit: u32,
    /// Least time between two GetRecords on one shard (Kinesis allows 5 per second per shard).
    #[arg(long, default_value_t = 200)]
    poll_interval_ms: u64,
    /// steady: read with enhanced fan-out (a registered consumer, one SubscribeToShard event stream per
    /// shard) instead of polling GetRecords.
    #[arg(long)]
    fan_out: bool,
    /// Cap the total put rate (records per second); default: as fast as the producers go.
    #[arg(long)]
    rate: Option<f64>,
    /// Records put before a get run (not measured).
    #[arg(long, default_value_t = 200_000)]
    backlog: u64,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Warm-up seconds before the measurement window (load runs, nothing is recorded).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Print a machine-readable JSON report instead of the text one.
    #[arg(long)]
    json: bool,
    /// Load-generator threads (default: one per CPU).
    #[arg(long)]
    threads: Option<usize>,
    /// Started Wharf keeps its data on disk (the server's default; fsync per --fsync).
    #[arg(long, conflicts_with_all = ["in_memory", "endpoint"])]
    durable: bool,
    /// Started Wharf keeps everything in memory.
    #[arg(long, conflicts_with = "endpoint")]
    in_memory: bool,
    /// Data directory of the started durable Wharf (default: a temporary one, removed after).
    #[arg(long, conflicts_with_all = ["in_memory", "endpoint"])]
    data_dir: Option<PathBuf>,
    /// fsync policy of the started durable Wharf: always, interval:<N>ms or never.
    #[arg(long, default_value = "always", conflicts_with_all = ["in_memory", "endpoint"])]
    fsync: String,
    /// A second endpoint (e.g. kinesalite) to run the same scenario against after the first.
    #[arg(long)]
    compare: Option<String>,
    /// Keep the streams the run created (they are deleted by default).
    #[arg(long)]
    keep_stream: bool,
}

pub fn run(args: KinesisArgs) -> anyhow::Result<()> {
    if !(args.duration > 0.0 && args.duration <= 86_400.0) {
        anyhow::bail!("--duration must be between 0 and 86400 seconds");
    }
    if !(0.0..=3600.0).contains(&args.warmup) {
        anyhow::bail!("--warmup must be between 0 and 3600 seconds");
    }
    if args.fan_out && args.scenario != KinesisScenario::Steady {
        anyhow::bail!("--fan-out applies to the steady scenario");
    }
    if u64::from(args.batch) * u64::from(args.record_size) > PUT_RECORDS_MAX_BYTES {
        anyhow::bail!(
            "--batch × --record-size exceeds PutRecords' 10 MiB request limit ({} × {})",
            args.batch,
            args.record_size
        );
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        builder.worker_threads(threads.max(1));
    }
    now_micros();
    let runtime = builder.enable_all().build()?;
    let full = runtime.block_on(run_kinesis(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&full)?);
    } else {
        print!("{}", full.render());
    }
    Ok(())
}

// -----------------------------------------------------------------------------------------------------
// Client

/// A Kinesis client holding (at most) one keep-alive HTTP/1.1 connection; requests are not signed.
#[derive(Clone)]
struct KinesisClient {
    http: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
}

impl KinesisClient {
    fn new(endpoint: &str) -> anyhow::Result<KinesisClient> {
        let (http, uri) = http_client(endpoint)?;
        Ok(KinesisClient { http, uri })
    }

    /// Sends `operation` with a JSON body; the body of a 2xx response, or the error code of any other.
    async fn call(&self, operation: &str, body: Vec<u8>) -> Result<Bytes, CallError> {
        let body = self.send(operation, body).await?;
        body.collect()
            .await
            .map_err(|e| transport("TransportError", e))
            .map(|collected| collected.to_bytes())
    }

    /// Sends `operation`; the (streaming) body of a 2xx response, or the error code of any other.
    async fn send(&self, operation: &str, body: Vec<u8>) -> Result<Incoming, CallError> {
        let target = HeaderValue::from_str(&format!("{TARGET_PREFIX}{operation}"))
            .map_err(|e| transport("RequestError", e))?;
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))
            .header(
                header::AUTHORIZATION,
                HeaderValue::from_static(DUMMY_AUTHORIZATION),
            )
            .header("x-amz-date", HeaderValue::from_static(DUMMY_DATE))
            .header("x-amz-target", target)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| transport("RequestError", e))?;
        let response = self.http.request(request).await.map_err(|e| {
            let code = if e.is_connect() {
                "ConnectError"
            } else {
                "TransportError"
            };
            transport(code, e)
        })?;
        let (parts, body) = response.into_parts();
        if parts.status.is_success() {
            Ok(body)
        } else {
            let body = body
                .collect()
                .await
                .map_err(|e| transport("TransportError", e))?
                .to_bytes();
            // Kinesis errors are `{"__type": ..., "message": ...}` like AWS JSON 1.0's.
            Err(decode_error(
                Protocol::Json,
                parts.status,
                &parts.headers,
                &body,
            ))
        }
    }

    async fn call_json<T: DeserializeOwned>(
        &self,
        operation: &str,
        input: &Value,
    ) -> Result<T, CallError> {
        let body = self
            .call(operation, serde_json::to_vec(input).unwrap_or_default())
            .await?;
        let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
        serde_json::from_slice(body).map_err(|e| CallError {
            code: "BadResponse".into(),
            detail: format!("{operation} response: {e}"),
        })
    }
}

fn transport(code: &str, error: impl std::fmt::Display) -> CallError {
    CallError {
        code: code.to_string(),
        detail: error.to_string(),
    }
}

#[derive(Deserialize)]
struct PutRecordsOut {
    #[serde(rename = "Records", default)]
    records: Vec<PutRecordsEntry>,
}

#[derive(Deserialize)]
struct PutRecordsEntry {
    #[serde(rename = "ErrorCode", default)]
    error_code: Option<String>,
}

#[derive(Deserialize)]
struct GetRecordsOut {
    #[serde(rename = "Records", default)]
    records: Vec<RecordOut>,
    #[serde(rename = "NextShardIterator", default)]
    next_shard_iterator: Option<String>,
    #[serde(rename = "MillisBehindLatest", default)]
    millis_behind_latest: Option<u64>,
}

#[derive(Deserialize)]
struct RecordOut {
    #[serde(rename = "Data")]
    data: String,
}

/// The length of the bytes a standard base64 text holds.
fn decoded_len(text: &str) -> u64 {
    let padding = text.bytes().rev().take_while(|b| *b == b'=').count();
    ((text.len() / 4) * 3).saturating_sub(padding) as u64
}

/// The put timestamp at the start of a record's data (only its first 28 base64 characters are decoded).
fn data_stamp(data: &str) -> Option<u64> {
    let head = data.get(..28)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(head)
        .ok()?;
    body_stamp(std::str::from_utf8(&bytes).ok()?)
}

/// A SubscribeToShardEvent's payload (JSON 1.1).
#[derive(Deserialize)]
struct ShardEventOut {
    #[serde(rename = "Records", default)]
    records: Vec<RecordOut>,
    #[serde(rename = "ContinuationSequenceNumber", default)]
    continuation_sequence_number: Option<String>,
}

/// One `application/vnd.amazon.eventstream` message: `:message-type`, `:event-type` (or
/// `:exception-type`) and the payload.
#[derive(Debug, PartialEq, Eq)]
struct EventMessage {
    message_type: String,
    event_type: String,
    payload: Vec<u8>,
}

/// Takes the first complete message off `buffer` (None: more bytes needed). Checksums are not verified.
fn next_message(buffer: &mut Vec<u8>) -> Result<Option<EventMessage>, String> {
    if buffer.len() < 12 {
        return Ok(None);
    }
    let total = u32::from_be_bytes([buffer[0], buffer[1], buffer[2], buffer[3]]) as usize;
    let headers_len = u32::from_be_bytes([buffer[4], buffer[5], buffer[6], buffer[7]]) as usize;
    if total < 16 || headers_len > total - 16 {
        return Err(format!(
            "bad event-stream prelude: total {total}, headers {headers_len}"
        ));
    }
    if buffer.len() < total {
        return Ok(None);
    }
    let frame: Vec<u8> = buffer.drain(..total).collect();
    let mut headers = &frame[12..12 + headers_len];
    let mut message = EventMessage {
        message_type: String::new(),
        event_type: String::new(),
        payload: frame[12 + headers_len..total - 4].to_vec(),
    };
    let truncated = || "truncated event-stream header".to_string();
    while !headers.is_empty() {
        let name_len = headers[0] as usize;
        let name = headers.get(1..1 + name_len).ok_or_else(truncated)?;
        let name = String::from_utf8_lossy(name).into_owned();
        let kind = *headers.get(1 + name_len).ok_or_else(truncated)?;
        let rest = &headers[2 + name_len..];
        // Value sizes by type: bool true/false, byte, short, int, long, bytes, string, timestamp, uuid.
        let (value, used) = match kind {
            0 | 1 => (&rest[..0], 0),
            2 => (rest.get(..1).ok_or_else(truncated)?, 1),
            3 => (rest.get(..2).ok_or_else(truncated)?, 2),
            4 => (rest.get(..4).ok_or_else(truncated)?, 4),
            5 | 8 => (rest.get(..8).ok_or_else(truncated)?, 8),
            9 => (rest.get(..16).ok_or_else(truncated)?, 16),
            6 | 7 => {
                let len = u16::from_be_bytes([
                    *rest.first().ok_or_else(truncated)?,
                    *rest.get(1).ok_or_else(truncated)?,
                ]) as usize;
                (rest.get(2..2 + len).ok_or_else(truncated)?, 2 + len)
            }
            other => return Err(format!("unknown event-stream header type {other}")),
        };
        if kind == 7 {
            let value = String::from_utf8_lossy(value).into_owned();
            match name.as_str() {
                ":message-type" => message.message_type = value,
                ":event-type" | ":exception-type" => message.event_type = value,
                _ => {}
            }
        }
        headers = &rest[used..];
    }
    Ok(Some(message))
}

// -----------------------------------------------------------------------------------------------------
// Stream set-up

/// Creates `name` with `shards` shards, waits until it is ACTIVE and returns its shard ids.
async fn create_stream(
    client: &KinesisClient,
    name: &str,
    shards: u32,
) -> anyhow::Result<Vec<String>> {
    client
        .call_json::<Value>(
            "CreateStream",
            &json!({"StreamName": name, "ShardCount": shards}),
        )
        .await
        .with_context(|| format!("creating stream {name}"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let described: Value = client
            .call_json("DescribeStream", &json!({"StreamName": name, "Limit": 1}))
            .await
            .with_context(|| format!("describing stream {name}"))?;
        let status = described["StreamDescription"]["StreamStatus"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if status == "ACTIVE" {
            break;
        }
        if Instant::now() >= deadline {
            anyhow::bail!("stream {name} still {status:?} after 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ListShards, all pages; endpoints without it name shards as Kinesis does.
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let input = match &token {
            Some(token) => json!({"NextToken": token}),
            None => json!({"StreamName": name}),
        };
        let page: Value = match client.call_json("ListShards", &input).await {
            Ok(page) => page,
            Err(_) if token.is_none() => {
                return Ok((0..shards).map(|i| format!("shardId-{i:012}")).collect());
            }
            Err(error) => return Err(error).context("ListShards"),
        };
        for shard in page["Shards"].as_array().into_iter().flatten() {
            if let Some(id) = shard["ShardId"].as_str() {
                ids.push(id.to_string());
            }
        }
        match page["NextToken"].as_str() {
            Some(next) => token = Some(next.to_string()),
            None => return Ok(ids),
        }
    }
}

async fn shard_iterator(
    client: &KinesisClient,
    stream: &str,
    shard: &str,
    kind: &str,
) -> anyhow::Result<String> {
    let out: Value = client
        .call_json(
            "GetShardIterator",
            &json!({"StreamName": stream, "ShardId": shard, "ShardIteratorType": kind}),
        )
        .await
        .with_context(|| format!("GetShardIterator {kind} on {shard}"))?;
    out["ShardIterator"]
        .as_str()
        .map(str::to_string)
        .context("GetShardIterator without a ShardIterator")
}

// -----------------------------------------------------------------------------------------------------
// Load

/// What one worker (or, merged, a run) measured inside the window.
struct Counters {
    /// `put`, `get` and `end_to_end` latencies; `sent` = records put, `received` = records read.
    stats: Stats,
    put_bytes: u64,
    read_bytes: u64,
    throttled_records: u64,
    throttled_reads: u64,
}

impl Counters {
    fn new() -> Counters {
        let mut stats = Stats::default();
        for op in ["put", "get", "subscribe"] {
            stats.latency.insert(op, super::report::new_histogram());
        }
        Counters {
            stats,
            put_bytes: 0,
            read_bytes: 0,
            throttled_records: 0,
            throttled_reads: 0,
        }
    }

    fn merge(&mut self, other: &Counters) {
        self.stats.merge(&other.stats);
        self.put_bytes += other.put_bytes;
        self.read_bytes += other.read_bytes;
        self.throttled_records += other.throttled_records;
        self.throttled_reads += other.throttled_reads;
    }
}

#[derive(Clone, Copy)]
struct Window {
    measure_start: Instant,
    deadline: Instant,
}

/// What every worker of a run shares.
struct Plan {
    scenario: KinesisScenario,
    stream: String,
    producers: usize,
    batch: usize,
    record_size: usize,
    get_limit: u32,
    poll_interval: Duration,
    rate: Option<f64>,
}

fn micros_between(from: Instant, to: Instant) -> u64 {
    to.saturating_duration_since(from).as_micros() as u64
}

/// One PutRecords (or PutRecord) of `count` records stamped now: per record, whether it was throttled.
async fn put_batch(
    client: &KinesisClient,
    plan: &Plan,
    worker: usize,
    seq: u64,
    count: usize,
) -> Result<Vec<bool>, CallError> {
    let data = base64::engine::general_purpose::STANDARD
        .encode(stamped_body(plan.record_size, now_micros()));
    if count == 1 {
        let input = json!({
            "StreamName": plan.stream,
            "PartitionKey": format!("{worker}-{seq}"),
            "Data": data,
        });
        return match client.call_json::<Value>("PutRecord", &input).await {
            Ok(_) => Ok(vec![false]),
            Err(error) if error.code == THROTTLED => Ok(vec![true]),
            Err(error) => Err(error),
        };
    }
    let records: Vec<Value> = (0..count)
        .map(|k| json!({"PartitionKey": format!("{worker}-{seq}-{k}"), "Data": data}))
        .collect();
    let input = json!({"StreamName": plan.stream, "Records": records});
    let out: PutRecordsOut = client.call_json("PutRecords", &input).await?;
    if out.records.len() != count {
        return Err(CallError {
            code: "BadResponse".into(),
            detail: format!(
                "PutRecords answered {} of {count} records",
                out.records.len()
            ),
        });
    }
    out.records
        .iter()
        .map(|r| match r.error_code.as_deref() {
            None => Ok(false),
            Some(THROTTLED) => Ok(true),
            Some(other) => Err(CallError {
                code: other.to_string(),
                detail: "a PutRecords entry failed".into(),
            }),
        })
        .collect()
}

/// Pauses after a failed request so an unreachable endpoint does not turn into a busy loop.
async fn back_off(deadline: Instant) {
    let until = (Instant::now() + Duration::from_millis(20)).min(deadline);
    sleep_until(until.into()).await;
}

async fn producer(
    plan: Arc<Plan>,
    client: KinesisClient,
    index: usize,
    window: Window,
) -> (Counters, Instant) {
    let mut counters = Counters::new();
    let interval = plan
        .rate
        .filter(|r| *r > 0.0)
        .map(|rate| Duration::from_secs_f64(plan.batch as f64 * plan.producers as f64 / rate));
    let mut next_at = Instant::now()
        + interval.map_or(Duration::ZERO, |i| {
            i.mul_f64(index as f64 / plan.producers.max(1) as f64)
        });
    let mut seq = 0u64;
    loop {
        if let Some(interval) = interval {
            if next_at >= window.deadline {
                break;
            }
            sleep_until(next_at.into()).await;
            next_at += interval;
        }
        if Instant::now() >= window.deadline {
            break;
        }
        seq += 1;
        let started = Instant::now();
        let outcome = tokio::select! {
            outcome = put_batch(&client, &plan, index, seq, plan.batch) => outcome,
            _ = sleep_until(window.deadline.into()) => break,
        };
        let done = Instant::now();
        let measuring = done >= window.measure_start;
        match outcome {
            Ok(throttled) => {
                let refused = throttled.iter().filter(|t| **t).count();
                let stored = (throttled.len() - refused) as u64;
                if measuring {
                    counters
                        .stats
                        .record_request("put", micros_between(started, done));
                    counters.stats.sent += stored;
                    counters.put_bytes += stored * plan.record_size.max(21) as u64;
                    counters.throttled_records += refused as u64;
                }
                if refused == throttled.len() {
                    // The whole request was throttled: give the shards a moment.
                    let until = (done + Duration::from_millis(10)).min(window.deadline);
                    sleep_until(until.into()).await;
                }
            }
            Err(error) => {
                if measuring {
                    counters.stats.record_error(&error.code);
                }
                back_off(window.deadline).await;
            }
        }
    }
    (counters, Instant::now().min(window.deadline))
}

/// One shard a consumer reads.
struct Cursor {
    iterator: Option<String>,
    next_at: Instant,
    drained: bool,
}

/// Reads its shards round-robin, each at most once per poll interval. In `get` it returns once every shard
/// is drained (an empty response with nothing behind), with the time it did.
async fn consumer(
    plan: Arc<Plan>,
    client: KinesisClient,
    iterators: Vec<String>,
    window: Window,
) -> (Counters, Instant) {
    let mut counters = Counters::new();
    let drain = plan.scenario == KinesisScenario::Get;
    let end_to_end = plan.scenario == KinesisScenario::Steady;
    let start = Instant::now();
    // When the last records came (a drained get run ends there, not at the empty reads after it).
    let mut last_records = start;
    let mut cursors: Vec<Cursor> = iterators
        .into_iter()
        .map(|iterator| Cursor {
            iterator: Some(iterator),
            next_at: start,
            drained: false,
        })
        .collect();
    loop {
        let now = Instant::now();
        if now >= window.deadline {
            break;
        }
        let Some(cursor) = cursors
            .iter_mut()
            .filter(|c| !c.drained && c.iterator.is_some())
            .min_by_key(|c| c.next_at)
        else {
            // Every shard drained (or ended).
            return (counters, last_records);
        };
        if cursor.next_at > now {
            sleep_until(cursor.next_at.min(window.deadline).into()).await;
            continue;
        }
        let input = json!({
            "ShardIterator": cursor.iterator.as_deref().unwrap_or_default(),
            "Limit": plan.get_limit,
        });
        let started = Instant::now();
        let outcome = tokio::select! {
            outcome = client.call_json::<GetRecordsOut>("GetRecords", &input) => outcome,
            _ = sleep_until(window.deadline.into()) => break,
        };
        let done = Instant::now();
        let measuring = done >= window.measure_start;
        cursor.next_at = done + plan.poll_interval;
        match outcome {
            Ok(out) => {
                if !out.records.is_empty() {
                    last_records = done;
                }
                if measuring {
                    counters
                        .stats
                        .record_request("get", micros_between(started, done));
                    counters.stats.received += out.records.len() as u64;
                    counters.read_bytes += out
                        .records
                        .iter()
                        .map(|r| decoded_len(&r.data))
                        .sum::<u64>();
                    if end_to_end {
                        let now = now_micros();
                        for record in &out.records {
                            if let Some(stamp) = data_stamp(&record.data) {
                                counters.stats.record_end_to_end(now.saturating_sub(stamp));
                            }
                        }
                    }
                }
                if drain && out.records.is_empty() && out.millis_behind_latest.unwrap_or(0) == 0 {
                    cursor.drained = true;
                }
                cursor.iterator = out.next_shard_iterator;
            }
            Err(error) if error.code == THROTTLED => {
                if measuring {
                    counters.throttled_reads += 1;
                }
            }
            Err(error) => {
                if measuring {
                    counters.stats.record_error(&error.code);
                }
                back_off(window.deadline).await;
            }
        }
    }
    (counters, Instant::now().min(window.deadline))
}

/// Holds a SubscribeToShard event stream on one shard (resubscribing after the last event when one ends)
/// and records put → receive latency for every pushed record.
async fn subscriber(
    client: KinesisClient,
    consumer_arn: String,
    shard: String,
    window: Window,
) -> (Counters, Instant) {
    let mut counters = Counters::new();
    let mut position = json!({"Type": "LATEST"});
    'subscriptions: loop {
        if Instant::now() >= window.deadline {
            break;
        }
        let input = json!({
            "ConsumerARN": consumer_arn,
            "ShardId": shard,
            "StartingPosition": position,
        });
        let started = Instant::now();
        let outcome = tokio::select! {
            outcome = client.send("SubscribeToShard", serde_json::to_vec(&input).unwrap_or_default()) => outcome,
            _ = sleep_until(window.deadline.into()) => break,
        };
        let done = Instant::now();
        let measuring = done >= window.measure_start;
        let mut body = match outcome {
            Ok(body) => {
                if measuring {
                    counters
                        .stats
                        .record_request("subscribe", micros_between(started, done));
                }
                body
            }
            Err(error) => {
                if measuring {
                    counters.stats.record_error(&error.code);
                }
                back_off(window.deadline).await;
                continue;
            }
        };
        let mut buffer = Vec::new();
        loop {
            let frame = tokio::select! {
                frame = body.frame() => frame,
                _ = sleep_until(window.deadline.into()) => break 'subscriptions,
            };
            let chunk = match frame {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => data,
                    Err(_) => continue,
                },
                Some(Err(_)) => {
                    counters.stats.record_error("TransportError");
                    continue 'subscriptions;
                }
                // The subscription ended: subscribe again after the last event.
                None => continue 'subscriptions,
            };
            buffer.extend_from_slice(&chunk);
            loop {
                let message = match next_message(&mut buffer) {
                    Ok(Some(message)) => message,
                    Ok(None) => break,
                    Err(_) => {
                        counters.stats.record_error("BadEventStream");
                        continue 'subscriptions;
                    }
                };
                if message.message_type != "event" {
                    if Instant::now() >= window.measure_start {
                        counters.stats.record_error(&message.event_type);
                    }
                    back_off(window.deadline).await;
                    continue 'subscriptions;
                }
                if message.event_type != "SubscribeToShardEvent" {
                    continue;
                }
                let Ok(event) = serde_json::from_slice::<ShardEventOut>(&message.payload) else {
                    counters.stats.record_error("BadResponse");
                    continue;
                };
                if let Some(next) = &event.continuation_sequence_number {
                    position = json!({"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": next});
                }
                if Instant::now() >= window.measure_start {
                    let now = now_micros();
                    counters.stats.received += event.records.len() as u64;
                    for record in &event.records {
                        counters.read_bytes += decoded_len(&record.data);
                        if let Some(stamp) = data_stamp(&record.data) {
                            counters.stats.record_end_to_end(now.saturating_sub(stamp));
                        }
                    }
                }
            }
        }
    }
    (counters, Instant::now().min(window.deadline))
}

/// Registers the stream consumer of a fan-out run and waits until it is ACTIVE; returns its ARN.
async fn register_consumer(client: &KinesisClient, stream: &str) -> anyhow::Result<String> {
    let described: Value = client
        .call_json("DescribeStreamSummary", &json!({"StreamName": stream}))
        .await
        .context("DescribeStreamSummary")?;
    let stream_arn = described["StreamDescriptionSummary"]["StreamARN"]
        .as_str()
        .context("DescribeStreamSummary without a StreamARN")?
        .to_string();
    let registered: Value = client
        .call_json(
            "RegisterStreamConsumer",
            &json!({"StreamARN": stream_arn, "ConsumerName": "wharf-bench"}),
        )
        .await
        .context("RegisterStreamConsumer")?;
    let consumer_arn = registered["Consumer"]["ConsumerARN"]
        .as_str()
        .context("RegisterStreamConsumer without a ConsumerARN")?
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let described: Value = client
            .call_json(
                "DescribeStreamConsumer",
                &json!({"ConsumerARN": consumer_arn}),
            )
            .await
            .context("DescribeStreamConsumer")?;
        let status = described["ConsumerDescription"]["ConsumerStatus"]
            .as_str()
            .unwrap_or_default();
        if status == "ACTIVE" {
            return Ok(consumer_arn);
        }
        if Instant::now() >= deadline {
            anyhow::bail!("consumer still {status:?} after 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Puts `count` records (batches of `--batch` over every producer connection), retrying throttled ones.
async fn prefill(plan: &Arc<Plan>, clients: &[KinesisClient], count: u64) -> anyhow::Result<()> {
    let remaining = Arc::new(AtomicI64::new(count as i64));
    let mut handles = Vec::new();
    for (index, client) in clients.iter().enumerate() {
        let client = client.clone();
        let remaining = remaining.clone();
        let plan = plan.clone();
        handles.push(tokio::spawn(async move {
            let mut seq = 0u64;
            let give_up = Instant::now() + Duration::from_secs(600);
            loop {
                let left = remaining.load(Ordering::Relaxed);
                if left <= 0 {
                    return anyhow::Ok(());
                }
                if Instant::now() > give_up {
                    anyhow::bail!("filling the back-log took over 10 minutes");
                }
                seq += 1;
                let take = (left as usize).min(plan.batch);
                let throttled = put_batch(&client, &plan, index, u64::MAX / 2 + seq, take)
                    .await
                    .map_err(|e| anyhow::anyhow!("filling the back-log: {e}"))?;
                let stored = throttled.iter().filter(|t| !**t).count();
                remaining.fetch_sub(stored as i64, Ordering::Relaxed);
                if stored < take {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }
    for handle in handles {
        handle.await??;
    }
    Ok(())
}

/// One endpoint under load: its stream and a connection per worker.
struct Target {
    label: String,
    endpoint: String,
    server_pid: Option<u32>,
    stream: String,
    shards: Vec<String>,
    producers: Vec<KinesisClient>,
    consumers: Vec<KinesisClient>,
}

async fn connect(
    label: String,
    endpoint: &str,
    server_pid: Option<u32>,
    args: &KinesisArgs,
    stream: &str,
) -> anyhow::Result<Target> {
    let (producers, consumers) = connections(args);
    let clients = |n: usize| {
        (0..n)
            .map(|_| KinesisClient::new(endpoint))
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let producers = clients(producers.max(1))?;
    let shards = create_stream(&producers[0], stream, args.shards)
        .await
        .with_context(|| format!("on {endpoint}"))?;
    // Fan-out holds one event stream (connection) per shard.
    let consumers = clients(if args.fan_out {
        shards.len()
    } else {
        consumers
    })?;
    Ok(Target {
        label,
        endpoint: endpoint.to_string(),
        server_pid,
        stream: stream.to_string(),
        shards,
        producers,
        consumers,
    })
}

/// Producer and consumer connections of the measured load.
fn connections(args: &KinesisArgs) -> (usize, usize) {
    match args.scenario {
        KinesisScenario::Put => (args.producers as usize, 0),
        KinesisScenario::Get => (args.producers as usize, args.consumers as usize),
        KinesisScenario::Steady => (args.producers as usize, args.consumers as usize),
    }
}

struct Measured {
    counters: Counters,
    measured: Duration,
    server_cpu: f64,
    generator_cpu: f64,
}

async fn measure(target: &Target, args: &KinesisArgs) -> anyhow::Result<Measured> {
    let plan = Arc::new(Plan {
        scenario: args.scenario,
        stream: target.stream.clone(),
        producers: target.producers.len(),
        batch: args.batch as usize,
        record_size: args.record_size as usize,
        get_limit: args.get_limit,
        poll_interval: Duration::from_millis(args.poll_interval_ms),
        rate: args.rate,
    });
    if args.scenario == KinesisScenario::Get {
        let started = Instant::now();
        eprintln!(
            "{}: putting a back-log of {} records ...",
            target.label, args.backlog
        );
        prefill(&plan, &target.producers, args.backlog).await?;
        eprintln!(
            "{}: back-log put in {:.1} s",
            target.label,
            started.elapsed().as_secs_f64()
        );
    }
    // Consumers take their iterators before any measured record is put.
    let mut assigned: Vec<Vec<String>> = vec![Vec::new(); target.consumers.len()];
    let consumer_arn = if args.fan_out {
        Some(register_consumer(&target.producers[0], &target.stream).await?)
    } else {
        None
    };
    if !target.consumers.is_empty() && consumer_arn.is_none() {
        let kind = if args.scenario == KinesisScenario::Get {
            "TRIM_HORIZON"
        } else {
            "LATEST"
        };
        for (i, shard) in target.shards.iter().enumerate() {
            let iterator =
                shard_iterator(&target.producers[0], &target.stream, shard, kind).await?;
            assigned[i % target.consumers.len()].push(iterator);
        }
    }
    // A get run measures the back-log from its first read: a warm-up would only eat into it.
    let warmup = if args.scenario == KinesisScenario::Get {
        0.0
    } else {
        args.warmup
    };
    let measure_start = Instant::now() + Duration::from_secs_f64(warmup);
    let window = Window {
        measure_start,
        deadline: measure_start + Duration::from_secs_f64(args.duration),
    };
    let mut handles = Vec::new();
    if args.scenario != KinesisScenario::Get {
        for (index, client) in target.producers.iter().enumerate() {
            handles.push(tokio::spawn(producer(
                plan.clone(),
                client.clone(),
                index,
                window,
            )));
        }
    }
    match &consumer_arn {
        Some(arn) => {
            for (client, shard) in target.consumers.iter().zip(&target.shards) {
                handles.push(tokio::spawn(subscriber(
                    client.clone(),
                    arn.clone(),
                    shard.clone(),
                    window,
                )));
            }
        }
        None => {
            for (client, iterators) in target.consumers.iter().zip(assigned) {
                handles.push(tokio::spawn(consumer(
                    plan.clone(),
                    client.clone(),
                    iterators,
                    window,
                )));
            }
        }
    }
    let server_cpu = || {
        target
            .server_pid
            .and_then(|pid| cpu_seconds(&pid.to_string()))
    };
    sleep_until(measure_start.into()).await;
    let server_before = server_cpu();
    let generator_before = cpu_seconds("self");
    let mut counters = Counters::new();
    let mut last_stop = measure_start;
    for handle in handles {
        let (worker, stopped) = handle.await?;
        counters.merge(&worker);
        last_stop = last_stop.max(stopped);
    }
    let delta = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(before), Some(after)) => (after - before).max(0.0),
        _ => 0.0,
    };
    Ok(Measured {
        counters,
        measured: last_stop
            .min(window.deadline)
            .saturating_duration_since(measure_start),
        server_cpu: delta(server_before, server_cpu()),
        generator_cpu: delta(generator_before, cpu_seconds("self")),
    })
}

// -----------------------------------------------------------------------------------------------------
// Report

/// One run against one endpoint.
#[derive(Clone, Debug, Serialize)]
pub struct KinesisReport {
    pub target: String,
    pub endpoint: String,
    pub scenario: String,
    pub shards: usize,
    pub producers: usize,
    pub consumers: usize,
    pub batch: usize,
    pub record_size: usize,
    pub get_limit: u32,
    pub poll_interval_ms: u64,
    /// Consumers read with SubscribeToShard (one event stream per shard) instead of GetRecords.
    pub fan_out: bool,
    pub rate: Option<f64>,
    /// Seconds inside the measurement window (warm-up excluded).
    pub duration_s: f64,
    pub requests: u64,
    pub requests_per_s: f64,
    /// Records stored by the measured puts, and their data (partition keys not counted).
    pub put_records: u64,
    pub put_records_per_s: f64,
    pub put_mib_per_s: f64,
    pub read_records: u64,
    pub read_records_per_s: f64,
    pub read_mib_per_s: f64,
    /// The scenario's rate: records put for `put`, records read for `get` and `steady`.
    pub records_per_s: f64,
    /// Records refused with ProvisionedThroughputExceededException (not counted as errors).
    pub throttled_records: u64,
    /// GetRecords refused with ProvisionedThroughputExceededException (not counted as errors).
    pub throttled_reads: u64,
    /// What Kinesis's per-shard limits allow this stream: writes 1,000 records/s and 1 MiB/s per shard,
    /// reads 2 MiB/s per shard.
    pub shard_bound_put_records_per_s: u64,
    pub shard_bound_put_mib_per_s: u64,
    pub shard_bound_read_mib_per_s: u64,
    /// Microseconds: `put` (per request), `get` (per request), `subscribe` (SubscribeToShard until its
    /// response headers), `end_to_end` (put start → record received, steady), `all` requests.
    pub latency_us: BTreeMap<String, LatencySummary>,
    pub errors: BTreeMap<String, u64>,
    pub error_count: u64,
    pub server: Option<ProcessUsage>,
    pub generator: ProcessUsage,
}

/// Everything one invocation measured.
#[derive(Clone, Debug, Serialize)]
pub struct KinesisFullReport {
    pub machine: Machine,
    #[serde(flatten)]
    pub primary: KinesisReport,
    pub compare: Option<KinesisReport>,
    /// `records_per_s` of the primary run divided by that of the compared endpoint.
    pub ratio_to_compare: Option<f64>,
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

fn report(target: &Target, args: &KinesisArgs, run: &Measured) -> KinesisReport {
    let seconds = run.measured.as_secs_f64().max(1e-9);
    let stats = &run.counters.stats;
    let per_s = |n: u64| round(n as f64 / seconds, 1);
    let mut latency_us = BTreeMap::new();
    if let Some(summary) = LatencySummary::of(&stats.all) {
        latency_us.insert("all".to_string(), summary);
    }
    for (op, histogram) in &stats.latency {
        if let Some(summary) = LatencySummary::of(histogram) {
            latency_us.insert(op.to_string(), summary);
        }
    }
    let put_records_per_s = per_s(stats.sent);
    let read_records_per_s = per_s(stats.received);
    let shards = target.shards.len() as u64;
    KinesisReport {
        target: target.label.clone(),
        endpoint: target.endpoint.clone(),
        scenario: args.scenario.name().to_string(),
        shards: target.shards.len(),
        producers: if args.scenario == KinesisScenario::Get {
            0
        } else {
            target.producers.len()
        },
        consumers: target.consumers.len(),
        batch: args.batch as usize,
        record_size: args.record_size.max(21) as usize,
        get_limit: args.get_limit,
        poll_interval_ms: args.poll_interval_ms,
        fan_out: args.fan_out,
        rate: args.rate,
        duration_s: round(run.measured.as_secs_f64(), 2),
        requests: stats.requests,
        requests_per_s: per_s(stats.requests),
        put_records: stats.sent,
        put_records_per_s,
        put_mib_per_s: round(run.counters.put_bytes as f64 / MIB / seconds, 2),
        read_records: stats.received,
        read_records_per_s,
        read_mib_per_s: round(run.counters.read_bytes as f64 / MIB / seconds, 2),
        records_per_s: if args.scenario == KinesisScenario::Put {
            put_records_per_s
        } else {
            read_records_per_s
        },
        throttled_records: run.counters.throttled_records,
        throttled_reads: run.counters.throttled_reads,
        shard_bound_put_records_per_s: shards * 1000,
        shard_bound_put_mib_per_s: shards,
        shard_bound_read_mib_per_s: shards * 2,
        latency_us,
        errors: stats.errors.clone(),
        error_count: stats.error_count(),
        server: target.server_pid.map(|pid| ProcessUsage {
            pid,
            cpu_s: round(run.server_cpu, 2),
            cpu_cores: round(run.server_cpu / seconds, 2),
            peak_rss_kib: peak_rss_kib(pid),
        }),
        generator: ProcessUsage {
            pid: std::process::id(),
            cpu_s: round(run.generator_cpu, 2),
            cpu_cores: round(run.generator_cpu / seconds, 2),
            peak_rss_kib: None,
        },
    }
}

impl KinesisReport {
    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} — {}", self.target, self.endpoint);
        let mix = match (self.producers, self.consumers) {
            (p, 0) => format!("{p} producers"),
            (0, c) => format!("{c} consumers"),
            (p, c) => format!("{p} producers + {c} consumers"),
        };
        let reads = if self.fan_out {
            "SubscribeToShard (enhanced fan-out) per shard".to_string()
        } else {
            format!(
                "GetRecords limit {} every {} ms per shard",
                self.get_limit, self.poll_interval_ms
            )
        };
        let _ = writeln!(
            out,
            "  {} over {} shards: {mix}, {} B records, batch {}, {reads}; {:.1} s measured",
            self.scenario, self.shards, self.record_size, self.batch, self.duration_s
        );
        let _ = writeln!(
            out,
            "  put         {} records/s · {:.2} MiB/s  (shard bound {} records/s, {} MiB/s; {} records throttled)",
            group_digits(self.put_records_per_s),
            self.put_mib_per_s,
            group_digits(self.shard_bound_put_records_per_s as f64),
            self.shard_bound_put_mib_per_s,
            group_digits(self.throttled_records as f64)
        );
        let _ = writeln!(
            out,
            "  read        {} records/s · {:.2} MiB/s  (shard bound {} MiB/s; {} reads throttled)",
            group_digits(self.read_records_per_s),
            self.read_mib_per_s,
            self.shard_bound_read_mib_per_s,
            group_digits(self.throttled_reads as f64)
        );
        let _ = writeln!(
            out,
            "  requests    {} req/s  ({} requests)",
            group_digits(self.requests_per_s),
            group_digits(self.requests as f64)
        );
        render_tail(
            &mut out,
            &self.latency_us,
            &["all", "put", "get", "subscribe", "end_to_end"],
            "put→get",
            (&self.errors, self.error_count),
            self.server.as_ref(),
            &self.generator,
        );
        out
    }
}

impl KinesisFullReport {
    fn render(&self) -> String {
        let mut out = format!(
            "machine: {} × {}\n\n",
            self.machine.nproc, self.machine.cpu_model
        );
        out.push_str(&self.primary.render());
        if let Some(compare) = &self.compare {
            out.push('\n');
            out.push_str(&compare.render());
            if let Some(ratio) = self.ratio_to_compare {
                let _ = writeln!(
                    out,
                    "\nratio: {} / {} = {:.2}× records/s ({} vs {})",
                    self.primary.target,
                    compare.target,
                    ratio,
                    group_digits(self.primary.records_per_s),
                    group_digits(compare.records_per_s)
                );
            }
        }
        out
    }
}

// -----------------------------------------------------------------------------------------------------
// The run

async fn run_one(
    label: String,
    endpoint: &str,
    server_pid: Option<u32>,
    args: &KinesisArgs,
    stream: &str,
) -> anyhow::Result<KinesisReport> {
    let target = connect(label, endpoint, server_pid, args, stream).await?;
    let measured = measure(&target, args).await?;
    let report = report(&target, args, &measured);
    if !args.keep_stream {
        let mut input = json!({"StreamName": target.stream});
        if args.fan_out {
            input["EnforceConsumerDeletion"] = json!(true);
        }
        let deleted = target.producers[0]
            .call_json::<Value>("DeleteStream", &input)
            .await;
        if let Err(error) = deleted {
            eprintln!("warning: deleting stream {}: {error}", target.stream);
        }
    }
    Ok(report)
}

async fn run_kinesis(args: &KinesisArgs) -> anyhow::Result<KinesisFullReport> {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000);
    let stream = format!(
        "wharf-bench-{}-{}-{nonce}",
        args.scenario.name(),
        std::process::id()
    );
    let (server, endpoint, label) = match &args.endpoint {
        Some(endpoint) => (None, endpoint.clone(), format!("endpoint {endpoint}")),
        None => {
            let (server, label) =
                process::start_wharf(args.in_memory, args.data_dir.as_deref(), &args.fsync)?;
            let endpoint = server.endpoint.clone();
            (Some(server), endpoint, label)
        }
    };
    let primary = run_one(
        label,
        &endpoint,
        server.as_ref().map(ChildServer::pid),
        args,
        &stream,
    )
    .await?;
    drop(server);
    let compare = match &args.compare {
        Some(other) => Some(run_one(format!("compare {other}"), other, None, args, &stream).await?),
        None => None,
    };
    Ok(KinesisFullReport {
        machine: Machine::detect(),
        ratio_to_compare: compare
            .as_ref()
            .and_then(|c| ratio(primary.records_per_s, c.records_per_s)),
        primary,
        compare,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_carries_its_stamp_through_base64() {
        let data = base64::engine::general_purpose::STANDARD.encode(stamped_body(100, 987_654));
        assert_eq!(decoded_len(&data), 100);
        assert_eq!(data_stamp(&data), Some(987_654));
        let short = base64::engine::general_purpose::STANDARD.encode(stamped_body(1, 5));
        assert_eq!(decoded_len(&short), 21);
        assert_eq!(data_stamp(&short), Some(5));
        assert_eq!(data_stamp("aGVsbG8="), None);
        assert_eq!(decoded_len("aGVsbG8="), 5);
        assert_eq!(decoded_len(""), 0);
    }

    /// An event-stream message laid out by hand: prelude, one string header and one bool header, payload,
    /// (unchecked) message CRC.
    fn message(headers: &[(&str, Option<&str>)], payload: &[u8]) -> Vec<u8> {
        let mut header_bytes = Vec::new();
        for (name, value) in headers {
            header_bytes.push(name.len() as u8);
            header_bytes.extend_from_slice(name.as_bytes());
            match value {
                Some(value) => {
                    header_bytes.push(7);
                    header_bytes.extend_from_slice(&(value.len() as u16).to_be_bytes());
                    header_bytes.extend_from_slice(value.as_bytes());
                }
                None => header_bytes.push(0),
            }
        }
        let total = 12 + header_bytes.len() + payload.len() + 4;
        let mut out = Vec::new();
        out.extend_from_slice(&(total as u32).to_be_bytes());
        out.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&header_bytes);
        out.extend_from_slice(payload);
        out.extend_from_slice(&[0; 4]);
        out
    }

    #[test]
    fn splits_event_stream_messages() {
        let first = message(
            &[
                (":message-type", Some("event")),
                ("flag", None),
                (":event-type", Some("SubscribeToShardEvent")),
            ],
            b"{}",
        );
        let second = message(
            &[
                (":message-type", Some("exception")),
                (":exception-type", Some("ResourceNotFoundException")),
            ],
            b"{\"message\":\"gone\"}",
        );
        let mut buffer = first.clone();
        buffer.extend_from_slice(&second[..10]);
        assert_eq!(
            next_message(&mut buffer).unwrap(),
            Some(EventMessage {
                message_type: "event".into(),
                event_type: "SubscribeToShardEvent".into(),
                payload: b"{}".to_vec(),
            })
        );
        assert_eq!(next_message(&mut buffer).unwrap(), None);
        buffer.extend_from_slice(&second[10..]);
        let exception = next_message(&mut buffer).unwrap().unwrap();
        assert_eq!(exception.message_type, "exception");
        assert_eq!(exception.event_type, "ResourceNotFoundException");
        assert!(buffer.is_empty());
        let mut bad = vec![0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(next_message(&mut bad).is_err());
    }
}
