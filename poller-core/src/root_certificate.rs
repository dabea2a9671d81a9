use crate::ConfigError;
use std::fmt;
use std::sync::Arc;

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// A certificate authority to trust besides the built-in web roots: one or more PEM
/// `CERTIFICATE` blocks, for a server whose certificate a private CA signed (a staging
/// deployment, a corporate proxy, a local simulator).
///
/// Add it to [`HttpOptions`](crate::HttpOptions) with
/// [`add_root_certificate`](crate::HttpOptions::add_root_certificate). [`from_pem`](Self::from_pem)
/// checks the PEM framing; the certificates themselves are decoded when the HTTP client is
/// built (the source's constructor), which fails with [`ConfigError::InvalidCertificate`] if
/// one is not a valid X.509 certificate.
///
/// `Debug` shows how many certificates it holds, not their text.
///
/// ```
/// use poller_core::RootCertificate;
/// let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
/// let ca = RootCertificate::from_pem(pem).unwrap();
/// assert_eq!(ca.count(), 1);
/// assert!(RootCertificate::from_pem("not a certificate").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RootCertificate {
    pem: Arc<str>,
    count: usize,
}

impl RootCertificate {
    /// Takes the PEM text of one or more CA certificates (a `.pem`/`.crt` file's contents).
    ///
    /// An error ([`ConfigError::InvalidCertificate`]) if the text is not UTF-8 or holds no
    /// complete `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` block.
    ///
    /// ```
    /// use poller_core::{ConfigError, RootCertificate};
    /// let err = RootCertificate::from_pem("-----BEGIN CERTIFICATE-----\nMIIB").unwrap_err();
    /// assert!(matches!(err, ConfigError::InvalidCertificate { .. }));
    /// assert!(err.to_string().contains("no complete PEM CERTIFICATE block"));
    /// ```
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let text =
            std::str::from_utf8(pem.as_ref()).map_err(|e| ConfigError::InvalidCertificate {
                reason: format!("the PEM text is not UTF-8 ({e})"),
            })?;
        let mut count = 0;
        let mut rest = text;
        while let Some(start) = rest.find(BEGIN) {
            let after = &rest[start + BEGIN.len()..];
            let Some(end) = after.find(END) else { break };
            count += 1;
            rest = &after[end + END.len()..];
        }
        if count == 0 {
            return Err(ConfigError::InvalidCertificate {
                reason: format!(
                    "no complete PEM CERTIFICATE block ({BEGIN} ... {END}) in {} bytes",
                    text.len()
                ),
            });
        }
        Ok(RootCertificate {
            pem: Arc::from(text),
            count,
        })
    }

    /// The PEM text as given.
    ///
    /// ```
    /// # use poller_core::RootCertificate;
    /// let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    /// assert_eq!(RootCertificate::from_pem(pem).unwrap().pem(), pem);
    /// ```
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// How many `CERTIFICATE` blocks the text holds.
    ///
    /// ```
    /// # use poller_core::RootCertificate;
    /// let one = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    /// assert_eq!(RootCertificate::from_pem(one.repeat(2)).unwrap().count(), 2);
    /// ```
    pub fn count(&self) -> usize {
        self.count
    }
}

impl fmt::Debug for RootCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootCertificate")
            .field("certificates", &self.count)
            .finish_non_exhaustive()
    }
}
