//! Subscribe, ConfirmSubscription, Unsubscribe, ListSubscriptions(ByTopic), Get/SetSubscriptionAttributes.

use std::sync::Arc;

use wharf_store::Batch;

use super::required;
use crate::attributes::{
    check_large_message_subscriptions, compile_filter, subscription_effective_delivery_policy,
    topic_maximum_message_size, validate_fifo_redrive, validate_subscription_attribute,
    AttributeCall, SETTABLE_SUBSCRIPTION_ATTRIBUTES,
};
use crate::delivery::{DeliveryRecord, Target};
use crate::email;
use crate::envelope;
use crate::error::{ErrorKind, SnsError, SnsResult};
use crate::model::*;
use crate::ops::platform::{without_phone_separators, OutboxEntry};
use crate::signing::Signer;
use crate::util::{page, parse_arn, random_hex, PAGE_SIZE};
use crate::{archive, await_commit, persist, Registry, Sns, Subscription};

/// The window of a `ReplayPolicy` attribute value (`None` when it is empty: no replay), checked against
/// the subscription's topic.
fn replay_of(
    value: Option<&String>,
    entry: &crate::TopicEntry,
    now: u64,
) -> SnsResult<Option<(u64, u64)>> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| archive::replay_window(v, entry.topic.fifo, &entry.attributes, now))
        .transpose()
}

/// Filter policies one topic's subscriptions may carry (AWS's default quota). Subscribing without a filter
/// policy is still allowed past it; attaching one (Subscribe or SetSubscriptionAttributes) fails.
/// <https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html>
const MAX_FILTER_POLICIES_PER_TOPIC: usize = 200;

fn check_filter_policy_quota(registry: &Registry, topic_name: &str) -> SnsResult<()> {
    let in_use = registry.topics.get(topic_name).map_or(0, |entry| {
        entry
            .subscriptions
            .iter()
            .filter_map(|arn| registry.subscriptions.get(arn))
            .filter(|subscription| subscription.filter.is_some())
            .count()
    });
    if in_use >= MAX_FILTER_POLICIES_PER_TOPIC {
        return Err(SnsError::new(
            crate::ErrorKind::FilterPolicyLimitExceeded,
            format!(
                "Filter policy limit exceeded: a topic can have at most {MAX_FILTER_POLICIES_PER_TOPIC} filter policies"
            ),
        ));
    }
    Ok(())
}

pub const PROTOCOLS: &[&str] = &[
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
];

/// Protocols whose subscriptions are confirmed at once (AWS confirms these on its own side).
fn confirmed_at_once(protocol: &str) -> bool {
    matches!(
        protocol,
        "sqs" | "lambda" | "firehose" | "application" | "sms"
    )
}

fn validate_endpoint(protocol: &str, endpoint: &str, attributes: &Attributes) -> SnsResult<()> {
    let ok = match protocol {
        "sqs" => parse_arn(endpoint, "sqs").is_some_and(|p| !p.resource.contains(':')),
        "http" => has_host(endpoint, "http://"),
        "https" => has_host(endpoint, "https://"),
        "email" | "email-json" => endpoint
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && !domain.is_empty()),
        "sms" => {
            let digits = without_phone_separators(endpoint);
            let digits = digits.strip_prefix('+').unwrap_or(&digits);
            (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        }
        "lambda" => {
            parse_arn(endpoint, "lambda").is_some_and(|p| p.resource.starts_with("function:"))
        }
        "firehose" => parse_arn(endpoint, "firehose")
            .is_some_and(|p| p.resource.starts_with("deliverystream/")),
        "application" => {
            parse_arn(endpoint, "sns").is_some_and(|p| p.resource.starts_with("endpoint/"))
        }
        _ => false,
    };
    if !ok && protocol == "sms" {
        // AWS: "Invalid SMS endpoint: <endpoint>", without the "Invalid parameter:" prefix.
        return Err(SnsError::new(
            ErrorKind::InvalidParameter,
            format!("Invalid SMS endpoint: {endpoint}"),
        ));
    }
    if !ok {
        return Err(SnsError::invalid(match protocol {
            "sqs" => "SQS endpoint ARN".to_string(),
            "http" | "https" => "Endpoint must match the specified protocol".to_string(),
            "email" | "email-json" => "Email address".to_string(),
            "lambda" => "Lambda endpoint ARN".to_string(),
            "firehose" => "Firehose endpoint ARN".to_string(),
            _ => format!("Application endpoint arn invalid:{endpoint}"),
        }));
    }
    if protocol == "firehose"
        && attributes
            .get("SubscriptionRoleArn")
            .is_none_or(|r| r.is_empty())
    {
        return Err(SnsError::invalid_reason(
            "Attributes",
            "SubscriptionRoleArn must be set for the firehose protocol",
        ));
    }
    Ok(())
}

fn has_host(endpoint: &str, scheme: &str) -> bool {
    endpoint.len() > scheme.len()
        && endpoint[..scheme.len()].eq_ignore_ascii_case(scheme)
        && endpoint[scheme.len()..]
            .split(['/', '?', '#'])
            .next()
            .is_some_and(|host| !host.is_empty())
        && endpoint.parse::<http::Uri>().is_ok()
}

impl Sns {
    /// The subscription with this ARN, checking the ARN's form.
    fn subscription(&self, registry: &Registry, arn: &str) -> SnsResult<Arc<Subscription>> {
        self.check_subscription_arn(arn)?;
        registry
            .subscriptions
            .get(arn)
            .cloned()
            .ok_or_else(SnsError::subscription_not_found)
    }

    fn check_subscription_arn(&self, arn: &str) -> SnsResult<()> {
        // AWS: "... Reason: An ARN must have at least 6 elements, not N", then "Invalid parameter:
        // SubscriptionId" for a well-formed ARN without a subscription id.
        let elements = arn.split(':').count();
        if elements < 6 {
            return Err(SnsError::invalid_reason(
                "SubscriptionArn",
                format!("An ARN must have at least 6 elements, not {elements}"),
            ));
        }
        let valid = parse_arn(arn, "sns").is_some_and(|p| {
            p.resource
                .split_once(':')
                .is_some_and(|(topic, id)| !topic.is_empty() && !id.is_empty() && !id.contains(':'))
        });
        if valid {
            Ok(())
        } else {
            Err(SnsError::invalid("SubscriptionId"))
        }
    }

    pub async fn subscribe(&self, input: SubscribeInput) -> SnsResult<SubscriptionArnOutput> {
        let topic_arn = required(&input.topic_arn, "TopicArn")?;
        let name = self.topic_name_of(topic_arn, "TopicArn")?;
        let protocol = required(&input.protocol, "Protocol")?.to_ascii_lowercase();
        if !PROTOCOLS.contains(&protocol.as_str()) {
            return Err(SnsError::invalid(format!(
                "Amazon SNS does not support this protocol string: {protocol}"
            )));
        }
        let endpoint = input.endpoint.clone().unwrap_or_default();
        let mut attributes = Attributes::new();
        for (key, value) in &input.attributes {
            if !SETTABLE_SUBSCRIPTION_ATTRIBUTES.contains(&key.as_str()) {
                return Err(SnsError::invalid_reason(
                    "Attributes",
                    format!("Unknown attribute {key}"),
                ));
            }
            validate_subscription_attribute(key, value, &protocol, AttributeCall::Subscribe)?;
            let value = if key == "RawMessageDelivery" {
                value.to_ascii_lowercase()
            } else {
                value.clone()
            };
            attributes.insert(key.clone(), value);
        }
        validate_endpoint(&protocol, &endpoint, &attributes)?;
        validate_fifo_redrive(
            name.ends_with(".fifo"),
            &endpoint,
            attributes.get("RedrivePolicy").map(String::as_str),
        )?;
        let filter =
            compile_filter(&attributes).map_err(|e| AttributeCall::Subscribe.refuse_filter(e))?;
        // A pending subscription past its lifetime is gone, even if the worker has not swept it yet.
        self.expire_pending_subscriptions().await?;
        // The confirmation is signed under the registry lock: have the key ready (its first use generates it).
        let signer = if confirmed_at_once(&protocol) {
            None
        } else {
            Some(self.signer().await?)
        };
        let now = self.now();
        let (subscription, created, replay, commit) = {
            let mut registry = self.registry.write();
            let entry = registry
                .topics
                .get(name)
                .ok_or_else(SnsError::topic_not_found)?;
            let replay = replay_of(attributes.get("ReplayPolicy"), entry, now)?;
            if entry.topic.fifo && protocol != "sqs" {
                return Err(SnsError::invalid(format!(
                    "Invalid protocol type: {protocol}"
                )));
            }
            if !entry.topic.fifo && protocol == "sqs" && endpoint.ends_with(".fifo") {
                return Err(SnsError::invalid_reason(
                    "Invalid parameter: Endpoint",
                    "FIFO SQS Queues can not be subscribed to standard SNS topics",
                ));
            }
            // An application subscription needs an existing platform endpoint (AWS, in moto's
            // AWS-run test_publish_to_deleted_platform_endpoint: "Invalid parameter: Endpoint Reason:
            // Endpoint does not exist for endpoint arn<arn>", without a space before the ARN).
            if protocol == "application" && !registry.platform.endpoints.contains_key(&endpoint) {
                return Err(SnsError::invalid_reason(
                    "Endpoint",
                    format!("Endpoint does not exist for endpoint arn{endpoint}"),
                ));
            }
            let existing = entry
                .subscriptions
                .iter()
                .filter_map(|arn| registry.subscriptions.get(arn))
                .find(|s| s.protocol == protocol && s.endpoint == endpoint)
                .cloned();
            if existing.is_none() && filter.is_some() {
                check_filter_policy_quota(&registry, name)?;
            }
            if existing.is_none() {
                // A topic taking messages above 256 KiB keeps to few SQS/Firehose/Lambda subscriptions.
                let protocols: Vec<&str> = entry
                    .subscriptions
                    .iter()
                    .filter_map(|arn| registry.subscriptions.get(arn))
                    .map(|s| s.protocol.as_str())
                    .chain(std::iter::once(protocol.as_str()))
                    .collect();
                check_large_message_subscriptions(
                    topic_maximum_message_size(&entry.attributes),
                    protocols.into_iter(),
                )?;
            }
            if let Some(existing) = existing {
                // Only the attributes given are compared, an unset one by its default value (AWS
                // returns the same subscription for `FilterPolicyScope=MessageAttributes` alone).
                let default_of = |k: &str| match k {
                    "RawMessageDelivery" => Some("false"),
                    "FilterPolicyScope" => Some("MessageAttributes"),
                    "FilterPolicy" => Some(""),
                    _ => None,
                };
                let same = attributes.iter().all(|(k, v)| {
                    existing
                        .attributes
                        .get(k)
                        .map(String::as_str)
                        .or_else(|| default_of(k))
                        == Some(v.as_str())
                });
                if !same {
                    return Err(SnsError::invalid_reason(
                        "Attributes",
                        "Subscription already exists with different attributes",
                    ));
                }
                (existing, false, None, None)
            } else {
                let subscription = Arc::new(Subscription {
                    arn: format!("{topic_arn}:{}", uuid::Uuid::new_v4()),
                    topic_arn: topic_arn.to_string(),
                    topic_name: name.to_string(),
                    confirmed: confirmed_at_once(&protocol),
                    protocol: protocol.clone(),
                    endpoint: endpoint.clone(),
                    owner: self.config().account_id.clone(),
                    attributes,
                    filter,
                    token: random_hex(128),
                    authenticated: confirmed_at_once(&protocol),
                    created_millis: now,
                });
                let signature_version = entry
                    .attributes
                    .get("SignatureVersion")
                    .cloned()
                    .unwrap_or_else(|| "1".into());
                let mut batch = Batch::new();
                persist::put_subscription(&mut batch, &subscription);
                if replay.is_some() {
                    self.set_replay(&mut batch, &subscription.arn, name, replay);
                }
                if let (false, Some(signer)) = (subscription.confirmed, &signer) {
                    self.send_confirmation(
                        signer,
                        &mut batch,
                        &subscription,
                        "SubscriptionConfirmation",
                        &signature_version,
                        now,
                    );
                }
                if let Some(entry) = registry.topics.get_mut(name) {
                    entry.subscriptions.push(subscription.arn.clone());
                }
                if !subscription.confirmed {
                    registry
                        .pending
                        .insert((subscription.expires_millis(), subscription.arn.clone()));
                }
                registry
                    .subscriptions
                    .insert(subscription.arn.clone(), Arc::clone(&subscription));
                (subscription, true, replay, self.submit(batch))
            }
        };
        await_commit(commit).await?;
        if created && !subscription.confirmed {
            self.wake_deliveries();
        }
        if replay.is_some() {
            self.wake_replays();
        }
        let subscription_arn = if subscription.confirmed || input.return_subscription_arn {
            subscription.arn.clone()
        } else {
            "pending confirmation".to_string()
        };
        Ok(SubscriptionArnOutput { subscription_arn })
    }

    /// Queues a (Un)SubscriptionConfirmation: an HTTP POST, an email (with an SMTP server configured), or an
    /// outbox entry for email.
    fn send_confirmation(
        &self,
        signer: &Signer,
        batch: &mut Batch,
        sub: &Subscription,
        kind: &str,
        signature_version: &str,
        now: u64,
    ) {
        let message_id = uuid::Uuid::new_v4().to_string();
        let body = envelope::confirmation(
            self.base_url(),
            signer,
            kind,
            &message_id,
            &sub.token,
            &sub.topic_arn,
            now,
            signature_version,
        );
        match sub.protocol.as_str() {
            "http" | "https" => {
                let record = DeliveryRecord::new(
                    &sub.arn,
                    &sub.topic_arn,
                    kind,
                    &message_id,
                    body,
                    false,
                    Target::Http {
                        url: sub.endpoint.clone(),
                    },
                    now,
                );
                self.enqueue_delivery(batch, record);
            }
            "email" | "email-json" if kind == "SubscriptionConfirmation" => {
                let subject = email::CONFIRMATION_SUBJECT.to_string();
                let message = if sub.protocol == "email" {
                    email::confirmation_text(
                        &sub.topic_arn,
                        &envelope::subscribe_url(self.base_url(), &sub.topic_arn, &sub.token),
                    )
                } else {
                    body
                };
                if self.mailer.is_some() {
                    let record = DeliveryRecord::new(
                        &sub.arn,
                        &sub.topic_arn,
                        kind,
                        &message_id,
                        message,
                        false,
                        Target::Email {
                            to: sub.endpoint.clone(),
                            subject,
                        },
                        now,
                    );
                    self.enqueue_delivery(batch, record);
                    return;
                }
                self.outbox_put(
                    batch,
                    OutboxEntry {
                        seq: 0,
                        kind: sub.protocol.clone(),
                        target: sub.endpoint.clone(),
                        topic_arn: Some(sub.topic_arn.clone()),
                        subscription_arn: Some(sub.arn.clone()),
                        message_id,
                        subject: Some(subject),
                        message,
                        attributes: MessageAttributes::new(),
                        timestamp_millis: now,
                    },
                );
            }
            _ => {}
        }
    }

    pub async fn confirm_subscription(
        &self,
        input: ConfirmSubscriptionInput,
    ) -> SnsResult<SubscriptionArnOutput> {
        let topic_arn = required(&input.topic_arn, "TopicArn")?;
        let name = self.topic_name_of(topic_arn, "TopicArn")?;
        let token = required(&input.token, "Token")?;
        // Tokens are hex strings; anything else is refused before the topic is looked at (AWS:
        // "Invalid token"), and a hex token on an unknown topic is an invalid token, not NotFound.
        if !token.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(SnsError::new(ErrorKind::InvalidParameter, "Invalid token"));
        }
        let authenticate = input
            .authenticate_on_unsubscribe
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        self.expire_pending_subscriptions().await?;
        let now = self.now();
        let (arn, commit) = {
            let mut registry = self.registry.write();
            let entry = registry
                .topics
                .get(name)
                .ok_or_else(|| SnsError::invalid("Token"))?;
            let found = entry
                .subscriptions
                .iter()
                .filter_map(|arn| registry.subscriptions.get(arn))
                .find(|s| s.token == token)
                .cloned()
                .ok_or_else(|| SnsError::invalid("Token"))?;
            // Confirmation tokens are valid for two days.
            if now >= found.expires_millis() {
                return Err(SnsError::invalid("Token"));
            }
            if found.confirmed {
                (found.arn.clone(), None)
            } else {
                let mut confirmed = (*found).clone();
                confirmed.confirmed = true;
                confirmed.authenticated = authenticate;
                let mut batch = Batch::new();
                persist::put_subscription(&mut batch, &confirmed);
                registry
                    .pending
                    .remove(&(found.expires_millis(), found.arn.clone()));
                registry
                    .subscriptions
                    .insert(confirmed.arn.clone(), Arc::new(confirmed));
                (found.arn.clone(), self.submit(batch))
            }
        };
        await_commit(commit).await?;
        Ok(SubscriptionArnOutput {
            subscription_arn: arn,
        })
    }

    /// Deletes the subscriptions that stayed pending confirmation for
    /// [`crate::PENDING_SUBSCRIPTION_TTL_MILLIS`] (48 hours), durably; returns how many. The delivery
    /// worker runs this when the next one is due; Subscribe and ConfirmSubscription run it first, so that
    /// an expired subscription or token is never seen whatever the worker is doing.
    pub async fn expire_pending_subscriptions(&self) -> SnsResult<usize> {
        let now = self.now();
        let due = |registry: &Registry| registry.pending.first().is_some_and(|(at, _)| *at <= now);
        if !due(&self.registry.read()) {
            return Ok(0);
        }
        let (expired, commit) = {
            let mut registry = self.registry.write();
            let mut batch = Batch::new();
            let mut expired = 0;
            while due(&registry) {
                let Some((at, arn)) = registry.pending.pop_first() else {
                    break;
                };
                let still_pending = registry
                    .subscriptions
                    .get(&arn)
                    .filter(|s| !s.confirmed && s.expires_millis() == at)
                    .cloned();
                let Some(sub) = still_pending else {
                    continue;
                };
                registry.subscriptions.remove(&arn);
                persist::delete_subscription(&mut batch, &arn);
                if let Some(entry) = registry.topics.get_mut(&sub.topic_name) {
                    entry.subscriptions.retain(|s| *s != arn);
                    entry.subscriptions_deleted += 1;
                    persist::put_topic(&mut batch, entry);
                }
                tracing::info!(subscription = %arn, "deleted a subscription left unconfirmed for 48 hours");
                expired += 1;
            }
            (expired, self.submit(batch))
        };
        await_commit(commit).await?;
        Ok(expired)
    }

    /// When the next pending subscription expires, if any.
    pub(crate) fn next_pending_expiry(&self) -> Option<u64> {
        self.registry.read().pending.first().map(|(at, _)| *at)
    }

    /// Deletes a subscription. Unsubscribing one that does not exist (any more) succeeds.
    pub async fn unsubscribe(&self, input: SubscriptionArnInput) -> SnsResult<Empty> {
        let arn = input
            .subscription_arn
            .as_deref()
            .filter(|arn| !arn.is_empty())
            .ok_or_else(|| {
                SnsError::invalid_reason("SubscriptionArn", "no value for required parameter")
            })?;
        self.check_subscription_arn(arn)?;
        // An HTTP/S subscriber is told with a signed UnsubscribeConfirmation, made under the registry lock:
        // have the key ready first.
        let http = |sub: &Subscription| matches!(sub.protocol.as_str(), "http" | "https");
        let needs_key = self
            .registry
            .read()
            .subscriptions
            .get(arn)
            .is_some_and(|s| http(s));
        let signer = if needs_key {
            Some(self.signer().await?)
        } else {
            None
        };
        let (notify, commit) = {
            let mut registry = self.registry.write();
            let Some(sub) = registry.subscriptions.remove(arn) else {
                return Ok(Empty {});
            };
            let mut batch = Batch::new();
            persist::delete_subscription(&mut batch, arn);
            if self.replay_status(arn).is_some() {
                self.set_replay(&mut batch, arn, &sub.topic_name, None);
            }
            let mut signature_version = "1".to_string();
            if let Some(entry) = registry.topics.get_mut(&sub.topic_name) {
                entry.subscriptions.retain(|s| s != arn);
                entry.subscriptions_deleted += 1;
                if let Some(v) = entry.attributes.get("SignatureVersion") {
                    signature_version = v.clone();
                }
                persist::put_topic(&mut batch, entry);
            }
            // (A subscription's protocol never changes: `signer` is there for every HTTP/S one.)
            let notify = sub.confirmed && http(&sub) && signer.is_some();
            if let (true, Some(signer)) = (notify, &signer) {
                self.send_confirmation(
                    signer,
                    &mut batch,
                    &sub,
                    "UnsubscribeConfirmation",
                    &signature_version,
                    self.now(),
                );
            }
            (notify, self.submit(batch))
        };
        await_commit(commit).await?;
        if notify {
            self.wake_deliveries();
        }
        Ok(Empty {})
    }

    fn summary(sub: &Subscription) -> SubscriptionItem {
        SubscriptionItem {
            subscription_arn: if sub.confirmed {
                sub.arn.clone()
            } else {
                "PendingConfirmation".into()
            },
            owner: sub.owner.clone(),
            protocol: sub.protocol.clone(),
            endpoint: sub.endpoint.clone(),
            topic_arn: sub.topic_arn.clone(),
        }
    }

    pub fn list_subscriptions(&self, input: NextTokenInput) -> SnsResult<ListSubscriptionsOutput> {
        let registry = self.registry.read();
        let items = registry
            .subscriptions
            .iter()
            .map(|(arn, sub)| (arn.clone(), Self::summary(sub)));
        let (subscriptions, next_token) = page(items, input.next_token.as_deref(), PAGE_SIZE)?;
        Ok(ListSubscriptionsOutput {
            subscriptions,
            next_token,
        })
    }

    pub fn list_subscriptions_by_topic(
        &self,
        input: ListSubscriptionsByTopicInput,
    ) -> SnsResult<ListSubscriptionsOutput> {
        let arn = required(&input.topic_arn, "TopicArn")?;
        let name = self.topic_name_of(arn, "TopicArn")?;
        let registry = self.registry.read();
        let entry = registry
            .topics
            .get(name)
            .ok_or_else(SnsError::topic_not_found)?;
        let mut items: Vec<(String, SubscriptionItem)> = entry
            .subscriptions
            .iter()
            .filter_map(|arn| registry.subscriptions.get(arn))
            .map(|sub| (sub.arn.clone(), Self::summary(sub)))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let (subscriptions, next_token) = page(items, input.next_token.as_deref(), PAGE_SIZE)?;
        Ok(ListSubscriptionsOutput {
            subscriptions,
            next_token,
        })
    }

    pub fn get_subscription_attributes(
        &self,
        input: SubscriptionArnInput,
    ) -> SnsResult<AttributesOutput> {
        let arn = required(&input.subscription_arn, "SubscriptionArn")?;
        let registry = self.registry.read();
        let sub = self.subscription(&registry, arn)?;
        let mut attributes = Attributes::new();
        attributes.insert("SubscriptionArn".into(), sub.arn.clone());
        attributes.insert("TopicArn".into(), sub.topic_arn.clone());
        attributes.insert("Owner".into(), sub.owner.clone());
        attributes.insert("Protocol".into(), sub.protocol.clone());
        attributes.insert("Endpoint".into(), sub.endpoint.clone());
        attributes.insert("PendingConfirmation".into(), (!sub.confirmed).to_string());
        attributes.insert(
            "ConfirmationWasAuthenticated".into(),
            sub.authenticated.to_string(),
        );
        attributes.insert("RawMessageDelivery".into(), sub.raw().to_string());
        attributes.insert(
            "SubscriptionPrincipal".into(),
            format!("arn:aws:iam::{}:root", self.config().account_id),
        );
        if matches!(sub.protocol.as_str(), "http" | "https") {
            let topic_policy = registry
                .topics
                .get(&sub.topic_name)
                .and_then(|t| t.attributes.get("DeliveryPolicy"))
                .map(String::as_str);
            attributes.insert(
                "EffectiveDeliveryPolicy".into(),
                subscription_effective_delivery_policy(
                    topic_policy,
                    sub.attributes.get("DeliveryPolicy").map(String::as_str),
                ),
            );
        }
        for (k, v) in &sub.attributes {
            attributes.insert(k.clone(), v.clone());
        }
        // The scope is shown with a filter policy only; an empty policy is no policy (as AWS shows).
        if attributes
            .get("FilterPolicy")
            .is_some_and(|p| !p.is_empty())
        {
            attributes
                .entry("FilterPolicyScope".into())
                .or_insert_with(|| "MessageAttributes".into());
        } else {
            attributes.remove("FilterPolicy");
            attributes.remove("FilterPolicyScope");
        }
        if let Some(status) = self.replay_status(&sub.arn) {
            attributes.insert("ReplayStatus".into(), status);
        }
        Ok(AttributesOutput { attributes })
    }

    pub async fn set_subscription_attributes(
        &self,
        input: SetSubscriptionAttributesInput,
    ) -> SnsResult<Empty> {
        let arn = required(&input.subscription_arn, "SubscriptionArn")?;
        let name = required(&input.attribute_name, "AttributeName")?;
        if !SETTABLE_SUBSCRIPTION_ATTRIBUTES.contains(&name) {
            return Err(SnsError::invalid("AttributeName"));
        }
        let value = input.attribute_value.clone().unwrap_or_default();
        let now = self.now();
        let commit = {
            let mut registry = self.registry.write();
            let current = self.subscription(&registry, arn)?;
            validate_subscription_attribute(name, &value, &current.protocol, AttributeCall::Set)?;
            // A ReplayPolicy starts a replay (superseding a running one); an empty one stops it.
            let replay = if name == "ReplayPolicy" {
                let entry = registry
                    .topics
                    .get(&current.topic_name)
                    .ok_or_else(SnsError::topic_not_found)?;
                Some(replay_of(Some(&value), entry, now)?)
            } else {
                None
            };
            if name == "RedrivePolicy" {
                validate_fifo_redrive(
                    current.topic_name.ends_with(".fifo"),
                    &current.endpoint,
                    Some(&value),
                )?;
            }
            let mut updated = (*current).clone();
            // An empty value removes the attribute; so does `{}` for FilterPolicy (the AWS CLI reference,
            // set-subscription-attributes: "removes the FilterPolicy attribute").
            let removes = value.is_empty()
                || (name == "FilterPolicy"
                    && serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&value)
                        .is_ok_and(|policy| policy.is_empty()));
            if removes && name != "RawMessageDelivery" {
                updated.attributes.remove(name);
            } else if name == "RawMessageDelivery" {
                updated
                    .attributes
                    .insert(name.to_string(), value.to_ascii_lowercase());
            } else {
                updated.attributes.insert(name.to_string(), value);
            }
            updated.filter = compile_filter(&updated.attributes)
                .map_err(|e| AttributeCall::Set.refuse_filter(e))?;
            if updated.filter.is_some() && current.filter.is_none() {
                check_filter_policy_quota(&registry, &current.topic_name)?;
            }
            let mut batch = Batch::new();
            persist::put_subscription(&mut batch, &updated);
            if let Some(window) = replay {
                self.set_replay(&mut batch, &updated.arn, &updated.topic_name, window);
            }
            registry
                .subscriptions
                .insert(updated.arn.clone(), Arc::new(updated));
            self.submit(batch)
        };
        await_commit(commit).await?;
        if name == "ReplayPolicy" {
            self.wake_replays();
        }
        Ok(Empty {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let none = Attributes::new();
        assert!(validate_endpoint("sqs", "arn:aws:sqs:us-east-1:000000000000:q", &none).is_ok());
        assert_eq!(
            validate_endpoint("sqs", "http://x/q", &none)
                .unwrap_err()
                .message,
            "Invalid parameter: SQS endpoint ARN"
        );
        assert!(validate_endpoint("http", "http://127.0.0.1:8080/hook", &none).is_ok());
        assert!(validate_endpoint("http", "https://h/", &none).is_err());
        assert!(validate_endpoint("https", "https://h/", &none).is_ok());
        assert!(validate_endpoint("email", "a@b.c", &none).is_ok());
        assert!(validate_endpoint("email", "nobody", &none).is_err());
        assert!(validate_endpoint("sms", "+1 555-0100", &none).is_ok());
        assert!(validate_endpoint(
            "lambda",
            "arn:aws:lambda:us-east-1:000000000000:function:f",
            &none
        )
        .is_ok());
        assert!(validate_endpoint(
            "firehose",
            "arn:aws:firehose:us-east-1:000000000000:deliverystream/s",
            &none
        )
        .is_err());
    }
}
