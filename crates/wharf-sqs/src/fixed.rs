//! Fixed-length ASCII strings held inline: a message's id (a UUID) and the hex MD5 of its body are the
//! same length for every message, so a resident message keeps them without a heap allocation each.

use std::fmt;
use std::ops::Deref;

/// An ASCII string of exactly `N` bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedStr<const N: usize>([u8; N]);

/// A message id: a UUID in its 36-character hyphenated form.
pub type MessageId = FixedStr<36>;
/// An MD5 digest as 32 lowercase hex digits.
pub type Md5Hex = FixedStr<32>;

impl<const N: usize> FixedStr<N> {
    /// `None` unless `text` is ASCII and exactly `N` bytes long.
    pub fn new(text: &str) -> Option<Self> {
        let bytes: [u8; N] = text.as_bytes().try_into().ok()?;
        bytes.is_ascii().then_some(FixedStr(bytes))
    }

    pub(crate) fn from_ascii(bytes: [u8; N]) -> Self {
        debug_assert!(bytes.is_ascii());
        FixedStr(bytes)
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from ASCII, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl MessageId {
    /// A new random message id.
    pub fn random() -> MessageId {
        let mut bytes = [0u8; 36];
        uuid::Uuid::new_v4().hyphenated().encode_lower(&mut bytes);
        FixedStr(bytes)
    }
}

impl<const N: usize> Deref for FixedStr<N> {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> fmt::Debug for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> serde::Serialize for FixedStr<N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, const N: usize> serde::Deserialize<'de> for FixedStr<N> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        FixedStr::new(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("expected {N} ASCII characters, got {text:?}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ascii_of_the_exact_length() {
        assert_eq!(
            Md5Hex::new("0123456789abcdef0123456789abcdef")
                .unwrap()
                .as_str()
                .len(),
            32
        );
        assert!(Md5Hex::new("0123456789abcdef0123456789abcde").is_none());
        assert!(Md5Hex::new("0123456789abcdef0123456789abcdef0").is_none());
        assert!(Md5Hex::new("é123456789abcdef0123456789abcde").is_none());
        let id = MessageId::random();
        assert_eq!(
            uuid::Uuid::parse_str(&id).unwrap().hyphenated().to_string(),
            *id
        );
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<MessageId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<MessageId>("\"short\"").is_err());
    }
}
