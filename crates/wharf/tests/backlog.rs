//! Large backlog: 1,000,000 messages of 1 KiB in one queue must keep the server under 300 MB RSS, and a
//! restart with that backlog must be ready in under 5 s. Slow (about a minute), so run by hand:
//! `cargo test --release -p wharf --test backlog -- --ignored --nocapture`
//! (`WHARF_BACKLOG_MESSAGES` changes the count).

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::Server;
use wharf_sqs::model::{CreateQueueInput, SendMessageBatchEntry, SendMessageBatchInput};
use wharf_sqs::{Sqs, SqsConfig, SystemClock};
use wharf_store::{FsyncPolicy, Store};

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: run by hand with --ignored"]
async fn million_message_backlog_stays_on_disk() {
    let total: usize = std::env::var("WHARF_BACKLOG_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let load_started = Instant::now();
    {
        // Fill the data directory through the engine itself (much faster than over HTTP).
        let store = Store::open(dir.path(), FsyncPolicy::Never).unwrap();
        let sqs = Sqs::open(SqsConfig::default(), Arc::new(SystemClock), store.clone()).unwrap();
        let url = sqs
            .create_queue(CreateQueueInput {
                queue_name: Some("backlog".into()),
                ..Default::default()
            })
            .await
            .unwrap()
            .queue_url;
        let body = "x".repeat(1024);
        let mut tasks = Vec::new();
        for worker in 0..4 {
            let (sqs, url, body) = (sqs.clone(), url.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                for batch in (worker..total / 10).step_by(4) {
                    let entries = (0..10)
                        .map(|i| SendMessageBatchEntry {
                            id: Some(format!("{i}")),
                            message_body: Some(format!("{batch}-{i}-{body}")),
                            ..Default::default()
                        })
                        .collect();
                    sqs.send_message_batch(SendMessageBatchInput {
                        queue_url: Some(url.clone()),
                        entries,
                    })
                    .await
                    .unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        drop(sqs);
        store.flush().unwrap();
    }
    println!(
        "loaded {total} messages in {:.1} s",
        load_started.elapsed().as_secs_f64()
    );

    let restart = Instant::now();
    let server = Server::with_data_dir(dir.path());
    let ready = restart.elapsed();
    let pid = server.pid();
    let client = server.client();
    let url = format!("{}/000000000000/backlog", server.endpoint());
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    let count = attributes.attributes().unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages]
        .clone();
    for _ in 0..20 {
        let received = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        assert_eq!(received.messages().len(), 10);
        assert!(received.messages()[0]
            .body()
            .unwrap()
            .ends_with(&"x".repeat(1024)));
    }
    let rss = status_kib(pid, "VmRSS:");
    let peak = status_kib(pid, "VmHWM:");
    println!(
        "restart with {count} messages ready in {:.2} s; RSS {} MiB (peak {} MiB)",
        ready.as_secs_f64(),
        rss / 1024,
        peak / 1024
    );
    assert_eq!(count, total.to_string());
    assert!(ready.as_secs_f64() < 5.0, "restart took {ready:?}");
    assert!(peak < 300 * 1024, "peak RSS {peak} KiB");
}
