//! `#[keel::main]` on a service binary's `async fn main`: checks the binary's
//! name (seed rule 9) and runs the body on keel's tokio runtime.

use crate::attr::AttrArgs;
use crate::ctxt::Ctxt;
use crate::rules::check_binary_name;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ItemFn;

const MACRO: &str = "keel::main";
/// `bin_name` is a testing hook: trybuild names every case's binary
/// `trybuild000`, so UI tests of the binary-name rule pass the name here.
const KEYS: &[&str] = &["bin_name"];

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut ctxt = Ctxt::default();
    let attr = AttrArgs::parse(&mut ctxt, MACRO, args, KEYS);
    let override_name = attr.string(&mut ctxt, "bin_name");
    let item_fn = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(_) => {
            ctxt.error_spanned_by(&item, "#[keel::main] goes on `async fn main()`");
            return ctxt.into_tokens_with(item);
        }
    };
    let (bin_name, span) = match &override_name {
        Some(lit) => (Some(lit.value()), lit.span()),
        None => (std::env::var("CARGO_BIN_NAME").ok(), item_fn.sig.ident.span()),
    };
    match &bin_name {
        Some(name) => {
            if let Err(msg) = check_binary_name(name) {
                ctxt.syn_error(syn::Error::new(span, msg));
            }
        }
        None => ctxt.syn_error(syn::Error::new(
            Span::call_site(),
            "#[keel::main] belongs in a service binary (a [[bin]] target such as `http_manage_sys`)",
        )),
    }
    if item_fn.sig.ident != "main" || item_fn.sig.asyncness.is_none() {
        ctxt.error_spanned_by(&item_fn.sig.ident, "#[keel::main] goes on `async fn main()`");
    }
    if !item_fn.sig.inputs.is_empty() {
        ctxt.error_spanned_by(
            &item_fn.sig.inputs,
            "`main` takes no arguments; the command line is parsed by `App::run`",
        );
    }
    let attrs = &item_fn.attrs;
    let output = &item_fn.sig.output;
    let body = &item_fn.block;
    let name = bin_name.unwrap_or_default();
    // The routes are known only once the router is built (in the service's
    // library): `App::run` compares them with the binary's kind at boot.
    let code = quote! {
        #(#attrs)*
        fn main() #output {
            ::keel::__private::set_binary_name(#name);
            ::keel::__private::block_on(async move #body)
        }
    };
    ctxt.into_tokens_with(code)
}
