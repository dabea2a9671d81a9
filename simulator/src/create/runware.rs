//! Runware task creation: items of `POST /v1` whose `taskType` runs something.
//!
//! Each item needs a `taskUUID` that is a UUID v4 (error items `missingTaskUUID`,
//! `invalidTaskUUID`) and `"deliveryMethod": "async"` (the simulator has no synchronous
//! delivery: `unsupportedDeliveryMethod`); a `webhookURL`, if any, must be an `http(s)` URL
//! (`invalidWebhookURL`); `numberResults`, if any, 1-20 (`invalidNumberResults`). The
//! acknowledgement is `{"taskType", "taskUUID"}` in `data`.
//!
//! A `taskUUID` already known with the same `taskType` is acknowledged again without
//! creating anything (the UUID is the client's idempotency key: a resent task is the same
//! task); with another `taskType` it is refused (`duplicateTaskUUID`).
//!
//! A task created with a `webhookURL` gets one callback per generation as that generation
//! ends, delivered as [`CallbackOptions`](crate::CallbackOptions) say; a resent task adds none.

use std::time::Duration;

use serde_json::{Value, json};

use crate::runware::{RunwareEntry, RunwareTask, error_item};
use crate::server::State;

/// The task types the simulator creates.
pub(crate) const TASK_TYPES: &[&str] = &[
    "imageInference",
    "videoInference",
    "audioInference",
    "imageUpscale",
    "imageBackgroundRemoval",
    "imageCaption",
    "promptEnhance",
    "photoMaker",
];

fn is_uuid_v4(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok_and(|u| u.get_version_num() == 4)
}

/// Creates the task of one item: its acknowledgement, or an error item.
pub(crate) fn create(
    state: &mut State,
    item: &Value,
    task_type: &str,
    now: Duration,
) -> Result<Value, Value> {
    let uuid = item["taskUUID"].as_str();
    let fail = |code: &str, message: &str| {
        let mut e = error_item(code, message, uuid);
        e["taskType"] = json!(task_type);
        e
    };
    let Some(uuid) = uuid else {
        return Err(fail(
            "missingTaskUUID",
            "Every task needs a taskUUID (a UUID v4).",
        ));
    };
    if !is_uuid_v4(uuid) {
        return Err(fail("invalidTaskUUID", "The taskUUID must be a UUID v4."));
    }
    if item["deliveryMethod"] != "async" {
        return Err(fail(
            "unsupportedDeliveryMethod",
            "The simulator only creates tasks with \"deliveryMethod\": \"async\".",
        ));
    }
    if let Some(url) = item.get("webhookURL").filter(|v| !v.is_null()) {
        let ok = url
            .as_str()
            .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://"));
        if !ok {
            return Err(fail(
                "invalidWebhookURL",
                "The webhookURL must be an http(s) URL.",
            ));
        }
    }
    let results = match item.get("numberResults").filter(|v| !v.is_null()) {
        None => 1,
        Some(n) => match n.as_u64().filter(|n| (1..=20).contains(n)) {
            Some(n) => n as usize,
            None => return Err(fail("invalidNumberResults", "numberResults must be 1-20.")),
        },
    };
    let ack = json!({"taskType": task_type, "taskUUID": uuid});
    if let Some(existing) = state.runware.get(uuid) {
        return if existing.task.task_type == task_type {
            Ok(ack)
        } else {
            Err(fail(
                "duplicateTaskUUID",
                "This taskUUID already belongs to a task of another taskType.",
            ))
        };
    }
    let generations = state.next_runware_generations(results);
    if let Some(url) = item.get("webhookURL").and_then(Value::as_str) {
        for (i, generation) in generations.iter().enumerate() {
            let final_at = now + generation.total_before_last();
            state.callbacks.runware(uuid, i, url, final_at);
        }
    }
    let task = RunwareTask {
        task_type: task_type.to_owned(),
        generations,
    };
    state
        .runware
        .insert(uuid.to_owned(), RunwareEntry { added: now, task });
    Ok(ack)
}
