//! Parses `#[status(...)]` (and the parts of `#[serde(...)]` that name JSON keys) into plain
//! data with spans. Syntax errors and unknown or duplicated keys are recorded in the [`Ctxt`];
//! cross-field rules are checked in `valid.rs`.

use crate::ctxt::Ctxt;
use crate::symbol::{self, *};
use proc_macro2::{Span, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Path, Token, bracketed, parenthesized};

/// A normalised phase, as named in attributes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    Queued,
    Running,
    NeedsInput,
    Paused,
    Succeeded,
    Failed,
    Cancelled,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::Queued,
        Phase::Running,
        Phase::NeedsInput,
        Phase::Paused,
        Phase::Succeeded,
        Phase::Failed,
        Phase::Cancelled,
    ];

    /// The attribute key (`needs_input`).
    pub fn key(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Running => "running",
            Phase::NeedsInput => "needs_input",
            Phase::Paused => "paused",
            Phase::Succeeded => "succeeded",
            Phase::Failed => "failed",
            Phase::Cancelled => "cancelled",
        }
    }

    /// The variant of `poller_core::Phase`.
    pub fn variant(self) -> &'static str {
        match self {
            Phase::Queued => "Queued",
            Phase::Running => "Running",
            Phase::NeedsInput => "NeedsInput",
            Phase::Paused => "Paused",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Cancelled => "Cancelled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed | Phase::Cancelled)
    }

    pub fn from_key(key: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.key() == key)
    }

    pub fn keys() -> Vec<&'static str> {
        Phase::ALL.iter().map(|p| p.key()).collect()
    }
}

/// What a field is, besides the status field.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// The status field itself (`field`, or the field named `status`).
    Status,
    Output,
    Error,
    ErrorCode,
    Percent,
    Progress,
    Step,
    Events,
    RetryAfterSecs,
}

impl Role {
    pub fn key(self) -> &'static str {
        match self {
            Role::Status => "field",
            Role::Output => "output",
            Role::Error => "error",
            Role::ErrorCode => "error_code",
            Role::Percent => "percent",
            Role::Progress => "progress",
            Role::Step => "step",
            Role::Events => "events",
            Role::RetryAfterSecs => "retry_after_secs",
        }
    }

    fn from_key(path: &Path) -> Option<Role> {
        [
            (FIELD, Role::Status),
            (OUTPUT, Role::Output),
            (ERROR, Role::Error),
            (ERROR_CODE, Role::ErrorCode),
            (PERCENT, Role::Percent),
            (PROGRESS, Role::Progress),
            (STEP, Role::Step),
            (EVENTS, Role::Events),
            (RETRY_AFTER_SECS, Role::RetryAfterSecs),
        ]
        .into_iter()
        .find(|(sym, _)| path == sym)
        .map(|(_, role)| role)
    }
}

/// A phase named in an attribute, with the identifier that named it.
#[derive(Clone)]
pub struct PhaseRef {
    pub phase: Phase,
    pub ident: Ident,
}

/// `queued = ["pending", "waiting"]`.
pub struct Mapping {
    pub phase: Phase,
    pub key: Path,
    pub values: Vec<LitStr>,
}

/// `when_set(needs_input = failed)`.
pub struct WhenSet {
    pub from: PhaseRef,
    pub to: PhaseRef,
}

/// `detail` or `detail = "jsonName"`.
pub struct Detail {
    pub key: Path,
    pub name: Option<LitStr>,
}

/// Everything `#[status(...)]` said about one field.
#[derive(Default)]
pub struct FieldAttrs<'a> {
    /// The first `#[status]` attribute, for spans.
    pub attr: Option<&'a Attribute>,
    /// Roles, in the order written, with the key that set each.
    pub roles: Vec<(Role, Path)>,
    pub mappings: Vec<Mapping>,
    pub case_insensitive: Option<Path>,
    pub unknown: Option<(Path, PhaseRef)>,
    pub detail: Option<Detail>,
    pub when_set: Vec<WhenSet>,
    /// `#[serde(rename = "...")]` (or `rename(deserialize = "...")`).
    pub serde_rename: Option<String>,
    /// A `#[status]` attribute could not be read to its end, so keys may be missing.
    pub incomplete: bool,
}

impl FieldAttrs<'_> {
    pub fn role(&self, role: Role) -> Option<&Path> {
        self.roles.iter().find(|(r, _)| *r == role).map(|(_, p)| p)
    }
}

/// The HTTP method in `request(method = "...")`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// `auth = ...`.
pub enum AuthAttr {
    None,
    Bearer,
    Header(LitStr),
}

/// `request(...)`.
pub struct Request {
    pub key: Path,
    pub method: Option<Method>,
    pub path: Option<LitStr>,
    pub query: Vec<(String, LitStr)>,
    pub auth: Option<AuthAttr>,
}

/// Everything the container's attributes said.
#[derive(Default)]
pub struct ContainerAttrs {
    pub name: Option<LitStr>,
    pub request: Option<Request>,
    /// `crate = path`.
    pub krate: Option<Path>,
    /// `#[serde(rename_all = "...")]` (or `rename_all(deserialize = "...")`).
    pub rename_all: Option<LitStr>,
    /// A `#[status]` attribute could not be read to its end, so keys may be missing.
    pub incomplete: bool,
}

/// Reads the container's `#[status]` and `#[serde]` attributes.
pub fn container(cx: &Ctxt, attrs: &[Attribute]) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    for attr in attrs {
        if attr.path() == STATUS {
            if let Err(e) = attr.parse_nested_meta(|meta| container_key(cx, &mut out, meta)) {
                cx.syn_error(e);
                out.incomplete = true;
            }
        } else if attr.path() == SERDE {
            // serde reports its own mistakes; an unreadable serde attribute is ignored here.
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path == RENAME_ALL {
                    if let Some(rule) = serde_name(&meta)? {
                        out.rename_all = Some(rule);
                    }
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            });
        }
    }
    out
}

fn container_key(cx: &Ctxt, out: &mut ContainerAttrs, meta: ParseNestedMeta) -> syn::Result<()> {
    if meta.path == NAME {
        let lit = lit_str(&meta, "name = \"my_api\"")?;
        if out.name.is_some() {
            cx.error_spanned_by(&meta.path, duplicate(&meta.path));
        } else if lit.value().is_empty() {
            cx.error_spanned_by(&lit, "`name` must not be empty; write `name = \"my_api\"`");
        } else {
            out.name = Some(lit);
        }
    } else if meta.path == CRATE {
        let input = meta.value()?;
        let path = if input.peek(LitStr) {
            input.parse::<LitStr>()?.parse_with(Path::parse_mod_style)?
        } else {
            input.call(Path::parse_mod_style)?
        };
        if out.krate.is_some() {
            cx.error_spanned_by(&meta.path, duplicate(&meta.path));
        } else {
            out.krate = Some(path);
        }
    } else if meta.path == REQUEST {
        let mut request = Request {
            key: meta.path.clone(),
            method: None,
            path: None,
            query: Vec::new(),
            auth: None,
        };
        meta.parse_nested_meta(|inner| request_key(cx, &mut request, inner))?;
        if out.request.is_some() {
            cx.error_spanned_by(&meta.path, duplicate(&meta.path));
        } else {
            out.request = Some(request);
        }
    } else {
        skip_value(&meta)?;
        cx.error_spanned_by(
            &meta.path,
            unknown_key(&meta.path, "on the struct", &names(CONTAINER_KEYS)),
        );
    }
    Ok(())
}

fn request_key(cx: &Ctxt, req: &mut Request, meta: ParseNestedMeta) -> syn::Result<()> {
    if meta.path == METHOD {
        let lit = lit_str(&meta, "method = \"GET\"")?;
        let method = match lit.value().to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            _ => {
                cx.error_spanned_by(
                    &lit,
                    format!(
                        "unsupported method {:?}: write `method = \"GET\"` (the default) or `method = \"POST\"`",
                        lit.value()
                    ),
                );
                None
            }
        };
        if req.method.is_some() {
            cx.error_spanned_by(&meta.path, duplicate(&meta.path));
        }
        req.method = method;
    } else if meta.path == PATH {
        let lit = lit_str(&meta, "path = \"/v1/jobs/{task_id}\"")?;
        if req.path.is_some() {
            cx.error_spanned_by(&meta.path, duplicate(&meta.path));
        } else {
            req.path = Some(lit);
        }
    } else if meta.path == QUERY {
        let content;
        parenthesized!(content in meta.input);
        let pairs = Punctuated::<QueryPair, Token![,]>::parse_terminated(&content)?;
        for pair in pairs {
            if req.query.iter().any(|(n, _)| *n == pair.name) {
                cx.error_at(
                    pair.span,
                    format!("query parameter `{}` is given twice", pair.name),
                );
            } else {
                req.query.push((pair.name, pair.value));
            }
        }
    } else if meta.path == AUTH {
        let input = meta.value()?;
        let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        let auth = if ident == BEARER {
            Some(AuthAttr::Bearer)
        } else if ident == NONE {
            Some(AuthAttr::None)
        } else if ident == HEADER && input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            let name: LitStr = content.parse()?;
            if !valid_header_name(&name.value()) {
                cx.error_spanned_by(
                    &name,
                    format!(
                        "{:?} is not a valid HTTP header name; write the name only, e.g. `header(\"x-api-key\")`",
                        name.value()
                    ),
                );
            }
            Some(AuthAttr::Header(name))
        } else {
            if input.peek(syn::token::Paren) {
                input.parse::<TokenTree>()?;
            }
            cx.error_spanned_by(
                &ident,
                format!(
                    "unknown auth scheme `{ident}`: write `auth = bearer` (`Authorization: Bearer <key>`), `auth = header(\"x-api-key\")` (the key as that header's value) or `auth = none`"
                ),
            );
            None
        };
        if req.auth.is_some() {
            cx.error_spanned_by(&meta.path, duplicate(&meta.path));
        }
        req.auth = auth;
    } else {
        skip_value(&meta)?;
        cx.error_spanned_by(
            &meta.path,
            unknown_key(&meta.path, "in `request(...)`", &names(REQUEST_KEYS)),
        );
    }
    Ok(())
}

/// `name = "template"` or `"name" = "template"` inside `query(...)`.
struct QueryPair {
    name: String,
    span: Span,
    value: LitStr,
}

impl Parse for QueryPair {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let (name, span) = if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            (lit.value(), lit.span())
        } else {
            let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            (ident.unraw_string(), ident.span())
        };
        input.parse::<Token![=]>()?;
        let value: LitStr = input.parse()?;
        Ok(QueryPair { name, span, value })
    }
}

trait Unraw {
    fn unraw_string(&self) -> String;
}

impl Unraw for Ident {
    fn unraw_string(&self) -> String {
        let s = self.to_string();
        s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
    }
}

/// Reads one field's `#[status]` and `#[serde]` attributes.
pub fn field<'a>(cx: &Ctxt, attrs: &'a [Attribute]) -> FieldAttrs<'a> {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        if attr.path() == STATUS {
            if out.attr.is_none() {
                out.attr = Some(attr);
            }
            if let Err(e) = attr.parse_nested_meta(|meta| field_key(cx, &mut out, meta)) {
                cx.syn_error(e);
                out.incomplete = true;
            }
        } else if attr.path() == SERDE {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path == RENAME {
                    if let Some(name) = serde_name(&meta)? {
                        out.serde_rename = Some(name.value());
                    }
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            });
        }
    }
    out
}

/// Every key a field's `#[status(...)]` takes.
pub fn field_keys() -> Vec<&'static str> {
    let mut keys = vec![FIELD.0];
    keys.extend(Phase::keys());
    keys.extend([
        CASE_INSENSITIVE.0,
        UNKNOWN.0,
        OUTPUT.0,
        ERROR.0,
        ERROR_CODE.0,
        PERCENT.0,
        PROGRESS.0,
        STEP.0,
        EVENTS.0,
        DETAIL.0,
        WHEN_SET.0,
        RETRY_AFTER_SECS.0,
    ]);
    keys
}

fn field_key(cx: &Ctxt, out: &mut FieldAttrs, meta: ParseNestedMeta) -> syn::Result<()> {
    let path = &meta.path;
    if let Some(role) = Role::from_key(path) {
        if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
            skip_value(&meta)?;
            cx.error_spanned_by(
                path,
                format!(
                    "`{}` takes no value; write just `{}`",
                    role.key(),
                    role.key()
                ),
            );
        }
        if out.roles.iter().any(|(r, _)| *r == role) {
            cx.error_spanned_by(path, duplicate(path));
        } else {
            out.roles.push((role, path.clone()));
        }
    } else if let Some(phase) = path
        .get_ident()
        .and_then(|i| Phase::from_key(&i.to_string()))
    {
        let input = meta.value()?;
        let values: Vec<LitStr> = if input.peek(syn::token::Bracket) {
            let content;
            bracketed!(content in input);
            Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
                .into_iter()
                .collect()
        } else if input.peek(LitStr) {
            vec![input.parse()?]
        } else {
            return Err(input.error(format!(
                "expected a list of status values, e.g. `{} = [\"value\", \"other\"]`",
                phase.key()
            )));
        };
        if out.mappings.iter().any(|m| m.phase == phase) {
            cx.error_spanned_by(
                path,
                format!(
                    "duplicate `{}`: list all its values in one `{} = [...]`",
                    phase.key(),
                    phase.key()
                ),
            );
        }
        out.mappings.push(Mapping {
            phase,
            key: path.clone(),
            values,
        });
    } else if meta.path == CASE_INSENSITIVE {
        if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
            skip_value(&meta)?;
            cx.error_spanned_by(
                path,
                "`case_insensitive` takes no value; write just `case_insensitive`",
            );
        }
        if out.case_insensitive.is_some() {
            cx.error_spanned_by(path, duplicate(path));
        } else {
            out.case_insensitive = Some(path.clone());
        }
    } else if meta.path == UNKNOWN {
        let ident: Ident = meta.value()?.parse()?;
        let phase = phase_ref(cx, ident, "unknown = running");
        if out.unknown.is_some() {
            cx.error_spanned_by(path, duplicate(path));
        } else if let Some(phase) = phase {
            out.unknown = Some((path.clone(), phase));
        }
    } else if meta.path == DETAIL {
        let name = if meta.input.peek(Token![=]) {
            Some(lit_str(&meta, "detail = \"jsonName\"")?)
        } else {
            None
        };
        if out.detail.is_some() {
            cx.error_spanned_by(path, duplicate(path));
        } else {
            out.detail = Some(Detail {
                key: path.clone(),
                name,
            });
        }
    } else if meta.path == WHEN_SET {
        let content;
        parenthesized!(content in meta.input);
        let pairs =
            Punctuated::<(Ident, Ident), Token![,]>::parse_terminated_with(&content, |input| {
                let from: Ident = input.parse()?;
                input.parse::<Token![=]>()?;
                let to: Ident = input.parse()?;
                Ok((from, to))
            })?;
        if pairs.is_empty() {
            cx.error_spanned_by(
                path,
                "`when_set` needs at least one `phase = phase` pair, e.g. `when_set(needs_input = failed)`",
            );
        }
        for (from, to) in pairs {
            let example = "when_set(needs_input = failed)";
            let from = phase_ref(cx, from, example);
            let to = phase_ref(cx, to, example);
            if let (Some(from), Some(to)) = (from, to) {
                if out.when_set.iter().any(|w| w.from.phase == from.phase) {
                    cx.error_spanned_by(
                        &from.ident,
                        format!(
                            "`when_set` already says what `{}` becomes on this field",
                            from.phase.key()
                        ),
                    );
                } else {
                    out.when_set.push(WhenSet { from, to });
                }
            }
        }
    } else {
        skip_value(&meta)?;
        cx.error_spanned_by(path, unknown_key(path, "on a field", &field_keys()));
    }
    Ok(())
}

fn phase_ref(cx: &Ctxt, ident: Ident, example: &str) -> Option<PhaseRef> {
    match Phase::from_key(&ident.to_string()) {
        Some(phase) => Some(PhaseRef { phase, ident }),
        None => {
            let keys = Phase::keys();
            let hint = suggest(&ident.to_string(), &keys)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            cx.error_spanned_by(
                &ident,
                format!(
                    "unknown phase `{ident}`{hint}; the phases are {}, e.g. `{example}`",
                    symbol::list(&keys)
                ),
            );
            None
        }
    }
}

/// The string value of `key = "..."`, with an example in the error when it is not a string.
fn lit_str(meta: &ParseNestedMeta, example: &str) -> syn::Result<LitStr> {
    let input = meta.value()?;
    if input.peek(LitStr) {
        input.parse()
    } else {
        Err(input.error(format!(
            "`{}` takes a string, e.g. `{example}`",
            path_string(&meta.path)
        )))
    }
}

/// `rename = "x"`, or the deserialize name of `rename(serialize = "a", deserialize = "b")`.
fn serde_name(meta: &ParseNestedMeta) -> syn::Result<Option<LitStr>> {
    if meta.input.peek(Token![=]) {
        return Ok(Some(meta.value()?.parse()?));
    }
    let mut found = None;
    meta.parse_nested_meta(|inner| {
        if inner.path == DESERIALIZE {
            found = Some(inner.value()?.parse()?);
        } else {
            skip_value(&inner)?;
        }
        Ok(())
    })?;
    Ok(found)
}

/// Consumes the value of a key this parser does not know (`= expr` or `(...)`).
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        meta.input.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

fn names(symbols: &[Symbol]) -> Vec<&'static str> {
    symbols.iter().map(|s| s.0).collect()
}

fn path_string(path: &Path) -> String {
    quote::quote!(#path).to_string().replace(' ', "")
}

fn duplicate(path: &Path) -> String {
    let key = path_string(path);
    format!("duplicate `{key}`: write it once")
}

fn unknown_key(path: &Path, place: &str, valid: &[&str]) -> String {
    let key = path_string(path);
    let hint = suggest(&key, valid)
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    format!(
        "unknown key `{key}` {place}; {hint}the keys are {}",
        symbol::list(valid)
    )
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn valid_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("succeded", &Phase::keys()), Some("succeeded"));
        assert_eq!(suggest("outptu", &field_keys()), Some("output"));
        assert_eq!(suggest("zzzzzzzz", &field_keys()), None);
    }

    #[test]
    fn header_names() {
        assert!(valid_header_name("x-api-key"));
        assert!(!valid_header_name("x api key"));
        assert!(!valid_header_name(""));
    }
}
