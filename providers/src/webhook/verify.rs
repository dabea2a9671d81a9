//! Verification primitives: Dari's HMAC-SHA256 signature, constant-time comparison of
//! secrets, random secrets and the digests used to de-duplicate deliveries.

use hmac::{Hmac, Mac};
use poller_core::ApiKey;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a Dari signature was refused (never holds the secret or the signature).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// No `X-Webhook-Signature` header.
    Missing,
    /// Not hex, or not 32 bytes once decoded.
    Malformed,
    /// A well-formed signature of another body or key.
    Mismatch,
}

/// Checks `header` (hex, as Dari documents it: no prefix) against the HMAC-SHA256 of the raw
/// `body` keyed with `secret`, in constant time.
pub(super) fn dari_signature(
    secret: &ApiKey,
    header: Option<&[u8]>,
    body: &[u8],
) -> Result<(), Refused> {
    let header = header.ok_or(Refused::Missing)?;
    let header = header.trim_ascii();
    let signature = hex::decode(header).map_err(|_| Refused::Malformed)?;
    if signature.len() != 32 {
        return Err(Refused::Malformed);
    }
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .map_err(|_| Refused::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&signature).map_err(|_| Refused::Mismatch)
}

/// `true` when the two secrets are equal, in time independent of where they differ.
pub(super) fn same_secret(expected: &ApiKey, presented: &str) -> bool {
    bool::from(expected.expose().as_bytes().ct_eq(presented.as_bytes()))
}

/// A fresh random secret: 32 bytes from the thread's CSPRNG, in hex.
pub(super) fn random_secret() -> ApiKey {
    ApiKey::new(hex::encode(rand::random::<[u8; 32]>()))
}

/// What identifies one delivery: the vendor, the task and the exact body.
pub(super) fn digest(vendor: &str, task_id: &str, body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [vendor.as_bytes(), task_id.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(body);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
    const RFC4231_2: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    #[test]
    fn rfc4231_vector_verifies_and_a_changed_byte_does_not() {
        let key = ApiKey::new("Jefe");
        let body = b"what do ya want for nothing?";
        assert_eq!(
            dari_signature(&key, Some(RFC4231_2.as_bytes()), body),
            Ok(())
        );
        assert_eq!(
            dari_signature(&key, Some(RFC4231_2.to_uppercase().as_bytes()), body),
            Ok(())
        );
        assert_eq!(
            dari_signature(
                &key,
                Some(RFC4231_2.as_bytes()),
                b"what do ya want for nothing!"
            ),
            Err(Refused::Mismatch)
        );
        assert_eq!(
            dari_signature(&ApiKey::new("jefe"), Some(RFC4231_2.as_bytes()), body),
            Err(Refused::Mismatch)
        );
    }

    #[test]
    fn missing_short_prefixed_or_non_hex_signatures_are_refused() {
        let key = ApiKey::new("Jefe");
        let body = b"what do ya want for nothing?";
        assert_eq!(dari_signature(&key, None, body), Err(Refused::Missing));
        assert_eq!(
            dari_signature(&key, Some(&RFC4231_2.as_bytes()[..62]), body),
            Err(Refused::Malformed)
        );
        let prefixed = format!("sha256={RFC4231_2}");
        assert_eq!(
            dari_signature(&key, Some(prefixed.as_bytes()), body),
            Err(Refused::Malformed)
        );
        assert_eq!(
            dari_signature(&key, Some(b"zz"), body),
            Err(Refused::Malformed)
        );
    }

    #[test]
    fn secrets_compare_whole() {
        let s = ApiKey::new("abc123");
        assert!(same_secret(&s, "abc123"));
        assert!(!same_secret(&s, "abc12"));
        assert!(!same_secret(&s, "abc1234"));
        assert!(!same_secret(&s, ""));
    }

    #[test]
    fn random_secrets_differ_and_digests_separate_their_parts() {
        assert_ne!(random_secret().expose(), random_secret().expose());
        assert_eq!(random_secret().expose().len(), 64);
        assert_ne!(digest("a", "bc", b""), digest("ab", "c", b""));
        assert_eq!(digest("a", "b", b"x"), digest("a", "b", b"x"));
    }
}
