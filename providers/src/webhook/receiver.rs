//! The receiver's configuration and its table of expected tasks.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use axum::http::StatusCode;
use poller_core::{ApiKey, SourceId, TrackerHandle};

use super::verify;

/// The most callback bodies remembered for de-duplication; the oldest are forgotten first.
const SEEN_CAPACITY: usize = 65_536;

/// The default cap on a callback's body: 1 MiB.
const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// A vendor whose callbacks a [`Receiver`] verifies (VESSL documents none).
///
/// ```
/// use poller_providers::webhook::Vendor;
/// assert_eq!(Vendor::Dari.route(), "/dari");
/// assert_eq!(Vendor::Narada.to_string(), "narada");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// Narada: `callbackUrl` + `callbackSecret` per task.
    Narada,
    /// Runware: `webhookURL` per task, a token in its query.
    Runware,
    /// Dari: one webhook URL and secret set on the portal.
    Dari,
}

impl Vendor {
    /// The vendor's route, relative to the receiver's public URL.
    ///
    /// ```
    /// assert_eq!(poller_providers::webhook::Vendor::Runware.route(), "/runware");
    /// ```
    pub fn route(self) -> &'static str {
        match self {
            Vendor::Narada => "/narada",
            Vendor::Runware => "/runware",
            Vendor::Dari => "/dari",
        }
    }

    fn name(self) -> &'static str {
        &self.route()[1..]
    }

    /// The vendor whose callbacks the registry's provider `name` receives; `None` for a
    /// provider without callbacks (`vessl`) or one this crate does not know.
    ///
    /// ```
    /// use poller_providers::webhook::Vendor;
    /// assert_eq!(Vendor::for_provider("narada"), Some(Vendor::Narada));
    /// assert_eq!(Vendor::for_provider("vessl"), None);
    /// ```
    pub fn for_provider(name: &str) -> Option<Vendor> {
        [Vendor::Narada, Vendor::Runware, Vendor::Dari]
            .into_iter()
            .find(|v| v.name() == name)
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Brings one task's poll forward.
type Poke = Arc<dyn Fn(&str) -> bool + Send + Sync>;

struct Expected {
    /// Narada's per-task `callbackSecret`.
    secret: Option<ApiKey>,
    poke: Poke,
}

#[derive(Default)]
struct State {
    expected: HashMap<(Vendor, String), Expected>,
    seen: HashSet<[u8; 32]>,
    seen_order: VecDeque<[u8; 32]>,
}

impl State {
    /// Records a delivery; `false` when it was seen before.
    fn first_delivery(&mut self, digest: [u8; 32]) -> bool {
        if !self.seen.insert(digest) {
            return false;
        }
        self.seen_order.push_back(digest);
        if self.seen_order.len() > SEEN_CAPACITY
            && let Some(old) = self.seen_order.pop_front()
        {
            self.seen.remove(&old);
        }
        true
    }
}

/// Receives the vendors' callbacks, verifies them and brings the named tasks' polls forward
/// (see [the module docs](crate::webhook)). Cheap to clone: clones share the table of
/// expected tasks.
///
/// ```
/// use poller_core::{Fixed, Tracker};
/// use poller_providers::webhook::{Receiver, Vendor};
///
/// let receiver = Receiver::new()
///     .public_url("https://hooks.example.com/cb")
///     .dari_secret("whsec-from-the-portal");
/// let mut tracker = Tracker::new();
/// let source = tracker.add_source(poller_providers::narada::Narada::new("key").source().unwrap(), Fixed::secs(60));
/// tracker.track(source, "job-1");
/// receiver.expect(Vendor::Dari, "job-1", &tracker.handle(), source);
/// assert_eq!(receiver.callback_url(Vendor::Dari).unwrap(), "https://hooks.example.com/cb/dari");
/// assert!(!format!("{receiver:?}").contains("whsec"));
/// let _router: axum::Router = receiver.router(); // mount it in your own server
/// ```
#[derive(Clone)]
pub struct Receiver {
    pub(super) runware_token: ApiKey,
    pub(super) dari_secret: Option<ApiKey>,
    pub(super) body_limit: usize,
    public_url: Arc<RwLock<Option<String>>>,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("public_url", &self.public_url_now())
            .field(
                "dari_secret",
                &self.dari_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("body_limit", &self.body_limit)
            .field("expected", &self.lock().expected.len())
            .finish_non_exhaustive()
    }
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver::new()
    }
}

impl Receiver {
    /// A receiver with a fresh random Runware token (256 bits), no Dari secret (its route
    /// then answers 404), no public URL yet and a body limit of 1 MiB.
    ///
    /// ```
    /// let r = poller_providers::webhook::Receiver::new();
    /// assert!(r.callback_url(poller_providers::webhook::Vendor::Narada).is_none());
    /// ```
    pub fn new() -> Self {
        Receiver {
            runware_token: verify::random_secret(),
            dari_secret: None,
            body_limit: DEFAULT_BODY_LIMIT,
            public_url: Arc::new(RwLock::new(None)),
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// The URL at which the vendors reach this receiver's router, without a trailing slash
    /// (include the prefix you mount the router under). [`bind`](Receiver::bind) sets
    /// `http://{local address}` when none is given.
    ///
    /// ```
    /// use poller_providers::webhook::{Receiver, Vendor};
    /// let r = Receiver::new().public_url("https://example.com/hooks/");
    /// assert_eq!(r.callback_url(Vendor::Narada).unwrap(), "https://example.com/hooks/narada");
    /// ```
    pub fn public_url(self, url: impl Into<String>) -> Self {
        self.set_public_url(url.into());
        self
    }

    pub(super) fn set_public_url(&self, url: String) {
        let url = url.trim_end_matches('/').to_owned();
        *self.public_url.write().unwrap_or_else(|e| e.into_inner()) = Some(url);
    }

    fn public_url_now(&self) -> Option<String> {
        self.public_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Uses `token` as the Runware token instead of a fresh random one: for tasks created
    /// elsewhere whose `webhookURL` already carries it (`…/runware?token={token}`). Treat it
    /// as a secret: it is the callbacks' only credential.
    ///
    /// ```
    /// use poller_providers::webhook::{Receiver, Vendor};
    /// let r = Receiver::new().public_url("http://127.0.0.1:9000").runware_token("tok-123");
    /// assert_eq!(r.callback_url(Vendor::Runware).unwrap(), "http://127.0.0.1:9000/runware?token=tok-123");
    /// assert!(!format!("{r:?}").contains("tok-123"));
    /// ```
    pub fn runware_token(mut self, token: impl Into<ApiKey>) -> Self {
        self.runware_token = token.into();
        self
    }

    /// Dari's webhook secret, as shown on its portal: enables the `/dari` route.
    ///
    /// ```
    /// let r = poller_providers::webhook::Receiver::new().dari_secret("whsec");
    /// assert!(!format!("{r:?}").contains("whsec"));
    /// ```
    pub fn dari_secret(mut self, secret: impl Into<ApiKey>) -> Self {
        self.dari_secret = Some(secret.into());
        self
    }

    /// The largest callback body accepted; a larger one is answered 413, unread.
    ///
    /// # Default
    /// 1 MiB.
    ///
    /// ```
    /// let _r = poller_providers::webhook::Receiver::new().body_limit(64 * 1024);
    /// ```
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The URL to give the vendor: Narada's `callbackUrl`, Runware's `webhookURL` (with the
    /// token in its query: treat it as a secret), Dari's portal webhook URL. `None` until a
    /// public URL is known.
    ///
    /// ```
    /// use poller_providers::webhook::{Receiver, Vendor};
    /// let r = Receiver::new().public_url("http://127.0.0.1:9000");
    /// assert!(r.callback_url(Vendor::Runware).unwrap().starts_with("http://127.0.0.1:9000/runware?token="));
    /// ```
    pub fn callback_url(&self, vendor: Vendor) -> Option<String> {
        let base = self.public_url_now()?;
        Some(match vendor {
            Vendor::Runware => format!(
                "{base}{}?token={}",
                vendor.route(),
                self.runware_token.expose()
            ),
            _ => format!("{base}{}", vendor.route()),
        })
    }

    /// [`callback_url`](Receiver::callback_url) fit to show: Runware's token replaced by `…`.
    ///
    /// ```
    /// use poller_providers::webhook::{Receiver, Vendor};
    /// let r = Receiver::new().public_url("http://127.0.0.1:9000").runware_token("tok-123");
    /// assert_eq!(r.shown_callback_url(Vendor::Runware).unwrap(), "http://127.0.0.1:9000/runware?token=…");
    /// assert_eq!(r.shown_callback_url(Vendor::Dari).unwrap(), "http://127.0.0.1:9000/dari");
    /// ```
    pub fn shown_callback_url(&self, vendor: Vendor) -> Option<String> {
        let base = self.public_url_now()?;
        Some(match vendor {
            Vendor::Runware => format!("{base}{}?token=…", vendor.route()),
            _ => format!("{base}{}", vendor.route()),
        })
    }

    /// Expects callbacks for `task_id` of `vendor`: each verified one brings the task's poll
    /// forward in `tracker` (source `source`). For Narada use
    /// [`expect_narada`](Receiver::expect_narada): a Narada task expected without its secret
    /// rejects every callback (401).
    ///
    /// ```
    /// # use poller_core::{Fixed, Tracker};
    /// use poller_providers::webhook::{Receiver, Vendor};
    /// let mut t = Tracker::new();
    /// let s = t.add_source(poller_providers::narada::Narada::new("key").source().unwrap(), Fixed::secs(60));
    /// let r = Receiver::new();
    /// r.expect(Vendor::Runware, "50836053-a0ee-4cf5-b9d6-ae7c5d140ada", &t.handle(), s);
    /// assert!(r.forget(Vendor::Runware, "50836053-a0ee-4cf5-b9d6-ae7c5d140ada"));
    /// ```
    pub fn expect<O: Send + 'static>(
        &self,
        vendor: Vendor,
        task_id: impl Into<String>,
        tracker: &TrackerHandle<O>,
        source: SourceId,
    ) {
        self.insert(vendor, task_id.into(), None, tracker, source);
    }

    /// Expects Narada callbacks for `request_id`, which must carry `secret` (the
    /// `callbackSecret` given when the task was created) in their body.
    ///
    /// ```
    /// # use poller_core::{Fixed, Tracker};
    /// use poller_providers::webhook::{Receiver, Vendor};
    /// let mut t = Tracker::new();
    /// let s = t.add_source(poller_providers::narada::Narada::new("key").source().unwrap(), Fixed::secs(60));
    /// let r = Receiver::new();
    /// r.expect_narada("req_abc", "per-task-secret", &t.handle(), s);
    /// assert!(r.forget(Vendor::Narada, "req_abc"));
    /// ```
    pub fn expect_narada<O: Send + 'static>(
        &self,
        request_id: impl Into<String>,
        secret: impl Into<ApiKey>,
        tracker: &TrackerHandle<O>,
        source: SourceId,
    ) {
        self.insert(
            Vendor::Narada,
            request_id.into(),
            Some(secret.into()),
            tracker,
            source,
        );
    }

    fn insert<O: Send + 'static>(
        &self,
        vendor: Vendor,
        task_id: String,
        secret: Option<ApiKey>,
        tracker: &TrackerHandle<O>,
        source: SourceId,
    ) {
        let handle = tracker.clone();
        let poke: Poke = Arc::new(move |id: &str| handle.poll_now(source, id));
        self.lock()
            .expected
            .insert((vendor, task_id), Expected { secret, poke });
    }

    /// Stops expecting callbacks for `task_id` of `vendor` (once its wait is over); `false`
    /// when it was not expected.
    ///
    /// ```
    /// use poller_providers::webhook::{Receiver, Vendor};
    /// assert!(!Receiver::new().forget(Vendor::Dari, "job"));
    /// ```
    pub fn forget(&self, vendor: Vendor, task_id: &str) -> bool {
        self.lock()
            .expected
            .remove(&(vendor, task_id.to_owned()))
            .is_some()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a callback for `task_id` that passed the route's own checks to its tracker:
    /// 404 for a task not expected, 401 when `verified` refuses its entry, 200 otherwise (a
    /// body seen before for this task brings no poll).
    pub(super) fn accept(
        &self,
        vendor: Vendor,
        task_id: &str,
        body: &[u8],
        verified: impl FnOnce(Option<&ApiKey>) -> bool,
    ) -> StatusCode {
        let poke = {
            let mut state = self.lock();
            let Some(entry) = state.expected.get(&(vendor, task_id.to_owned())) else {
                tracing::debug!(%vendor, task_id, "callback for a task not expected: no poll");
                return StatusCode::NOT_FOUND;
            };
            if !verified(entry.secret.as_ref()) {
                tracing::warn!(%vendor, task_id, "callback with a wrong secret: no poll");
                return StatusCode::UNAUTHORIZED;
            }
            let poke = entry.poke.clone();
            if !state.first_delivery(verify::digest(vendor.name(), task_id, body)) {
                tracing::debug!(%vendor, task_id, "callback delivered again: no poll");
                return StatusCode::OK;
            }
            poke
        };
        tracing::debug!(%vendor, task_id, "verified callback: polling now");
        poke(task_id);
        StatusCode::OK
    }
}
