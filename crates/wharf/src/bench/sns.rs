//! `wharf bench sns`: Publish throughput and latency against a topic with `--subscribers` SQS queue
//! subscriptions, over SNS's AWS Query protocol, against an endpoint or a Wharf started for the run.
//!
//! The run creates a topic and N queues subscribed to it (JSON envelope, or raw with `--raw`), then C
//! connections publish in a closed loop for the warm-up and the measured window (requests in flight at the
//! end are let finish, so every publish is accounted for). Publish latency is what a publisher waits for:
//! in Wharf, Publish returns once the message is durably in every subscribed queue, so this is where fan-out
//! cost would show. With `--verify` every queue is then drained (ReceiveMessage + DeleteMessageBatch over
//! the same connections) and must hold each published message exactly once.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use clap::Args;
use http::{header, HeaderValue, Method, Request, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use serde::Serialize;
use serde_json::Value;

use super::client::{
    http_client, round_trip, transport, xml_elements, xml_unescape, CallError, Protocol, SqsClient,
};
use super::process::{self, ChildServer};
use super::report::{
    cpu_seconds, group_digits, new_histogram, peak_rss_kib, render_tail, LatencySummary, Machine,
    ProcessUsage, Stats,
};
use super::scenarios::now_micros;

const QUERY_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
const SNS_VERSION: &str = "2010-03-31";
/// The credential scope names the service: that is how SNS requests are told apart from SQS ones.
const DUMMY_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sns/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";
const DUMMY_DATE: &str = "20250101T000000Z";

#[derive(Args)]
pub struct SnsArgs {
    /// The SNS (and SQS) endpoint to drive; without it the benchmark starts a Wharf of its own and stops it
    /// after.
    #[arg(long)]
    endpoint: Option<String>,
    /// SQS queues subscribed to the topic (each publish is delivered to every one).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    subscribers: u32,
    /// Concurrent publishing connections (one Publish in flight per connection).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    connections: u32,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Warm-up seconds before the measurement window (load runs, nothing is recorded).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Message size in bytes (at least the 20-digit stamp and a unique id).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=262_144))]
    message_size: u32,
    /// Subscribe the queues with RawMessageDelivery (the message itself instead of the JSON envelope).
    #[arg(long)]
    raw: bool,
    /// After the run, drain every queue and check that it got each published message exactly once.
    #[arg(long)]
    verify: bool,
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
    /// Keep the topic and queues the run created (they are deleted by default).
    #[arg(long)]
    keep: bool,
}

pub fn run(args: SnsArgs) -> anyhow::Result<()> {
    if !(args.duration > 0.0 && args.duration <= 86_400.0) {
        anyhow::bail!("--duration must be between 0 and 86400 seconds");
    }
    if !(0.0..=3600.0).contains(&args.warmup) {
        anyhow::bail!("--warmup must be between 0 and 3600 seconds");
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        builder.worker_threads(threads.max(1));
    }
    now_micros();
    let runtime = builder.enable_all().build()?;
    let full = runtime.block_on(run_sns(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&full)?);
    } else {
        print!("{}", full.render());
    }
    match &full.primary.verify {
        Some(verify) if !verify.ok => anyhow::bail!(
            "verification failed: {} messages missing, {} duplicates over {} queues",
            verify.missing,
            verify.duplicates,
            verify.queues
        ),
        _ => Ok(()),
    }
}

// -----------------------------------------------------------------------------------------------------
// Client

/// An SNS client over AWS Query holding (at most) one keep-alive HTTP/1.1 connection; requests are not
/// signed.
#[derive(Clone)]
struct SnsClient {
    http: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
}

impl SnsClient {
    fn new(endpoint: &str) -> anyhow::Result<SnsClient> {
        let (http, uri) = http_client(endpoint)?;
        Ok(SnsClient { http, uri })
    }

    /// Sends `action` with `params`; the body of a 2xx response, or the error code of any other.
    async fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<String, CallError> {
        let form = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("Action", action);
            form.append_pair("Version", SNS_VERSION);
            for (key, value) in params {
                form.append_pair(key, value);
            }
            form.finish()
        };
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static(QUERY_CONTENT_TYPE),
            )
            .header(
                header::AUTHORIZATION,
                HeaderValue::from_static(DUMMY_AUTHORIZATION),
            )
            .header("x-amz-date", HeaderValue::from_static(DUMMY_DATE))
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| transport("RequestError", e))?;
        let body = round_trip(&self.http, request, Protocol::Query).await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// Calls `action` and returns the text of the response's `element`.
    async fn call_for(
        &self,
        action: &str,
        params: &[(&str, &str)],
        element: &str,
    ) -> Result<String, CallError> {
        let body = self.call(action, params).await?;
        let found = xml_elements(&body, element).next().map(xml_unescape);
        found.ok_or_else(|| CallError {
            code: "BadResponse".into(),
            detail: format!("{action} response without {element}: {body}"),
        })
    }

    async fn publish(&self, topic_arn: &str, message: &str) -> Result<(), CallError> {
        self.call_for(
            "Publish",
            &[("TopicArn", topic_arn), ("Message", message)],
            "MessageId",
        )
        .await
        .map(|_| ())
    }
}

/// A message of `size` bytes (or longer, to fit its id) that starts with the time it was made and carries
/// a run-unique id: `<20 digits>|<worker>-<seq>|xxx...`.
fn message_body(size: usize, stamp: u64, worker: usize, seq: u64) -> String {
    let mut body = format!("{stamp:020}|{worker}-{seq}|");
    if size > body.len() {
        let pad = size - body.len();
        body.extend(std::iter::repeat_n('x', pad));
    }
    body
}

/// The published message a queue message carries: the body itself (raw delivery) or the envelope's
/// `Message`.
fn published_message(body: &str, raw: bool) -> Option<String> {
    if raw {
        return Some(body.to_string());
    }
    serde_json::from_str::<Value>(body)
        .ok()?
        .get("Message")?
        .as_str()
        .map(str::to_string)
}

// -----------------------------------------------------------------------------------------------------
// Set-up

/// The topic, its queues and the connections of one run.
struct Target {
    label: String,
    endpoint: String,
    server_pid: Option<u32>,
    sns: Vec<SnsClient>,
    sqs: Vec<SqsClient>,
    topic_arn: String,
    queue_urls: Vec<String>,
}

/// `arn:aws:sns:<region>:<account>:<name>` → (region, account).
fn region_and_account(topic_arn: &str) -> Option<(String, String)> {
    let mut parts = topic_arn.split(':');
    let (_, _, _, region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    Some((region.to_string(), account.to_string()))
}

async fn set_up(
    label: String,
    endpoint: &str,
    server_pid: Option<u32>,
    args: &SnsArgs,
) -> anyhow::Result<Target> {
    let connections = args.connections as usize;
    let sns = (0..connections)
        .map(|_| SnsClient::new(endpoint))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let sqs = (0..connections)
        .map(|_| SqsClient::new(endpoint, Protocol::Json))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000);
    let base = format!("wharf-bench-sns-{}-{nonce}", std::process::id());
    let topic_arn = sns[0]
        .call_for("CreateTopic", &[("Name", &base)], "TopicArn")
        .await
        .with_context(|| format!("creating topic {base} on {endpoint}"))?;
    let (region, account) = region_and_account(&topic_arn)
        .with_context(|| format!("unexpected topic ARN {topic_arn}"))?;
    if args.subscribers > 0 {
        eprintln!(
            "{label}: creating {} queues and subscribing them ...",
            args.subscribers
        );
    }
    let mut queue_urls = Vec::with_capacity(args.subscribers as usize);
    for i in 0..args.subscribers {
        let name = format!("{base}-q{i}");
        let url = sqs[0]
            .create_queue(&name, false)
            .await
            .with_context(|| format!("creating queue {name}"))?;
        let queue_arn = format!("arn:aws:sqs:{region}:{account}:{name}");
        let mut params = vec![
            ("TopicArn", topic_arn.as_str()),
            ("Protocol", "sqs"),
            ("Endpoint", queue_arn.as_str()),
            ("ReturnSubscriptionArn", "true"),
        ];
        if args.raw {
            params.push(("Attributes.entry.1.key", "RawMessageDelivery"));
            params.push(("Attributes.entry.1.value", "true"));
        }
        sns[0]
            .call_for("Subscribe", &params, "SubscriptionArn")
            .await
            .with_context(|| format!("subscribing {queue_arn}"))?;
        queue_urls.push(url);
    }
    Ok(Target {
        label,
        endpoint: endpoint.to_string(),
        server_pid,
        sns,
        sqs,
        topic_arn,
        queue_urls,
    })
}

async fn tear_down(target: &Target) {
    if let Err(error) = target.sns[0]
        .call("DeleteTopic", &[("TopicArn", &target.topic_arn)])
        .await
    {
        eprintln!("warning: deleting topic {}: {error}", target.topic_arn);
    }
    for url in &target.queue_urls {
        if let Err(error) = target.sqs[0].delete_queue(url).await {
            eprintln!("warning: deleting {url}: {error}");
        }
    }
}

// -----------------------------------------------------------------------------------------------------
// Load

#[derive(Clone, Copy)]
struct Window {
    measure_start: Instant,
    deadline: Instant,
}

fn micros_between(from: Instant, to: Instant) -> u64 {
    to.saturating_duration_since(from).as_micros() as u64
}

fn new_stats() -> Stats {
    let mut stats = Stats::default();
    stats.latency.insert("publish", new_histogram());
    stats
}

/// Publishes in a closed loop until the deadline; a request in flight then is let finish. Returns the
/// measured stats and when the worker stopped; `accepted` counts every successful publish (warm-up
/// included), which is what each queue must hold.
async fn publisher(
    client: SnsClient,
    topic_arn: Arc<String>,
    message_size: usize,
    index: usize,
    window: Window,
    accepted: Arc<AtomicU64>,
) -> (Stats, Instant) {
    let mut stats = new_stats();
    let mut seq = 0u64;
    let mut last = window.measure_start;
    while Instant::now() < window.deadline {
        let body = message_body(message_size, now_micros(), index, seq);
        seq += 1;
        let started = Instant::now();
        let outcome = client.publish(&topic_arn, &body).await;
        let done = Instant::now();
        last = done;
        let measuring = done >= window.measure_start;
        match outcome {
            Ok(()) => {
                accepted.fetch_add(1, Ordering::Relaxed);
                if measuring {
                    stats.record_request("publish", micros_between(started, done));
                    stats.sent += 1;
                }
            }
            Err(error) => {
                if measuring {
                    stats.record_error(&error.code);
                }
                if matches!(error.code.as_str(), "ConnectError" | "TransportError") {
                    // An unreachable endpoint should not turn into a busy loop.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
    (stats, last)
}

/// What the measurement produced.
struct Measured {
    stats: Stats,
    measured: Duration,
    accepted: u64,
    server_cpu: f64,
    generator_cpu: f64,
}

async fn measure(target: &Target, args: &SnsArgs) -> Measured {
    let measure_start = Instant::now() + Duration::from_secs_f64(args.warmup);
    let window = Window {
        measure_start,
        deadline: measure_start + Duration::from_secs_f64(args.duration),
    };
    let accepted = Arc::new(AtomicU64::new(0));
    let topic_arn = Arc::new(target.topic_arn.clone());
    let handles: Vec<_> = target
        .sns
        .iter()
        .enumerate()
        .map(|(index, client)| {
            tokio::spawn(publisher(
                client.clone(),
                Arc::clone(&topic_arn),
                args.message_size as usize,
                index,
                window,
                Arc::clone(&accepted),
            ))
        })
        .collect();
    let server_cpu = || {
        target
            .server_pid
            .and_then(|pid| cpu_seconds(&pid.to_string()))
    };
    tokio::time::sleep_until(measure_start.into()).await;
    let server_before = server_cpu();
    let generator_before = cpu_seconds("self");
    let mut stats = new_stats();
    let mut last_stop = measure_start;
    for handle in handles {
        if let Ok((worker, stopped)) = handle.await {
            stats.merge(&worker);
            last_stop = last_stop.max(stopped);
        }
    }
    let delta = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(before), Some(after)) => (after - before).max(0.0),
        _ => 0.0,
    };
    Measured {
        stats,
        measured: last_stop.saturating_duration_since(measure_start),
        accepted: accepted.load(Ordering::Relaxed),
        server_cpu: delta(server_before, server_cpu()),
        generator_cpu: delta(generator_before, cpu_seconds("self")),
    }
}

/// What draining one queue found.
#[derive(Default)]
struct Drained {
    received: u64,
    distinct: u64,
    unreadable: u64,
}

/// Receives and deletes everything in `url` until it holds `expected` messages' worth, or two long polls in
/// a row come back empty.
async fn drain(
    client: &SqsClient,
    url: &str,
    expected: u64,
    raw: bool,
) -> Result<Drained, CallError> {
    let mut seen = HashSet::new();
    let mut drained = Drained::default();
    let mut empty = 0;
    loop {
        let wait = if drained.received >= expected { 0 } else { 1 };
        let messages = client.receive(url, 10, wait).await?;
        if messages.is_empty() {
            empty += 1;
            if drained.received >= expected || empty >= 2 {
                return Ok(drained);
            }
            continue;
        }
        empty = 0;
        drained.received += messages.len() as u64;
        for message in &messages {
            match published_message(&message.body, raw) {
                Some(text) => {
                    if seen.insert(text) {
                        drained.distinct += 1;
                    }
                }
                None => drained.unreadable += 1,
            }
        }
        let handles: Vec<String> = messages.into_iter().map(|m| m.receipt_handle).collect();
        client.delete_batch(url, &handles).await?;
    }
}

/// Checks that every queue holds each accepted publish exactly once.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub queues: usize,
    /// Publishes accepted over the whole run (warm-up included): what each queue must hold.
    pub expected_per_queue: u64,
    pub received_total: u64,
    pub received_min: u64,
    pub received_max: u64,
    /// Expected messages no queue delivered, summed over the queues.
    pub missing: u64,
    /// Messages received more than once (or that could not be read), summed over the queues.
    pub duplicates: u64,
    pub drain_s: f64,
    pub ok: bool,
}

async fn verify(target: &Target, expected: u64, raw: bool) -> anyhow::Result<VerifyReport> {
    let started = Instant::now();
    eprintln!(
        "{}: draining {} queues ({} messages each) ...",
        target.label,
        target.queue_urls.len(),
        group_digits(expected as f64)
    );
    let urls = Arc::new(target.queue_urls.clone());
    let next = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for client in target.sqs.iter().take(urls.len().max(1)) {
        let (client, urls, next) = (client.clone(), Arc::clone(&urls), Arc::clone(&next));
        handles.push(tokio::spawn(async move {
            let mut found = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(url) = urls.get(index) else {
                    return Ok::<_, CallError>(found);
                };
                found.push(drain(&client, url, expected, raw).await?);
            }
        }));
    }
    let mut all = Vec::new();
    for handle in handles {
        all.extend(handle.await.context("a drain task failed")??);
    }
    let received: Vec<u64> = all.iter().map(|d| d.received).collect();
    let missing: u64 = all
        .iter()
        .map(|d| expected.saturating_sub(d.distinct))
        .sum();
    let duplicates: u64 = all
        .iter()
        .map(|d| d.received.saturating_sub(d.distinct))
        .sum();
    Ok(VerifyReport {
        queues: all.len(),
        expected_per_queue: expected,
        received_total: received.iter().sum(),
        received_min: received.iter().copied().min().unwrap_or(0),
        received_max: received.iter().copied().max().unwrap_or(0),
        missing,
        duplicates,
        drain_s: round(started.elapsed().as_secs_f64(), 2),
        ok: missing == 0 && duplicates == 0 && all.len() == target.queue_urls.len(),
    })
}

// -----------------------------------------------------------------------------------------------------
// Report

/// One run against one endpoint.
#[derive(Clone, Debug, Serialize)]
pub struct SnsReport {
    pub target: String,
    pub endpoint: String,
    pub scenario: String,
    pub protocol: String,
    /// SQS queues subscribed to the topic.
    pub subscribers: u32,
    /// The subscriptions use RawMessageDelivery.
    pub raw: bool,
    pub connections: usize,
    pub message_size: usize,
    /// Seconds inside the measurement window (warm-up excluded).
    pub duration_s: f64,
    pub requests: u64,
    pub requests_per_s: f64,
    /// Publishes accepted inside the window.
    pub published: u64,
    pub published_per_s: f64,
    /// Queue deliveries those publishes made: `published_per_s` × `subscribers`.
    pub deliveries_per_s: f64,
    /// Microseconds: `publish` (per request) and `all` requests.
    pub latency_us: BTreeMap<String, LatencySummary>,
    pub errors: BTreeMap<String, u64>,
    pub error_count: u64,
    pub server: Option<ProcessUsage>,
    pub generator: ProcessUsage,
    pub verify: Option<VerifyReport>,
}

/// Everything one invocation measured.
#[derive(Clone, Debug, Serialize)]
pub struct SnsFullReport {
    pub machine: Machine,
    #[serde(flatten)]
    pub primary: SnsReport,
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

fn report(
    target: &Target,
    args: &SnsArgs,
    run: &Measured,
    verify: Option<VerifyReport>,
) -> SnsReport {
    let seconds = run.measured.as_secs_f64().max(1e-9);
    let stats = &run.stats;
    let per_s = |n: u64| round(n as f64 / seconds, 1);
    let mut latency_us = BTreeMap::new();
    if let Some(summary) = LatencySummary::of(&stats.all) {
        latency_us.insert("all".to_string(), summary);
    }
    if let Some(summary) = stats.latency.get("publish").and_then(LatencySummary::of) {
        latency_us.insert("publish".to_string(), summary);
    }
    let published_per_s = per_s(stats.sent);
    SnsReport {
        target: target.label.clone(),
        endpoint: target.endpoint.clone(),
        scenario: "publish".into(),
        protocol: "query".into(),
        subscribers: args.subscribers,
        raw: args.raw,
        connections: target.sns.len(),
        message_size: args.message_size as usize,
        duration_s: round(run.measured.as_secs_f64(), 2),
        requests: stats.requests,
        requests_per_s: per_s(stats.requests),
        published: stats.sent,
        published_per_s,
        deliveries_per_s: round(published_per_s * f64::from(args.subscribers), 1),
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
        verify,
    }
}

impl SnsReport {
    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} — {}", self.target, self.endpoint);
        let delivery = if self.raw { "raw" } else { "JSON envelope" };
        let _ = writeln!(
            out,
            "  publish over query: {} connections, {} B messages, topic with {} SQS subscriptions ({delivery}); {:.1} s measured",
            self.connections, self.message_size, self.subscribers, self.duration_s
        );
        let _ = writeln!(
            out,
            "  throughput  {} publishes/s · {} queue deliveries/s  ({} requests)",
            group_digits(self.published_per_s),
            group_digits(self.deliveries_per_s),
            group_digits(self.requests as f64)
        );
        render_tail(
            &mut out,
            &self.latency_us,
            &["all", "publish"],
            "end-to-end",
            (&self.errors, self.error_count),
            self.server.as_ref(),
            &self.generator,
        );
        if let Some(verify) = &self.verify {
            let verdict = if verify.ok {
                format!(
                    "every queue got all {} messages exactly once",
                    group_digits(verify.expected_per_queue as f64)
                )
            } else {
                format!(
                    "FAILED: expected {} per queue, got {}..{}",
                    group_digits(verify.expected_per_queue as f64),
                    group_digits(verify.received_min as f64),
                    group_digits(verify.received_max as f64)
                )
            };
            let _ = writeln!(
                out,
                "  verify      {verdict} ({} queues, {} missing, {} duplicates; drained in {:.1} s)",
                verify.queues, verify.missing, verify.duplicates, verify.drain_s
            );
        }
        out
    }
}

impl SnsFullReport {
    fn render(&self) -> String {
        let mut out = format!(
            "machine: {} × {}\n\n",
            self.machine.nproc, self.machine.cpu_model
        );
        out.push_str(&self.primary.render());
        out
    }
}

// -----------------------------------------------------------------------------------------------------
// The run

async fn run_sns(args: &SnsArgs) -> anyhow::Result<SnsFullReport> {
    let (server, endpoint, label) = match &args.endpoint {
        Some(endpoint) => (None, endpoint.clone(), format!("endpoint {endpoint}")),
        None => {
            let (server, label) =
                process::start_wharf(args.in_memory, args.data_dir.as_deref(), &args.fsync)?;
            let endpoint = server.endpoint.clone();
            (Some(server), endpoint, label)
        }
    };
    let target = set_up(
        label,
        &endpoint,
        server.as_ref().map(ChildServer::pid),
        args,
    )
    .await?;
    let measured = measure(&target, args).await;
    let verified = if args.verify && !target.queue_urls.is_empty() {
        Some(verify(&target, measured.accepted, args.raw).await?)
    } else {
        None
    };
    let primary = report(&target, args, &measured, verified);
    if !args.keep {
        tear_down(&target).await;
    }
    drop(target);
    drop(server);
    Ok(SnsFullReport {
        machine: Machine::detect(),
        primary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_unique_and_stamped() {
        let body = message_body(100, 42, 3, 7);
        assert_eq!(body.len(), 100);
        assert!(body.starts_with("00000000000000000042|3-7|x"));
        assert_eq!(super::super::scenarios::body_stamp(&body), Some(42));
        assert_eq!(message_body(1, 5, 10, 200), "00000000000000000005|10-200|");
    }

    #[test]
    fn reads_the_published_message_back() {
        assert_eq!(published_message("m", true).as_deref(), Some("m"));
        let envelope = r#"{"Type":"Notification","MessageId":"x","Message":"hello"}"#;
        assert_eq!(published_message(envelope, false).as_deref(), Some("hello"));
        assert_eq!(published_message("not json", false), None);
        assert_eq!(
            region_and_account("arn:aws:sns:eu-west-1:123456789012:t"),
            Some(("eu-west-1".to_string(), "123456789012".to_string()))
        );
        assert_eq!(region_and_account("nope"), None);
    }
}
