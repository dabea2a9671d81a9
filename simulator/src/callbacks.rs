//! Callbacks (webhooks) as the vendors document them, sent when a created task reaches its
//! final stage:
//!
//! - Narada: `POST callbackUrl` with the `callbackHeaders` given at creation; the body is the
//!   status body plus `requestId` and `callbackSecret` (null when none was given).
//! - Dari: `POST` to the portal's webhook URL ([`Simulator::set_dari_webhook`]); the body is
//!   the job-status body plus `event_type` (`completed` or `error`) and `timestamp`; header
//!   `X-Webhook-Signature`: the hex HMAC-SHA256 of the raw body keyed with the portal secret.
//! - Runware: `POST webhookURL` (given per task at creation), one call per generation as it
//!   ends: the body is what `getResponse` gives for that one item at that moment,
//!   `{"data": [item]}` on success, `{"errors": [error item]}` on failure. No signature: the
//!   client authenticates with a token in the URL's query.
//!
//! [`CallbackOptions`] add a delay, a loss rate, duplicates, a random spread (so deliveries
//! arrive out of order) and wrong secrets, signatures or tokens on demand.
//!
//! Runware retries a delivery the receiver does not answer with a 2xx (another status, a
//! refused connection, no answer within 10 s): the simulator tries again 3 times, 1 s, 2 s
//! then 4 s after each failure, then gives up. Narada and Dari document no retry: each
//! delivery is one attempt. A lost delivery ([`CallbackOptions::loss_rate`]) is not tried at
//! all.
//!
//! [`Simulator::set_dari_webhook`]: crate::Simulator::set_dari_webhook

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::api::TaskKey;
use crate::rng::SplitMix64;
use crate::server::Shared;

/// How callbacks are delivered (set with [`Simulator::set_callbacks`] or
/// `POST /_sim/callbacks` with this JSON form, durations in milliseconds).
///
/// ```
/// let o = poller_sim::CallbackOptions::default();
/// assert_eq!((o.delay_ms, o.loss_rate, o.duplicates, o.wrong_signature), (0, 0.0, 0, false));
/// ```
///
/// [`Simulator::set_callbacks`]: crate::Simulator::set_callbacks
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallbackOptions {
    /// Sent this long after the task's final stage begins.
    pub delay_ms: u64,
    /// A further random delay of up to this much per delivery: deliveries overtake each other.
    pub spread_ms: u64,
    /// The share of callbacks never sent, 0 to 1.
    pub loss_rate: f64,
    /// Extra copies of each callback sent.
    pub duplicates: u32,
    /// Narada: a wrong `callbackSecret`; Dari: a signature made with another key; Runware: the
    /// `token` query value of `webhookURL` altered (`token=wrong` added when there is none).
    pub wrong_signature: bool,
    /// Seed of the loss and spread draws.
    pub seed: u64,
}

/// The callback state the simulator keeps.
#[derive(Default)]
pub(crate) struct Callbacks {
    options: CallbackOptions,
    rng: Option<SplitMix64>,
    dari: Option<(String, String)>,
    queue: Vec<Target>,
}

/// How long one delivery attempt may take before it counts as failed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Runware's retries of a delivery not answered with a 2xx: the wait before each.
const RUNWARE_RETRIES: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// A callback to send once its task (Runware: its generation) is final.
pub(crate) struct Target {
    task: TaskKey,
    /// Runware: the generation the callback is about; 0 otherwise.
    item: usize,
    /// Where to, and Narada's headers and secret.
    url: Option<String>,
    headers: Vec<(String, String)>,
    secret: Option<String>,
    /// The simulator time the task's final stage begins.
    final_at: Duration,
}

impl Callbacks {
    pub(crate) fn set_options(&mut self, options: CallbackOptions) {
        self.rng = Some(SplitMix64::new(options.seed));
        self.options = options;
    }

    pub(crate) fn set_dari(&mut self, portal: Option<(String, String)>) {
        self.dari = portal;
    }

    /// Queues Narada's callback for a created task (when it gave a `callbackUrl`).
    pub(crate) fn narada(&mut self, id: &str, body: &Value, final_at: Duration) {
        let Some(url) = body.get("callbackUrl").and_then(Value::as_str) else {
            return;
        };
        let headers = body
            .get("callbackHeaders")
            .and_then(Value::as_object)
            .map(|h| {
                h.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        self.queue.push(Target {
            task: TaskKey::narada(id),
            item: 0,
            url: Some(url.to_owned()),
            headers,
            secret: body
                .get("callbackSecret")
                .and_then(Value::as_str)
                .map(str::to_owned),
            final_at,
        });
    }

    /// Queues Dari's callback for a created job (sent if a portal webhook is set by then).
    pub(crate) fn dari(&mut self, task: TaskKey, final_at: Duration) {
        self.queue.push(Target {
            task,
            item: 0,
            url: None,
            headers: vec![],
            secret: None,
            final_at,
        });
    }

    /// Queues Runware's callback for generation `item` of a created task (which gave
    /// `webhookURL` `url`).
    pub(crate) fn runware(&mut self, uuid: &str, item: usize, url: &str, final_at: Duration) {
        self.queue.push(Target {
            task: TaskKey::runware(uuid),
            item,
            url: Some(url.to_owned()),
            headers: vec![],
            secret: None,
            final_at,
        });
    }

    fn draw(&mut self) -> f64 {
        let seed = self.options.seed;
        self.rng
            .get_or_insert_with(|| SplitMix64::new(seed))
            .next_f64()
    }
}

/// Spawns the deliveries queued by the request just handled.
pub(crate) fn dispatch(shared: &Arc<Shared>) {
    let queued = std::mem::take(&mut shared.lock().callbacks.queue);
    for target in queued {
        tokio::spawn(deliver(shared.clone(), target));
    }
}

async fn deliver(shared: Arc<Shared>, target: Target) {
    let options = shared.lock().callbacks.options.clone();
    let at = target.final_at + Duration::from_millis(options.delay_ms);
    shared
        .sleep(at.saturating_sub(shared.clock.elapsed()))
        .await;
    if shared.stopping() {
        return;
    }
    let Some(callback) = render(&shared, &target, &options) else {
        return;
    };
    let retries: &'static [Duration] = match target.task {
        TaskKey::Runware { .. } => &RUNWARE_RETRIES,
        _ => &[],
    };
    let callback = Arc::new(callback);
    let client = reqwest::Client::new();
    for _ in 0..=options.duplicates {
        let (lost, spread) = {
            let mut state = shared.lock();
            let lost = state.callbacks.draw() < options.loss_rate;
            let spread = state.callbacks.draw() * options.spread_ms as f64;
            (lost, Duration::from_secs_f64(spread / 1000.0))
        };
        if lost {
            continue;
        }
        let (client, callback, shared) = (client.clone(), callback.clone(), shared.clone());
        tokio::spawn(async move {
            shared.sleep(spread).await;
            for wait in std::iter::once(None).chain(retries.iter().map(Some)) {
                if let Some(wait) = wait {
                    shared.sleep(*wait).await;
                }
                if shared.stopping() || send(&client, &callback).await {
                    return;
                }
            }
        });
    }
}

/// One delivery attempt: whether the receiver answered with a 2xx in time.
async fn send(client: &reqwest::Client, (url, headers, body): &Rendered) -> bool {
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .timeout(ATTEMPT_TIMEOUT);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    req.body(body.clone())
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// A callback's URL, headers and body.
type Rendered = (String, Vec<(String, String)>, Vec<u8>);

/// The URL, headers and body of a callback, as its vendor sends it.
fn render(shared: &Shared, target: &Target, options: &CallbackOptions) -> Option<Rendered> {
    let now = shared.clock.elapsed();
    let state = shared.lock();
    match &target.task {
        TaskKey::Narada { id } => {
            let task = state.narada.get(id)?;
            let mut body = crate::narada::render(shared, id, task, now);
            let secret = match (&target.secret, options.wrong_signature) {
                (Some(s), true) => Some(format!("{s}-wrong")),
                (Some(_), false) => target.secret.clone(),
                (None, true) => Some("wrong".to_owned()),
                (None, false) => None,
            };
            body["requestId"] = json!(id);
            body["callbackSecret"] = json!(secret);
            let body = serde_json::to_vec(&body).ok()?;
            Some((target.url.clone()?, target.headers.clone(), body))
        }
        TaskKey::Dari { org, endpoint, id } => {
            let (url, secret) = state.callbacks.dari.clone()?;
            let key = (org.clone(), endpoint.clone(), id.clone());
            let entry = state.dari.get(&key)?;
            let mut body = crate::dari::render(shared, org, endpoint, id, entry, now, false);
            let event = match body.get("status").and_then(Value::as_str) {
                Some("completed") => "completed",
                _ => "error",
            };
            body["event_type"] = json!(event);
            body["timestamp"] = json!(shared.clock.seconds_z(now));
            let body = serde_json::to_vec(&body).ok()?;
            let key = if options.wrong_signature {
                format!("{secret}-wrong")
            } else {
                secret
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).ok()?;
            mac.update(&body);
            let signature = hex::encode(mac.finalize().into_bytes());
            Some((
                url,
                vec![("X-Webhook-Signature".to_owned(), signature)],
                body,
            ))
        }
        TaskKey::Runware { id } => {
            let entry = state.runware.get(id)?;
            let body = match crate::runware::render_item(shared, id, entry, target.item, now)? {
                Ok(item) if item["status"] == "success" => json!({ "data": [item] }),
                Err(error) => json!({ "errors": [error] }),
                // Its last stage is not final: the generation never ends, nothing is sent.
                Ok(_) => return None,
            };
            let mut url = target.url.clone()?;
            if options.wrong_signature {
                url = wrong_token(&url)?;
            }
            Some((url, vec![], serde_json::to_vec(&body).ok()?))
        }
        TaskKey::Vessl { .. } => None,
    }
}

/// `url` with its `token` query value altered (`token=wrong` added when it has none).
fn wrong_token(url: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(url).ok()?;
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    match pairs.iter_mut().find(|(k, _)| k == "token") {
        Some((_, v)) => v.push_str("-wrong"),
        None => pairs.push(("token".to_owned(), "wrong".to_owned())),
    }
    url.query_pairs_mut().clear().extend_pairs(pairs);
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::wrong_token;

    #[test]
    fn a_wrong_token_alters_the_value_and_keeps_the_rest() {
        assert_eq!(
            wrong_token("http://h/runware?a=1&token=abc").as_deref(),
            Some("http://h/runware?a=1&token=abc-wrong")
        );
        assert_eq!(
            wrong_token("http://h/runware").as_deref(),
            Some("http://h/runware?token=wrong")
        );
    }
}
