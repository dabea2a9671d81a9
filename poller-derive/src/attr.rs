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
    /// Used when the output is unset, in field order.
    OutputFallback,
    /// Progress as counts: the part done ...
    Count,
    /// ... of this total.
    Total,
    /// The status field, filled from the HTTP status code.
    HttpStatus,
    /// Where the result is (a second URL).
    ResultUrl,
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
            Role::OutputFallback => "output_fallback",
            Role::Count => "count",
            Role::Total => "total",
            Role::HttpStatus => "http_status",
            Role::ResultUrl => "result_url",
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
            (OUTPUT_FALLBACK, Role::OutputFallback),
            (COUNT, Role::Count),
            (TOTAL, Role::Total),
            (HTTP_STATUS, Role::HttpStatus),
            (RESULT_URL, Role::ResultUrl),
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

/// `when_set(needs_input = failed)`, `when_true(...)`, `when_is("value", ...)`.
pub struct WhenSet {
    pub from: PhaseRef,
    pub to: PhaseRef,
    /// The value of `when_is`; `None` for `when_set` and `when_true`.
    pub value: Option<LitStr>,
}

/// `detail` or `detail = "jsonName"`.
pub struct Detail {
    pub key: Path,
    pub name: Option<LitStr>,
}

/// One role given to a field: `output`, `error = "data.message"`, with the attribute-wide
/// `when` and `json_string` of the attribute it was written in.
pub struct RoleAttr {
    pub role: Role,
    /// The key that set it.
    pub key: Path,
    /// `role = "a.b.0"`: where inside the field the value is.
    pub path: Option<(LitStr, Vec<String>)>,
    /// `when = failed`: the role applies only in these phases.
    pub when: Vec<PhaseRef>,
    /// `json_string`: the value is a string holding JSON.
    pub json_string: bool,
}

/// Everything `#[status(...)]` said about one field.
#[derive(Default)]
pub struct FieldAttrs<'a> {
    /// The first `#[status]` attribute, for spans.
    pub attr: Option<&'a Attribute>,
    /// Roles, in the order written.
    pub roles: Vec<RoleAttr>,
    /// `when_true(a = b)`.
    pub when_true: Vec<WhenSet>,
    /// `#[serde(skip)]`, `skip_deserializing` or `default`: the field may be absent.
    pub serde_default: bool,
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
        self.role_attr(role).map(|r| &r.key)
    }

    pub fn role_attr(&self, role: Role) -> Option<&RoleAttr> {
        self.roles.iter().find(|r| r.role == role)
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
    Scheme(LitStr),
    Query(LitStr),
}

/// `request(...)`.
pub struct Request {
    pub key: Path,
    pub method: Option<Method>,
    pub path: Option<LitStr>,
    pub query: Vec<(String, LitStr)>,
    pub auth: Option<AuthAttr>,
    pub headers: Vec<(String, LitStr)>,
    pub body: Vec<(String, LitStr)>,
    pub result: Option<LitStr>,
}

/// Everything the container's attributes said.
#[derive(Default)]
pub struct ContainerAttrs {
    pub name: Option<LitStr>,
    pub request: Option<Request>,
    /// `failed_message = "..."`.
    pub failed_message: Option<LitStr>,
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
    } else if meta.path == FAILED_MESSAGE {
        let lit = lit_str(
            &meta,
            "failed_message = \"the task failed without a message\"",
        )?;
        if out.failed_message.is_some() {
            cx.error_spanned_by(&meta.path, duplicate(&meta.path));
        } else {
            out.failed_message = Some(lit);
        }
    } else if meta.path == REQUEST {
        let mut request = Request {
            key: meta.path.clone(),
            method: None,
            path: None,
            query: Vec::new(),
            auth: None,
            headers: Vec::new(),
            body: Vec::new(),
            result: None,
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
        pairs(cx, &meta, &mut req.query, "query parameter", false)?;
    } else if meta.path == HEADERS {
        pairs(cx, &meta, &mut req.headers, "header", true)?;
        for (name, value) in &req.headers {
            if !valid_header_name(name) {
                cx.error_spanned_by(value, format!("{name:?} is not a valid HTTP header name"));
            }
        }
    } else if meta.path == BODY {
        pairs(cx, &meta, &mut req.body, "body key", false)?;
    } else if meta.path == RESULT {
        let lit = lit_str(&meta, "result = \"/v1/jobs/{task_id}/result\"")?;
        if req.result.is_some() {
            cx.error_spanned_by(&meta.path, duplicate(&meta.path));
        } else {
            req.result = Some(lit);
        }
    } else if meta.path == AUTH {
        let input = meta.value()?;
        let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        let auth = if ident == BEARER {
            Some(AuthAttr::Bearer)
        } else if ident == NONE {
            Some(AuthAttr::None)
        } else if input.peek(syn::token::Paren)
            && (ident == HEADER || ident == SCHEME || ident == QUERY)
        {
            let content;
            parenthesized!(content in input);
            let name: LitStr = content.parse()?;
            let value = name.value();
            let problem = if ident == QUERY {
                value
                    .is_empty()
                    .then(|| "the query parameter needs a name, e.g. `query(\"key\")`".to_owned())
            } else if valid_header_name(&value) {
                None
            } else if ident == HEADER {
                Some(format!(
                    "{value:?} is not a valid HTTP header name; write the name only, e.g. `header(\"x-api-key\")`"
                ))
            } else {
                Some(format!(
                    "{value:?} is not an authorization scheme; write the word before the key, e.g. `scheme(\"Token\")` for `Authorization: Token <key>`"
                ))
            };
            if let Some(msg) = problem {
                cx.error_spanned_by(&name, msg);
            }
            Some(if ident == HEADER {
                AuthAttr::Header(name)
            } else if ident == SCHEME {
                AuthAttr::Scheme(name)
            } else {
                AuthAttr::Query(name)
            })
        } else {
            if input.peek(syn::token::Paren) {
                input.parse::<TokenTree>()?;
            }
            cx.error_spanned_by(
                &ident,
                format!(
                    "unknown auth scheme `{ident}`: write `auth = bearer` (`Authorization: Bearer <key>`), `auth = scheme(\"Token\")` (`Authorization: Token <key>`), `auth = header(\"x-api-key\")` (the key as that header's value), `auth = query(\"key\")` (the key as that query parameter) or `auth = none`"
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

/// Reads `key(name = "template", "other-name" = "template", ...)` into `out`.
fn pairs(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    out: &mut Vec<(String, LitStr)>,
    what: &str,
    ignore_case: bool,
) -> syn::Result<()> {
    let content;
    parenthesized!(content in meta.input);
    let pairs = Punctuated::<QueryPair, Token![,]>::parse_terminated(&content)?;
    for pair in pairs {
        let same = |n: &String| {
            if ignore_case {
                n.eq_ignore_ascii_case(&pair.name)
            } else {
                *n == pair.name
            }
        };
        if out.iter().any(|(n, _)| same(n)) {
            cx.error_at(pair.span, format!("{what} `{}` is given twice", pair.name));
        } else {
            out.push((pair.name, pair.value));
        }
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

/// A status value in a mapping: `"text"`, a number, `true`, `false` or `null`, kept as the
/// raw status text it stands for (`true` → `"true"`), with its span.
struct StatusValue(LitStr);

impl Parse for StatusValue {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(LitStr) {
            return Ok(StatusValue(input.parse()?));
        }
        if lookahead.peek(syn::LitBool) {
            let b: syn::LitBool = input.parse()?;
            return Ok(StatusValue(LitStr::new(&b.value.to_string(), b.span)));
        }
        if lookahead.peek(syn::LitInt) {
            let i: syn::LitInt = input.parse()?;
            return Ok(StatusValue(LitStr::new(i.base10_digits(), i.span())));
        }
        if input.peek(Token![-]) {
            input.parse::<Token![-]>()?;
            let i: syn::LitInt = input.parse()?;
            return Ok(StatusValue(LitStr::new(
                &format!("-{}", i.base10_digits()),
                i.span(),
            )));
        }
        if input.peek(Ident) {
            let ident: Ident = input.fork().parse()?;
            if ident == "null" {
                input.parse::<Ident>()?;
                return Ok(StatusValue(LitStr::new("null", ident.span())));
            }
        }
        Err(syn::Error::new(
            input.span(),
            "expected a status value: a string, a number, `true`, `false` or `null`, e.g. `[\"done\", 2, true]`",
        ))
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
            let first_role = out.roles.len();
            let mut modifiers = Modifiers::default();
            if let Err(e) =
                attr.parse_nested_meta(|meta| field_key(cx, &mut out, &mut modifiers, meta))
            {
                cx.syn_error(e);
                out.incomplete = true;
            }
            modifiers.apply(cx, &mut out.roles[first_role..]);
        } else if attr.path() == SERDE {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path == RENAME {
                    if let Some(name) = serde_name(&meta)? {
                        out.serde_rename = Some(name.value());
                    }
                } else if meta.path == SKIP
                    || meta.path == SKIP_DESERIALIZING
                    || meta.path == DEFAULT
                {
                    out.serde_default = true;
                    skip_value(&meta)?;
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
        OUTPUT_FALLBACK.0,
        COUNT.0,
        TOTAL.0,
        HTTP_STATUS.0,
        RESULT_URL.0,
        WHEN.0,
        WHEN_TRUE.0,
        WHEN_IS.0,
        JSON_STRING.0,
    ]);
    keys
}

/// Keys that apply to every role written in the same attribute.
#[derive(Default)]
struct Modifiers {
    when: Option<(Path, Vec<PhaseRef>)>,
    json_string: Option<Path>,
}

impl Modifiers {
    fn apply(self, cx: &Ctxt, roles: &mut [RoleAttr]) {
        if let Some((key, phases)) = self.when {
            let takes = |r: &RoleAttr| {
                !matches!(
                    r.role,
                    Role::Status | Role::HttpStatus | Role::Output | Role::OutputFallback
                )
            };
            if !roles.iter().any(takes) {
                cx.error_spanned_by(
                    &key,
                    "`when` limits the roles written in the same attribute to some phases, e.g. `#[status(error = \"text\", when = failed)]`; this attribute has no role it can limit (the status and the output are always read)",
                );
            }
            for role in roles.iter_mut().filter(|r| takes(r)) {
                role.when = phases.clone();
            }
        }
        if let Some(key) = self.json_string {
            let takes = |r: &RoleAttr| matches!(r.role, Role::Output | Role::OutputFallback);
            if !roles.iter().any(takes) {
                cx.error_spanned_by(
                    &key,
                    "`json_string` reads an output that is a string holding JSON; write it beside `output` or `output_fallback`, e.g. `#[status(output, json_string)]`",
                );
            }
            for role in roles.iter_mut().filter(|r| takes(r)) {
                role.json_string = true;
            }
        }
    }
}

/// `"data.items[0].code"` or `"data.items.0.code"` as steps; an error message when malformed.
pub fn path_steps(path: &str) -> Result<Vec<String>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() && (rest.is_empty() || steps.is_empty() && !part.starts_with('[')) {
            return Err(format!(
                "{path:?} has an empty step; write keys separated by dots, with list indexes as numbers: \"data.status\", \"errors.0.message\" or \"errors[0].message\""
            ));
        }
        if !name.is_empty() {
            steps.push(name.to_owned());
        }
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("{path:?} has an unclosed `[`"))?;
            let index = &rest[1..close];
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "{path:?} has `[{index}]`; a list index is a number, e.g. \"errors[0].message\""
                ));
            }
            steps.push(index.to_owned());
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("{path:?}: after `]` comes `.`, `[` or the end"));
            }
        }
    }
    Ok(steps)
}

fn field_key(
    cx: &Ctxt,
    out: &mut FieldAttrs,
    modifiers: &mut Modifiers,
    meta: ParseNestedMeta,
) -> syn::Result<()> {
    let path = &meta.path;
    if let Some(role) = Role::from_key(path) {
        let mut at = None;
        if meta.input.peek(Token![=]) {
            let value = meta.value()?;
            if value.peek(LitStr) && role != Role::HttpStatus {
                let lit: LitStr = value.parse()?;
                match path_steps(&lit.value()) {
                    Ok(steps) => at = Some((lit, steps)),
                    Err(msg) => cx.error_spanned_by(&lit, msg),
                }
            } else {
                value.parse::<syn::Expr>()?;
                cx.error_spanned_by(
                    path,
                    format!(
                        "`{}` takes no value, or a path to the value inside this field as a string: `{} = \"data.{}\"`",
                        role.key(),
                        role.key(),
                        role.key()
                    ),
                );
            }
        } else if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
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
        if out.roles.iter().any(|r| r.role == role) {
            cx.error_spanned_by(path, duplicate(path));
        } else {
            out.roles.push(RoleAttr {
                role,
                key: path.clone(),
                path: at,
                when: Vec::new(),
                json_string: false,
            });
        }
    } else if meta.path == WHEN {
        let input = meta.value()?;
        let idents: Vec<Ident> = if input.peek(syn::token::Bracket) {
            let content;
            bracketed!(content in input);
            Punctuated::<Ident, Token![,]>::parse_terminated(&content)?
                .into_iter()
                .collect()
        } else {
            vec![input.parse()?]
        };
        let phases: Vec<PhaseRef> = idents
            .into_iter()
            .filter_map(|i| phase_ref(cx, i, "when = failed"))
            .collect();
        if modifiers.when.is_some() {
            cx.error_spanned_by(path, duplicate(path));
        } else {
            modifiers.when = Some((path.clone(), phases));
        }
    } else if meta.path == JSON_STRING {
        if modifiers.json_string.is_some() {
            cx.error_spanned_by(path, duplicate(path));
        } else {
            modifiers.json_string = Some(path.clone());
        }
    } else if let Some(phase) = path
        .get_ident()
        .and_then(|i| Phase::from_key(&i.to_string()))
    {
        let input = meta.value()?;
        let values: Vec<LitStr> = if input.peek(syn::token::Bracket) {
            let content;
            bracketed!(content in input);
            Punctuated::<StatusValue, Token![,]>::parse_terminated(&content)?
                .into_iter()
                .map(|v| v.0)
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
    } else if meta.path == WHEN_SET || meta.path == WHEN_TRUE || meta.path == WHEN_IS {
        let content;
        parenthesized!(content in meta.input);
        let value = if meta.path == WHEN_IS {
            let lit = if content.peek(LitStr) {
                content.parse::<LitStr>()?
            } else {
                content.parse::<StatusValue>()?.0
            };
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
            Some(lit)
        } else {
            None
        };
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
                let (rules, key) = if meta.path == WHEN_SET {
                    (&mut out.when_set, "when_set")
                } else if meta.path == WHEN_TRUE {
                    (&mut out.when_true, "when_true")
                } else {
                    (&mut out.when_true, "when_is")
                };
                let same_value = |w: &WhenSet| {
                    w.value.as_ref().map(LitStr::value) == value.as_ref().map(LitStr::value)
                };
                if rules
                    .iter()
                    .any(|w| w.from.phase == from.phase && same_value(w))
                {
                    cx.error_spanned_by(
                        &from.ident,
                        format!(
                            "`{key}` already says what `{}` becomes on this field",
                            from.phase.key()
                        ),
                    );
                } else {
                    rules.push(WhenSet {
                        from,
                        to,
                        value: value.clone(),
                    });
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
