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

/// Runs `wharf <args>` with the `WHARF_*` environment removed and returns its JSON report.
fn bench_json(args: &[&str]) -> serde_json::Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wharf"));
    command.args(args);
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
        "wharf {args:?} failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the report is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"))
}

/// `wharf bench sqs --scenario idle-polls`, tiny: 20 long polls, a short quiet window, 5 probe messages
/// each received by a waiting poll.
#[test]
fn bench_sqs_idle_polls() {
    let started = Instant::now();
    let report = bench_json(&[
        "bench",
        "sqs",
        "--in-memory",
        "--scenario",
        "idle-polls",
        "--pollers",
        "20",
        "--quiet-window",
        "0.5",
        "--probe-messages",
        "5",
        "--json",
    ]);
    assert_eq!(report["scenario"], "idle-polls");
    assert_eq!(report["pollers"], 20);
    assert_eq!(report["wait_time_s"], 20);
    assert_eq!(report["probes_sent"], 5, "{report:#}");
    assert_eq!(report["probes_received"], 5, "{report:#}");
    assert_eq!(report["error_count"], 0, "{report:#}");
    // Nothing returns early: every poll waits through the quiet window.
    assert_eq!(report["polls_returned_in_window"], 0, "{report:#}");
    assert!(report["idle_cpu_cores"].as_f64().is_some(), "{report:#}");
    assert!(
        report["server_rss_kib"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
    assert!(
        report["latency_us"]["end_to_end"]["count"].as_u64() == Some(5),
        "{report:#}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
}

/// `wharf bench startup`, tiny: two starts per storage mode, with time to ready and resident memory.
#[test]
fn bench_startup_both_modes() {
    let started = Instant::now();
    let report = bench_json(&["bench", "startup", "--runs", "2", "--idle", "0.1", "--json"]);
    let modes = report["modes"].as_array().expect("modes");
    assert_eq!(modes.len(), 2, "{report:#}");
    assert_eq!(modes[0]["mode"], "in-memory");
    assert!(modes[1]["mode"]
        .as_str()
        .unwrap_or("")
        .starts_with("durable"));
    for mode in modes {
        assert_eq!(mode["runs"], 2);
        assert_eq!(mode["starts"].as_array().map(Vec::len), Some(2));
        assert!(
            mode["ready_ms"]["min"].as_f64().unwrap_or(0.0) > 0.0,
            "{mode:#}"
        );
        assert!(
            mode["rss_idle_mib"]["median"].as_f64().unwrap_or(0.0) > 0.0,
            "{mode:#}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

/// `wharf bench sns` end to end: a self-started in-memory Wharf, a topic with three SQS subscriptions,
/// publishes for a second, then every queue drained and checked (`--verify`).
#[test]
fn bench_sns_publishes_to_subscribed_queues_and_verifies_them() {
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_wharf"));
    command.args([
        "bench",
        "sns",
        "--in-memory",
        "--subscribers",
        "3",
        "--connections",
        "2",
        "--duration",
        "1",
        "--warmup",
        "0.2",
        "--verify",
        "--json",
    ]);
    for (key, _) in std::env::vars() {
        if key.starts_with("WHARF_") {
            command.env_remove(key);
        }
    }
    let output = command.output().expect("running wharf bench sns");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "wharf bench sns failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the report is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    assert_eq!(report["scenario"], "publish");
    assert_eq!(report["subscribers"], 3);
    assert_eq!(report["connections"], 2);
    assert!(report["published"].as_u64().unwrap_or(0) > 0, "{report:#}");
    assert!(
        report["deliveries_per_s"].as_f64().unwrap_or(0.0) > 0.0,
        "{report:#}"
    );
    assert_eq!(report["error_count"], 0, "{report:#}");
    assert!(
        report["latency_us"]["publish"]["p99"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
    let verify = &report["verify"];
    assert_eq!(verify["ok"], true, "{report:#}");
    assert_eq!(verify["queues"], 3, "{report:#}");
    assert_eq!(verify["missing"], 0, "{report:#}");
    assert_eq!(verify["duplicates"], 0, "{report:#}");
    assert!(
        verify["expected_per_queue"].as_u64().unwrap_or(0) >= report["published"].as_u64().unwrap(),
        "{report:#}"
    );
    assert!(
        report["server"]["peak_rss_kib"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
