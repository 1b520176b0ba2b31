//! Bad disk days: when the data directory's filesystem fills up, writes answer an AWS-style 5xx, reads keep
//! working, and nothing acknowledged is lost or corrupted — a restart on a roomy copy recovers every
//! acknowledged message. Needs root to mount a tiny tmpfs; skipped (with a message) otherwise.

mod common;

use std::process::Command;

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::QueueAttributeName;
use common::Server;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn tiny_filesystem(dir: &std::path::Path) -> Option<Mount> {
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| Mount(dir.to_path_buf()))
}

async fn message_count(client: &aws_sdk_sqs::Client, url: &str) -> u64 {
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("GetQueueAttributes works on a full disk");
    let attributes = attributes.attributes().cloned().unwrap_or_default();
    let number = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    number(QueueAttributeName::ApproximateNumberOfMessages)
        + number(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
}

#[tokio::test]
async fn full_disk_answers_5xx_keeps_reads_and_loses_nothing_acknowledged() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let Some(mount) = tiny_filesystem(&data) else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let server = Server::with_data_dir(&data);
    let client = server.client();
    let url = client
        .create_queue()
        .queue_name("full")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let body = "x".repeat(200 * 1024);
    let mut acknowledged = 0u64;
    let mut failure = None;
    for _ in 0..200 {
        match client
            .send_message()
            .queue_url(&url)
            .message_body(&body)
            .send()
            .await
        {
            Ok(_) => acknowledged += 1,
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    let failure = failure.expect("a 6 MiB filesystem must fill up");
    let code = failure.code().unwrap_or_default().to_string();
    let status = failure
        .raw_response()
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert!(
        matches!(code.as_str(), "ServiceUnavailable" | "InternalError") && status >= 500,
        "disk full must be an AWS-style 5xx, got {code} / {status}: {failure:?}"
    );
    assert!(acknowledged > 0, "some sends must have fit");
    // Reads still work, and further writes keep failing cleanly rather than pretending.
    assert_eq!(message_count(&client, &url).await, acknowledged);
    assert!(client
        .send_message()
        .queue_url(&url)
        .message_body("small")
        .send()
        .await
        .is_err());

    // Restart on a roomy copy of the directory: every acknowledged message is there, intact.
    drop(server.kill());
    let roomy = root.path().join("roomy");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(&data)
        .arg(&roomy)
        .status()
        .unwrap();
    assert!(copied.success());
    drop(mount);
    let server = Server::with_data_dir(&roomy);
    let client = server.client();
    assert_eq!(message_count(&client, &url).await, acknowledged);
    let received = client
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert!(received
        .messages()
        .iter()
        .all(|m| m.body() == Some(body.as_str())));
    client
        .send_message()
        .queue_url(&url)
        .message_body("after")
        .send()
        .await
        .expect("writes work again");
}
