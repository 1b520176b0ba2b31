//! Wharf's SNS engine: topics, subscriptions, filter policies and delivery behind typed inputs and outputs;
//! it knows nothing of HTTP requests (it does make HTTP requests, to deliver to http/https subscribers).
//!
//! Layout:
//! - [`Sns`] owns the registry (topics, subscriptions, platform applications) behind one lock, the store and
//!   the SQS engine that queue subscriptions deliver to; `ops/` holds one file per group of actions.
//! - Subscriptions are immutable values (`Arc<Subscription>`), replaced whole on change, so Publish takes the
//!   registry's read lock only long enough to clone the topic's subscriber list. A subscription's filter
//!   policy is compiled once, when it is set ([`filter`]).
//! - [`persist`] is the record format; every mutation is submitted to the store while the registry lock is
//!   held (so records apply in order) and awaited after it is released (group commit).
//! - [`delivery`] is the durable HTTP/S delivery queue with AWS's retry policies and the subscription DLQ.
//! - [`envelope`] renders the JSON that SQS and HTTP subscribers receive.
//! - [`archive`] keeps FIFO topics' message archives and runs subscriptions' message replays (a worker
//!   started with the delivery worker).
//!
//! Wiring: `Sns::open(config, clock, store, sqs)` (blocking: it reads the store) recovers everything, then
//! [`Sns::start`] (inside a Tokio runtime) spawns the delivery worker. Lambda subscriptions whose function
//! is mapped to a URL in [`SnsConfig::lambda_functions`] are invoked over HTTP (the Lambda Runtime Interface
//! Emulator's API); email and email-json subscriptions are mailed through [`SnsConfig::smtp`] when it is set.
//! SMS, mobile push, Firehose, and unmapped Lambda or unconfigured email deliveries are recorded in an
//! outbox ([`Sns::outbox`]) instead of being sent.
//!
//! Messages are signed with RSA like Amazon SNS's ([`signing`]): the key pair is generated when first needed
//! (not at start-up: it costs tens of milliseconds of CPU) and kept in the store; its certificate is what
//! `SigningCertURL` serves.
//!
//! Subscriptions still pending confirmation are deleted [`PENDING_SUBSCRIPTION_TTL_MILLIS`] (48 hours)
//! after they were made, as Amazon SNS does, and a confirmation token is valid for that long
//! ([`Sns::expire_pending_subscriptions`], run by the delivery worker). HTTP/S deliveries keep to the
//! effective `throttlePolicy.maxReceivesPerSecond` of their subscription ([`delivery`]).

pub mod archive;
pub mod attributes;
pub mod delivery;
pub mod email;
pub mod envelope;
pub mod error;
pub mod filter;
pub mod model;
pub mod persist;
pub mod signing;
pub mod util;

mod ops;
mod recovery;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use wharf_sqs::{Clock, Sqs};
use wharf_store::{Batch, Store};

pub use error::{ErrorKind, SnsError, SnsResult};
pub use ops::platform::OutboxEntry;

use model::Attributes;

/// Identity of this SNS endpoint.
#[derive(Debug, Clone)]
pub struct SnsConfig {
    pub account_id: String,
    pub region: String,
    /// Base URL of this server as clients reach it, e.g. `http://localhost:4566`: the `SubscribeURL`,
    /// `UnsubscribeURL` and `SigningCertURL` handed to subscribers start with it.
    pub base_url: String,
    /// Deliver to `https` endpoints whatever their certificate (self-signed development endpoints).
    pub https_accept_invalid_certs: bool,
    /// Lambda functions, by name or full function ARN, to the base URL of a server speaking the Lambda
    /// Runtime Interface Emulator's API (`POST {url}/2015-03-31/functions/function/invocations`).
    pub lambda_functions: BTreeMap<String, String>,
    /// The SMTP server that email and email-json deliveries go through; without it they go to the outbox.
    pub smtp: Option<SmtpConfig>,
}

/// An SMTP relay for email deliveries.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The `From` address, e.g. `SNS <sns@example.com>`.
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Upgrade the connection with STARTTLS (required when set); plain SMTP otherwise.
    pub starttls: bool,
    /// SMTPS: TLS from the first byte (implicit TLS, usually port 465) instead of plain SMTP or STARTTLS.
    pub implicit_tls: bool,
    /// Accept any server certificate over STARTTLS or implicit TLS (self-signed development relays).
    pub accept_invalid_certs: bool,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("starttls", &self.starttls)
            .field("implicit_tls", &self.implicit_tls)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

impl Default for SnsConfig {
    fn default() -> Self {
        SnsConfig {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            base_url: "http://localhost:4566".into(),
            https_accept_invalid_certs: false,
            lambda_functions: BTreeMap::new(),
            smtp: None,
        }
    }
}

/// How long a subscription may stay pending confirmation, and how long its confirmation token is valid:
/// "Amazon SNS automatically deletes unconfirmed subscriptions after 48 hours"; "Confirmation tokens are
/// valid for two days" (Subscribe).
pub const PENDING_SUBSCRIPTION_TTL_MILLIS: u64 = 48 * 60 * 60 * 1000;

/// A topic's identity and its publish-path state (FIFO dedup window and sequence numbers).
pub struct Topic {
    pub name: String,
    pub arn: String,
    pub fifo: bool,
    pub(crate) publish: Mutex<PublishState>,
    /// Held across a FIFO publish's fan-out so that deliveries keep the order of sequence numbers.
    pub(crate) gate: tokio::sync::Mutex<()>,
}

#[derive(Default)]
pub(crate) struct PublishState {
    pub dedup: std::collections::HashMap<String, DedupEntry>,
    pub last_seq: u64,
    /// Archiving topics: the retention floor the archive was last trimmed to (0: not since start).
    pub archive_trimmed_to: u64,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct DedupEntry {
    pub expires_millis: u64,
    pub message_id: String,
    pub sequence_number: Option<String>,
}

/// A topic's configuration, kept in the registry.
pub(crate) struct TopicEntry {
    pub topic: Arc<Topic>,
    /// The attributes the caller set (defaults are filled in when read).
    pub attributes: Attributes,
    pub tags: BTreeMap<String, String>,
    pub data_protection_policy: Option<String>,
    /// Subscription ARNs in creation order.
    pub subscriptions: Vec<String>,
    pub subscriptions_deleted: u64,
    pub created_millis: u64,
}

/// One subscription, immutable: a change replaces the whole value.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub arn: String,
    pub topic_arn: String,
    pub topic_name: String,
    pub protocol: String,
    pub endpoint: String,
    pub owner: String,
    /// The attributes the caller set (RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy,
    /// DeliveryPolicy, SubscriptionRoleArn, ReplayPolicy).
    pub attributes: Attributes,
    pub filter: Option<Arc<filter::FilterPolicy>>,
    pub confirmed: bool,
    pub token: String,
    pub authenticated: bool,
    pub created_millis: u64,
}

impl Subscription {
    /// When this subscription is deleted if it is still pending confirmation, and when its token stops
    /// being valid.
    pub fn expires_millis(&self) -> u64 {
        self.created_millis
            .saturating_add(PENDING_SUBSCRIPTION_TTL_MILLIS)
    }

    pub fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

#[derive(Default)]
pub(crate) struct Registry {
    pub topics: BTreeMap<String, TopicEntry>,
    pub subscriptions: BTreeMap<String, Arc<Subscription>>,
    pub platform: ops::platform::PlatformState,
    /// Subscriptions pending confirmation, by the time they expire (entries may be stale: a subscription
    /// confirmed or deleted since is skipped when its time comes).
    pub pending: std::collections::BTreeSet<(u64, String)>,
}

/// The SNS service.
pub struct Sns {
    config: SnsConfig,
    clock: Arc<dyn Clock>,
    store: Store,
    sqs: Arc<Sqs>,
    pub(crate) registry: RwLock<Registry>,
    pub(crate) deliveries: delivery::Deliveries,
    pub(crate) outbox: Mutex<std::collections::VecDeque<OutboxEntry>>,
    outbox_seq: AtomicU64,
    signing_key: Arc<signing::SigningKey>,
    /// Lambda endpoints already reported as unmapped (logged once each).
    unmapped_lambdas: Mutex<std::collections::HashSet<String>>,
    /// The SMTP transport, when [`SnsConfig::smtp`] is set.
    pub(crate) mailer: Option<email::Mailer>,
    /// Message replays by subscription ARN ([`archive`]), running or finished.
    pub(crate) replays: Mutex<std::collections::HashMap<String, archive::ReplayRecord>>,
    pub(crate) replay_wake: tokio::sync::Notify,
    replay_generation: AtomicU64,
}

impl Sns {
    /// Opens the service over `store`, recovering topics, subscriptions, FIFO dedup windows, the outbox,
    /// pending deliveries and the signing key if one is stored (otherwise it is generated and persisted when
    /// first needed). Blocking (reads the store). Call [`Sns::start`] from within a Tokio runtime afterwards to run
    /// the delivery worker.
    pub fn open(
        config: SnsConfig,
        clock: Arc<dyn Clock>,
        store: Store,
        sqs: Arc<Sqs>,
    ) -> SnsResult<Arc<Sns>> {
        let deliveries = delivery::Deliveries::new(config.https_accept_invalid_certs);
        let mailer = config.smtp.as_ref().map(email::Mailer::new).transpose()?;
        let signing_key = Arc::new(signing::SigningKey::open(
            store.clone(),
            Arc::clone(&clock),
        )?);
        let sns = Arc::new(Sns {
            config,
            clock,
            store,
            sqs,
            registry: RwLock::new(Registry::default()),
            deliveries,
            outbox: Mutex::new(std::collections::VecDeque::new()),
            outbox_seq: AtomicU64::new(0),
            signing_key,
            unmapped_lambdas: Mutex::new(std::collections::HashSet::new()),
            mailer,
            replays: Mutex::new(std::collections::HashMap::new()),
            replay_wake: tokio::sync::Notify::new(),
            replay_generation: AtomicU64::new(0),
        });
        sns.recover()?;
        Ok(sns)
    }

    /// Spawns the background worker that makes HTTP/S deliveries and retries and runs message replays
    /// (on the current Tokio runtime). Returns its handle; the worker runs until the handle is aborted or
    /// the runtime stops.
    pub fn start(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let deliveries = Arc::clone(self);
        let replays = Arc::clone(self);
        tokio::spawn(async move {
            tokio::join!(deliveries.run_deliveries(), replays.run_replays());
        })
    }

    pub fn config(&self) -> &SnsConfig {
        &self.config
    }

    /// The PEM certificate served at `SigningCertURL` (`GET /_wharf/sns/SimpleNotificationService.pem`):
    /// subscribers verify message signatures with its public key. The first call may generate the key (on
    /// the blocking pool).
    pub async fn signing_certificate_pem(&self) -> SnsResult<String> {
        Ok(self.signing_key.get().await?.certificate_pem().to_string())
    }

    /// The signer, generating the key (on the blocking pool) if this is its first use. Await it before
    /// taking a lock under which a message is signed.
    pub(crate) async fn signer(&self) -> SnsResult<Arc<signing::Signer>> {
        self.signing_key.get().await
    }

    /// Signs `string_to_sign` on the blocking pool: an RSA-2048 signature takes over a millisecond of CPU
    /// (and the first one generates the key), which would otherwise hold up every other request on this
    /// runtime worker.
    pub(crate) async fn sign_off_runtime(
        &self,
        string_to_sign: String,
        signature_version: &str,
    ) -> SnsResult<String> {
        let key = Arc::clone(&self.signing_key);
        let version = signature_version.to_string();
        let task = tokio::task::spawn_blocking(move || {
            key.get_blocking()
                .map(|signer| signer.sign(&string_to_sign, &version))
        });
        task.await
            .map_err(|e| SnsError::internal(format!("the signing task failed: {e}")))?
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    pub(crate) fn sqs(&self) -> &Arc<Sqs> {
        &self.sqs
    }

    pub fn topic_count(&self) -> usize {
        self.registry.read().topics.len()
    }

    pub fn subscription_count(&self) -> usize {
        self.registry.read().subscriptions.len()
    }

    /// Deliveries waiting for an attempt or a retry.
    pub fn pending_delivery_count(&self) -> usize {
        self.deliveries.len()
    }

    pub(crate) fn topic_arn_of(&self, name: &str) -> String {
        format!(
            "arn:aws:sns:{}:{}:{}",
            self.config.region, self.config.account_id, name
        )
    }

    /// The invocation URL of the Lambda function this subscription endpoint (a function ARN) names: looked up
    /// in [`SnsConfig::lambda_functions`] by full ARN, then by function name. `None` (logged once per
    /// endpoint) when it is not mapped.
    pub(crate) fn lambda_url(&self, endpoint: &str) -> Option<String> {
        let functions = &self.config.lambda_functions;
        let name = endpoint
            .split_once(":function:")
            .map(|(_, rest)| rest)
            .unwrap_or(endpoint);
        let unqualified = name.split(':').next().unwrap_or(name);
        let base = functions
            .get(endpoint)
            .or_else(|| functions.get(name))
            .or_else(|| functions.get(unqualified));
        match base {
            Some(base) => Some(format!(
                "{}/2015-03-31/functions/function/invocations",
                base.trim_end_matches('/')
            )),
            None => {
                if self.unmapped_lambdas.lock().insert(endpoint.to_string()) {
                    tracing::warn!(
                        endpoint,
                        "no URL configured for this Lambda function; its deliveries go to the outbox"
                    );
                }
                None
            }
        }
    }

    pub(crate) fn base_url(&self) -> &str {
        self.config.base_url.trim_end_matches('/')
    }

    /// Submits `batch` (call while holding the lock that ordered the change) and returns the commit to
    /// await once the lock is released.
    pub(crate) fn submit(&self, batch: Batch) -> Option<wharf_store::Commit> {
        (!batch.is_empty()).then(|| self.store.submit(batch))
    }

    pub(crate) fn next_replay_generation(&self) -> u64 {
        self.replay_generation.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn set_replay_generation(&self, last: u64) {
        self.replay_generation.fetch_max(last, Ordering::Relaxed);
    }

    pub(crate) fn next_outbox_seq(&self) -> u64 {
        self.outbox_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn set_outbox_seq(&self, last: u64) {
        self.outbox_seq.fetch_max(last, Ordering::Relaxed);
    }

    /// Wipes every topic, subscription, platform application, outbox entry and pending delivery (the admin
    /// reset endpoint), durably.
    pub async fn reset(&self) -> SnsResult<()> {
        let commit = {
            let mut registry = self.registry.write();
            *registry = Registry::default();
            self.deliveries.clear();
            self.outbox.lock().clear();
            self.replays.lock().clear();
            let mut batch = Batch::new();
            for ks in [
                wharf_store::Keyspace::SnsTopics,
                wharf_store::Keyspace::SnsSubscriptions,
                wharf_store::Keyspace::SnsMeta,
                wharf_store::Keyspace::SnsDeliveries,
            ] {
                batch.delete_prefix(ks, Vec::new());
            }
            self.submit(batch)
        };
        await_commit(commit).await
    }
}

pub(crate) async fn await_commit(commit: Option<wharf_store::Commit>) -> SnsResult<()> {
    if let Some(commit) = commit {
        commit.await?;
    }
    Ok(())
}
