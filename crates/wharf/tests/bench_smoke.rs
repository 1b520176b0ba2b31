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
