use std::time::Duration;

/// The longest body excerpt a [`FetchError`] carries, in bytes.
pub const EXCERPT_LIMIT: usize = 512;

/// Whether trying again can help.
///
/// ```
/// use poller_core::{ErrorClass, FetchError};
/// assert_eq!(FetchError::http(503, b"busy").class(), ErrorClass::Transient);
/// assert_eq!(FetchError::http(401, b"no").class(), ErrorClass::Permanent);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The same request may succeed later (5xx, 429, timeouts, resets, truncated bodies).
    Transient,
    /// Asking again will give the same answer (401/403/404, wrong format, unmapped status).
    Permanent,
}

/// Why fetching a task's status failed.
///
/// Every variant knows whether it is [transient or permanent](FetchError::class), and none
/// holds a secret: bodies are kept as a short excerpt (at most [`EXCERPT_LIMIT`] bytes) and
/// URLs are never stored with their credentials.
///
/// ```
/// use std::time::Duration;
/// use poller_core::FetchError;
///
/// let e = FetchError::http(429, b"slow down").with_retry_after(Duration::from_secs(7));
/// assert!(e.is_transient());
/// assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
/// assert_eq!(e.to_string(), "HTTP 429: slow down");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with a non-success HTTP status.
    #[error("HTTP {status}{}: {excerpt}", url.as_ref().map(|u| format!(" for {u}")).unwrap_or_default())]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The URL that was asked, without its query (set by the HTTP client on a 404, so that
        /// a wrong base URL does not read like an unknown task id).
        url: Option<String>,
        /// The start of the response body (at most [`EXCERPT_LIMIT`] bytes).
        excerpt: String,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The request did not complete within the per-request timeout.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The connection could not be made or broke before the response was complete.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The body is not the documented format (malformed or truncated JSON, an HTML page …).
    #[error("response is not the documented format ({reason}); body starts: {excerpt:?}")]
    Decode {
        /// What the parser said.
        reason: String,
        /// The start of the body (at most [`EXCERPT_LIMIT`] bytes).
        excerpt: String,
        /// `true` when the body looks cut short (a truncated read), which is worth retrying.
        truncated: bool,
    },
    /// The provider returned a status value that nobody mapped to a phase.
    #[error(
        "unknown status value {value:?}; map it to a phase or report it to the provider's maintainers"
    )]
    UnknownStatus {
        /// The raw status string.
        value: String,
    },
    /// The body was larger than the configured cap.
    #[error("response body exceeds the {limit}-byte cap")]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The source is misconfigured (bad base URL, missing parameter, refused transport …).
    #[error("configuration error: {0}")]
    Config(String),
    /// Anything else; says itself whether it is transient.
    #[error("{message}")]
    Other {
        /// What happened.
        message: String,
        /// Whether trying again can help.
        class: ErrorClass,
    },
}

impl FetchError {
    /// An HTTP error from a status code and the raw body (kept as an excerpt).
    ///
    /// ```
    /// let e = poller_core::FetchError::http(502, b"<html>Bad gateway</html>");
    /// assert!(e.to_string().contains("Bad gateway"));
    /// ```
    pub fn http(status: u16, body: &[u8]) -> Self {
        FetchError::Http {
            status,
            url: None,
            excerpt: excerpt(body),
            retry_after: None,
        }
    }

    /// A decode error from the parser's message and the raw body.
    ///
    /// ```
    /// let e = poller_core::FetchError::decode("expected value at line 1", b"<html>");
    /// assert!(e.is_permanent());
    /// ```
    pub fn decode(reason: impl Into<String>, body: &[u8]) -> Self {
        FetchError::Decode {
            reason: reason.into(),
            excerpt: excerpt(body),
            truncated: false,
        }
    }

    /// Classifies a serde_json error on `body`: a body cut short (an unexpected end of
    /// input, or a number cut after its `-`, `.`, `e` or `e+`, which serde_json reports as an
    /// invalid number) is a truncated, transient body; anything else a permanent format error.
    ///
    /// ```
    /// use poller_core::FetchError;
    /// for body in [&br#"{"status": "pend"#[..], br#"{"status": "running", "cost": 0."#] {
    ///     let err = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
    ///     assert!(FetchError::from_json(&err, body).is_transient());
    /// }
    /// let body = br#"{"status": tru}"#;
    /// let err = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
    /// assert!(FetchError::from_json(&err, body).is_permanent());
    /// ```
    pub fn from_json(err: &serde_json::Error, body: &[u8]) -> Self {
        let blank = body.iter().all(u8::is_ascii_whitespace);
        let truncated = !blank && (err.is_eof() || (err.is_syntax() && cut_in_a_number(body)));
        FetchError::Decode {
            reason: err.to_string(),
            excerpt: excerpt(body),
            truncated,
        }
    }

    /// An unknown status value.
    ///
    /// ```
    /// let e = poller_core::FetchError::unknown_status("exploded");
    /// assert!(e.to_string().contains("\"exploded\""));
    /// ```
    pub fn unknown_status(value: impl Into<String>) -> Self {
        FetchError::UnknownStatus {
            value: truncate(value.into()),
        }
    }

    /// Sets the server's `Retry-After` on an [`Http`](FetchError::Http) error; no effect on
    /// other variants.
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = poller_core::FetchError::http(503, b"").with_retry_after(Duration::from_secs(1));
    /// assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
    /// ```
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        if let FetchError::Http { retry_after, .. } = &mut self {
            *retry_after = Some(after);
        }
        self
    }

    /// Names the URL that was asked on an [`Http`](FetchError::Http) error (without its query:
    /// keep credentials out of it); no effect on other variants.
    ///
    /// ```
    /// let e = poller_core::FetchError::http(404, b"not found").with_url("https://api.example.com/v2/x");
    /// assert_eq!(e.to_string(), "HTTP 404 for https://api.example.com/v2/x: not found");
    /// ```
    pub fn with_url(mut self, asked: impl Into<String>) -> Self {
        if let FetchError::Http { url, .. } = &mut self {
            *url = Some(asked.into());
        }
        self
    }

    /// Whether trying again can help.
    ///
    /// Transient: HTTP 408, 425, 429 and 5xx except 501 and 505; timeouts; connection errors;
    /// truncated bodies; `Other` marked transient. Everything else is permanent.
    ///
    /// ```
    /// use poller_core::FetchError;
    /// assert!(FetchError::Timeout(std::time::Duration::from_secs(1)).is_transient());
    /// assert!(FetchError::unknown_status("?").is_permanent());
    /// ```
    pub fn class(&self) -> ErrorClass {
        use ErrorClass::*;
        match self {
            FetchError::Http { status, .. } => match status {
                408 | 425 | 429 => Transient,
                501 | 505 => Permanent,
                500..=599 => Transient,
                _ => Permanent,
            },
            FetchError::Timeout(_) | FetchError::Connection(_) => Transient,
            FetchError::Decode { truncated, .. } => {
                if *truncated {
                    Transient
                } else {
                    Permanent
                }
            }
            FetchError::UnknownStatus { .. }
            | FetchError::BodyTooLarge { .. }
            | FetchError::Config(_) => Permanent,
            FetchError::Other { class, .. } => *class,
        }
    }

    /// `class() == Transient`.
    ///
    /// ```
    /// assert!(poller_core::FetchError::http(500, b"").is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        self.class() == ErrorClass::Transient
    }

    /// `class() == Permanent`.
    ///
    /// ```
    /// assert!(poller_core::FetchError::http(404, b"").is_permanent());
    /// ```
    pub fn is_permanent(&self) -> bool {
        self.class() == ErrorClass::Permanent
    }

    /// The server's `Retry-After`, if the error carries one.
    ///
    /// ```
    /// assert_eq!(poller_core::FetchError::http(429, b"").retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status code, for [`Http`](FetchError::Http) errors.
    ///
    /// ```
    /// assert_eq!(poller_core::FetchError::http(403, b"").http_status(), Some(403));
    /// ```
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Removes `secret` from every text the error carries, in case a server echoed it back in
    /// a body: each occurrence becomes `[redacted]`, and so does a start of it left at the end
    /// of an excerpt cut at [`EXCERPT_LIMIT`]. The HTTP sources call this with their key on
    /// every error, so a key never reaches an error message.
    ///
    /// ```
    /// use poller_core::FetchError;
    /// let e = FetchError::http(401, b"invalid key sk-live-123").redact("sk-live-123");
    /// assert_eq!(e.to_string(), "HTTP 401: invalid key [redacted]");
    /// ```
    pub fn redact(self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let clean = |text: String| redact_text(text, secret);
        match self {
            FetchError::Http {
                status,
                url,
                excerpt,
                retry_after,
            } => FetchError::Http {
                status,
                url: url.map(clean),
                excerpt: clean(excerpt),
                retry_after,
            },
            FetchError::Connection(m) => FetchError::Connection(clean(m)),
            FetchError::Decode {
                reason,
                excerpt,
                truncated,
            } => FetchError::Decode {
                reason: clean(reason),
                excerpt: clean(excerpt),
                truncated,
            },
            FetchError::UnknownStatus { value } => FetchError::UnknownStatus {
                value: clean(value),
            },
            FetchError::Config(m) => FetchError::Config(clean(m)),
            FetchError::Other { message, class } => FetchError::Other {
                message: clean(message),
                class,
            },
            other => other,
        }
    }
}

fn redact_text(text: String, secret: &str) -> String {
    let text = if text.contains(secret) {
        text.replace(secret, "[redacted]")
    } else {
        text
    };
    // An excerpt cut in the middle of the secret ends with its start, then the ellipsis.
    if let Some(body) = text.strip_suffix('…') {
        let longest = (1..secret.len().min(body.len()) + 1)
            .rev()
            .filter(|n| secret.is_char_boundary(*n))
            .find(|n| body.ends_with(&secret[..*n]));
        if let Some(n) = longest.filter(|n| *n >= 4.min(secret.len())) {
            const TAIL: &str = "[redacted]…";
            let mut keep = (body.len() - n).min(EXCERPT_LIMIT - TAIL.len());
            while !body.is_char_boundary(keep) {
                keep -= 1;
            }
            return format!("{}{TAIL}", &body[..keep]);
        }
    }
    // "[redacted]" may be longer than what it replaced: stay within the limit.
    truncate(text)
}

/// Whether `body` ends inside a number that one more digit would complete (`-`, `1.`,
/// `1e`, `1e+`): then it is a prefix of valid JSON, cut short. A body with a syntax error
/// anywhere else stays wrong whatever follows.
fn cut_in_a_number(body: &[u8]) -> bool {
    if !body
        .last()
        .is_some_and(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
    {
        return false;
    }
    let mut completed = Vec::with_capacity(body.len() + 1);
    completed.extend_from_slice(body);
    completed.push(b'0');
    match serde_json::from_slice::<serde::de::IgnoredAny>(&completed) {
        Ok(_) => true,
        Err(e) => e.is_eof(),
    }
}

/// The start of `body` as text, at most [`EXCERPT_LIMIT`] bytes in all: invalid UTF-8 is
/// replaced, and a body that does not fit is cut on a character boundary and ends with an
/// ellipsis (counted in the limit).
///
/// ```
/// use poller_core::{EXCERPT_LIMIT, excerpt};
/// let long = vec![b'a'; 2000];
/// let e = excerpt(&long);
/// assert!(e.len() <= EXCERPT_LIMIT);
/// assert!(e.ends_with('…'));
/// // Invalid UTF-8 grows when replaced (one byte becomes three): still within the limit.
/// assert!(excerpt(&[0xFF; 400]).len() <= EXCERPT_LIMIT);
/// assert_eq!(excerpt(b"short"), "short");
/// ```
pub fn excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(EXCERPT_LIMIT)];
    let text = String::from_utf8_lossy(head).into_owned();
    if body.len() > EXCERPT_LIMIT || text.len() > EXCERPT_LIMIT {
        // A multi-byte character cut in half at the end became U+FFFD; cutting at the
        // limit less the ellipsis drops it too.
        cut(text)
    } else {
        text
    }
}

/// `s` if it fits in [`EXCERPT_LIMIT`] bytes, else its start and an ellipsis, within them.
fn truncate(s: String) -> String {
    if s.len() > EXCERPT_LIMIT { cut(s) } else { s }
}

/// The start of `s`, cut on a character boundary, and an ellipsis: [`EXCERPT_LIMIT`] bytes
/// at most.
fn cut(mut s: String) -> String {
    let mut end = (EXCERPT_LIMIT - '…'.len_utf8()).min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(body: &[u8]) -> ErrorClass {
        let err = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
        FetchError::from_json(&err, body).class()
    }

    #[test]
    fn bodies_cut_inside_a_number_are_truncated() {
        for body in [
            &b"{\"a\": -"[..],
            b"{\"a\": 1.",
            b"{\"a\": 1e",
            b"{\"a\": 1E+",
            b"{\"a\": [2.5e-",
            b"-",
            b"{\"a\": 12",
            b"{\"a\": \"x",
        ] {
            assert_eq!(
                class_of(body),
                ErrorClass::Transient,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        for body in [
            &b"{\"a\": tru}"[..],
            b"{\"a\": 1.}",
            b"{\"a\": -x",
            b"[1,]",
            b"{\"a\": 1}x",
            b"<html>",
            b"1.e",
            b"{\"a\": 01",
            b"  ",
            b"",
        ] {
            assert_eq!(
                class_of(body),
                ErrorClass::Permanent,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn excerpts_never_exceed_the_limit() {
        let bodies: [Vec<u8>; 6] = [
            vec![b'x'; EXCERPT_LIMIT + 1],
            vec![b'x'; 100_000],
            vec![0xFF; EXCERPT_LIMIT],
            vec![0xC3; 600],
            "é".repeat(EXCERPT_LIMIT).into_bytes(),
            "€".repeat(1000).into_bytes(),
        ];
        for body in &bodies {
            let e = excerpt(body);
            assert!(e.len() <= EXCERPT_LIMIT, "{} bytes", e.len());
            assert!(e.ends_with('…'));
            let http = FetchError::http(500, body);
            assert!(
                matches!(http, FetchError::Http { ref excerpt, .. } if excerpt.len() <= EXCERPT_LIMIT)
            );
        }
        let exact = vec![b'y'; EXCERPT_LIMIT];
        assert_eq!(
            excerpt(&exact).as_bytes(),
            exact.as_slice(),
            "a body that fits is kept whole"
        );
        let value = "z".repeat(10_000);
        match FetchError::unknown_status(value.clone()) {
            FetchError::UnknownStatus { value: v } => {
                assert!(v.len() <= EXCERPT_LIMIT, "{} bytes", v.len());
                assert!(value.starts_with(v.trim_end_matches('…')));
            }
            other => panic!("{other:?}"),
        }
        let fits = "z".repeat(EXCERPT_LIMIT);
        assert_eq!(
            FetchError::unknown_status(fits.clone()),
            FetchError::UnknownStatus { value: fits }
        );
    }
}
