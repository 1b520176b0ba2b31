//! Durable deliveries: HTTP/S notifications and confirmations, and SQS sends that failed for a transient
//! reason, each kept as a [`DeliveryRecord`] in the store until it succeeds or its retry policy runs out.
//!
//! - Publish only records the delivery (durably, before it answers) and wakes the worker; a slow or dead
//!   endpoint never slows Publish.
//! - The worker ([`Sns::start`]) picks due records and runs each attempt on its own task. Attempts to one
//!   endpoint (scheme + authority) run at most [`PER_ENDPOINT_CONCURRENCY`] at a time; the others wait
//!   without holding anything up.
//! - HTTP/S: a POST with AWS's headers, 15-second timeout; any 200–499 answer counts as delivered (AWS does
//!   not retry client errors), 5xx, a timeout or a connection failure is retried per the subscription's
//!   effective `healthyRetryPolicy` (default: 3 retries, 20 s apart — see
//!   [`crate::attributes::RetryPolicy`] for the phases). `https` endpoints are reached with rustls (ring),
//!   verifying certificates against the system's roots unless [`crate::SnsConfig`] says
//!   `https_accept_invalid_certs` (for self-signed development endpoints).
//! - SQS: a transient store failure is retried per AWS's policy for AWS-managed endpoints (3 immediate
//!   retries, 2 one second apart, 10 with exponential backoff from 1 to 20 s, then every 20 s up to
//!   100,015 attempts); other failures (the queue is gone, the message is refused) are permanent.
//! - Lambda (a function mapped to a URL in [`crate::SnsConfig::lambda_functions`]): a POST of the Lambda
//!   event to the Runtime Interface Emulator's invocation path; 2xx is delivered, other 4xx (but 429) fail
//!   permanently, 429, 5xx, a timeout or a connection failure are retried per AWS's policy for
//!   AWS-managed endpoints (as SQS).
//! - Email (through [`crate::SnsConfig::smtp`], see [`crate::email`]): retried per AWS's policy for
//!   customer-managed endpoints (2 retries 10 s apart, 10 with exponential backoff from 10 to 600 s, then
//!   every 600 s: 50 attempts over about 6 hours).
//! - When the policy is exhausted, or the failure is permanent, the message goes to the subscription's
//!   dead-letter queue (`RedrivePolicy.deadLetterTargetArn`) if it has one, and is dropped otherwise.
//! - `throttlePolicy.maxReceivesPerSecond` (HTTP/S): the deliveries of one subscription are paced to
//!   evenly spaced slots, `1/maxReceivesPerSecond` apart; a delivery that comes before its slot is put
//!   back in the queue until then (nothing waits, no burst). Retries take a slot like first attempts.
//! - The worker also deletes subscriptions left pending confirmation for 48 hours
//!   ([`Sns::expire_pending_subscriptions`]), waking up when the next one is due.
//! - Time comes from the injected clock; [`Sns::deliver_due`] runs every due attempt at once (tests).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore};
use wharf_store::{Batch, Keyspace};

use crate::attributes::{effective_delivery, parse_redrive_policy, Backoff, RetryPolicy};
use crate::model::MessageAttributes;
use crate::persist::{self, FORMAT_VERSION};
use crate::Sns;

/// At most this many attempts run at once against one endpoint.
pub const PER_ENDPOINT_CONCURRENCY: usize = 8;
/// An HTTP/S attempt that takes longer fails.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// AWS's delivery policy for AWS-managed endpoints (SQS, Lambda).
pub const MANAGED_ENDPOINT_POLICY: RetryPolicy = RetryPolicy {
    min_delay_target: 1,
    max_delay_target: 20,
    num_retries: 100_014,
    num_no_delay_retries: 3,
    num_min_delay_retries: 2,
    num_max_delay_retries: 100_000 - 1,
    backoff: Backoff::Exponential,
};

/// AWS's delivery policy for customer-managed endpoints other than HTTP/S (SMTP, SMS, mobile push).
pub const CUSTOMER_ENDPOINT_POLICY: RetryPolicy = RetryPolicy {
    min_delay_target: 10,
    max_delay_target: 600,
    num_retries: 49,
    num_no_delay_retries: 0,
    num_min_delay_retries: 2,
    num_max_delay_retries: 38 - 1,
    backoff: Backoff::Exponential,
};

/// Where a delivery goes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Target {
    Http {
        url: String,
    },
    Sqs {
        queue_arn: String,
        group_id: Option<String>,
        dedup_id: Option<String>,
        #[serde(default)]
        attributes: MessageAttributes,
    },
    /// A Lambda function's invocation URL; the body is the Lambda event.
    Lambda {
        url: String,
    },
    /// An email (`email` or `email-json`) to `to`; the body is the mail's text.
    Email {
        to: String,
        subject: String,
    },
}

/// One pending delivery, as stored in `SnsDeliveries`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeliveryRecord {
    pub v: u32,
    pub id: u64,
    pub subscription_arn: String,
    pub topic_arn: String,
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    pub message_type: String,
    pub message_id: String,
    pub body: String,
    pub raw: bool,
    pub target: Target,
    /// Attempts made so far.
    pub attempts: u32,
    pub due_millis: u64,
    pub created_millis: u64,
    /// Dropped if the subscription no longer exists when it is due (false for UnsubscribeConfirmation).
    pub requires_subscription: bool,
    /// The delivery slot (microseconds) this record holds under its subscription's
    /// `maxReceivesPerSecond`, once the throttle has put it off (not stored: after a restart the record
    /// takes a new slot).
    #[serde(skip)]
    pub throttle_slot: Option<u64>,
}

impl DeliveryRecord {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        subscription_arn: &str,
        topic_arn: &str,
        message_type: &str,
        message_id: &str,
        body: String,
        raw: bool,
        target: Target,
        now: u64,
    ) -> Self {
        DeliveryRecord {
            v: FORMAT_VERSION,
            id: 0,
            subscription_arn: subscription_arn.to_string(),
            topic_arn: topic_arn.to_string(),
            message_type: message_type.to_string(),
            message_id: message_id.to_string(),
            body,
            raw,
            target,
            attempts: 0,
            due_millis: now,
            created_millis: now,
            requires_subscription: message_type != "UnsubscribeConfirmation",
            throttle_slot: None,
        }
    }
}

#[derive(Default)]
struct Queue {
    due: BTreeSet<(u64, u64)>,
    records: HashMap<u64, DeliveryRecord>,
}

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// TLS for https endpoints: the system's roots, or (development) any certificate.
fn tls_config(accept_invalid_certs: bool) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = match rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => builder,
        Err(error) => {
            tracing::error!(%error, "TLS setup failed; https deliveries will fail");
            return rustls::ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(&[&rustls::version::TLS13])
                .map(|b| {
                    b.with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth()
                })
                .unwrap_or_else(|_| unreachable!("ring supports TLS 1.3"));
        }
    };
    if accept_invalid_certs {
        return builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth();
    }
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::debug!(%error, "could not load a system root certificate");
    }
    roots.add_parsable_certificates(native.certs);
    builder.with_root_certificates(roots).with_no_client_auth()
}

/// Accepts any server certificate (still checking the handshake signatures).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The in-memory side of the delivery queue.
pub struct Deliveries {
    queue: Mutex<Queue>,
    running: AtomicU64,
    notify: Notify,
    next_id: AtomicU64,
    endpoints: Mutex<Pruned<Arc<Semaphore>>>,
    /// Per subscription with a `maxReceivesPerSecond`: the first free delivery slot, in microseconds.
    throttles: Mutex<Pruned<u64>>,
    client: HttpClient,
}

impl Default for Deliveries {
    fn default() -> Self {
        Self::new(false)
    }
}

impl Deliveries {
    pub fn new(accept_invalid_certs: bool) -> Self {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(accept_invalid_certs))
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Deliveries {
            queue: Mutex::new(Queue::default()),
            running: AtomicU64::new(0),
            notify: Notify::new(),
            next_id: AtomicU64::new(1),
            endpoints: Mutex::new(Pruned::default()),
            throttles: Mutex::new(Pruned::default()),
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(connector),
        }
    }

    /// Records waiting (due or not) plus attempts in progress.
    pub fn len(&self) -> usize {
        self.queue.lock().records.len() + self.running.load(Ordering::Relaxed) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn clear(&self) {
        let mut queue = self.queue.lock();
        queue.due.clear();
        queue.records.clear();
    }

    pub(crate) fn set_next_id(&self, next: u64) {
        self.next_id.fetch_max(next, Ordering::Relaxed);
    }

    fn insert(&self, record: DeliveryRecord) {
        let mut queue = self.queue.lock();
        queue.due.insert((record.due_millis, record.id));
        queue.records.insert(record.id, record);
    }

    /// Removes and returns every record due at `now`, and the time the next one is due.
    fn take_due(&self, now: u64) -> (Vec<DeliveryRecord>, Option<u64>) {
        let mut queue = self.queue.lock();
        let mut ready = Vec::new();
        while let Some(&(due, id)) = queue.due.first() {
            if due > now {
                break;
            }
            queue.due.pop_first();
            if let Some(record) = queue.records.remove(&id) {
                ready.push(record);
            }
        }
        self.running
            .fetch_add(ready.len() as u64, Ordering::Relaxed);
        let next = queue.due.first().map(|(due, _)| *due);
        (ready, next)
    }

    /// Paces the deliveries of one subscription to at most `per_second` a second (evenly spaced slots,
    /// no bursts): `None` when `record` may go now, or the time (milliseconds) of the slot it now holds.
    fn throttle(
        &self,
        subscription_arn: &str,
        per_second: u64,
        now_millis: u64,
        record: &mut DeliveryRecord,
    ) -> Option<u64> {
        let now = now_millis.saturating_mul(1000);
        if let Some(slot) = record.throttle_slot {
            if slot <= now {
                record.throttle_slot = None;
                return None;
            }
            return Some(slot.div_ceil(1000));
        }
        let interval = (1_000_000 / per_second.max(1)).max(1);
        let mut slots = self.throttles.lock();
        // A slot already past says nothing: `max(next, now)` is `now` either way.
        slots.prune(|next| *next > now);
        let next = slots.map.entry(subscription_arn.to_string()).or_insert(0);
        let slot = (*next).max(now);
        *next = slot + interval;
        if slot <= now {
            None
        } else {
            record.throttle_slot = Some(slot);
            Some(slot.div_ceil(1000))
        }
    }

    fn endpoint_gate(&self, url: &str) -> Arc<Semaphore> {
        let key = endpoint_key(url);
        let mut endpoints = self.endpoints.lock();
        // A gate nobody holds (no delivery in progress, no permit taken) is recreated when needed.
        endpoints.prune(|gate| Arc::strong_count(gate) > 1);
        endpoints
            .map
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(PER_ENDPOINT_CONCURRENCY)))
            .clone()
    }
}

/// A map of per-subscription or per-endpoint state whose idle entries are dropped as it grows (entries of
/// unsubscribed subscriptions and endpoints no longer used would otherwise stay for good).
struct Pruned<V> {
    map: HashMap<String, V>,
    /// The size at which idle entries are dropped next.
    prune_at: usize,
}

impl<V> Default for Pruned<V> {
    fn default() -> Self {
        Pruned {
            map: HashMap::new(),
            prune_at: 64,
        }
    }
}

impl<V> Pruned<V> {
    /// Keeps the entries `busy` says are in use once the map has grown to `prune_at` (amortised: the
    /// next pass waits until the map has doubled again).
    fn prune(&mut self, busy: impl Fn(&V) -> bool) {
        if self.map.len() >= self.prune_at {
            self.map.retain(|_, v| busy(v));
            self.prune_at = (self.map.len() * 2).max(64);
        }
    }
}

/// `scheme://authority` of a URL: the unit of per-endpoint concurrency.
fn endpoint_key(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!(
                "{}://{}",
                scheme.to_ascii_lowercase(),
                authority.to_ascii_lowercase()
            )
        }
        None => url.to_string(),
    }
}

/// How one attempt ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Delivered,
    Retry(String),
    Failed(String),
}

impl Sns {
    /// Records `record` in `batch` (submit it under the lock that ordered the change) and queues it.
    pub(crate) fn enqueue_delivery(&self, batch: &mut Batch, mut record: DeliveryRecord) {
        record.id = self.deliveries.next_id.fetch_add(1, Ordering::Relaxed);
        batch.put(
            Keyspace::SnsDeliveries,
            persist::delivery_key(record.id),
            persist::json(&record),
        );
        self.deliveries.insert(record);
    }

    /// Wakes the worker after new records were queued.
    pub(crate) fn wake_deliveries(&self) {
        self.deliveries.notify.notify_one();
    }

    pub(crate) fn recover_delivery(&self, record: DeliveryRecord) {
        self.deliveries.set_next_id(record.id + 1);
        self.deliveries.insert(record);
    }

    /// The worker loop: runs due attempts on their own tasks and sleeps until the next is due.
    pub(crate) async fn run_deliveries(self: Arc<Self>) {
        loop {
            let notified = self.deliveries.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = self.now();
            if self.next_pending_expiry().is_some_and(|at| at <= now) {
                if let Err(error) = self.expire_pending_subscriptions().await {
                    tracing::error!(%error, "could not delete expired pending subscriptions");
                }
            }
            let (ready, next_due) = self.deliveries.take_due(now);
            for record in ready {
                let sns = Arc::clone(&self);
                tokio::spawn(async move { sns.attempt(record).await });
            }
            let wait = [next_due, self.next_pending_expiry()]
                .into_iter()
                .flatten()
                .min()
                .map(|due| due.saturating_sub(now).max(1))
                .unwrap_or(60_000)
                .min(60_000);
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
            }
        }
    }

    /// Runs every attempt due now, one after the other, and returns how many ran (tests, with an injected
    /// clock).
    pub async fn deliver_due(&self) -> usize {
        let (ready, _) = self.deliveries.take_due(self.now());
        let count = ready.len();
        for record in ready {
            self.attempt(record).await;
        }
        count
    }

    async fn attempt(&self, mut record: DeliveryRecord) {
        let context = {
            let registry = self.registry.read();
            let subscription = registry
                .subscriptions
                .get(&record.subscription_arn)
                .cloned();
            let topic_policy = registry
                .topics
                .get(record.topic_arn.rsplit(':').next().unwrap_or_default())
                .and_then(|t| t.attributes.get("DeliveryPolicy").cloned());
            (subscription, topic_policy)
        };
        let (subscription, topic_policy) = context;
        if record.requires_subscription && subscription.is_none() {
            tracing::debug!(id = record.id, "subscription gone; dropping delivery");
            self.finish(&record).await;
            return;
        }
        let sub_policy = subscription
            .as_ref()
            .and_then(|s| s.attributes.get("DeliveryPolicy").cloned());
        let effective = effective_delivery(topic_policy.as_deref(), sub_policy.as_deref());
        if let (Target::Http { .. }, Some(per_second)) =
            (&record.target, effective.max_receives_per_second)
        {
            let arn = record.subscription_arn.clone();
            if let Some(at) = self
                .deliveries
                .throttle(&arn, per_second, self.now(), &mut record)
            {
                // Over the subscription's maxReceivesPerSecond: wait for the slot it was given.
                record.due_millis = at;
                self.deliveries.insert(record);
                self.deliveries.running.fetch_sub(1, Ordering::Relaxed);
                self.wake_deliveries();
                return;
            }
        }
        let (outcome, policy) = match &record.target {
            Target::Http { url } => {
                let gate = self.deliveries.endpoint_gate(url);
                let _permit = gate.acquire().await;
                let outcome = self.post(url, &record, &effective.content_type).await;
                (outcome, effective.retry)
            }
            Target::Sqs { .. } => (self.send_to_queue(&record).await, MANAGED_ENDPOINT_POLICY),
            Target::Lambda { url } => {
                let gate = self.deliveries.endpoint_gate(url);
                let _permit = gate.acquire().await;
                (
                    self.invoke_lambda(url, &record).await,
                    MANAGED_ENDPOINT_POLICY,
                )
            }
            Target::Email { to, subject } => {
                let outcome = match &self.mailer {
                    Some(mailer) => {
                        mailer
                            .send(to, subject, &record.body, record.created_millis)
                            .await
                    }
                    None => Outcome::Retry("no SMTP server configured".into()),
                };
                (outcome, CUSTOMER_ENDPOINT_POLICY)
            }
        };
        record.attempts += 1;
        match outcome {
            Outcome::Delivered => self.finish(&record).await,
            Outcome::Retry(reason) => match policy.delay_before_retry(record.attempts) {
                Some(delay) => {
                    tracing::debug!(id = record.id, attempts = record.attempts, %reason, "delivery will be retried");
                    record.due_millis = self.now() + (delay * 1000.0).round() as u64;
                    let mut batch = Batch::new();
                    batch.put(
                        Keyspace::SnsDeliveries,
                        persist::delivery_key(record.id),
                        persist::json(&record),
                    );
                    let commit = self.submit(batch);
                    self.deliveries.insert(record);
                    self.deliveries.running.fetch_sub(1, Ordering::Relaxed);
                    if let Err(error) = crate::await_commit(commit).await {
                        tracing::error!(%error, "could not persist a delivery's retry state");
                    }
                    self.wake_deliveries();
                }
                None => {
                    tracing::warn!(id = record.id, attempts = record.attempts, %reason, "delivery policy exhausted");
                    self.dead_letter(&record, subscription.as_deref()).await;
                    self.finish(&record).await;
                }
            },
            Outcome::Failed(reason) => {
                tracing::warn!(id = record.id, %reason, "delivery failed permanently");
                self.dead_letter(&record, subscription.as_deref()).await;
                self.finish(&record).await;
            }
        }
    }

    /// Forgets a record that succeeded or gave up.
    async fn finish(&self, record: &DeliveryRecord) {
        let mut batch = Batch::new();
        batch.delete(Keyspace::SnsDeliveries, persist::delivery_key(record.id));
        let commit = self.submit(batch);
        self.deliveries.running.fetch_sub(1, Ordering::Relaxed);
        if let Err(error) = crate::await_commit(commit).await {
            tracing::error!(%error, "could not remove a finished delivery");
        }
    }

    async fn post(&self, url: &str, record: &DeliveryRecord, content_type: &str) -> Outcome {
        let mut request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, content_type)
            .header(
                http::header::USER_AGENT,
                "Amazon Simple Notification Service Agent",
            )
            .header("x-amz-sns-message-type", &record.message_type)
            .header("x-amz-sns-message-id", &record.message_id)
            .header("x-amz-sns-topic-arn", &record.topic_arn);
        if record.message_type != "SubscriptionConfirmation" {
            request = request.header("x-amz-sns-subscription-arn", &record.subscription_arn);
        }
        if record.raw {
            request = request.header("x-amz-sns-rawdelivery", "true");
        }
        let request = match request.body(Full::new(Bytes::from(record.body.clone()))) {
            Ok(request) => request,
            Err(error) => return Outcome::Failed(format!("invalid request: {error}")),
        };
        match tokio::time::timeout(HTTP_TIMEOUT, self.deliveries.client.request(request)).await {
            Err(_) => Outcome::Retry("timed out".into()),
            Ok(Err(error)) => Outcome::Retry(format!("connection failed: {error}")),
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                // Drain the body so that the connection can be reused.
                let _ = tokio::time::timeout(
                    Duration::from_secs(5),
                    http_body_util::BodyExt::collect(response.into_body()),
                )
                .await;
                if (200..500).contains(&status) {
                    Outcome::Delivered
                } else {
                    Outcome::Retry(format!("HTTP {status}"))
                }
            }
        }
    }

    /// Invokes a Lambda function the way the Runtime Interface Emulator expects: `POST` of the event to
    /// `{base}/2015-03-31/functions/function/invocations` (`url` is that full URL).
    async fn invoke_lambda(&self, url: &str, record: &DeliveryRecord) -> Outcome {
        let request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("x-amz-invocation-type", "Event")
            .body(Full::new(Bytes::from(record.body.clone())));
        let request = match request {
            Ok(request) => request,
            Err(error) => return Outcome::Failed(format!("invalid request: {error}")),
        };
        match tokio::time::timeout(HTTP_TIMEOUT, self.deliveries.client.request(request)).await {
            Err(_) => Outcome::Retry("timed out".into()),
            Ok(Err(error)) => Outcome::Retry(format!("connection failed: {error}")),
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                let _ = tokio::time::timeout(
                    Duration::from_secs(5),
                    http_body_util::BodyExt::collect(response.into_body()),
                )
                .await;
                match status {
                    200..=299 => Outcome::Delivered,
                    429 | 500..=599 => Outcome::Retry(format!("HTTP {status}")),
                    _ => Outcome::Failed(format!("HTTP {status}")),
                }
            }
        }
    }

    async fn send_to_queue(&self, record: &DeliveryRecord) -> Outcome {
        let Target::Sqs {
            queue_arn,
            group_id,
            dedup_id,
            attributes,
        } = &record.target
        else {
            return Outcome::Failed("not a queue".into());
        };
        match self
            .send_sqs(queue_arn, &record.body, attributes, group_id, dedup_id)
            .await
        {
            Ok(()) => Outcome::Delivered,
            Err(error) if is_transient(&error) => Outcome::Retry(error.to_string()),
            Err(error) => Outcome::Failed(error.to_string()),
        }
    }

    /// Sends one message to the queue with this ARN through the SQS engine.
    pub(crate) async fn send_sqs(
        &self,
        queue_arn: &str,
        body: &str,
        attributes: &MessageAttributes,
        group_id: &Option<String>,
        dedup_id: &Option<String>,
    ) -> Result<(), wharf_sqs::SqsError> {
        let input = sqs_input(queue_arn, body, attributes, group_id, dedup_id)?;
        self.sqs().send_message(input).await.map(|_| ())
    }

    /// Sends an undeliverable message to the subscription's dead-letter queue, if it has one.
    pub(crate) async fn dead_letter(
        &self,
        record: &DeliveryRecord,
        subscription: Option<&crate::Subscription>,
    ) {
        let Some(dlq) = subscription
            .and_then(|s| s.attributes.get("RedrivePolicy"))
            .and_then(|p| parse_redrive_policy(p).ok().flatten())
        else {
            tracing::warn!(id = record.id, subscription = %record.subscription_arn, "message dropped (no dead-letter queue)");
            return;
        };
        let attributes = match &record.target {
            Target::Sqs { attributes, .. } => attributes.clone(),
            _ => MessageAttributes::new(),
        };
        let (group_id, dedup_id) = if dlq.ends_with(".fifo") {
            match &record.target {
                Target::Sqs {
                    group_id, dedup_id, ..
                } => (
                    group_id.clone(),
                    dedup_id.clone().or_else(|| Some(record.message_id.clone())),
                ),
                _ => (Some("sns-dlq".into()), Some(record.message_id.clone())),
            }
        } else {
            (None, None)
        };
        if let Err(error) = self
            .send_sqs(&dlq, &record.body, &attributes, &group_id, &dedup_id)
            .await
        {
            tracing::warn!(%error, dlq, "could not move an undeliverable message to the dead-letter queue");
        }
    }
}

/// The SendMessage input for one queue delivery (the queue named by its ARN, addressed as
/// `/<account>/<name>`).
pub(crate) fn sqs_input(
    queue_arn: &str,
    body: &str,
    attributes: &MessageAttributes,
    group_id: &Option<String>,
    dedup_id: &Option<String>,
) -> Result<wharf_sqs::model::SendMessageInput, wharf_sqs::SqsError> {
    let Some(parts) = crate::util::parse_arn(queue_arn, "sqs") else {
        return Err(wharf_sqs::SqsError::queue_does_not_exist());
    };
    let message_attributes = attributes
        .iter()
        .map(|(name, value)| {
            (
                name.clone(),
                wharf_sqs::model::MessageAttributeValue {
                    string_value: value.string_value.clone(),
                    binary_value: value.binary_value.clone(),
                    data_type: value.data_type.clone(),
                    ..Default::default()
                },
            )
        })
        .collect();
    Ok(wharf_sqs::model::SendMessageInput {
        queue_url: Some(format!("/{}/{}", parts.account, parts.resource)),
        message_body: Some(body.to_string()),
        message_attributes,
        message_group_id: group_id.clone(),
        message_deduplication_id: dedup_id.clone(),
        ..Default::default()
    })
}

/// SQS failures worth retrying: the store could not take the write.
pub(crate) fn is_transient(error: &wharf_sqs::SqsError) -> bool {
    matches!(
        error.kind,
        wharf_sqs::ErrorKind::ServiceUnavailable | wharf_sqs::ErrorKind::InternalError
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A notification record for an HTTP endpoint at `url`.
    fn http_record(url: &str) -> DeliveryRecord {
        let target = Target::Http { url: url.into() };
        DeliveryRecord::new(
            "s",
            "t",
            "Notification",
            "m",
            String::new(),
            false,
            target,
            0,
        )
    }

    #[test]
    fn throttle_slots_of_gone_subscriptions_do_not_accumulate() {
        let deliveries = Deliveries::default();
        let mut record = http_record("http://h/");
        // 10,000 subscriptions, each throttled once, one second apart: only recent slots are kept
        for i in 0..10_000u64 {
            record.throttle_slot = None;
            deliveries.throttle(&format!("arn:sub:{i}"), 1, i * 1000, &mut record);
        }
        assert!(deliveries.throttles.lock().map.len() <= 128);
        // a live subscription keeps its slot: its next delivery still waits for it
        record.throttle_slot = None;
        assert_eq!(
            deliveries.throttle("arn:sub:9999", 1, 9_999_000, &mut record),
            Some(10_000_000)
        );
    }

    #[test]
    fn endpoint_keys() {
        assert_eq!(endpoint_key("http://Host:80/a?b"), "http://host:80");
        assert_eq!(endpoint_key("https://h/x"), "https://h");
    }

    #[test]
    fn managed_policy_matches_aws_table() {
        let p = MANAGED_ENDPOINT_POLICY;
        let delays: Vec<f64> = (1..=20).filter_map(|r| p.delay_before_retry(r)).collect();
        assert_eq!(&delays[..5], &[0.0, 0.0, 0.0, 1.0, 1.0]);
        assert_eq!(delays[14], 20.0); // the 10th backoff retry reaches 20 s
        assert_eq!(delays[15], 20.0);
        assert_eq!(p.num_retries + 1, 100_015);
    }

    #[test]
    fn customer_policy_matches_aws_table() {
        let p = CUSTOMER_ENDPOINT_POLICY;
        let delays: Vec<f64> = (1..=60).filter_map(|r| p.delay_before_retry(r)).collect();
        assert_eq!(delays.len() + 1, 50); // 50 attempts
        assert_eq!(&delays[..2], &[10.0, 10.0]);
        assert!(delays[2] > 10.0 && delays[2] < 600.0);
        assert_eq!(delays[11], 600.0); // the 10th backoff retry reaches 600 s
        assert!(delays[12..].iter().all(|d| *d == 600.0));
        let hours = delays.iter().sum::<f64>() / 3600.0;
        assert!((6.0..8.0).contains(&hours), "{hours}");
    }

    #[test]
    fn take_due_in_order() {
        let d = Deliveries::new(false);
        for (id, due) in [(1, 30), (2, 10), (3, 20)] {
            let mut r = http_record("http://x");
            r.id = id;
            r.due_millis = due;
            d.insert(r);
        }
        let (ready, next) = d.take_due(20);
        assert_eq!(ready.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(next, Some(30));
        assert_eq!(d.len(), 3); // two running + one waiting
    }
}
