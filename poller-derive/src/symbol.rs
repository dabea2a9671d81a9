//! Attribute names, as constants (after serde_derive's `internals/symbol.rs`).

use std::fmt::{self, Display};
use syn::{Ident, Path};

/// The name of one attribute key.
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

/// The attribute itself: `#[status(...)]`.
pub const STATUS: Symbol = Symbol("status");
/// serde's attribute, read for `rename` and `rename_all`.
pub const SERDE: Symbol = Symbol("serde");

// Container keys.
pub const NAME: Symbol = Symbol("name");
pub const REQUEST: Symbol = Symbol("request");
pub const CRATE: Symbol = Symbol("crate");
pub const METHOD: Symbol = Symbol("method");
pub const PATH: Symbol = Symbol("path");
pub const QUERY: Symbol = Symbol("query");
pub const AUTH: Symbol = Symbol("auth");
pub const HEADER: Symbol = Symbol("header");
pub const BEARER: Symbol = Symbol("bearer");
pub const NONE: Symbol = Symbol("none");
pub const SCHEME: Symbol = Symbol("scheme");
pub const HEADERS: Symbol = Symbol("headers");
pub const BODY: Symbol = Symbol("body");
pub const RESULT: Symbol = Symbol("result");
pub const FAILED_MESSAGE: Symbol = Symbol("failed_message");

// Field keys.
pub const FIELD: Symbol = Symbol("field");
pub const CASE_INSENSITIVE: Symbol = Symbol("case_insensitive");
pub const UNKNOWN: Symbol = Symbol("unknown");
pub const OUTPUT: Symbol = Symbol("output");
pub const ERROR: Symbol = Symbol("error");
pub const ERROR_CODE: Symbol = Symbol("error_code");
pub const PERCENT: Symbol = Symbol("percent");
pub const PROGRESS: Symbol = Symbol("progress");
pub const STEP: Symbol = Symbol("step");
pub const EVENTS: Symbol = Symbol("events");
pub const DETAIL: Symbol = Symbol("detail");
pub const WHEN_SET: Symbol = Symbol("when_set");
pub const RETRY_AFTER_SECS: Symbol = Symbol("retry_after_secs");
pub const OUTPUT_FALLBACK: Symbol = Symbol("output_fallback");
pub const COUNT: Symbol = Symbol("count");
pub const TOTAL: Symbol = Symbol("total");
pub const HTTP_STATUS: Symbol = Symbol("http_status");
pub const RESULT_URL: Symbol = Symbol("result_url");
pub const WHEN: Symbol = Symbol("when");
pub const WHEN_TRUE: Symbol = Symbol("when_true");
pub const WHEN_IS: Symbol = Symbol("when_is");
pub const JSON_STRING: Symbol = Symbol("json_string");

// serde keys.
pub const RENAME: Symbol = Symbol("rename");
pub const RENAME_ALL: Symbol = Symbol("rename_all");
pub const DESERIALIZE: Symbol = Symbol("deserialize");
pub const SKIP: Symbol = Symbol("skip");
pub const SKIP_DESERIALIZING: Symbol = Symbol("skip_deserializing");
pub const DEFAULT: Symbol = Symbol("default");

/// Every key `#[status(...)]` takes on the struct, for "unknown key" messages.
pub const CONTAINER_KEYS: &[Symbol] = &[NAME, REQUEST, FAILED_MESSAGE, CRATE];
/// Every key `request(...)` takes.
pub const REQUEST_KEYS: &[Symbol] = &[METHOD, PATH, QUERY, HEADERS, BODY, AUTH, RESULT];

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for &Ident {
    fn eq(&self, word: &Symbol) -> bool {
        *self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// `` `a`, `b` or `c` `` for a message.
pub fn list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}
