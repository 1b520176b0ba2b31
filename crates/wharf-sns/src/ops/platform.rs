//! Mobile push (platform applications and endpoints), SMS, and the outbox: messages for email, SMS, mobile
//! push, Lambda and Firehose subscribers are not sent anywhere but recorded, durably, for inspection
//! ([`Sns::outbox`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wharf_store::{Batch, Keyspace};

use super::publish::Outgoing;
use super::required;
use crate::error::{ErrorKind, SnsError, SnsResult};
use crate::model::*;
use crate::util::{page, parse_arn, PAGE_SIZE};
use crate::{await_commit, persist, Sns};

/// The outbox keeps this many most recent entries.
pub const OUTBOX_CAPACITY: usize = 10_000;

const PLATFORMS: &[&str] = &[
    "ADM",
    "APNS",
    "APNS_SANDBOX",
    "APNS_VOIP",
    "APNS_VOIP_SANDBOX",
    "BAIDU",
    "GCM",
    "MACOS",
    "MACOS_SANDBOX",
    "MPNS",
    "WNS",
];

/// A message SNS would have sent to an email address, phone, device, Lambda function or Firehose stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OutboxEntry {
    pub seq: u64,
    /// The protocol: `email`, `email-json`, `sms`, `application`, `lambda` or `firehose`.
    pub kind: String,
    /// Address, phone number or ARN.
    pub target: String,
    pub topic_arn: Option<String>,
    pub subscription_arn: Option<String>,
    pub message_id: String,
    pub subject: Option<String>,
    /// The payload as it would be delivered (the JSON envelope for email-json, Lambda and Firehose).
    pub message: String,
    #[serde(default)]
    pub attributes: MessageAttributes,
    pub timestamp_millis: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PlatformApplication {
    pub arn: String,
    pub name: String,
    pub platform: String,
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PlatformEndpoint {
    pub arn: String,
    pub application_arn: String,
    pub attributes: Attributes,
}

#[derive(Default)]
pub(crate) struct PlatformState {
    pub applications: BTreeMap<String, PlatformApplication>,
    pub endpoints: BTreeMap<String, PlatformEndpoint>,
    pub sms_attributes: Attributes,
    pub sandbox_numbers: BTreeMap<String, String>,
}

pub(crate) fn application_key(arn: &str) -> Vec<u8> {
    format!("app/{arn}").into_bytes()
}

pub(crate) fn endpoint_key(arn: &str) -> Vec<u8> {
    format!("endpoint/{arn}").into_bytes()
}

pub(crate) fn sandbox_key(number: &str) -> Vec<u8> {
    format!("sandbox/{number}").into_bytes()
}

pub(crate) const SMS_ATTRIBUTES_KEY: &[u8] = b"sms-attributes";

fn valid_phone(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (5..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A phone number as SMS subscriptions and Publish's `PhoneNumber` take it, written with spaces, hyphens or
/// parentheses between its digits (the AWS CLI reference publishes to `+1-555-555-0100`): those removed.
pub(crate) fn without_phone_separators(number: &str) -> String {
    number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect()
}

/// The two kinds of platform ARN.
#[derive(Clone, Copy)]
enum PlatformArn {
    /// `app/<platform>/<name>`
    Application,
    /// `endpoint/<platform>/<application>/<id>`
    Endpoint,
}

/// Checks the form of a platform application or endpoint ARN given as `parameter`. A value that is not one
/// is an `InvalidParameter` (the API reference's "does not comply with the associated constraints", worded
/// as for topic ARNs); a well-formed ARN that names nothing is left to the lookup (`NotFound`).
fn check_platform_arn(arn: &str, parameter: &str, kind: PlatformArn) -> SnsResult<()> {
    let elements = arn.split(':').count();
    if elements < 6 {
        return Err(SnsError::invalid_reason(
            parameter,
            format!("An ARN must have at least 6 elements, not {elements}"),
        ));
    }
    let (prefix, segments) = match kind {
        PlatformArn::Application => ("app", 2),
        PlatformArn::Endpoint => ("endpoint", 3),
    };
    let well_formed = parse_arn(arn, "sns").is_some_and(|parts| {
        let mut parts = parts.resource.split('/');
        parts.next() == Some(prefix) && {
            let rest: Vec<&str> = parts.collect();
            rest.len() == segments && rest.iter().all(|s| !s.is_empty())
        }
    });
    if well_formed {
        Ok(())
    } else {
        Err(SnsError::invalid(parameter))
    }
}

fn application_not_found() -> SnsError {
    SnsError::new(ErrorKind::NotFound, "PlatformApplication does not exist")
}

fn endpoint_not_found() -> SnsError {
    SnsError::new(ErrorKind::NotFound, "Endpoint does not exist")
}

impl Sns {
    /// Records an outbox entry in `batch` (call under the registry lock or any lock ordering the change).
    pub(crate) fn outbox_put(&self, batch: &mut Batch, mut entry: OutboxEntry) {
        entry.seq = self.next_outbox_seq();
        batch.put(
            Keyspace::SnsMeta,
            persist::outbox_key(entry.seq),
            persist::json(&entry),
        );
        let mut outbox = self.outbox.lock();
        outbox.push_back(entry);
        while outbox.len() > OUTBOX_CAPACITY {
            if let Some(old) = outbox.pop_front() {
                batch.delete(Keyspace::SnsMeta, persist::outbox_key(old.seq));
            }
        }
    }

    /// Every message recorded for email, SMS, mobile push, Lambda and Firehose subscribers, oldest first
    /// (at most [`OUTBOX_CAPACITY`]).
    pub fn outbox(&self) -> Vec<OutboxEntry> {
        self.outbox.lock().iter().cloned().collect()
    }

    pub(crate) async fn publish_sms(
        &self,
        written: &str,
        outgoing: &Outgoing,
    ) -> SnsResult<PublishOutput> {
        let phone = without_phone_separators(written);
        if !valid_phone(&phone) {
            return Err(SnsError::invalid_reason(
                "PhoneNumber",
                format!("{written} is not valid to publish to"),
            ));
        }
        let message_id = uuid::Uuid::new_v4().to_string();
        let mut batch = Batch::new();
        self.outbox_put(
            &mut batch,
            OutboxEntry {
                seq: 0,
                kind: "sms".into(),
                target: phone,
                topic_arn: None,
                subscription_arn: None,
                message_id: message_id.clone(),
                subject: outgoing.subject.clone(),
                message: outgoing.message_for("sms").to_string(),
                attributes: outgoing.attributes.clone(),
                timestamp_millis: self.now(),
            },
        );
        await_commit(self.submit(batch)).await?;
        Ok(PublishOutput {
            message_id,
            sequence_number: None,
        })
    }

    /// The platform of the endpoint a Publish `TargetArn` names, if messages can be published to it: the
    /// endpoint exists (AWS: `InvalidParameter`, not `NotFound`) and is enabled (`EndpointDisabled`).
    pub(crate) fn publishable_endpoint(&self, arn: &str) -> SnsResult<String> {
        check_platform_arn(arn, "TargetArn", PlatformArn::Endpoint)?;
        let (platform, enabled) = {
            let registry = self.registry.read();
            let endpoint = registry
                .platform
                .endpoints
                .get(arn)
                // AWS answers a publish to an unknown endpoint with InvalidParameter, not NotFound.
                .ok_or_else(|| {
                    SnsError::invalid_reason(
                        "TargetArn",
                        "No endpoint found for the target arn specified",
                    )
                })?;
            let platform = registry
                .platform
                .applications
                .get(&endpoint.application_arn)
                .map(|a| a.platform.clone())
                .unwrap_or_default();
            let enabled = endpoint
                .attributes
                .get("Enabled")
                .is_none_or(|e| e.eq_ignore_ascii_case("true"));
            (platform, enabled)
        };
        if !enabled {
            return Err(SnsError::new(
                ErrorKind::EndpointDisabled,
                "Endpoint is disabled",
            ));
        }
        Ok(platform)
    }

    pub(crate) async fn publish_to_endpoint(
        &self,
        arn: &str,
        outgoing: &Outgoing,
    ) -> SnsResult<PublishOutput> {
        let platform = self.publishable_endpoint(arn)?;
        let message_id = uuid::Uuid::new_v4().to_string();
        let mut batch = Batch::new();
        self.outbox_put(
            &mut batch,
            OutboxEntry {
                seq: 0,
                kind: "application".into(),
                target: arn.to_string(),
                topic_arn: None,
                subscription_arn: None,
                message_id: message_id.clone(),
                subject: outgoing.subject.clone(),
                message: outgoing.message_for(&platform).to_string(),
                attributes: outgoing.attributes.clone(),
                timestamp_millis: self.now(),
            },
        );
        await_commit(self.submit(batch)).await?;
        Ok(PublishOutput {
            message_id,
            sequence_number: None,
        })
    }

    pub async fn create_platform_application(
        &self,
        input: CreatePlatformApplicationInput,
    ) -> SnsResult<CreatePlatformApplicationOutput> {
        let name = required(&input.name, "Name")?;
        let platform = required(&input.platform, "Platform")?;
        if name.len() > 256
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(SnsError::invalid("Name"));
        }
        if !PLATFORMS.contains(&platform) {
            return Err(SnsError::invalid("Platform"));
        }
        let arn = format!(
            "arn:aws:sns:{}:{}:app/{platform}/{name}",
            self.config().region,
            self.config().account_id
        );
        let mut attributes = input.attributes.clone();
        attributes
            .entry("Enabled".into())
            .or_insert_with(|| "true".into());
        let application = PlatformApplication {
            arn: arn.clone(),
            name: name.to_string(),
            platform: platform.to_string(),
            attributes,
        };
        let commit = {
            let mut registry = self.registry.write();
            let mut batch = Batch::new();
            batch.put(
                Keyspace::SnsMeta,
                application_key(&arn),
                persist::json(&application),
            );
            registry
                .platform
                .applications
                .insert(arn.clone(), application);
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(CreatePlatformApplicationOutput {
            platform_application_arn: arn,
        })
    }

    pub fn get_platform_application_attributes(
        &self,
        input: PlatformApplicationArnInput,
    ) -> SnsResult<AttributesOutput> {
        let arn = required(&input.platform_application_arn, "PlatformApplicationArn")?;
        check_platform_arn(arn, "PlatformApplicationArn", PlatformArn::Application)?;
        let registry = self.registry.read();
        let app = registry
            .platform
            .applications
            .get(arn)
            .ok_or_else(application_not_found)?;
        let mut attributes = app.attributes.clone();
        // AWS never returns the credential.
        attributes.remove("PlatformCredential");
        Ok(AttributesOutput { attributes })
    }

    pub async fn set_platform_application_attributes(
        &self,
        input: SetPlatformApplicationAttributesInput,
    ) -> SnsResult<Empty> {
        let arn = required(&input.platform_application_arn, "PlatformApplicationArn")?;
        check_platform_arn(arn, "PlatformApplicationArn", PlatformArn::Application)?;
        let commit = {
            let mut registry = self.registry.write();
            let app = registry
                .platform
                .applications
                .get_mut(arn)
                .ok_or_else(application_not_found)?;
            for (k, v) in &input.attributes {
                app.attributes.insert(k.clone(), v.clone());
            }
            let mut batch = Batch::new();
            batch.put(Keyspace::SnsMeta, application_key(arn), persist::json(app));
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn delete_platform_application(
        &self,
        input: PlatformApplicationArnInput,
    ) -> SnsResult<Empty> {
        let arn = required(&input.platform_application_arn, "PlatformApplicationArn")?;
        check_platform_arn(arn, "PlatformApplicationArn", PlatformArn::Application)?;
        let commit = {
            let mut registry = self.registry.write();
            let mut batch = Batch::new();
            if registry.platform.applications.remove(arn).is_some() {
                batch.delete(Keyspace::SnsMeta, application_key(arn));
                let endpoints: Vec<String> = registry
                    .platform
                    .endpoints
                    .values()
                    .filter(|e| e.application_arn == arn)
                    .map(|e| e.arn.clone())
                    .collect();
                for endpoint in endpoints {
                    registry.platform.endpoints.remove(&endpoint);
                    batch.delete(Keyspace::SnsMeta, endpoint_key(&endpoint));
                }
            }
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn list_platform_applications(
        &self,
        input: NextTokenInput,
    ) -> SnsResult<ListPlatformApplicationsOutput> {
        let registry = self.registry.read();
        let items = registry.platform.applications.values().map(|app| {
            let mut attributes = app.attributes.clone();
            attributes.remove("PlatformCredential");
            (
                app.arn.clone(),
                PlatformApplicationItem {
                    platform_application_arn: app.arn.clone(),
                    attributes,
                },
            )
        });
        let (platform_applications, next_token) =
            page(items, input.next_token.as_deref(), PAGE_SIZE)?;
        Ok(ListPlatformApplicationsOutput {
            platform_applications,
            next_token,
        })
    }

    pub async fn create_platform_endpoint(
        &self,
        input: CreatePlatformEndpointInput,
    ) -> SnsResult<CreateEndpointOutput> {
        let app_arn = required(&input.platform_application_arn, "PlatformApplicationArn")?;
        check_platform_arn(app_arn, "PlatformApplicationArn", PlatformArn::Application)?;
        let token = required(&input.token, "Token")?;
        let mut attributes = input.attributes.clone();
        attributes.insert("Token".into(), token.to_string());
        if let Some(data) = &input.custom_user_data {
            attributes.insert("CustomUserData".into(), data.clone());
        }
        attributes
            .entry("Enabled".into())
            .or_insert_with(|| "true".into());
        let (arn, commit) = {
            let mut registry = self.registry.write();
            let app = registry
                .platform
                .applications
                .get(app_arn)
                .ok_or_else(application_not_found)?;
            let prefix = format!(
                "arn:aws:sns:{}:{}:endpoint/{}/{}/",
                self.config().region,
                self.config().account_id,
                app.platform,
                app.name
            );
            if let Some(existing) = registry.platform.endpoints.values().find(|e| {
                e.application_arn == app_arn
                    && e.attributes.get("Token").map(String::as_str) == Some(token)
            }) {
                if existing.attributes != attributes {
                    return Err(SnsError::invalid_reason(
                        "Token",
                        format!(
                            "Endpoint {} already exists with the same Token, but different attributes.",
                            existing.arn
                        ),
                    ));
                }
                return Ok(CreateEndpointOutput {
                    endpoint_arn: existing.arn.clone(),
                });
            }
            let arn = format!("{prefix}{}", uuid::Uuid::new_v4());
            let endpoint = PlatformEndpoint {
                arn: arn.clone(),
                application_arn: app_arn.to_string(),
                attributes,
            };
            let mut batch = Batch::new();
            batch.put(
                Keyspace::SnsMeta,
                endpoint_key(&arn),
                persist::json(&endpoint),
            );
            registry.platform.endpoints.insert(arn.clone(), endpoint);
            (arn, self.submit(batch))
        };
        await_commit(commit).await?;
        Ok(CreateEndpointOutput { endpoint_arn: arn })
    }

    pub fn get_endpoint_attributes(&self, input: EndpointArnInput) -> SnsResult<AttributesOutput> {
        let arn = required(&input.endpoint_arn, "EndpointArn")?;
        check_platform_arn(arn, "EndpointArn", PlatformArn::Endpoint)?;
        let registry = self.registry.read();
        let endpoint = registry
            .platform
            .endpoints
            .get(arn)
            .ok_or_else(endpoint_not_found)?;
        Ok(AttributesOutput {
            attributes: endpoint.attributes.clone(),
        })
    }

    pub async fn set_endpoint_attributes(
        &self,
        input: SetEndpointAttributesInput,
    ) -> SnsResult<Empty> {
        let arn = required(&input.endpoint_arn, "EndpointArn")?;
        check_platform_arn(arn, "EndpointArn", PlatformArn::Endpoint)?;
        let commit = {
            let mut registry = self.registry.write();
            let endpoint = registry
                .platform
                .endpoints
                .get_mut(arn)
                .ok_or_else(endpoint_not_found)?;
            for (k, v) in &input.attributes {
                endpoint.attributes.insert(k.clone(), v.clone());
            }
            let mut batch = Batch::new();
            batch.put(
                Keyspace::SnsMeta,
                endpoint_key(arn),
                persist::json(endpoint),
            );
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn delete_endpoint(&self, input: EndpointArnInput) -> SnsResult<Empty> {
        let arn = required(&input.endpoint_arn, "EndpointArn")?;
        check_platform_arn(arn, "EndpointArn", PlatformArn::Endpoint)?;
        let commit = {
            let mut registry = self.registry.write();
            let mut batch = Batch::new();
            if registry.platform.endpoints.remove(arn).is_some() {
                batch.delete(Keyspace::SnsMeta, endpoint_key(arn));
            }
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn list_endpoints_by_platform_application(
        &self,
        input: ListEndpointsByPlatformApplicationInput,
    ) -> SnsResult<ListEndpointsOutput> {
        let app_arn = required(&input.platform_application_arn, "PlatformApplicationArn")?;
        check_platform_arn(app_arn, "PlatformApplicationArn", PlatformArn::Application)?;
        let registry = self.registry.read();
        if !registry.platform.applications.contains_key(app_arn) {
            return Err(application_not_found());
        }
        let items = registry
            .platform
            .endpoints
            .values()
            .filter(|e| e.application_arn == app_arn)
            .map(|e| {
                (
                    e.arn.clone(),
                    EndpointItem {
                        endpoint_arn: e.arn.clone(),
                        attributes: e.attributes.clone(),
                    },
                )
            });
        let (endpoints, next_token) = page(items, input.next_token.as_deref(), PAGE_SIZE)?;
        Ok(ListEndpointsOutput {
            endpoints,
            next_token,
        })
    }

    pub fn get_sms_attributes(
        &self,
        input: GetSmsAttributesInput,
    ) -> SnsResult<SmsAttributesOutput> {
        let registry = self.registry.read();
        let all = &registry.platform.sms_attributes;
        let attributes = if input.attributes.is_empty() {
            all.clone()
        } else {
            all.iter()
                .filter(|(k, _)| input.attributes.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        Ok(SmsAttributesOutput { attributes })
    }

    pub async fn set_sms_attributes(&self, input: SetSmsAttributesInput) -> SnsResult<Empty> {
        if let Some(kind) = input.attributes.get("DefaultSMSType") {
            if !matches!(kind.as_str(), "Promotional" | "Transactional") {
                return Err(SnsError::invalid("DefaultSMSType"));
            }
        }
        let commit = {
            let mut registry = self.registry.write();
            for (k, v) in &input.attributes {
                registry
                    .platform
                    .sms_attributes
                    .insert(k.clone(), v.clone());
            }
            let mut batch = Batch::new();
            batch.put(
                Keyspace::SnsMeta,
                SMS_ATTRIBUTES_KEY.to_vec(),
                persist::json(&registry.platform.sms_attributes),
            );
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn check_if_phone_number_is_opted_out(
        &self,
        input: PhoneNumberInput,
    ) -> SnsResult<CheckIfPhoneNumberIsOptedOutOutput> {
        let phone = required(&input.phone_number, "phoneNumber")?;
        if !valid_phone(phone) {
            return Err(SnsError::invalid("PhoneNumber"));
        }
        Ok(CheckIfPhoneNumberIsOptedOutOutput {
            is_opted_out: false,
        })
    }

    pub fn list_phone_numbers_opted_out(
        &self,
        _input: ListPhoneNumbersOptedOutInput,
    ) -> SnsResult<ListPhoneNumbersOptedOutOutput> {
        Ok(ListPhoneNumbersOptedOutOutput::default())
    }

    pub fn opt_in_phone_number(&self, input: PhoneNumberInput) -> SnsResult<Empty> {
        let phone = required(&input.phone_number, "phoneNumber")?;
        if !valid_phone(phone) {
            return Err(SnsError::invalid("PhoneNumber"));
        }
        Ok(Empty {})
    }

    pub fn get_sms_sandbox_account_status(&self) -> SnsResult<GetSmsSandboxAccountStatusOutput> {
        Ok(GetSmsSandboxAccountStatusOutput {
            is_in_sandbox: false,
        })
    }

    async fn set_sandbox_number(&self, number: &str, status: Option<&str>) -> SnsResult<()> {
        let commit = {
            let mut registry = self.registry.write();
            let mut batch = Batch::new();
            match status {
                Some(status) => {
                    registry
                        .platform
                        .sandbox_numbers
                        .insert(number.to_string(), status.to_string());
                    batch.put(
                        Keyspace::SnsMeta,
                        sandbox_key(number),
                        status.as_bytes().to_vec(),
                    );
                }
                None => {
                    registry.platform.sandbox_numbers.remove(number);
                    batch.delete(Keyspace::SnsMeta, sandbox_key(number));
                }
            }
            self.submit(batch)
        };
        await_commit(commit).await
    }

    pub async fn create_sms_sandbox_phone_number(
        &self,
        input: SandboxPhoneNumberInput,
    ) -> SnsResult<Empty> {
        let number = required(&input.phone_number, "PhoneNumber")?;
        if !valid_phone(number) {
            return Err(SnsError::invalid("PhoneNumber"));
        }
        self.set_sandbox_number(number, Some("Pending")).await?;
        Ok(Empty {})
    }

    pub async fn verify_sms_sandbox_phone_number(
        &self,
        input: SandboxPhoneNumberInput,
    ) -> SnsResult<Empty> {
        let number = required(&input.phone_number, "PhoneNumber")?;
        let otp = required(&input.one_time_password, "OneTimePassword")?;
        if !(5..=8).contains(&otp.len()) || !otp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SnsError::invalid("OneTimePassword"));
        }
        if !self
            .registry
            .read()
            .platform
            .sandbox_numbers
            .contains_key(number)
        {
            return Err(SnsError::new(
                ErrorKind::ResourceNotFound,
                "Phone number does not exist",
            ));
        }
        self.set_sandbox_number(number, Some("Verified")).await?;
        Ok(Empty {})
    }

    pub async fn delete_sms_sandbox_phone_number(
        &self,
        input: SandboxPhoneNumberInput,
    ) -> SnsResult<Empty> {
        let number = required(&input.phone_number, "PhoneNumber")?;
        if !self
            .registry
            .read()
            .platform
            .sandbox_numbers
            .contains_key(number)
        {
            return Err(SnsError::new(
                ErrorKind::ResourceNotFound,
                "Phone number does not exist",
            ));
        }
        self.set_sandbox_number(number, None).await?;
        Ok(Empty {})
    }

    pub fn list_sms_sandbox_phone_numbers(
        &self,
        input: PagedInput,
    ) -> SnsResult<ListSmsSandboxPhoneNumbersOutput> {
        let size = match input.max_results {
            None => PAGE_SIZE,
            Some(n) if (1..=100).contains(&n) => n as usize,
            Some(_) => return Err(SnsError::invalid("MaxResults")),
        };
        let registry = self.registry.read();
        let items = registry.platform.sandbox_numbers.iter().map(|(n, s)| {
            (
                n.clone(),
                SandboxPhoneNumber {
                    phone_number: n.clone(),
                    status: s.clone(),
                },
            )
        });
        let (phone_numbers, next_token) = page(items, input.next_token.as_deref(), size)?;
        Ok(ListSmsSandboxPhoneNumbersOutput {
            phone_numbers,
            next_token,
        })
    }

    pub fn list_origination_numbers(
        &self,
        input: PagedInput,
    ) -> SnsResult<ListOriginationNumbersOutput> {
        if input.max_results.is_some_and(|n| !(1..=30).contains(&n)) {
            return Err(SnsError::invalid("MaxResults"));
        }
        Ok(ListOriginationNumbersOutput::default())
    }
}
