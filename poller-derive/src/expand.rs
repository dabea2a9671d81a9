//! Emits the impls. Everything here assumes `valid.rs` found no error; it only writes code,
//! with absolute paths through the `crate = ...` path and `#[automatically_derived]`.

use crate::ast::Input;
use crate::attr::{AuthAttr, Method, Role};
use crate::ctxt::Ctxt;
use crate::types::option_inner;
use crate::{case, fallback, template, valid};
use proc_macro2::TokenStream;
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
            .field_with(Role::Output)
            .map(|f| option_inner(f.ty).unwrap_or(f.ty));
        let stub = fallback::expand(
            node,
            input.attrs.krate.as_ref(),
            output,
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
    let output_field = input.field_with(Role::Output);
    let output_ty: Type = match output_field {
        Some(f) => option_inner(f.ty).unwrap_or(f.ty).clone(),
        None => parse_quote!(()),
    };
    bounds.push(parse_quote!(#output_ty: ::core::marker::Send + ::core::marker::Sync + 'static));

    // The phase.
    let status = input.status_field().expect("checked in valid.rs");
    let status_member = status.ident;
    let status_arg = quote_spanned!(status.ty.span()=> &self.#status_member);
    bounds.push(serialize_bound(&private, status.ty));
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

    // `when_set` rules test the phase the value mapped to; a later field's rule wins.
    let krate_ref = &krate;
    let private_ref = &private;
    let when_set = input.fields.iter().flat_map(|field| {
        let krate = krate_ref;
        let private = private_ref;
        let member = field.ident;
        let set = if option_inner(field.ty).is_some() {
            quote!(::core::option::Option::is_some(&self.#member))
        } else {
            let arg = quote_spanned!(field.ty.span()=> &self.#member);
            quote!(#private::is_set(#arg))
        };
        field.attrs.when_set.iter().map(move |w| {
            let from = phase_path(krate, w.from.phase);
            let to = phase_path(krate, w.to.phase);
            quote! {
                if ::core::matches!(__poller_mapped, #from) && #set {
                    __poller_phase = #to;
                }
            }
        })
    });
    for field in &input.fields {
        if !field.attrs.when_set.is_empty() && option_inner(field.ty).is_none() {
            bounds.push(serialize_bound(&private, field.ty));
        }
    }

    // Error, progress, hints, details: read by reference, before the output moves.
    let mut setters = Vec::new();
    for role in [
        Role::Error,
        Role::ErrorCode,
        Role::Percent,
        Role::Progress,
        Role::Step,
        Role::Events,
        Role::RetryAfterSecs,
    ] {
        let Some(field) = input.field_with(role) else {
            continue;
        };
        let member = field.ident;
        let arg = quote_spanned!(field.ty.span()=> &self.#member);
        let number = quote_spanned!(field.ty.span()=> #private::Number::to_f64(&self.#member));
        let setter = match role {
            Role::Error => quote!(#private::set_error(&mut __poller_status, #arg);),
            Role::ErrorCode => quote!(#private::set_error_code(&mut __poller_status, #arg);),
            Role::Step => quote!(#private::set_step(&mut __poller_status, #arg);),
            Role::Events => quote!(#private::set_events(&mut __poller_status, #arg);),
            Role::Percent => quote!(#private::set_percent(&mut __poller_status, #number);),
            Role::Progress => quote!(#private::set_fraction(&mut __poller_status, #number);),
            Role::RetryAfterSecs => {
                quote!(#private::set_retry_after_secs(&mut __poller_status, #number);)
            }
            Role::Status | Role::Output => unreachable!(),
        };
        setters.push(setter);
        bounds.push(match role {
            Role::Percent | Role::Progress | Role::RetryAfterSecs => {
                let ty = field.ty;
                parse_quote!(#ty: #private::Number)
            }
            _ => serialize_bound(&private, field.ty),
        });
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

    let set_output = output_field.map(|field| {
        let member = field.ident;
        if option_inner(field.ty).is_some() {
            quote!(__poller_status.output = self.#member;)
        } else {
            quote!(__poller_status.output = ::core::option::Option::Some(self.#member);)
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
                let __poller_raw: ::std::string::String = #private::raw_status(#status_arg)?;
                #key
                let __poller_mapped = match __poller_key {
                    #(#arms)*
                    #unknown_arm
                };
                #[allow(unused_mut)]
                let mut __poller_phase = __poller_mapped;
                #(#when_set)*
                let mut __poller_status =
                    #krate::Status::<Self::Output>::new(__poller_phase, __poller_raw);
                #(#setters)*
                #set_output
                ::core::result::Result::Ok(__poller_status)
            }
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
        };
        let path = request.path.as_ref().expect("checked in valid.rs");
        let mut params: Vec<String> = Vec::new();
        let templates =
            std::iter::once(path.value()).chain(request.query.iter().map(|(_, v)| v.value()));
        for text in templates {
            for name in template::placeholders(&text).expect("checked in valid.rs") {
                if name != "task_id" && !params.contains(&name) {
                    params.push(name);
                }
            }
        }
        let query = request
            .query
            .iter()
            .map(|(name, value)| quote!((#name, #value)));
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
                    query: &[#(#query),*],
                    auth: #auth,
                    params: &[#(#params),*],
                };
            }
        }
    });

    quote! {
        #status_impl
        #endpoint_impl
    }
}

fn phase_path(krate: &Path, phase: crate::attr::Phase) -> TokenStream {
    let variant = syn::Ident::new(phase.variant(), proc_macro2::Span::call_site());
    quote!(#krate::Phase::#variant)
}

fn serialize_bound(private: &TokenStream, ty: &Type) -> WherePredicate {
    parse_quote!(#ty: #private::serde::Serialize)
}
