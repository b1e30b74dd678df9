//! `#[keel::ws(path = "/guide", version = "1.00.00"[, public])]` on
//! `impl keel::ws::Socket for GuideSocket { … }`: a WebSocket endpoint with
//! the path and version rules of `#[api]`, listed in `uri_router!` (or a
//! `UriRouter`) like any handler. It declares the socket's unit struct.
//!
//! `keel::channel!("sys_notice")`: a pub/sub channel name, checked against
//! the table naming rule at compile time.

use crate::attr::AttrArgs;
use crate::ctxt::Ctxt;
use keel_naming::{check_api_path, check_table_name, check_version};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{ItemImpl, LitStr};

const KEYS: &[&str] = &["path", "version", "public"];

pub(crate) fn expand_ws(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut ctxt = Ctxt::default();
    let item_impl = match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(item_impl) => item_impl,
        Err(_) => {
            ctxt.error_spanned_by(
                item.clone(),
                "#[keel::ws] goes on `impl keel::ws::Socket for YourSocket { … }`",
            );
            return ctxt.into_tokens_with(item);
        }
    };
    let is_socket = item_impl
        .trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .is_some_and(|segment| segment.ident == "Socket");
    if !is_socket {
        ctxt.error_spanned_by(
            &item_impl.self_ty,
            "#[keel::ws] goes on an impl of `keel::ws::Socket` (open → message → close); an HTTP handler is #[keel::api]",
        );
    }
    let attr = AttrArgs::parse(&mut ctxt, "ws", args, KEYS);
    let path = attr.string(&mut ctxt, "path");
    let path = AttrArgs::require(&mut ctxt, path, Span::call_site(), "keel::ws", "path", "\"/guide\"");
    if let Some(lit) = &path
        && let Err(msg) = check_api_path(&lit.value())
    {
        ctxt.error_spanned_by(lit, msg);
    }
    let version = attr.string(&mut ctxt, "version");
    if let Some(lit) = &version
        && let Err(msg) = check_version(&lit.value())
    {
        ctxt.error_spanned_by(lit, msg);
    }
    let public = attr.flag(&mut ctxt, "public").is_some();
    let self_ty = &item_impl.self_ty;
    let ident = match &**self_ty {
        syn::Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.clone())
        }
        other => {
            ctxt.error_spanned_by(
                other,
                "#[keel::ws] declares the socket type: name it with a plain identifier",
            );
            None
        }
    };
    let (Some(ident), Some(path), false) = (&ident, path, ctxt.has_errors()) else {
        // Beside the errors: the socket type with no routes, so the
        // uri_router! listing it adds no errors of its own.
        let fallback = match &ident {
            // Only the shape the macro owns: on a plain impl the user wrote
            // the struct already.
            Some(ident) if item_impl.trait_.is_some() => {
                socket_code(ident, &item_impl, "", quote!(&[]), quote!(::std::vec::Vec::new()))
            }
            _ => quote!(#item_impl),
        };
        return ctxt.into_tokens_with(fallback);
    };
    let version = match &version {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let name = ident.to_string();
    let doc = crate::api::doc_text(&item_impl.attrs);
    let vis_doc = format!("WebSocket `{}` (`#[keel::ws]`).", path.value());
    let route = quote! {
        &[::keel::__private::RouteDecl {
            verb: ::keel::__private::Verb::Ws,
            path: #path,
            version: #version,
            handler: #name,
            public: #public,
            permission: ::core::option::Option::None,
        }]
    };
    let endpoints = quote! {
        ::std::vec![::keel::__private::ws_endpoint::<#ident>(&<Self as ::keel::__private::Api>::ROUTES[0], #doc)]
    };
    let code = socket_code(ident, &item_impl, &vis_doc, route, endpoints);
    ctxt.into_tokens_with(code)
}

/// The socket type, the user's impl, and the `Api` impl `uri_router!` reads
/// (with no routes in the fallback beside errors).
fn socket_code(
    ident: &syn::Ident,
    item_impl: &syn::ItemImpl,
    doc: &str,
    routes: TokenStream,
    endpoints: TokenStream,
) -> TokenStream {
    let doc = (!doc.is_empty()).then(|| quote!(#[doc = #doc]));
    quote! {
        #doc
        #[derive(Clone, Copy, Debug, Default)]
        pub struct #ident;

        #item_impl

        #[automatically_derived]
        impl ::keel::__private::Api for #ident {
            type Kind = ::keel::__private::kind::WsOnly;
            const ROUTES: &'static [::keel::__private::RouteDecl] = #routes;
            fn endpoints() -> ::std::vec::Vec<::keel::__private::Endpoint> {
                #endpoints
            }
        }
    }
}

/// `keel::channel!("sys_notice")` → the literal, or a compile error naming
/// the rule.
pub(crate) fn expand_channel(input: TokenStream) -> TokenStream {
    let lit = match syn::parse2::<LitStr>(input) {
        Ok(lit) => lit,
        Err(err) => {
            return syn::Error::new(
                err.span(),
                "keel::channel! takes one string: `keel::channel!(\"sys_notice\")`",
            )
            .to_compile_error();
        }
    };
    let name = lit.value();
    let checked = match name.split_once('_') {
        Some((prefix, rest)) => check_table_name(prefix, None, rest).map(drop),
        None => {
            Err(format!("channel `{name}` needs its service's prefix: `<prefix>_<name>`, e.g. `sys_notice`"))
        }
    };
    match checked {
        Ok(()) => quote!(#lit),
        Err(msg) => {
            let msg = msg.replacen("table ", "channel ", 1);
            syn::Error::new(if msg.is_empty() { Span::call_site() } else { lit.span() }, msg)
                .to_compile_error()
        }
    }
}
