//! Message signatures: the RSA key pair that signs every `Notification`, `SubscriptionConfirmation` and
//! `UnsubscribeConfirmation`, and the self-signed X.509 certificate subscribers fetch from `SigningCertURL`
//! to verify them.
//!
//! The key (RSA 2048) and its certificate are generated when first needed (the first signature, or the first
//! request for the certificate: generating an RSA key takes tens of milliseconds of CPU, which start-up
//! should not wait for), exactly once, and kept in the store ([`Keyspace::Meta`], key [`STORE_KEY`]), so
//! they survive restarts (a stored key is loaded when the engine opens) and are not wiped by the admin
//! reset; an in-memory server generates a fresh pair in each process. See [`SigningKey`]. Signatures are RSASSA-PKCS1-v1_5 over
//! SHA1 (`SignatureVersion` `1`) or SHA256 (`2`) of AWS's canonical string to sign
//! ([`crate::envelope::string_to_sign`]), base64-encoded, exactly as Amazon SNS signs.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use parking_lot::Mutex;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::sha2::Sha256;
use rsa::PrivateKey;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use wharf_sqs::Clock;
use wharf_store::{Batch, Keyspace, Store};

use crate::error::{SnsError, SnsResult};
use crate::persist;
use crate::util::utc;

/// Modulus size of the generated key (the size of Amazon SNS's signing keys).
pub const KEY_BITS: usize = 2048;

/// Where the key pair is kept in [`Keyspace::Meta`] (a [`KeyRecord`]).
pub const STORE_KEY: &[u8] = b"sns/signing-key";

/// How long the generated certificate is valid, in years.
const CERT_YEARS: i64 = 30;

/// The persisted key pair.
#[derive(Serialize, Deserialize)]
pub struct KeyRecord {
    pub v: u32,
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub private_key: String,
    /// The self-signed certificate of its public key, PEM.
    pub certificate: String,
}

/// Signs SNS messages with the server's key.
pub struct Signer {
    key: PrivateKey,
    certificate_pem: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").finish_non_exhaustive()
    }
}

impl Signer {
    /// Generates a new key pair and a self-signed certificate valid from the day before `now_millis` for
    /// [`CERT_YEARS`] years. CPU-heavy (RSA key generation): call it off the async runtime.
    pub fn generate(now_millis: u64) -> SnsResult<Signer> {
        let key = PrivateKey::new(&mut getrandom::SysRng, KEY_BITS)
            .map_err(|e| SnsError::internal(format!("generating the SNS signing key: {e}")))?;
        let key_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| SnsError::internal(format!("encoding the SNS signing key: {e}")))?;
        let certificate_pem = self_signed_certificate(&key_pem, now_millis).map_err(|e| {
            SnsError::internal(format!("creating the SNS signing certificate: {e}"))
        })?;
        Ok(Signer {
            key,
            certificate_pem,
        })
    }

    /// The signer of a stored [`KeyRecord`].
    pub fn from_record(record: &KeyRecord) -> SnsResult<Signer> {
        let key = PrivateKey::from_pkcs8_pem(&record.private_key)
            .map_err(|e| SnsError::internal(format!("reading the SNS signing key: {e}")))?;
        if !record.certificate.contains("-----BEGIN CERTIFICATE-----") {
            return Err(SnsError::internal(
                "the stored SNS signing certificate is not a PEM certificate",
            ));
        }
        Ok(Signer {
            key,
            certificate_pem: record.certificate.clone(),
        })
    }

    /// The record to persist.
    pub fn to_record(&self) -> SnsResult<KeyRecord> {
        let private_key = self
            .key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| SnsError::internal(format!("encoding the SNS signing key: {e}")))?;
        Ok(KeyRecord {
            v: persist::FORMAT_VERSION,
            private_key: private_key.to_string(),
            certificate: self.certificate_pem.clone(),
        })
    }

    /// The certificate served at `SigningCertURL`, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The base64 `Signature` of `string_to_sign`: SHA256withRSA for `SignatureVersion` `2`, SHA1withRSA
    /// otherwise.
    pub fn sign(&self, string_to_sign: &str, signature_version: &str) -> String {
        let message = string_to_sign.as_bytes();
        let signature = if signature_version == "2" {
            self.key.pkcs1v15_sign::<Sha256>(message)
        } else {
            self.key.pkcs1v15_sign::<Sha1>(message)
        };
        match signature {
            Ok(bytes) => base64::engine::general_purpose::STANDARD.encode(bytes),
            Err(error) => {
                // Only a failing OS random generator (blinding) gets here.
                tracing::error!(%error, "signing an SNS message failed");
                String::new()
            }
        }
    }
}

/// A self-signed X.509 certificate (SHA256withRSA) of the key in `key_pem` (PKCS#8).
fn self_signed_certificate(key_pem: &str, now_millis: u64) -> Result<String, rcgen::Error> {
    let key_pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(key_pem, &rcgen::PKCS_RSA_SHA256)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, "Wharf SNS signing certificate");
    name.push(rcgen::DnType::OrganizationName, "Wharf");
    params.distinguished_name = name;
    let yesterday = utc(now_millis)
        .date()
        .previous_day()
        .unwrap_or(time::Date::MIN);
    // Clamp the day so that the end date exists in every year.
    let (year, month, day) = (
        yesterday.year(),
        u8::from(yesterday.month()),
        yesterday.day().min(28),
    );
    params.not_before = rcgen::date_time_ymd(year, month, day);
    params.not_after = rcgen::date_time_ymd(year + CERT_YEARS as i32, month, day);
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    Ok(params.self_signed(&key_pair)?.pem())
}

/// The server's signing key: loaded from the store when the engine opens if it is there, otherwise generated
/// (and persisted) on first use, once, whatever the number of concurrent first users.
pub struct SigningKey {
    store: Store,
    clock: Arc<dyn Clock>,
    signer: OnceLock<Arc<Signer>>,
    /// Held while the key is loaded or generated: later callers wait for it instead of making their own.
    init: Mutex<()>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("ready", &self.signer.get().is_some())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads the stored key if there is a readable one (cheap: no key generation); otherwise the key is
    /// generated on first use. Blocking (reads the store).
    pub fn open(store: Store, clock: Arc<dyn Clock>) -> SnsResult<SigningKey> {
        let signer = OnceLock::new();
        if let Some(stored) = load(&store)? {
            let _ = signer.set(Arc::new(stored));
        }
        Ok(SigningKey {
            store,
            clock,
            signer,
            init: Mutex::new(()),
        })
    }

    /// The signer if the key is already loaded or generated.
    pub fn ready(&self) -> Option<Arc<Signer>> {
        self.signer.get().cloned()
    }

    /// The signer, loading or generating (and persisting) the key first if needed. Blocking, CPU-heavy the
    /// first time: call it off the async runtime (see [`SigningKey::get`]).
    pub fn get_blocking(&self) -> SnsResult<Arc<Signer>> {
        if let Some(signer) = self.ready() {
            return Ok(signer);
        }
        let _init = self.init.lock();
        if let Some(signer) = self.ready() {
            return Ok(signer);
        }
        let signer = Arc::new(load_or_create(&self.store, self.clock.now_millis())?);
        Ok(Arc::clone(self.signer.get_or_init(|| signer)))
    }

    /// The signer; the first call generates the key on the blocking pool (the runtime's workers never wait
    /// for it). Cancelling the call does not cancel a generation in progress, which later callers share.
    pub async fn get(self: &Arc<Self>) -> SnsResult<Arc<Signer>> {
        if let Some(signer) = self.ready() {
            return Ok(signer);
        }
        let key = Arc::clone(self);
        tokio::task::spawn_blocking(move || key.get_blocking())
            .await
            .map_err(|e| {
                SnsError::internal(format!("generating the SNS signing key failed: {e}"))
            })?
    }
}

/// The stored signer, if there is a readable one. Blocking.
fn load(store: &Store) -> SnsResult<Option<Signer>> {
    let Some(bytes) = store.get(Keyspace::Meta, STORE_KEY)? else {
        return Ok(None);
    };
    match persist::parse::<KeyRecord>(&bytes).map(|record| Signer::from_record(&record)) {
        Some(Ok(signer)) => return Ok(Some(signer)),
        Some(Err(error)) => {
            tracing::error!(%error, "unreadable SNS signing key; a new one will be generated")
        }
        None => tracing::error!("unreadable SNS signing key record; a new one will be generated"),
    }
    Ok(None)
}

/// The stored signer, or a new one (persisted) if there is none or it cannot be read. Blocking.
fn load_or_create(store: &Store, now_millis: u64) -> SnsResult<Signer> {
    if let Some(signer) = load(store)? {
        return Ok(signer);
    }
    let started = std::time::Instant::now();
    let signer = Signer::generate(now_millis)?;
    let mut batch = Batch::new();
    batch.put(
        Keyspace::Meta,
        STORE_KEY.to_vec(),
        persist::json(&signer.to_record()?),
    );
    let commit = store.submit(batch);
    // `Commit::wait` must not run on an async worker thread: whatever thread we are called on, wait on one of
    // our own.
    std::thread::scope(|scope| scope.spawn(|| commit.wait()).join())
        .map_err(|_| SnsError::internal("persisting the SNS signing key panicked"))??;
    tracing::info!(elapsed = ?started.elapsed(), "generated the SNS signing key");
    Ok(signer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::DecodePublicKey;

    /// The public key of the PEM certificate, after checking that the certificate is self-signed by it.
    fn public_key_of(certificate_pem: &str) -> rsa::PublicKey {
        use x509_cert::der::{DecodePem, Encode};
        let cert = x509_cert::Certificate::from_pem(certificate_pem).unwrap();
        let tbs = cert.tbs_certificate();
        assert_eq!(tbs.issuer(), tbs.subject());
        let spki = tbs.subject_public_key_info().to_der().unwrap();
        let public = rsa::PublicKey::from_public_key_der(&spki).unwrap();
        public
            .pkcs1v15_verify::<Sha256>(&tbs.to_der().unwrap(), cert.signature().raw_bytes())
            .unwrap();
        public
    }

    #[test]
    fn signatures_verify_with_the_certificate_key() {
        let signer = Signer::generate(1_700_000_000_000).unwrap();
        let public = public_key_of(signer.certificate_pem());
        assert_eq!(&public, signer.key.as_public_key());
        let canonical = "Message\nhi\nMessageId\nm\nTimestamp\n2023-11-14T22:13:20.000Z\nTopicArn\narn\nType\nNotification\n";
        let raw = |sig: String| {
            base64::engine::general_purpose::STANDARD
                .decode(sig)
                .unwrap()
        };
        let v1 = raw(signer.sign(canonical, "1"));
        let v2 = raw(signer.sign(canonical, "2"));
        assert_eq!(v1.len(), KEY_BITS / 8);
        public
            .pkcs1v15_verify::<Sha1>(canonical.as_bytes(), &v1)
            .unwrap();
        public
            .pkcs1v15_verify::<Sha256>(canonical.as_bytes(), &v2)
            .unwrap();
        assert!(public
            .pkcs1v15_verify::<Sha256>(canonical.as_bytes(), &v1)
            .is_err());
        assert!(public
            .pkcs1v15_verify::<Sha1>(b"something else", &v1)
            .is_err());

        // The stored record gives back the same key and certificate.
        let again = Signer::from_record(&signer.to_record().unwrap()).unwrap();
        assert_eq!(again.certificate_pem(), signer.certificate_pem());
        assert_eq!(again.sign(canonical, "2"), signer.sign(canonical, "2"));
    }

    #[test]
    fn the_key_is_generated_on_first_use_exactly_once() {
        let store = Store::in_memory();
        let clock: Arc<dyn Clock> = Arc::new(wharf_sqs::ManualClock::new(1_700_000_000_000));
        let key = Arc::new(SigningKey::open(store.clone(), Arc::clone(&clock)).unwrap());
        assert!(key.ready().is_none());
        assert!(store.get(Keyspace::Meta, STORE_KEY).unwrap().is_none());
        // Concurrent first uses wait for one generation.
        let signers: Vec<Arc<Signer>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..6)
                .map(|_| scope.spawn(|| key.get_blocking().unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(signers.iter().all(|s| Arc::ptr_eq(s, &signers[0])));
        let public = public_key_of(signers[0].certificate_pem());
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signers[0].sign("text", "2"))
            .unwrap();
        public
            .pkcs1v15_verify::<Sha256>(b"text", &signature)
            .unwrap();

        // The next open finds it in the store.
        let again = SigningKey::open(store.clone(), Arc::clone(&clock)).unwrap();
        let loaded = again.ready().expect("loaded at open");
        assert_eq!(loaded.certificate_pem(), signers[0].certificate_pem());

        // An unreadable record is replaced by a new key on first use.
        let mut batch = Batch::new();
        batch.put(Keyspace::Meta, STORE_KEY.to_vec(), b"garbage".to_vec());
        store.submit(batch).wait().unwrap();
        let broken = SigningKey::open(store.clone(), clock).unwrap();
        assert!(broken.ready().is_none());
        let fresh = broken.get_blocking().unwrap();
        assert_ne!(fresh.certificate_pem(), signers[0].certificate_pem());
        let record: KeyRecord =
            persist::parse(&store.get(Keyspace::Meta, STORE_KEY).unwrap().unwrap()).unwrap();
        assert_eq!(record.certificate, fresh.certificate_pem());
    }
}
