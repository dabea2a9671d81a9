//! Stub impls emitted beside compile errors, so that a mistake in the attributes is reported
//! once, where it is, and not again at every use of the type (after thiserror's `fallback.rs`).

use crate::expand::crate_path;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Path, Type};

/// `impl StatusResponse` (and `impl HttpEndpoint` when `request` was written) with
/// `unimplemented!()` bodies.
pub fn expand(
    node: &DeriveInput,
    krate: Option<&Path>,
    output: Option<&Type>,
    endpoint: bool,
) -> TokenStream {
    let krate = crate_path(krate);
    let ident = &node.ident;
    let (impl_generics, ty_generics, where_clause) = node.generics.split_for_impl();
    // A generic output type might lack the bounds `Output` needs; `()` never does.
    let output = match output {
        Some(ty) if node.generics.params.is_empty() => quote!(#ty),
        _ => quote!(()),
    };
    let endpoint = endpoint.then(|| {
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::HttpEndpoint for #ident #ty_generics #where_clause {
                const NAME: &'static str = "";
                const REQUEST: #krate::RequestSpec = #krate::RequestSpec {
                    method: #krate::HttpMethod::Get,
                    path: "",
                    query: &[],
                    auth: #krate::Auth::None,
                    params: &[],
                    headers: &[],
                    body: &[],
                    result: ::core::option::Option::None,
                };
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::StatusResponse for #ident #ty_generics #where_clause {
            type Output = #output;

            fn into_status(
                self,
            ) -> ::core::result::Result<#krate::Status<Self::Output>, #krate::FetchError> {
                ::core::unimplemented!("#[derive(StatusResponse)] did not compile")
            }
        }
        #endpoint
    }
}
