//! `#[derive(StatusResponse)]` for poller. Use it through `poller-core` with the `derive` feature.

use proc_macro::TokenStream;

/// Placeholder until the derive issue lands: reports that the derive is not implemented yet.
#[proc_macro_derive(StatusResponse, attributes(status))]
pub fn derive_status_response(input: TokenStream) -> TokenStream {
    let _ = input;
    "compile_error!(\"#[derive(StatusResponse)] is not implemented yet\");"
        .parse()
        .unwrap()
}
