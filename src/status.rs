//! `poller status`: one fetch, printed.

use crate::cli::ConnectionArgs;
use crate::connection::build_source;
use crate::report::{code, compact, describe, fetch_error_code};
use poller_core::{ConfigError, provider};
use serde_json::json;

/// Runs `poller status`; returns the exit code.
pub async fn run(
    provider_name: &str,
    task_id: &str,
    connection: &ConnectionArgs,
    json: bool,
) -> Result<u8, ConfigError> {
    let provider = provider(provider_name)?;
    let source = build_source(provider, connection)?;
    match source.fetch(task_id).await {
        Ok(status) => {
            if json {
                let mut value = serde_json::to_value(&status).unwrap_or_default();
                if let Some(map) = value.as_object_mut() {
                    map.insert("provider".into(), json!(provider.name));
                    map.insert("task_id".into(), json!(task_id));
                }
                println!("{value}");
            } else {
                println!("{} {task_id}: {}", provider.name, describe(&status));
                if let Some(error) = &status.error {
                    println!("  error: {error}");
                }
                if let Some(output) = &status.output {
                    println!("  output: {}", compact(output, 500));
                }
                for (name, value) in &status.details {
                    println!("  {name}: {}", compact(value, 200));
                }
            }
            Ok(code::OK)
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    json!({"provider": provider.name, "task_id": task_id,
                           "error": {"code": fetch_error_code(&e), "message": e.to_string()}})
                );
            }
            eprintln!("poller: {} {task_id}: {e}", provider.name);
            Ok(code::FETCH_ERROR)
        }
    }
}
