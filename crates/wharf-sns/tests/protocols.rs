//! Lambda (through a stand-in for the Lambda Runtime Interface Emulator) and email / email-json (through a
//! minimal SMTP sink) deliveries.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use wharf_sns::model::*;
use wharf_sns::{SmtpConfig, Sns, SnsConfig};
use wharf_sqs::{ManualClock, Sqs, SqsConfig};
use wharf_store::Store;

const START: u64 = 1_700_000_000_000;
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:my-fn";

fn open(config: SnsConfig) -> Arc<Sns> {
    let clock = ManualClock::new(START);
    let store = Store::in_memory();
    let sqs = Sqs::open(SqsConfig::default(), Arc::new(clock.clone()), store.clone()).unwrap();
    Sns::open(config, Arc::new(clock), store, sqs).unwrap()
}

async fn make_topic(sns: &Sns, name: &str) -> String {
    sns.create_topic(CreateTopicInput {
        name: Some(name.into()),
        ..Default::default()
    })
    .await
    .unwrap()
    .topic_arn
}

async fn subscribe(sns: &Sns, topic: &str, protocol: &str, endpoint: &str) -> String {
    sns.subscribe(SubscribeInput {
        topic_arn: Some(topic.into()),
        protocol: Some(protocol.into()),
        endpoint: Some(endpoint.into()),
        return_subscription_arn: true,
        ..Default::default()
    })
    .await
    .unwrap()
    .subscription_arn
}

async fn publish(sns: &Sns, topic: &str, subject: Option<&str>, message: &str) -> String {
    let mut attributes = BTreeMap::new();
    attributes.insert(
        "color".to_string(),
        MessageAttributeValue {
            data_type: Some("String".into()),
            string_value: Some("blue".into()),
            binary_value: None,
        },
    );
    sns.publish(PublishInput {
        topic_arn: Some(topic.into()),
        subject: subject.map(str::to_string),
        message: Some(message.into()),
        message_attributes: attributes,
        ..Default::default()
    })
    .await
    .unwrap()
    .message_id
}

/// A stand-in for the Lambda RIE: records (path, body) of each request and answers with the next scripted
/// status (200 when none is left).
struct Rie {
    url: String,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
}

async fn serve_rie() -> Rie {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let statuses = Arc::new(Mutex::new(Vec::<u16>::new()));
    let (r, s) = (Arc::clone(&requests), Arc::clone(&statuses));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            let (path, body) = loop {
                let n = socket.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break (String::new(), String::new());
                }
                data.extend_from_slice(&buf[..n]);
                let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&data[..end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())
                            .flatten()
                    })
                    .unwrap_or(0);
                if data.len() >= end + 4 + length {
                    let first = head.lines().next().unwrap_or_default().to_string();
                    let body = String::from_utf8_lossy(&data[end + 4..end + 4 + length]);
                    break (first, body.to_string());
                }
            };
            if path.is_empty() {
                continue;
            }
            r.lock().push((path, body));
            let status = {
                let mut s = s.lock();
                if s.is_empty() {
                    200
                } else {
                    s.remove(0)
                }
            };
            let _ = socket
                .write_all(
                    format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 4\r\nconnection: close\r\n\r\nnull"
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    Rie {
        url,
        requests,
        statuses,
    }
}

/// The body of a mail as the sink saw it, decoded when it is quoted-printable.
fn body_of(data: &str) -> String {
    let (head, body) = data.split_once("\n\n").unwrap();
    if !head.contains("Content-Transfer-Encoding: quoted-printable") {
        return body.to_string();
    }
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A minimal SMTP sink: records (recipients, DATA) of each mail.
type Mails = Arc<Mutex<Vec<(Vec<String>, String)>>>;

async fn serve_smtp() -> (u16, Mails) {
    serve_smtp_on(None).await
}

/// A self-signed certificate for 127.0.0.1 (P-256, valid for 100 years) and its PKCS#8 key, base64 DER.
const TEST_CERT: &str = "MIIBjzCCATagAwIBAgIUUTCvVNA8ZzTeO0MOdIPCFXDCcLIwCgYIKoZIzj0EAwIwFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTEyMTkwNloYDzIxMjYxMTAxMTIxOTA2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT8sfV7rj/Y5ng3QP3HpraWm4fvUsDHWHIklIVnU+apNcb274UpypZPbMbT4hj6hnBz+hpzV94Xf7R7qIqulaGzo2QwYjAdBgNVHQ4EFgQUmws1EQsLpR0ru4JS4pyhXFuFA4owHwYDVR0jBBgwFoAUmws1EQsLpR0ru4JS4pyhXFuFA4owDwYDVR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQCICGvxxFbXG92HhFGDcEZwI+3/tn8+koQmgs+Lb+13977AiAP4M4DzxChMnFoAKsA3wqdMMtVmx6nZgmkWFFs/vQZzA==";
const TEST_KEY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+pStAyAEqLGS1+XERXsb9NxQn9V5jvgl6+rPqY1FTwGhRANCAAT8sfV7rj/Y5ng3QP3HpraWm4fvUsDHWHIklIVnU+apNcb274UpypZPbMbT4hj6hnBz+hpzV94Xf7R7qIqulaGz";

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = rustls::pki_types::CertificateDer::from(b64.decode(TEST_CERT).unwrap());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(b64.decode(TEST_KEY).unwrap().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A minimal SMTP sink recording each mail's RCPT lines and DATA; with `tls`, it speaks SMTPS (TLS from
/// the first byte, as on port 465).
async fn serve_smtp_on(tls: Option<tokio_rustls::TlsAcceptor>) -> (u16, Mails) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails: Mails = Arc::new(Mutex::new(Vec::new()));
    let m = Arc::clone(&mails);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let m = Arc::clone(&m);
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(socket).await {
                            smtp_session(stream, m).await;
                        }
                    }
                    None => smtp_session(socket, m).await,
                }
            });
        }
    });
    (port, mails)
}

async fn smtp_session<S>(stream: S, m: Mails)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (read, mut write) = tokio::io::split(stream);
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 sink ready\r\n").await;
    let _ = write.flush().await;
    let mut rcpt = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink\r\n",
            "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
            "RCPT" => {
                rcpt.push(line.clone());
                b"250 OK\r\n"
            }
            "DATA" => {
                let _ = write.write_all(b"354 go ahead\r\n").await;
                let _ = write.flush().await;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                m.lock().push((std::mem::take(&mut rcpt), data));
                b"250 queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                let _ = write.flush().await;
                return;
            }
            _ => b"502 not implemented\r\n",
        };
        let _ = write.write_all(reply).await;
        let _ = write.flush().await;
    }
}

#[tokio::test]
async fn lambda_invocation_through_rie() {
    let rie = serve_rie().await;
    let mut functions = BTreeMap::new();
    functions.insert("my-fn".to_string(), format!("{}/", rie.url));
    let sns = open(SnsConfig {
        lambda_functions: functions,
        ..SnsConfig::default()
    });
    let topic = make_topic(&sns, "events").await;
    let sub = subscribe(&sns, &topic, "lambda", FUNCTION_ARN).await;
    // A Lambda subscription is confirmed at once.
    assert!(sub.starts_with(&topic));

    // A failing invocation (5xx) stays pending and is retried (the first retries come without delay).
    rie.statuses.lock().push(503);
    let message_id = publish(&sns, &topic, Some("Greetings"), "hello lambda").await;
    assert_eq!(sns.deliver_due().await, 1);
    assert_eq!(sns.pending_delivery_count(), 1);
    assert_eq!(sns.deliver_due().await, 1);
    assert_eq!(sns.pending_delivery_count(), 0);
    assert!(sns.outbox().is_empty());

    let requests = rie.requests.lock().clone();
    assert_eq!(requests.len(), 2);
    let (line, body) = &requests[1];
    assert_eq!(
        line,
        "POST /2015-03-31/functions/function/invocations HTTP/1.1"
    );
    let event: Value = serde_json::from_str(body).unwrap();
    let records = event["Records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["EventSource"], "aws:sns");
    assert_eq!(record["EventVersion"], "1.0");
    assert_eq!(record["EventSubscriptionArn"], sub.as_str());
    let sns_member = &record["Sns"];
    assert_eq!(sns_member["Type"], "Notification");
    assert_eq!(sns_member["MessageId"], message_id.as_str());
    assert_eq!(sns_member["TopicArn"], topic.as_str());
    assert_eq!(sns_member["Subject"], "Greetings");
    assert_eq!(sns_member["Message"], "hello lambda");
    assert_eq!(sns_member["Timestamp"], "2023-11-14T22:13:20.000Z");
    assert_eq!(sns_member["SignatureVersion"], "1");
    assert!(!sns_member["Signature"].as_str().unwrap().is_empty());
    assert!(sns_member["SigningCertUrl"]
        .as_str()
        .unwrap()
        .ends_with("/_wharf/sns/SimpleNotificationService.pem"));
    assert!(sns_member["UnsubscribeUrl"]
        .as_str()
        .unwrap()
        .contains("Action=Unsubscribe"));
    assert!(sns_member.get("SigningCertURL").is_none());
    assert_eq!(sns_member["MessageAttributes"]["color"]["Type"], "String");
    assert_eq!(sns_member["MessageAttributes"]["color"]["Value"], "blue");

    // Without a subject, Subject is null.
    publish(&sns, &topic, None, "again").await;
    assert_eq!(sns.deliver_due().await, 1);
    let body = rie.requests.lock().last().unwrap().1.clone();
    let event: Value = serde_json::from_str(&body).unwrap();
    assert!(event["Records"][0]["Sns"]["Subject"].is_null());

    // A client error other than 429 is not retried.
    rie.statuses.lock().push(404);
    publish(&sns, &topic, None, "gone").await;
    assert_eq!(sns.deliver_due().await, 1);
    assert_eq!(sns.pending_delivery_count(), 0);
}

#[tokio::test]
async fn lambda_by_full_arn_and_unmapped_to_outbox() {
    let rie = serve_rie().await;
    let mut functions = BTreeMap::new();
    functions.insert(FUNCTION_ARN.to_string(), rie.url.clone());
    let sns = open(SnsConfig {
        lambda_functions: functions,
        ..SnsConfig::default()
    });
    let topic = make_topic(&sns, "events").await;
    subscribe(&sns, &topic, "lambda", FUNCTION_ARN).await;
    let other = "arn:aws:lambda:us-east-1:000000000000:function:other";
    subscribe(&sns, &topic, "lambda", other).await;
    publish(&sns, &topic, None, "m").await;
    assert_eq!(sns.deliver_due().await, 1);
    assert_eq!(rie.requests.lock().len(), 1);
    let outbox = sns.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].kind, "lambda");
    assert_eq!(outbox[0].target, other);
}

fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        from: "Wharf SNS <sns@wharf.test>".into(),
        username: None,
        password: None,
        starttls: false,
        implicit_tls: false,
        accept_invalid_certs: false,
    }
}

#[tokio::test]
async fn smtps_with_implicit_tls() {
    let (port, mails) = serve_smtp_on(Some(tls_acceptor())).await;
    // The relay's certificate is self-signed: verified against the system's roots, the handshake fails
    // and the confirmation is kept for a retry.
    let sns = open(SnsConfig {
        smtp: Some(SmtpConfig {
            implicit_tls: true,
            ..smtp_config(port)
        }),
        ..SnsConfig::default()
    });
    let topic = make_topic(&sns, "alerts").await;
    subscribe(&sns, &topic, "email", "ops@example.com").await;
    assert_eq!(sns.deliver_due().await, 1);
    assert_eq!(sns.pending_delivery_count(), 1);
    assert!(mails.lock().is_empty());

    // Accepting the development relay's certificate, the mail goes out over TLS from the first byte.
    let sns = open(SnsConfig {
        smtp: Some(SmtpConfig {
            implicit_tls: true,
            accept_invalid_certs: true,
            ..smtp_config(port)
        }),
        ..SnsConfig::default()
    });
    let topic = make_topic(&sns, "alerts").await;
    subscribe(&sns, &topic, "email", "ops@example.com").await;
    assert_eq!(sns.deliver_due().await, 1);
    assert_eq!(sns.pending_delivery_count(), 0);
    let (rcpt, data) = mails.lock()[0].clone();
    assert_eq!(rcpt, vec!["RCPT TO:<ops@example.com>".to_string()]);
    assert!(data.contains("Subject: AWS Notification - Subscription Confirmation"));

    // A plain-SMTP relay does not speak TLS: an SMTPS client cannot deliver to it.
    let (plain_port, plain_mails) = serve_smtp().await;
    let sns = open(SnsConfig {
        smtp: Some(SmtpConfig {
            implicit_tls: true,
            accept_invalid_certs: true,
            ..smtp_config(plain_port)
        }),
        ..SnsConfig::default()
    });
    let topic = make_topic(&sns, "alerts").await;
    subscribe(&sns, &topic, "email", "ops@example.com").await;
    assert_eq!(sns.deliver_due().await, 1);
    assert_eq!(sns.pending_delivery_count(), 1);
    assert!(plain_mails.lock().is_empty());

    // STARTTLS and implicit TLS exclude each other.
    let clock = ManualClock::new(START);
    let store = Store::in_memory();
    let sqs = Sqs::open(SqsConfig::default(), Arc::new(clock.clone()), store.clone()).unwrap();
    let both = SmtpConfig {
        starttls: true,
        implicit_tls: true,
        ..smtp_config(port)
    };
    let error = Sns::open(
        SnsConfig {
            smtp: Some(both),
            ..SnsConfig::default()
        },
        Arc::new(clock),
        store,
        sqs,
    )
    .err()
    .unwrap();
    assert!(error.message.contains("exclude each other"), "{error}");
}

#[tokio::test]
async fn email_confirmation_and_notification_through_smtp() {
    let (port, mails) = serve_smtp().await;
    let sns = open(SnsConfig {
        smtp: Some(smtp_config(port)),
        ..SnsConfig::default()
    });
    let topic = make_topic(&sns, "alerts").await;
    let sub = subscribe(&sns, &topic, "email", "ops@example.com").await;
    let attributes = sns
        .get_subscription_attributes(SubscriptionArnInput {
            subscription_arn: Some(sub.clone()),
        })
        .unwrap()
        .attributes;
    assert_eq!(attributes["PendingConfirmation"], "true");

    // The confirmation mail carries the SubscribeURL.
    assert_eq!(sns.deliver_due().await, 1);
    let (rcpt, data) = mails.lock()[0].clone();
    assert_eq!(rcpt, vec!["RCPT TO:<ops@example.com>".to_string()]);
    assert!(data.contains("Subject: AWS Notification - Subscription Confirmation"));
    assert!(
        data.contains("From: \"Wharf SNS\" <sns@wharf.test>")
            || data.contains("From: Wharf SNS <sns@wharf.test>")
    );
    assert!(data.contains("Date: Tue, 14 Nov 2023 22:13:20 +0000"));
    let url = body_of(&data)
        .lines()
        .find(|l| l.contains("Action=ConfirmSubscription"))
        .unwrap()
        .trim()
        .to_string();
    let token = url.split("Token=").nth(1).unwrap().to_string();
    assert!(sns.outbox().is_empty());

    // Nothing is delivered before the subscription is confirmed.
    publish(&sns, &topic, Some("Disk"), "early").await;
    assert_eq!(sns.deliver_due().await, 0);

    sns.confirm_subscription(ConfirmSubscriptionInput {
        topic_arn: Some(topic.clone()),
        token: Some(token),
        ..Default::default()
    })
    .await
    .unwrap();
    publish(&sns, &topic, Some("Disk"), "disk almost full").await;
    assert_eq!(sns.deliver_due().await, 1);
    let (_, data) = mails.lock()[1].clone();
    assert!(data.contains("Subject: Disk"));
    let body = body_of(&data);
    assert!(body.starts_with("disk almost full\n"));
    assert!(body.contains("Action=Unsubscribe&SubscriptionArn="));
    assert_eq!(sns.pending_delivery_count(), 0);
}

#[tokio::test]
async fn email_json_gets_the_envelope_and_smtp_failures_are_retried() {
    // No server listening yet: the confirmation is kept for a retry.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = probe.local_addr().unwrap().port();
    drop(probe);
    let sns = open(SnsConfig {
        smtp: Some(smtp_config(dead_port)),
        ..SnsConfig::default()
    });
    let topic = make_topic(&sns, "alerts").await;
    subscribe(&sns, &topic, "email-json", "robot@example.com").await;
    assert_eq!(sns.deliver_due().await, 1);
    assert_eq!(sns.pending_delivery_count(), 1);

    let (port, mails) = serve_smtp().await;
    let sns = open(SnsConfig {
        smtp: Some(smtp_config(port)),
        ..SnsConfig::default()
    });
    let topic = make_topic(&sns, "alerts").await;
    let sub = subscribe(&sns, &topic, "email-json", "robot@example.com").await;
    assert_eq!(sns.deliver_due().await, 1);
    let data = body_of(&mails.lock()[0].1);
    let json_start = data.find('{').unwrap();
    let json_end = data.rfind('}').unwrap();
    let confirmation: Value = serde_json::from_str(&data[json_start..=json_end]).unwrap();
    assert_eq!(confirmation["Type"], "SubscriptionConfirmation");
    let token = confirmation["Token"].as_str().unwrap().to_string();
    sns.confirm_subscription(ConfirmSubscriptionInput {
        topic_arn: Some(topic.clone()),
        token: Some(token),
        ..Default::default()
    })
    .await
    .unwrap();
    publish(&sns, &topic, None, "json please").await;
    assert_eq!(sns.deliver_due().await, 1);
    let data = mails.lock()[1].1.clone();
    assert!(data.contains("Subject: AWS Notification Message"));
    let data = body_of(&data);
    let json_start = data.find('{').unwrap();
    let json_end = data.rfind('}').unwrap();
    let envelope: Value = serde_json::from_str(&data[json_start..=json_end]).unwrap();
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["Message"], "json please");
    assert_eq!(
        envelope["UnsubscribeURL"],
        format!(
            "http://localhost:4566/?Action=Unsubscribe&SubscriptionArn={}",
            sub.replace(':', "%3A")
        )
    );
}

#[tokio::test]
async fn email_without_smtp_goes_to_the_outbox() {
    let sns = open(SnsConfig::default());
    let topic = make_topic(&sns, "alerts").await;
    subscribe(&sns, &topic, "email", "ops@example.com").await;
    assert_eq!(sns.deliver_due().await, 0);
    let outbox = sns.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].kind, "email");
}
