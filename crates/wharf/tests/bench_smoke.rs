//! `wharf bench sqs` end to end: the load generator starts its own in-memory Wharf, drives it for a
//! second and prints a JSON report with messages sent and no errors.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn bench_sqs_against_a_self_started_in_memory_wharf() {
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_wharf"));
    command.args([
        "bench",
        "sqs",
        "--in-memory",
        "--duration",
        "1",
        "--warmup",
        "0.2",
        "--connections",
        "2",
        "--json",
    ]);
    for (key, _) in std::env::vars() {
        if key.starts_with("WHARF_") {
            command.env_remove(key);
        }
    }
    let output = command.output().expect("running wharf bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "wharf bench failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the report is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    assert_eq!(report["scenario"], "send");
    assert_eq!(report["connections"], 2);
    assert!(report["sent"].as_u64().unwrap_or(0) > 0, "{report:#}");
    assert!(
        report["requests_per_s"].as_f64().unwrap_or(0.0) > 0.0,
        "{report:#}"
    );
    assert_eq!(report["error_count"], 0, "{report:#}");
    assert_eq!(report["errors"], serde_json::json!({}), "{report:#}");
    assert!(
        report["latency_us"]["send"]["p99"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
    // Started locally, so the server's resource usage is known.
    assert!(
        report["server"]["peak_rss_kib"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

/// `wharf bench kinesis` end to end: a steady run (producers and consumers) against a self-started
/// in-memory Wharf, below the stream's shard limits; returns the JSON report after checking that records
/// were put and read with put → get latency, no errors and no throttling, in under 5 s.
fn kinesis_steady(extra: &[&str]) -> serde_json::Value {
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_wharf"));
    command.args([
        "bench",
        "kinesis",
        "--in-memory",
        "--scenario",
        "steady",
        "--shards",
        "4",
        "--producers",
        "1",
        "--consumers",
        "1",
        "--batch",
        "10",
        "--rate",
        "2000",
        "--duration",
        "1",
        "--warmup",
        "0.2",
        "--json",
    ]);
    command.args(extra);
    for (key, _) in std::env::vars() {
        if key.starts_with("WHARF_") {
            command.env_remove(key);
        }
    }
    let output = command.output().expect("running wharf bench kinesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "wharf bench kinesis failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the report is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    assert_eq!(report["scenario"], "steady");
    assert_eq!(report["shards"], 4);
    assert!(
        report["put_records"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
    assert!(
        report["read_records"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
    assert!(
        report["put_mib_per_s"].as_f64().unwrap_or(0.0) > 0.0,
        "{report:#}"
    );
    assert_eq!(report["error_count"], 0, "{report:#}");
    assert_eq!(report["throttled_records"], 0, "{report:#}");
    assert_eq!(report["shard_bound_put_records_per_s"], 4000, "{report:#}");
    for op in ["put", "end_to_end"] {
        assert!(
            report["latency_us"][op]["p99"].as_u64().unwrap_or(0) > 0,
            "no {op} latency: {report:#}"
        );
    }
    assert!(
        report["server"]["peak_rss_kib"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    report
}

#[test]
fn bench_kinesis_steady_polling_get_records() {
    let report = kinesis_steady(&[]);
    assert_eq!(report["fan_out"], false);
    assert!(
        report["latency_us"]["get"]["p99"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
}

#[test]
fn bench_kinesis_steady_with_enhanced_fan_out() {
    let report = kinesis_steady(&["--fan-out"]);
    assert_eq!(report["fan_out"], true);
    // One SubscribeToShard event stream per shard; pushed records arrive within a second.
    assert_eq!(report["consumers"], 4);
    assert!(
        report["latency_us"]["end_to_end"]["p50"]
            .as_u64()
            .unwrap_or(u64::MAX)
            < 1_000_000,
        "{report:#}"
    );
}
