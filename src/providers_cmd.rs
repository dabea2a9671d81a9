//! `poller providers`.

use crate::connection::GENERIC_KEY_VAR;
use poller_core::providers;
use serde_json::json;

/// Prints every registered provider.
pub fn run(as_json: bool) {
    let all = providers();
    if as_json {
        let list: Vec<_> = all
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "summary": p.summary,
                    "docs_url": p.docs_url,
                    "default_base_url": p.default_base_url,
                    "base_url_form": p.base_url_hint,
                    "key_env": p.key_env,
                    "params": p.params.iter().map(|q| json!({"name": q.name, "doc": q.doc})).collect::<Vec<_>>(),
                    "default_policy": p.policy_summary,
                    "default_timeout_ms": p.default_timeout.as_millis() as u64,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return;
    }
    for p in all {
        println!("{}  {}", p.name, p.summary);
        match p.default_base_url {
            Some(url) => println!("    base URL:  {url}"),
            None => println!("    base URL:  required, of the form {}", p.base_url_hint),
        }
        println!(
            "    key:       --api-key, {GENERIC_KEY_VAR} or {}",
            p.key_env
        );
        for q in p.params {
            println!("    --param    {}=…  ({})", q.name, q.doc);
        }
        println!(
            "    policy:    {} (gives up after {})",
            p.policy_summary,
            humantime::format_duration(p.default_timeout)
        );
        println!("    docs:      {}", p.docs_url);
        println!();
    }
}
