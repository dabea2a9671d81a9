//! `poller providers`.

use crate::connection::{GENERIC_BASE_URL_VAR, GENERIC_KEY_VAR, base_url_var};
use crate::out::Stdout;
use poller_core::providers;
use serde_json::json;
use std::fmt::Write;

/// Prints every registered provider.
pub fn run(as_json: bool) {
    let all = providers();
    let mut out = Stdout::default();
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
                    "base_url_env": base_url_var(p),
                    "key_env": p.key_env,
                    "params": p.params.iter().map(|q| json!({"name": q.name, "doc": q.doc, "default": q.default})).collect::<Vec<_>>(),
                    "default_policy": p.policy_summary,
                    "default_timeout_ms": p.default_timeout.as_millis() as u64,
                })
            })
            .collect();
        let _ = out.line(&serde_json::Value::Array(list).to_string());
        return;
    }
    let mut text = String::new();
    for p in all {
        let _ = writeln!(text, "{}  {}", p.name, p.summary);
        let _ = match p.default_base_url {
            Some(url) => writeln!(text, "    base URL:  {url}"),
            None => writeln!(
                text,
                "    base URL:  required, of the form {}",
                p.base_url_hint
            ),
        };
        let _ = writeln!(
            text,
            "               (--base-url, {GENERIC_BASE_URL_VAR} or {})",
            base_url_var(p)
        );
        let _ = writeln!(
            text,
            "    key:       --api-key, --api-key-file, {GENERIC_KEY_VAR} or {}",
            p.key_env
        );
        for q in p.params {
            let _ = match q.default {
                Some(d) => writeln!(
                    text,
                    "    --param    {}=…  ({}; default {d})",
                    q.name, q.doc
                ),
                None => writeln!(text, "    --param    {}=…  ({})", q.name, q.doc),
            };
        }
        let _ = writeln!(
            text,
            "    policy:    {} (gives up after {})",
            p.policy_summary,
            humantime::format_duration(p.default_timeout)
        );
        let _ = writeln!(text, "    docs:      {}", p.docs_url);
        let _ = writeln!(text);
    }
    let _ = out.line(text.trim_end_matches('\n'));
}
