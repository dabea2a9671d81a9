//! The simulator: its state, the HTTP server, and the library API to drive it.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::serve::ListenerExt;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::{Api, Keys, TaskKey};
use crate::clock::Clock;
use crate::create::{self, CreatedScript, CreatedScripts};
use crate::dari::{DariEntry, DariStage};
use crate::error::{Error, Result};
use crate::faults::{self, Fault, FaultBook, FaultId, FaultPlan, FaultTarget, RandomFaults};
use crate::log::{RecordedRequest, RequestLog};
use crate::narada::{NaradaStage, NaradaTask};
use crate::reply::Reply;
use crate::rng::SplitMix64;
use crate::route::{Route, encode, query_param};
use crate::runware::{RunwareEntry, RunwareTask};
use crate::script::Script;
use crate::vessl::{VesslEntry, VesslStage};
use crate::{control, dari, narada, runware, vessl};

/// Scripts used for tasks created through the APIs' own creation endpoints.
#[derive(Clone, Debug)]
pub(crate) struct Defaults {
    pub(crate) narada: Script<NaradaStage>,
    pub(crate) vessl: Script<VesslStage>,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            narada: Script::narada_success_after(
                Duration::from_secs(10),
                json!({"text": "Task completed (simulated)."}),
            ),
            vessl: Script::vessl_completed_after(
                Duration::from_secs(1),
                Duration::from_secs(4),
                &json!({"text": "Hello!"}),
            ),
        }
    }
}

/// Everything that changes while the simulator runs.
pub(crate) struct State {
    pub(crate) narada: HashMap<String, NaradaTask>,
    pub(crate) runware: HashMap<String, RunwareEntry>,
    pub(crate) dari: HashMap<(String, String, String), DariEntry>,
    pub(crate) vessl: HashMap<(String, String), VesslEntry>,
    pub(crate) faults: FaultBook,
    pub(crate) ids: SplitMix64,
    pub(crate) defaults: Defaults,
    pub(crate) created: CreatedScripts,
    pub(crate) callbacks: crate::callbacks::Callbacks,
}

/// What the server and the [`Simulator`] handle share.
pub(crate) struct Shared {
    pub(crate) keys: Keys,
    pub(crate) clock: Clock,
    pub(crate) base_url: String,
    state: Mutex<State>,
    log: Mutex<RequestLog>,
    max_body: usize,
    shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// Locks the state; a panic elsewhere while holding it does not wedge the simulator.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn log(&self) -> MutexGuard<'_, RequestLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add_narada(&self, id: String, script: Script<NaradaStage>) {
        let added = self.clock.elapsed();
        self.lock().narada.insert(id, NaradaTask { added, script });
    }

    pub(crate) fn add_runware(&self, uuid: String, task: RunwareTask) {
        let added = self.clock.elapsed();
        self.lock()
            .runware
            .insert(uuid, RunwareEntry { added, task });
    }

    pub(crate) fn add_dari(&self, key: (String, String, String), script: Script<DariStage>) {
        let added = self.clock.elapsed();
        self.lock().dari.insert(key, DariEntry { added, script });
    }

    pub(crate) fn add_vessl(&self, key: (String, String), script: Script<VesslStage>) {
        let added = self.clock.elapsed();
        self.lock().vessl.insert(key, VesslEntry { added, script });
    }

    pub(crate) fn remove(&self, key: &TaskKey) -> bool {
        let mut s = self.lock();
        match key.clone() {
            TaskKey::Narada { id } => s.narada.remove(&id).is_some(),
            TaskKey::Runware { id } => s.runware.remove(&id).is_some(),
            TaskKey::Dari { org, endpoint, id } => s.dari.remove(&(org, endpoint, id)).is_some(),
            TaskKey::Vessl { slug, id } => s.vessl.remove(&(slug, id)).is_some(),
        }
    }

    /// The URL a client polls for this task (for Runware, the `POST /v1` endpoint).
    pub(crate) fn status_url(&self, key: &TaskKey) -> String {
        let enc = encode;
        let base = &self.base_url;
        match key {
            TaskKey::Narada { id } => {
                format!("{base}/fast/v2/remote-dispatch/responses/{}", enc(id))
            }
            TaskKey::Runware { .. } => format!("{base}/v1"),
            TaskKey::Dari { org, endpoint, id } => format!(
                "{base}/jobs/{}/{}/status?job_id={}",
                enc(org),
                enc(endpoint),
                enc(id)
            ),
            TaskKey::Vessl { slug, id } => format!(
                "{base}/api/v1/services/{}/async/{}/output",
                enc(slug),
                enc(id)
            ),
        }
    }

    /// Whether the simulator is shutting down (a [`Shared::sleep`] may have ended early).
    pub(crate) fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Sleeps in the simulator's clock, cut short by shutdown.
    pub(crate) async fn sleep(&self, d: Duration) {
        let mut rx = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = rx.wait_for(|stop| *stop) => {}
        }
    }
}

fn handle(
    shared: &Shared,
    route: &Route,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Reply {
    match route {
        Route::NaradaStatus { id } => narada::get_status(shared, headers, id),
        Route::NaradaCreate => create::narada::create(shared, headers, body),
        Route::Runware => runware::post(shared, headers, body),
        Route::DariStatus {
            legacy,
            org,
            endpoint,
        } => dari::get_status(
            shared,
            headers,
            *legacy,
            org,
            endpoint,
            query_param(query, "job_id").as_deref(),
        ),
        Route::VesslOutput { slug, id } => vessl::get_output(shared, headers, slug, id),
        Route::VesslCreate { slug } => create::vessl::create(shared, headers, slug, body),
        Route::DariStart { org, endpoint } => {
            create::dari::start(shared, headers, org, endpoint, body)
        }
        Route::WrongMethod(api) => {
            let s = StatusCode::METHOD_NOT_ALLOWED;
            Reply::json(s, faults::api_error(*api, s, "Method Not Allowed"))
        }
        Route::Unknown => Reply::json(StatusCode::NOT_FOUND, json!({"detail": "Not Found"})),
    }
}

/// Serves every API request: record, pick a fault, answer.
async fn api_handler(AxState(shared): AxState<Arc<Shared>>, req: Request) -> Response {
    let at = shared.clock.elapsed();
    let (parts, body) = req.into_parts();
    let uri = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let route = Route::parse(&parts.method, parts.uri.path());
    let api = route.api();
    let body = to_bytes(body, shared.max_body).await;
    let too_large = body.is_err();
    let body = body.unwrap_or_default();
    let query = parts.uri.query();
    let tasks = route.tasks(query, &body);
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let seq = shared.log().push(RecordedRequest {
        seq: 0,
        at,
        method: parts.method.as_str().to_owned(),
        uri,
        headers,
        body: body.clone(),
        api,
        tasks: tasks.clone(),
        status: None,
        fault: None,
    });

    let fault: Option<Fault> = api.and_then(|a| shared.lock().faults.select(a, &tasks));
    if let Some(Fault::Slow { delay }) = &fault {
        shared.sleep(*delay).await;
    }
    let reply = match (api, &fault) {
        (Some(a), _) if too_large => {
            let s = StatusCode::PAYLOAD_TOO_LARGE;
            Some(Reply::json(
                s,
                faults::api_error(a, s, "Request body too large"),
            ))
        }
        (Some(a), Some(f)) => faults::replacement(f, a),
        _ => None,
    }
    .unwrap_or_else(|| handle(&shared, &route, &parts.headers, query, &body));
    shared
        .log()
        .finish(seq, reply.status.as_u16(), fault.clone());
    crate::callbacks::dispatch(&shared);
    if let Some(Fault::LateAnswer { delay }) = &fault {
        // Processed (and logged) already: only the answer is late, so a client that gives up
        // first has created the task all the same.
        shared.sleep(*delay).await;
    }
    faults::finish(fault.as_ref(), reply)
}

/// A running simulator: an HTTP server on loopback serving the four APIs on one listener,
/// plus the handle to script tasks, inject faults and read the request log.
///
/// The server runs in a spawned tokio task and stops when [`Simulator::shutdown`] is awaited
/// or the `Simulator` is dropped. Task scripts and the request log use tokio's clock, so tests
/// can run in virtual time (`#[tokio::test(start_paused = true)]` and
/// `tokio::time::advance`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), poller_sim::Error> {
/// use std::time::Duration;
/// use poller_sim::{Script, Simulator};
///
/// let sim = Simulator::start().await?;
/// sim.add_narada_task(
///     "req_1",
///     Script::narada_success_after(Duration::from_secs(5), serde_json::json!({"text": "done"})),
/// );
/// assert!(sim.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(sim.runware_base_url(), format!("{}/v1", sim.base_url()));
/// sim.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    ca_pem: Option<String>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

/// Configures and starts a [`Simulator`].
///
/// # Default
///
/// | setting | default |
/// |---|---|
/// | [`bind`](Self::bind) | `127.0.0.1:0` (a free port) |
/// | [`keys`](Self::keys) | [`Keys::default`] |
/// | [`epoch`](Self::epoch) | the wall-clock time at start |
/// | [`seed`](Self::seed) | `0` (ids from creation endpoints) |
/// | [`narada_default_script`](Self::narada_default_script) | `pending` 10 s, then `success` `{"text": "Task completed (simulated)."}` |
/// | [`vessl_default_script`](Self::vessl_default_script) | `pending` 1 s, `in_progress` 4 s, then `completed` 200 `{"text": "Hello!"}` |
/// | [`max_request_body`](Self::max_request_body) | 16 MiB (larger: 413) |
/// | [`max_logged_requests`](Self::max_logged_requests) | unbounded |
/// | [`tls`](Self::tls) | off: plain `http://` |
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), poller_sim::Error> {
/// use poller_sim::{Keys, Simulator};
/// let sim = Simulator::builder()
///     .keys(Keys { narada: "k1".into(), ..Keys::default() })
///     .start()
///     .await?;
/// assert_eq!(sim.keys().narada, "k1");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SimulatorBuilder {
    addr: SocketAddr,
    keys: Keys,
    epoch: Option<SystemTime>,
    seed: u64,
    defaults: Defaults,
    max_body: usize,
    log_limit: Option<usize>,
    tls: bool,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        SimulatorBuilder {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            keys: Keys::default(),
            epoch: None,
            seed: 0,
            defaults: Defaults::default(),
            max_body: 16 * 1024 * 1024,
            log_limit: None,
            tls: false,
        }
    }
}

impl SimulatorBuilder {
    /// The address to listen on (port 0: any free port).
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The keys the APIs accept.
    #[must_use]
    pub fn keys(mut self, keys: Keys) -> Self {
        self.keys = keys;
        self
    }

    /// The wall-clock time that the simulator's start maps to, for timestamps in bodies.
    #[must_use]
    pub fn epoch(mut self, epoch: SystemTime) -> Self {
        self.epoch = Some(epoch);
        self
    }

    /// Seed for the ids handed out by `POST /fast/v2/remote-dispatch` and `POST .../async`.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The script of Narada tasks created with `POST /fast/v2/remote-dispatch`.
    #[must_use]
    pub fn narada_default_script(mut self, script: Script<NaradaStage>) -> Self {
        self.defaults.narada = script;
        self
    }

    /// The script of VESSL requests created with `POST .../async`.
    #[must_use]
    pub fn vessl_default_script(mut self, script: Script<VesslStage>) -> Self {
        self.defaults.vessl = script;
        self
    }

    /// The largest request body accepted; larger ones get 413.
    #[must_use]
    pub fn max_request_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Keeps only the newest `n` requests in the log.
    #[must_use]
    pub fn max_logged_requests(mut self, n: usize) -> Self {
        self.log_limit = Some(n);
        self
    }

    /// Serves over TLS (rustls) with a certificate signed by a test CA generated at start:
    /// the base URL becomes `https://127.0.0.1:PORT` (the certificate also names
    /// `localhost` and `::1`), and [`Simulator::tls_ca_pem`] gives the CA for the client to
    /// trust. Everything else (routes, control API, faults, log) is the same.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), poller_sim::Error> {
    /// let sim = poller_sim::Simulator::builder().tls(true).start().await?;
    /// assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    /// assert!(sim.tls_ca_pem().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// Binds the listener and spawns the server on the current tokio runtime.
    pub async fn start(self) -> Result<Simulator> {
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|source| Error::Bind {
                addr: self.addr,
                source,
            })?;
        let mut addr = listener.local_addr().map_err(Error::LocalAddr)?;
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let tls = match self.tls {
            true => Some(crate::tls::test_ca(addr.ip())?),
            false => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            keys: self.keys,
            clock: Clock::new(self.epoch.unwrap_or_else(SystemTime::now)),
            base_url: format!("{scheme}://{addr}"),
            state: Mutex::new(State {
                narada: HashMap::new(),
                runware: HashMap::new(),
                dari: HashMap::new(),
                vessl: HashMap::new(),
                faults: FaultBook::default(),
                ids: SplitMix64::new(self.seed),
                defaults: self.defaults,
                created: CreatedScripts::default(),
                callbacks: Default::default(),
            }),
            log: Mutex::new(RequestLog::new(self.log_limit)),
            max_body: self.max_body,
            shutdown: stopped.clone(),
        });
        let app = Router::new()
            .nest("/_sim", control::router())
            .fallback(api_handler)
            .with_state(shared.clone());
        if let Some(tls) = tls {
            let server = crate::tls::spawn(listener, addr, app, &tls, stopped)?;
            return Ok(Simulator {
                shared,
                addr,
                stop,
                server: Some(server),
                ca_pem: Some(tls.ca_pem),
            });
        }
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let mut stopped = stopped;
        let server = tokio::spawn(async move {
            let signal = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await;
        });
        Ok(Simulator {
            shared,
            addr,
            stop,
            server: Some(server),
            ca_pem: None,
        })
    }
}

impl Simulator {
    /// Starts a simulator with the defaults (`127.0.0.1:0`, [`Keys::default`]).
    pub async fn start() -> Result<Simulator> {
        SimulatorBuilder::default().start().await
    }

    /// A builder for other settings.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` with [`SimulatorBuilder::tls`]), without a
    /// trailing slash.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// With [`SimulatorBuilder::tls`], the test CA's certificate (PEM) that signed the
    /// server's certificate: what a client adds to its trusted roots. `None` over plain HTTP.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = poller_sim::Simulator::builder().tls(true).start().await?;
    /// let ca = reqwest::Certificate::from_pem(sim.tls_ca_pem().unwrap().as_bytes())?;
    /// let client = reqwest::Client::builder().add_root_certificate(ca).build()?;
    /// let info = client.get(format!("{}/_sim/info", sim.base_url())).send().await?;
    /// assert_eq!(info.status(), 200);
    /// assert_eq!(poller_sim::Simulator::start().await?.tls_ca_pem(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn tls_ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Narada's base URL: the same as [`base_url`](Self::base_url).
    pub fn narada_base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Runware's endpoint: `base_url + "/v1"`.
    pub fn runware_base_url(&self) -> String {
        format!("{}/v1", self.shared.base_url)
    }

    /// Dari's base URL: the same as [`base_url`](Self::base_url).
    pub fn dari_base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// A VESSL service's base URL: `base_url + "/api/v1/services/{slug}"` (the slug is
    /// percent-encoded).
    pub fn vessl_base_url(&self, slug: &str) -> String {
        format!("{}/api/v1/services/{}", self.shared.base_url, encode(slug))
    }

    /// The keys each API accepts, and the Dari organisation.
    pub fn keys(&self) -> &Keys {
        &self.shared.keys
    }

    /// How long the simulator has run, in its clock (tokio time).
    pub fn elapsed(&self) -> Duration {
        self.shared.clock.elapsed()
    }

    /// The URL a client polls for a task (for Runware, the `POST /v1` endpoint; for Dari the
    /// newer `/jobs/...` path).
    pub fn status_url(&self, task: &TaskKey) -> String {
        self.shared.status_url(task)
    }

    /// Adds (or replaces and restarts) a Narada task; its script starts now.
    pub fn add_narada_task(&self, request_id: impl Into<String>, script: Script<NaradaStage>) {
        self.shared.add_narada(request_id.into(), script);
    }

    /// Adds (or replaces and restarts) a Runware task; a single generation's script converts
    /// into a `videoInference` task.
    pub fn add_runware_task(&self, task_uuid: impl Into<String>, task: impl Into<RunwareTask>) {
        self.shared.add_runware(task_uuid.into(), task.into());
    }

    /// Adds (or replaces and restarts) a Dari job under `org` and `endpoint`. Jobs under an
    /// organisation other than [`Keys::dari_org`] exist but answer 403.
    pub fn add_dari_job(
        &self,
        org: impl Into<String>,
        endpoint: impl Into<String>,
        job_id: impl Into<String>,
        script: Script<DariStage>,
    ) {
        self.shared
            .add_dari((org.into(), endpoint.into(), job_id.into()), script);
    }

    /// How callbacks are delivered from now on: delay, loss, duplicates, spread, wrong
    /// secrets or signatures (see [`CallbackOptions`](crate::CallbackOptions)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_sim::Result<()> {
    /// let sim = poller_sim::Simulator::start().await?;
    /// sim.set_callbacks(poller_sim::CallbackOptions { loss_rate: 0.3, seed: 7, ..Default::default() });
    /// # Ok(()) }
    /// ```
    pub fn set_callbacks(&self, options: crate::CallbackOptions) {
        self.shared.lock().callbacks.set_options(options);
    }

    /// Dari's portal webhook: `url` and `secret` (HMAC-SHA256 key of `X-Webhook-Signature`)
    /// for the jobs created from now on; `None` removes it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> poller_sim::Result<()> {
    /// let sim = poller_sim::Simulator::start().await?;
    /// sim.set_dari_webhook(Some(("http://127.0.0.1:9/dari", "whsec")));
    /// # Ok(()) }
    /// ```
    pub fn set_dari_webhook(&self, portal: Option<(&str, &str)>) {
        let portal = portal.map(|(u, s)| (u.to_owned(), s.to_owned()));
        self.shared.lock().callbacks.set_dari(portal);
    }

    /// Adds (or replaces and restarts) a VESSL async request for service `slug`.
    pub fn add_vessl_request(
        &self,
        slug: impl Into<String>,
        request_id: impl Into<String>,
        script: Script<VesslStage>,
    ) {
        self.shared
            .add_vessl((slug.into(), request_id.into()), script);
    }

    /// Queues the script of the next task its API creates through its own creation endpoint
    /// (`POST /fast/v2/remote-dispatch`, a Runware task item, `POST /jobs/.../start`,
    /// `POST .../async`); tasks beyond the queue follow the default.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), poller_sim::Error> {
    /// use std::time::Duration;
    /// use poller_sim::{CreatedScript, Script, Simulator};
    /// let sim = Simulator::start().await?;
    /// sim.script_next_created(CreatedScript::narada(Script::narada_error_after(Duration::from_secs(3), "no")));
    /// # Ok(()) }
    /// ```
    pub fn script_next_created(&self, script: CreatedScript) {
        self.shared.lock().created.queue(script);
    }

    /// Replaces the script every task created through its API's creation endpoint follows
    /// when no queued script is left.
    ///
    /// # Default
    /// Narada and VESSL: [`SimulatorBuilder::narada_default_script`] and
    /// [`SimulatorBuilder::vessl_default_script`]; Runware: per requested result
    /// (`numberResults`, default 1) one generation processing 10 s, then `success` costing
    /// 0.05; Dari: `pending` 1 s, `running` "Opening the portal" 3 s, then `completed`
    /// `{"submitted": true}`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), poller_sim::Error> {
    /// use std::time::Duration;
    /// use poller_sim::{CreatedScript, Script, Simulator};
    /// let sim = Simulator::start().await?;
    /// sim.set_created_default(CreatedScript::runware(vec![Script::runware_success_after(Duration::from_secs(1), 0.1)]));
    /// # Ok(()) }
    /// ```
    pub fn set_created_default(&self, script: CreatedScript) {
        self.shared.lock().set_created_default(script);
    }

    /// Removes a task; later requests for it get 404 (Runware: `taskFailedOrNotFound`).
    pub fn remove_task(&self, task: &TaskKey) -> bool {
        self.shared.remove(task)
    }

    /// Adds a fault plan for a target ([`FaultTarget`], or a [`TaskKey`] or [`Api`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), poller_sim::Error> {
    /// use poller_sim::{Api, Fault, FaultPlan, FaultTarget, Simulator, TaskKey};
    /// let sim = Simulator::start().await?;
    /// sim.inject_fault(TaskKey::narada("req_1"), FaultPlan::next(2, Fault::status(503)));
    /// sim.inject_fault(Api::Runware, FaultPlan::requests(3..=5, Fault::retry_after_secs(2)));
    /// let id = sim.inject_fault(FaultTarget::Global, FaultPlan::always(Fault::ResetMidBody));
    /// assert!(sim.remove_fault(id));
    /// # Ok(())
    /// # }
    /// ```
    pub fn inject_fault(&self, target: impl Into<FaultTarget>, plan: FaultPlan) -> FaultId {
        self.shared.lock().faults.add(target.into(), plan)
    }

    /// Removes one fault plan; `false` if it was already used up or removed.
    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.shared.lock().faults.remove(id)
    }

    /// Removes every fault plan (random faults stay as they are).
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// From now on, `rate` (0-1) of API requests that no plan matched get one of
    /// [`Fault::transient_kinds`], drawn with a generator seeded by `seed`.
    pub fn set_random_faults(&self, rate: f64, seed: u64) {
        self.set_random_faults_with(RandomFaults::new(rate, seed));
    }

    /// Like [`set_random_faults`](Self::set_random_faults) with a chosen set of kinds.
    pub fn set_random_faults_with(&self, random: RandomFaults) {
        self.shared.lock().faults.set_random(Some(random));
    }

    /// Stops random faults.
    pub fn disable_random_faults(&self) {
        self.shared.lock().faults.set_random(None);
    }

    /// Every recorded request, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests_where(|_| true)
    }

    /// Recorded requests matching a predicate, oldest first.
    pub fn requests_where(&self, f: impl Fn(&RecordedRequest) -> bool) -> Vec<RecordedRequest> {
        self.shared.log().iter().filter(|r| f(r)).cloned().collect()
    }

    /// Recorded requests to one API.
    pub fn requests_for_api(&self, api: Api) -> Vec<RecordedRequest> {
        self.requests_where(|r| r.api == Some(api))
    }

    /// Recorded requests naming one task.
    pub fn requests_for_task(&self, task: &TaskKey) -> Vec<RecordedRequest> {
        self.requests_where(|r| r.names(task))
    }

    /// How many requests the log holds.
    pub fn request_count(&self) -> usize {
        self.shared.log().len()
    }

    /// Empties the request log (fault counters are not reset).
    pub fn clear_requests(&self) {
        self.shared.log().clear();
    }

    /// Stops accepting connections, cuts slow responses short, lets open connections finish
    /// and waits for the server task to end.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Simulator {
    /// Signals the server to stop (without waiting for it).
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
