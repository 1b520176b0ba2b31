//! Crash test: concurrent send / receive / delete load through aws-sdk-sqs while the server is killed with
//! SIGKILL at random moments, several rounds; then the invariants of durability are checked:
//! - no acknowledged send is lost (unless a delete of it was sent),
//! - no acknowledged delete comes back,
//! - FIFO order within each group holds, and dedup ids resent after a crash are not enqueued twice;
//! - every acknowledged Kinesis record is readable after the crashes, exactly once and in order per key.
//!
//! CI runs a short version. Run longer by hand with e.g.
//! `WHARF_CRASH_ROUNDS=50 WHARF_CRASH_SEED=42 cargo test -p wharf --test crash -- --nocapture`.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;
use common::Server;
use tokio::sync::Mutex;

#[derive(Default)]
struct Ledger {
    /// Bodies whose SendMessage was acknowledged.
    sent: HashSet<String>,
    /// Bodies whose DeleteMessage was acknowledged.
    deleted: HashSet<String>,
    /// Bodies for which a DeleteMessage was sent (it may have taken effect without an acknowledgement).
    delete_attempted: HashSet<String>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const GROUPS: usize = 3;
const STREAM: &str = "crash-stream";

/// Puts records `{producer}-{n}` with the producer's id as partition key (so each producer's records share a
/// shard and must come back in order), recording every acknowledged one.
async fn kinesis_producer(
    client: aws_sdk_kinesis::Client,
    acked: Arc<Mutex<Vec<String>>>,
    round: usize,
    id: usize,
) {
    for n in 0u64.. {
        let data = format!("r{round}p{id}-{n:08}");
        let put = client
            .put_record()
            .stream_name(STREAM)
            .partition_key(format!("r{round}p{id}"))
            .data(aws_sdk_kinesis::primitives::Blob::new(
                data.clone().into_bytes(),
            ))
            .send()
            .await;
        match put {
            Ok(_) => acked.lock().await.push(data),
            Err(_) => return,
        }
    }
}

/// Polls DescribeStreamSummary until the stream is ACTIVE (streams stay CREATING for the server's
/// transition delay, 500 ms by default; writes to a CREATING stream fail).
async fn wait_stream_active(client: &aws_sdk_kinesis::Client) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let summary = client
            .describe_stream_summary()
            .stream_name(STREAM)
            .send()
            .await
            .expect("DescribeStreamSummary");
        let status = summary
            .stream_description_summary()
            .map(|s| s.stream_status().clone());
        if status == Some(aws_sdk_kinesis::types::StreamStatus::Active) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{STREAM} still {status:?} after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every record of every shard, from TRIM_HORIZON to the tip.
async fn read_stream(client: &aws_sdk_kinesis::Client) -> Vec<String> {
    let shards = client
        .list_shards()
        .stream_name(STREAM)
        .send()
        .await
        .expect("ListShards");
    let mut records = Vec::new();
    for shard in shards.shards() {
        let mut iterator = client
            .get_shard_iterator()
            .stream_name(STREAM)
            .shard_id(shard.shard_id())
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator")
            .shard_iterator()
            .map(str::to_string);
        while let Some(current) = iterator {
            let page = client
                .get_records()
                .shard_iterator(current)
                .limit(10_000)
                .send()
                .await
                .expect("GetRecords");
            if page.records().is_empty() {
                break;
            }
            records.extend(
                page.records()
                    .iter()
                    .map(|r| String::from_utf8_lossy(r.data().as_ref()).to_string()),
            );
            iterator = page.next_shard_iterator().map(str::to_string);
        }
    }
    records
}

async fn producer_standard(
    client: Client,
    url: String,
    ledger: Arc<Mutex<Ledger>>,
    round: usize,
    id: usize,
) {
    for i in 0.. {
        let body = format!("s-{round}-{id}-{i}");
        match client
            .send_message()
            .queue_url(&url)
            .message_body(&body)
            .send()
            .await
        {
            Ok(_) => {
                ledger.lock().await.sent.insert(body);
            }
            Err(_) => return,
        }
    }
}

/// One producer per FIFO group sends `g{group}-{n}` in increasing n, resending an unacknowledged n after a
/// crash (the dedup id makes the resend safe).
async fn producer_fifo(
    client: Client,
    url: String,
    ledger: Arc<Mutex<Ledger>>,
    group: usize,
    next: Arc<Mutex<Vec<u64>>>,
) {
    loop {
        let n = next.lock().await[group];
        let body = format!("g{group}-{n:08}");
        let sent = client
            .send_message()
            .queue_url(&url)
            .message_body(&body)
            .message_group_id(format!("g{group}"))
            .message_deduplication_id(&body)
            .send()
            .await;
        match sent {
            Ok(_) => {
                ledger.lock().await.sent.insert(body);
                next.lock().await[group] = n + 1;
            }
            Err(_) => return,
        }
    }
}

async fn consumer(client: Client, url: String, ledger: Arc<Mutex<Ledger>>, seed: u64) {
    let mut rng = Rng(seed | 1);
    loop {
        let Ok(output) = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
        else {
            return;
        };
        for message in output.messages() {
            // Leave some messages undeleted so that in-flight state crosses crashes too.
            if rng.below(4) == 0 {
                continue;
            }
            let handle = message.receipt_handle().unwrap_or_default();
            let body = message.body().unwrap_or_default().to_string();
            ledger.lock().await.delete_attempted.insert(body);
            if client
                .delete_message()
                .queue_url(&url)
                .receipt_handle(handle)
                .send()
                .await
                .is_err()
            {
                return;
            }
            ledger
                .lock()
                .await
                .deleted
                .insert(message.body().unwrap_or_default().to_string());
        }
    }
}

async fn drain(client: &Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut empty_polls = 0;
    while empty_polls < 2 {
        let output = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(2)
            .send()
            .await
            .expect("receive during drain");
        if output.messages().is_empty() {
            empty_polls += 1;
        }
        for message in output.messages() {
            bodies.push(message.body().unwrap_or_default().to_string());
            client
                .delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete during drain");
        }
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sigkills_lose_nothing_acknowledged() {
    let rounds: usize = std::env::var("WHARF_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("WHARF_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(7)
        });
    println!("crash test: {rounds} rounds, WHARF_CRASH_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::with_data_dir(dir.path());
    let client = server.client();
    // A short visibility timeout so that in-flight messages come back for the final drain.
    let standard = client
        .create_queue()
        .queue_name("crash-standard")
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let fifo = client
        .create_queue()
        .queue_name("crash.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    server
        .kinesis_client()
        .create_stream()
        .stream_name(STREAM)
        .shard_count(2)
        .send()
        .await
        .expect("CreateStream");
    wait_stream_active(&server.kinesis_client()).await;
    let kinesis_acked = Arc::new(Mutex::new(Vec::new()));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let fifo_next = Arc::new(Mutex::new(vec![0u64; GROUPS]));

    for round in 0..rounds {
        let client = server.client();
        let mut tasks = Vec::new();
        for id in 0..2 {
            tasks.push(tokio::spawn(producer_standard(
                client.clone(),
                standard.clone(),
                ledger.clone(),
                round,
                id,
            )));
        }
        for group in 0..GROUPS {
            tasks.push(tokio::spawn(producer_fifo(
                client.clone(),
                fifo.clone(),
                ledger.clone(),
                group,
                fifo_next.clone(),
            )));
        }
        tasks.push(tokio::spawn(kinesis_producer(
            server.kinesis_client(),
            kinesis_acked.clone(),
            round,
            0,
        )));
        tasks.push(tokio::spawn(consumer(
            client.clone(),
            standard.clone(),
            ledger.clone(),
            rng.next(),
        )));
        tasks.push(tokio::spawn(consumer(
            client.clone(),
            fifo.clone(),
            ledger.clone(),
            rng.next(),
        )));
        tokio::time::sleep(Duration::from_millis(200 + rng.below(600))).await;
        server = server.kill_and_restart();
        for task in tasks {
            // Every task ends on its first failed request after the kill.
            let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
        }
    }

    let client = server.client();
    let ledger = ledger.lock().await;
    assert!(
        ledger.sent.len() > 10,
        "the load generated too little traffic: {}",
        ledger.sent.len()
    );
    let remaining_standard = drain(&client, &standard).await;
    let remaining_fifo = drain(&client, &fifo).await;
    let remaining: HashSet<&String> = remaining_standard
        .iter()
        .chain(remaining_fifo.iter())
        .collect();

    for body in &ledger.sent {
        if !ledger.delete_attempted.contains(body) {
            assert!(remaining.contains(body), "acknowledged send lost: {body}");
        }
    }
    for body in &ledger.deleted {
        assert!(
            !remaining.contains(body),
            "acknowledged delete came back: {body}"
        );
    }
    let mut seen = HashSet::new();
    for body in &remaining_fifo {
        assert!(
            seen.insert(body),
            "FIFO dedup failed, {body} delivered twice"
        );
    }
    let mut per_group: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for body in &remaining_fifo {
        per_group
            .entry(body.split('-').next().unwrap_or_default())
            .or_default()
            .push(body);
    }
    for (group, bodies) in per_group {
        let mut sorted = bodies.clone();
        sorted.sort();
        assert_eq!(bodies, sorted, "FIFO order broken in group {group}");
    }
    let records = read_stream(&server.kinesis_client()).await;
    let acked = kinesis_acked.lock().await;
    assert!(!acked.is_empty(), "no Kinesis put was acknowledged");
    let stored: HashSet<&String> = records.iter().collect();
    assert_eq!(
        stored.len(),
        records.len(),
        "a Kinesis record was stored twice"
    );
    for data in acked.iter() {
        assert!(
            stored.contains(data),
            "acknowledged Kinesis record lost: {data}"
        );
    }
    let mut per_key: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for data in &records {
        per_key
            .entry(data.split('-').next().unwrap_or_default())
            .or_default()
            .push(data);
    }
    for (key, in_order) in per_key {
        let mut sorted = in_order.clone();
        sorted.sort();
        assert_eq!(
            in_order, sorted,
            "Kinesis records of key {key} out of order"
        );
    }
    println!(
        "crash test: {} Kinesis puts acknowledged, all {} stored records read back in order",
        acked.len(),
        records.len()
    );
    println!(
        "crash test: {} sends and {} deletes acknowledged, {} messages remained; invariants hold",
        ledger.sent.len(),
        ledger.deleted.len(),
        remaining.len()
    );
}
