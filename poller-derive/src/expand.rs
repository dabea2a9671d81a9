//! Emits the impls. Everything here assumes `valid.rs` found no error; it only writes code,
//! with absolute paths through the `crate = ...` path and `#[automatically_derived]`.

use crate::ast::{Field, Input};
use crate::attr::{AuthAttr, Method, PhaseRef, Role, RoleAttr, WhenSet};
use crate::ctxt::Ctxt;
use crate::types::option_inner;
use crate::{case, fallback, template, valid};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, LitStr, Path, Type, WherePredicate, parse_quote};

/// The whole derive: read, check, then emit the impls or the errors beside stub impls.
pub fn derive(node: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let input = match Input::from_syn(&cx, node) {
        Ok(input) => input,
        Err(shape) => {
            cx.syn_error(shape);
            let errors = cx.check().unwrap_or_default();
            let stub = fallback::expand(node, None, None, false);
            return quote!(#errors #stub);
        }
    };
    valid::check(&cx, &input);
    if let Some(errors) = cx.check() {
        let output = input
            .role(Role::Output)
            .map(|_| input.output_type(&crate_path(input.attrs.krate.as_ref())));
        let stub = fallback::expand(
            node,
            input.attrs.krate.as_ref(),
            output.as_ref(),
            input.attrs.request.is_some(),
        );
        return quote!(#errors #stub);
    }
    expand(&input)
}

/// The crate path the generated code names: `crate = ...`, else `::poller_core`.
pub fn crate_path(krate: Option<&Path>) -> Path {
    krate
        .cloned()
        .unwrap_or_else(|| parse_quote!(::poller_core))
}

fn expand(input: &Input) -> TokenStream {
    let krate = crate_path(input.attrs.krate.as_ref());
    let private = quote!(#krate::__private);
    let ident = input.ident;
    let generic = input.generics.type_params().next().is_some();
    let mut bounds: Vec<WherePredicate> = Vec::new();

    // The output type.
    let output_ty = input.output_type(&krate);
    bounds.push(parse_quote!(#output_ty: ::core::marker::Send + ::core::marker::Sync + 'static));

    // The phase.
    let status = input.status_field().expect("checked in valid.rs");
    let status_member = status.ident;
    let status_name = status.json_name.as_str();
    let raw = match status
        .attrs
        .role_attr(Role::Status)
        .and_then(|r| r.path.as_ref())
    {
        Some((lit, steps)) => {
            let value = quote_spanned!(status.ty.span()=> #private::at(&self.#status_member, &[#(#steps),*]));
            let name = format!("{status_name}.{}", lit.value());
            quote!(#private::status_text(#value, #name)?)
        }
        None => {
            let status_arg = quote_spanned!(status.ty.span()=> &self.#status_member);
            bounds.push(serialize_bound(&private, status.ty));
            quote!(#private::raw_status(#status_arg, #status_name)?)
        }
    };
    let attrs = &status.attrs;
    let ci = attrs.case_insensitive.is_some();
    let arms = attrs
        .mappings
        .iter()
        .filter(|m| !m.values.is_empty())
        .map(|m| {
            let variant = phase_path(&krate, m.phase);
            let values = m.values.iter().map(|lit| {
                if ci {
                    LitStr::new(&lit.value().to_lowercase(), lit.span())
                } else {
                    lit.clone()
                }
            });
            quote!(#(#values)|* => #variant,)
        });
    let key = if ci {
        quote! {
            let __poller_lower = __poller_raw.to_lowercase();
            let __poller_key: &str = __poller_lower.as_str();
        }
    } else {
        quote!(let __poller_key: &str = __poller_raw.as_str();)
    };
    let unknown_arm = match &attrs.unknown {
        Some((_, phase)) => {
            let variant = phase_path(&krate, phase.phase);
            quote!(_ => #variant,)
        }
        None => quote! {
            _ => return ::core::result::Result::Err(
                #krate::FetchError::unknown_status(__poller_raw.as_str()),
            ),
        },
    };

    // `when_set` and `when_true` rules test the phase the value mapped to; a later field's
    // rule wins.
    let mut rules = Vec::new();
    for field in &input.fields {
        let member = field.ident;
        let arg = quote_spanned!(field.ty.span()=> &self.#member);
        let set = if option_inner(field.ty).is_some() {
            quote!(::core::option::Option::is_some(&self.#member))
        } else {
            quote!(#private::is_set(#arg))
        };
        let tests: Vec<(&WhenSet, TokenStream)> = field
            .attrs
            .when_set
            .iter()
            .map(|w| (w, set.clone()))
            .chain(field.attrs.when_true.iter().map(|w| {
                let test = match &w.value {
                    Some(value) => quote! {
                        #private::text_of(#arg).as_deref() == ::core::option::Option::Some(#value)
                    },
                    None => quote!(#private::is_true(#arg)),
                };
                (w, test)
            }))
            .collect();
        for (w, test) in tests {
            let from = phase_path(&krate, w.from.phase);
            let to = phase_path(&krate, w.to.phase);
            rules.push(quote! {
                if ::core::matches!(__poller_mapped, #from) && #test {
                    __poller_phase = #to;
                }
            });
        }
        let needs_serialize = (!field.attrs.when_set.is_empty()
            && option_inner(field.ty).is_none())
            || !field.attrs.when_true.is_empty();
        if needs_serialize {
            bounds.push(serialize_bound(&private, field.ty));
        }
    }

    // Error, progress, hints, details: read by reference, before the output moves.
    let mut setters = Vec::new();
    let failed_message = input
        .attrs
        .failed_message
        .as_ref()
        .map(|lit| quote!(#private::default_error(&mut __poller_status, #lit);));
    for role in [
        Role::Error,
        Role::ErrorCode,
        Role::Percent,
        Role::Progress,
        Role::Step,
        Role::Events,
        Role::RetryAfterSecs,
        Role::Count,
    ] {
        if role == Role::ErrorCode {
            setters.extend(failed_message.clone());
        }
        let Some((field, r)) = input.role(role) else {
            continue;
        };
        let steps = r.path.as_ref().map(|(_, steps)| steps);
        let arg = read(&private, field, steps);
        let number = |arg: &TokenStream| quote!(#private::Number::to_f64(#arg));
        let setter = match role {
            Role::Error => quote!(#private::set_error(&mut __poller_status, #arg);),
            Role::ErrorCode => quote!(#private::set_error_code(&mut __poller_status, #arg);),
            Role::Step => quote!(#private::set_step(&mut __poller_status, #arg);),
            Role::Events => quote!(#private::set_events(&mut __poller_status, #arg);),
            Role::Percent => {
                let n = number(&arg);
                quote!(#private::set_percent(&mut __poller_status, #n);)
            }
            Role::Progress => {
                let n = number(&arg);
                quote!(#private::set_fraction(&mut __poller_status, #n);)
            }
            Role::RetryAfterSecs => {
                let n = number(&arg);
                quote!(#private::set_retry_after_secs(&mut __poller_status, #n);)
            }
            Role::Count => {
                let (total_field, total) = input.role(Role::Total).expect("checked in valid.rs");
                let total_arg = read(&private, total_field, total.path.as_ref().map(|(_, s)| s));
                if total.path.is_none() {
                    let ty = total_field.ty;
                    bounds.push(parse_quote!(#ty: #private::Number));
                }
                let (n, t) = (number(&arg), number(&total_arg));
                quote!(#private::set_counts(&mut __poller_status, #n, #t);)
            }
            _ => unreachable!(),
        };
        setters.push(guard(&krate, &r.when, setter));
        if r.path.is_none() {
            bounds.push(match role {
                Role::Percent | Role::Progress | Role::RetryAfterSecs | Role::Count => {
                    let ty = field.ty;
                    parse_quote!(#ty: #private::Number)
                }
                _ => serialize_bound(&private, field.ty),
            });
        }
    }
    for field in &input.fields {
        let Some(name) = Input::detail_name(field) else {
            continue;
        };
        let member = field.ident;
        let arg = quote_spanned!(field.ty.span()=> &self.#member);
        setters.push(quote!(#private::add_detail(&mut __poller_status, #name, #arg);));
        bounds.push(serialize_bound(&private, field.ty));
    }

    // Fallbacks are read before the output moves out of `self`.
    let mut fallbacks = Vec::new();
    for (n, (field, r)) in input.roles(Role::OutputFallback).enumerate() {
        let local = syn::Ident::new(&format!("__poller_fallback_{n}"), Span::call_site());
        let value = json_value(&private, field, r);
        let name = field.json_name.as_str();
        if r.path.is_none() {
            bounds.push(serialize_bound(&private, field.ty));
        }
        fallbacks.push((
            quote!(let #local: #private::serde_json::Value = #value;),
            quote! {
                if __poller_status.output.is_none() {
                    __poller_status.output = #private::output_from::<#output_ty>(#local, #name)?;
                }
            },
        ));
    }
    if !fallbacks.is_empty() {
        bounds.push(parse_quote!(#output_ty: #private::serde::de::DeserializeOwned));
    }
    let (read_fallbacks, use_fallbacks): (Vec<_>, Vec<_>) = fallbacks.into_iter().unzip();

    let set_output = input.role(Role::Output).map(|(field, r)| {
        let member = field.ident;
        if r.path.is_some() || r.json_string {
            let value = json_value(&private, field, r);
            if r.path.is_none() {
                bounds.push(serialize_bound(&private, field.ty));
            }
            quote! {
                let __poller_output: #private::serde_json::Value = #value;
                if !__poller_output.is_null() {
                    __poller_status.output = ::core::option::Option::Some(__poller_output);
                }
            }
        } else if option_inner(field.ty).is_some() {
            quote!(__poller_status.output = self.#member;)
        } else {
            quote!(__poller_status.output = ::core::option::Option::Some(self.#member);)
        }
    });

    // The hooks for the HTTP source.
    let set_http_status = input.role(Role::HttpStatus).map(|(field, _)| {
        let member = field.ident;
        quote! {
            fn set_http_status(&mut self, code: u16) {
                self.#member = ::core::convert::From::from(code);
            }
        }
    });
    let result_url = input.role(Role::ResultUrl).map(|(field, r)| {
        let arg = read(&private, field, r.path.as_ref().map(|(_, s)| s));
        if r.path.is_none() {
            bounds.push(serialize_bound(&private, field.ty));
        }
        quote! {
            fn result_url(&self) -> ::core::option::Option<::std::string::String> {
                #private::text_of(#arg)
            }
        }
    });
    let has_result_step = result_url.is_some()
        || input
            .attrs
            .request
            .as_ref()
            .is_some_and(|r| r.result.is_some());
    let parse_result = has_result_step.then(|| {
        bounds.push(parse_quote!(#output_ty: #private::serde::de::DeserializeOwned));
        quote! {
            fn parse_result(
                body: &[u8],
            ) -> ::core::result::Result<Self::Output, #krate::FetchError> {
                #private::parse_result::<Self::Output>(body)
            }
        }
    });

    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut where_clause = where_clause.cloned();
    if generic {
        let clause = where_clause.get_or_insert_with(|| parse_quote!(where));
        clause.predicates.extend(bounds);
    }

    let status_impl = quote! {
        #[automatically_derived]
        impl #impl_generics #krate::StatusResponse for #ident #ty_generics #where_clause {
            type Output = #output_ty;

            fn into_status(
                self,
            ) -> ::core::result::Result<#krate::Status<Self::Output>, #krate::FetchError> {
                let __poller_raw: ::std::string::String = #raw;
                #key
                let __poller_mapped = match __poller_key {
                    #(#arms)*
                    #unknown_arm
                };
                #[allow(unused_mut)]
                let mut __poller_phase = __poller_mapped;
                #(#rules)*
                let mut __poller_status =
                    #krate::Status::<Self::Output>::new(__poller_phase, __poller_raw);
                #(#setters)*
                #(#read_fallbacks)*
                #set_output
                #(#use_fallbacks)*
                ::core::result::Result::Ok(__poller_status)
            }

            #set_http_status
            #result_url
            #parse_result
        }
    };

    let endpoint_impl = input.attrs.request.as_ref().map(|request| {
        let name = match &input.attrs.name {
            Some(lit) => lit.value(),
            None => case::snake_case(&ident.to_string()),
        };
        let method = match request.method.unwrap_or(Method::Get) {
            Method::Get => quote!(#krate::HttpMethod::Get),
            Method::Post => quote!(#krate::HttpMethod::Post),
        };
        let auth = match &request.auth {
            None | Some(AuthAttr::Bearer) => quote!(#krate::Auth::Bearer),
            Some(AuthAttr::None) => quote!(#krate::Auth::None),
            Some(AuthAttr::Header(header)) => quote!(#krate::Auth::Header(#header)),
            Some(AuthAttr::Scheme(scheme)) => quote!(#krate::Auth::Scheme(#scheme)),
            Some(AuthAttr::Query(name)) => quote!(#krate::Auth::Query(#name)),
        };
        let path = request.path.as_ref().expect("checked in valid.rs");
        let mut params: Vec<String> = Vec::new();
        let templates = std::iter::once(path.value())
            .chain(request.query.iter().map(|(_, v)| v.value()))
            .chain(request.headers.iter().map(|(_, v)| v.value()))
            .chain(request.body.iter().map(|(_, v)| v.value()))
            .chain(request.result.iter().map(LitStr::value));
        for text in templates {
            for name in template::placeholders(&text).expect("checked in valid.rs") {
                let name = name.trim_start_matches('+').to_owned();
                if name != "task_id" && !params.contains(&name) {
                    params.push(name);
                }
            }
        }
        let pairs = |pairs: &[(String, LitStr)]| {
            let items = pairs.iter().map(|(name, value)| quote!((#name, #value)));
            quote!(&[#(#items),*])
        };
        let (query, headers, body) = (
            pairs(&request.query),
            pairs(&request.headers),
            pairs(&request.body),
        );
        let result = match &request.result {
            Some(lit) => quote!(::core::option::Option::Some(#lit)),
            None => quote!(::core::option::Option::None),
        };
        let mut where_clause = where_clause.clone();
        if generic {
            let clause = where_clause.get_or_insert_with(|| parse_quote!(where));
            clause
                .predicates
                .push(parse_quote!(Self: #private::serde::de::DeserializeOwned));
        }
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::HttpEndpoint for #ident #ty_generics #where_clause {
                const NAME: &'static str = #name;
                const REQUEST: #krate::RequestSpec = #krate::RequestSpec {
                    method: #method,
                    path: #path,
                    query: #query,
                    auth: #auth,
                    params: &[#(#params),*],
                    headers: #headers,
                    body: #body,
                    result: #result,
                };
            }
        }
    });

    quote! {
        #status_impl
        #endpoint_impl
    }
}

/// A reference to the value a role reads: the field, or the JSON at `steps` inside it.
fn read(private: &TokenStream, field: &Field, steps: Option<&Vec<String>>) -> TokenStream {
    let member = field.ident;
    match steps {
        Some(steps) => {
            quote_spanned!(field.ty.span()=> &#private::at(&self.#member, &[#(#steps),*]))
        }
        None => quote_spanned!(field.ty.span()=> &self.#member),
    }
}

/// The value a role reads as an owned JSON value, decoded when `json_string`.
fn json_value(private: &TokenStream, field: &Field, r: &RoleAttr) -> TokenStream {
    let member = field.ident;
    let steps: Vec<&String> = r.path.iter().flat_map(|(_, s)| s).collect();
    let value = quote_spanned!(field.ty.span()=> #private::at(&self.#member, &[#(#steps),*]));
    if r.json_string {
        quote!(#private::json_string(#value))
    } else {
        value
    }
}

/// `setter`, run only in the phases of `when` (always when it is empty).
fn guard(krate: &Path, when: &[PhaseRef], setter: TokenStream) -> TokenStream {
    if when.is_empty() {
        return setter;
    }
    let phases = when.iter().map(|p| phase_path(krate, p.phase));
    quote! {
        if ::core::matches!(__poller_status.phase, #(#phases)|*) {
            #setter
        }
    }
}

fn phase_path(krate: &Path, phase: crate::attr::Phase) -> TokenStream {
    let variant = syn::Ident::new(phase.variant(), proc_macro2::Span::call_site());
    quote!(#krate::Phase::#variant)
}

fn serialize_bound(private: &TokenStream, ty: &Type) -> WherePredicate {
    parse_quote!(#ty: #private::serde::Serialize)
}
