//! `#[keel::main]` on a service binary's `async fn main`: checks the binary's
//! name (the binary-name rule), holds it to what the app exposes, and runs the body on
//! keel's tokio runtime.

use crate::attr::AttrArgs;
use crate::ctxt::Ctxt;
use keel_naming::{BinaryKind, check_binary_name};
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
    let binary = match &bin_name {
        Some(name) => match check_binary_name(name) {
            Ok(kind) => Some((name.as_str(), kind)),
            Err(msg) => {
                ctxt.syn_error(syn::Error::new(span, msg));
                None
            }
        },
        None => {
            ctxt.syn_error(syn::Error::new(
                Span::call_site(),
                "#[keel::main] belongs in a service binary (a [[bin]] target such as `http_manage_sys`)",
            ));
            None
        }
    };
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
    let run_check = run_check(binary);
    let name = bin_name.unwrap_or_default();
    let code = quote! {
        #(#attrs)*
        fn main() #output {
            #run_check
            ::keel::__private::set_binary_name(#name);
            ::keel::__private::block_on(async move #body)
        }
    };
    ctxt.into_tokens_with(code)
}

/// `.run()` for this binary, as a trait local to `main`: the service's
/// routes are in its library and the name is the binary's, so the check
/// rides on the app's type (`App<keel::kind::…>`). An app whose kind does
/// not match the prefix has no usable `run`, and the error names the
/// binary, the rule and the names that would fit.
fn run_check(binary: Option<(&str, BinaryKind)>) -> TokenStream {
    let serves = match binary {
        Some((name, kind)) => {
            let (prefix, marker, what) = match kind {
                BinaryKind::Http => ("http_", quote!(HttpOnly), "HTTP routes only"),
                BinaryKind::Ws => ("ws_", quote!(WsOnly), "WebSockets only"),
                BinaryKind::Server => ("server_", quote!(HttpAndWs), "HTTP routes and WebSockets"),
                BinaryKind::Service => ("service_", quote!(NoRoutes), "no external interface"),
            };
            let stem = name.strip_prefix(prefix).unwrap_or(name);
            let message = format!("binary `{name}` must run an app with {what}, but this app is `{{Self}}`");
            let label = format!("`{prefix}` binaries have {what}");
            let note = format!(
                "name the [[bin]] after what the app exposes — HttpOnly: `http_{stem}`, WsOnly: `ws_{stem}`, HttpAndWs: `server_{stem}`, NoRoutes: `service_{stem}` — or change its routes"
            );
            quote! {
                #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
                trait KeelBinaryServes {}
                impl KeelBinaryServes for ::keel::__private::App<::keel::__private::kind::#marker> {}
            }
        }
        // The name is already an error: accept any app rather than add one.
        None => quote! {
            trait KeelBinaryServes {}
            impl<K: ::keel::__private::kind::Kind> KeelBinaryServes for ::keel::__private::App<K> {}
        },
    };
    quote! {
        #serves
        trait KeelRun: Sized {
            fn run(self) -> ::keel::__private::RunFuture
            where
                Self: KeelBinaryServes;
        }
        impl<K: ::keel::__private::kind::Kind> KeelRun for ::keel::__private::App<K>
        where
            Self: ::keel::__private::RunBoxed,
        {
            fn run(self) -> ::keel::__private::RunFuture
            where
                Self: KeelBinaryServes,
            {
                ::keel::__private::RunBoxed::run_boxed(self)
            }
        }
    }
}
