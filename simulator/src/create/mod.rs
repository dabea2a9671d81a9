//! The four APIs' creation endpoints, written from the vendors' create documentation, and the
//! scripts the tasks they create follow.
//!
//! | API | request | answer |
//! |---|---|---|
//! | Narada | `POST /fast/v2/remote-dispatch` | 202 `{"requestId": "req_…"}` |
//! | Runware | `POST /v1`, items with a `taskType` to run, a UUID v4 `taskUUID` and `"deliveryMethod": "async"` | 200, `{"taskType", "taskUUID"}` per task in `data` |
//! | Dari | `POST /jobs/{org}/{endpoint}/start` | 200 `{"job_id": "<uuid>"}` |
//! | VESSL | `POST /api/v1/services/{slug}/async` | 201 `{"id": "…"}` |

pub(crate) mod dari;
pub(crate) mod narada;
pub(crate) mod runware;
pub(crate) mod vessl;

use std::collections::VecDeque;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::Api;
use crate::dari::DariStage;
use crate::narada::NaradaStage;
use crate::runware::RunwareStage;
use crate::script::Script;
use crate::server::State;
use crate::vessl::VesslStage;

/// The script a task created through an API's own creation endpoint follows.
///
/// [`Simulator::script_next_created`](crate::Simulator::script_next_created) queues one for
/// the next task that API creates (first queued, first used);
/// [`Simulator::set_created_default`](crate::Simulator::set_created_default) replaces the
/// script used when the queue is empty.
///
/// JSON form (control API `POST /_sim/created-scripts`, plus `"default": true` to set the
/// default instead of queueing): `{"api": "narada", "script": [...]}`,
/// `{"api": "runware", "generations": [[...], ...]}`, `{"api": "dari", "script": [...]}`,
/// `{"api": "vessl", "script": [...]}`.
///
/// ```
/// use std::time::Duration;
/// use poller_sim::{CreatedScript, Script};
/// let s: CreatedScript = serde_json::from_str(
///     r#"{"api": "narada", "script": [{"status": "pending", "for": "2s"}, {"status": "error", "text": "no"}]}"#,
/// ).unwrap();
/// assert_eq!(s, CreatedScript::narada(Script::narada_error_after(Duration::from_secs(2), "no")));
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "api", rename_all = "lowercase")]
pub enum CreatedScript {
    /// A Narada task's script.
    Narada {
        /// The script.
        script: Script<NaradaStage>,
    },
    /// A Runware task's generations (one script each); the `taskType` comes from the request.
    Runware {
        /// One script per generation.
        generations: Vec<Script<RunwareStage>>,
    },
    /// A Dari job's script.
    Dari {
        /// The script.
        script: Script<DariStage>,
    },
    /// A VESSL request's script.
    Vessl {
        /// The script.
        script: Script<VesslStage>,
    },
}

impl CreatedScript {
    /// A Narada script.
    ///
    /// ```
    /// use poller_sim::{CreatedScript, Script};
    /// let s = CreatedScript::narada(Script::narada_success_after(std::time::Duration::ZERO, serde_json::json!({})));
    /// assert_eq!(s.api(), poller_sim::Api::Narada);
    /// ```
    pub fn narada(script: Script<NaradaStage>) -> Self {
        CreatedScript::Narada { script }
    }

    /// Runware generations.
    ///
    /// ```
    /// use poller_sim::{CreatedScript, Script};
    /// let s = CreatedScript::runware(vec![Script::runware_success_after(std::time::Duration::from_secs(5), 0.1)]);
    /// assert_eq!(s.api(), poller_sim::Api::Runware);
    /// ```
    pub fn runware(generations: Vec<Script<RunwareStage>>) -> Self {
        CreatedScript::Runware { generations }
    }

    /// A Dari script.
    ///
    /// ```
    /// use poller_sim::{CreatedScript, DariStage, Script};
    /// assert_eq!(CreatedScript::dari(Script::new(DariStage::pending())).api(), poller_sim::Api::Dari);
    /// ```
    pub fn dari(script: Script<DariStage>) -> Self {
        CreatedScript::Dari { script }
    }

    /// A VESSL script.
    ///
    /// ```
    /// use poller_sim::{CreatedScript, Script, VesslStage};
    /// assert_eq!(CreatedScript::vessl(Script::new(VesslStage::Pending)).api(), poller_sim::Api::Vessl);
    /// ```
    pub fn vessl(script: Script<VesslStage>) -> Self {
        CreatedScript::Vessl { script }
    }

    /// The API this script is for.
    ///
    /// ```
    /// use poller_sim::{CreatedScript, Script, VesslStage};
    /// assert_eq!(CreatedScript::vessl(Script::new(VesslStage::Pending)).api().name(), "vessl");
    /// ```
    pub fn api(&self) -> Api {
        match self {
            CreatedScript::Narada { .. } => Api::Narada,
            CreatedScript::Runware { .. } => Api::Runware,
            CreatedScript::Dari { .. } => Api::Dari,
            CreatedScript::Vessl { .. } => Api::Vessl,
        }
    }
}

/// Queued scripts for created tasks, and the Runware and Dari defaults (Narada's and VESSL's
/// live in the builder's defaults).
#[derive(Debug)]
pub(crate) struct CreatedScripts {
    queue: VecDeque<CreatedScript>,
    runware: Vec<Script<RunwareStage>>,
    dari: Script<DariStage>,
}

impl Default for CreatedScripts {
    fn default() -> Self {
        CreatedScripts {
            queue: VecDeque::new(),
            runware: vec![Script::runware_success_after(Duration::from_secs(10), 0.05)],
            dari: Script::dari_steps_then_complete(
                Duration::from_secs(1),
                &[("Opening the portal", Duration::from_secs(3))],
                json!({"submitted": true}),
            ),
        }
    }
}

impl CreatedScripts {
    pub(crate) fn queue(&mut self, script: CreatedScript) {
        self.queue.push_back(script);
    }

    /// Takes the first queued script for `api`.
    fn next(&mut self, api: Api) -> Option<CreatedScript> {
        let i = self.queue.iter().position(|s| s.api() == api)?;
        self.queue.remove(i)
    }
}

impl State {
    /// Replaces the default script of the script's API.
    pub(crate) fn set_created_default(&mut self, script: CreatedScript) {
        match script {
            CreatedScript::Narada { script } => self.defaults.narada = script,
            CreatedScript::Runware { generations } => self.created.runware = generations,
            CreatedScript::Dari { script } => self.created.dari = script,
            CreatedScript::Vessl { script } => self.defaults.vessl = script,
        }
    }

    pub(crate) fn next_narada_script(&mut self) -> Script<NaradaStage> {
        match self.created.next(Api::Narada) {
            Some(CreatedScript::Narada { script }) => script,
            _ => self.defaults.narada.clone(),
        }
    }

    /// The generations of the next Runware task; the default one `results` times over.
    pub(crate) fn next_runware_generations(&mut self, results: usize) -> Vec<Script<RunwareStage>> {
        match self.created.next(Api::Runware) {
            Some(CreatedScript::Runware { generations }) => generations,
            _ => {
                let one = &self.created.runware;
                (0..results).flat_map(|_| one.iter().cloned()).collect()
            }
        }
    }

    pub(crate) fn next_dari_script(&mut self) -> Script<DariStage> {
        match self.created.next(Api::Dari) {
            Some(CreatedScript::Dari { script }) => script,
            _ => self.created.dari.clone(),
        }
    }

    pub(crate) fn next_vessl_script(&mut self) -> Script<VesslStage> {
        match self.created.next(Api::Vessl) {
            Some(CreatedScript::Vessl { script }) => script,
            _ => self.defaults.vessl.clone(),
        }
    }
}

/// One entry of a FastAPI-style 422 `detail` list.
pub(crate) fn field_error(field: &str, kind: &str, msg: &str) -> Value {
    json!({"loc": ["body", field], "msg": msg, "type": kind})
}

/// A FastAPI-style validation error body: `{"detail": [{"loc", "msg", "type"}]}`.
pub(crate) fn validation_body(errors: Vec<Value>) -> Value {
    json!({ "detail": errors })
}

/// A FastAPI (pydantic) type error: `string`, `boolean`, `object` or `integer` expected.
pub(crate) fn type_error(field: &str, expected: &str) -> Value {
    let (kind, name) = match expected {
        "boolean" => ("bool_type", "boolean"),
        "object" => ("dict_type", "dictionary"),
        "integer" => ("int_type", "integer"),
        _ => ("string_type", "string"),
    };
    field_error(field, kind, &format!("Input should be a valid {name}"))
}

/// Checks the optional fields of an object: each present, non-null value must have the
/// expected JSON type (`string`, `boolean`, `object`, `integer`).
pub(crate) fn check_types(
    body: &serde_json::Map<String, Value>,
    fields: &[(&str, &str)],
) -> Vec<Value> {
    fields
        .iter()
        .filter_map(|(name, expected)| {
            let v = body.get(*name).filter(|v| !v.is_null())?;
            let ok = match *expected {
                "string" => v.is_string(),
                "boolean" => v.is_boolean(),
                "object" => v.is_object(),
                "integer" => v.is_u64() || v.is_i64(),
                _ => true,
            };
            (!ok).then(|| type_error(name, expected))
        })
        .collect()
}
