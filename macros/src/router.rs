//! `keel::uri_router!(SysConf => TestHandler, AccountHandler, …)`: the seed's
//! `uri_router.py`, one list of a service's handlers.
//!
//! A proc macro sees only its own tokens, so the handlers' routes are compared
//! where they are all known: in a `const` item, evaluated by `cargo check`.
//! Two handlers on the same verb + version + path (`{id}` and `{uid}` count as
//! the same segment) stop the build with a message naming both.

use crate::ctxt::Ctxt;
use crate::service_list::ServiceList;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let usage = "uri_router! starts with the service, then `=>` and the handlers: `uri_router!(SysConf => TestHandler, AccountHandler)`";
    let input = match syn::parse::Parser::parse2(
        |s: syn::parse::ParseStream<'_>| ServiceList::parse(s, usage),
        input,
    ) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let mut ctxt = Ctxt::default();
    if input.items.is_empty() {
        ctxt.error_spanned_by(&input.service, "uri_router! lists at least one handler after `=>`");
    }
    let mut seen: Vec<String> = Vec::new();
    for handler in &input.items {
        let text = quote!(#handler).to_string();
        if seen.contains(&text) {
            ctxt.error_spanned_by(
                handler,
                format!("`{text}` is listed twice in uri_router!; list each handler once"),
            );
        }
        seen.push(text);
    }
    let handlers: Vec<&Path> = input.items.iter().collect();
    // What the routes expose, joined handler by handler as `with` does:
    // `<<NoRoutes as Join<A::Kind>>::Out as Join<B::Kind>>::Out`.
    let kind = handlers.iter().fold(quote!(::keel::__private::kind::NoRoutes), |kind, h| {
        // Spanned on the handler, so `X is not a keel handler` points at `X`.
        quote_spanned!(h.span()=> <#kind as ::keel::__private::kind::Join<<#h as ::keel::__private::Api>::Kind>>::Out)
    });
    if ctxt.has_errors() {
        // The conflict check would repeat the same mistake as a route
        // conflict. The kind stays the real one, so callers naming it
        // (`App<HttpOnly>`) get no second error.
        return ctxt.into_tokens_with(quote! {
            #[allow(clippy::type_complexity)]
            pub fn uri_router() -> ::keel::__private::UriRouter<#kind> {
                ::core::unreachable!("uri_router! did not compile")
            }
        });
    }
    let service = &input.service;
    let route_sets =
        handlers.iter().map(|h| quote_spanned!(h.span()=> <#h as ::keel::__private::Api>::ROUTES));
    // The handlers' routes, listed once: each check below names this list
    // rather than repeating it (the output stays linear in the handlers).
    let route_list = quote! {
        #[doc(hidden)]
        const __KEEL_URI_ROUTES: &[&[::keel::__private::RouteDecl]] = &[#(#route_sets),*];
    };
    // One check per handler, spanned at it: a conflict is reported at the
    // second of the two handlers, and every conflicting one is reported.
    let checks = handlers.iter().enumerate().map(|(index, h)| {
        quote_spanned! {h.span()=>
            const _: () = ::keel::__private::assert_unique_routes(
                __KEEL_URI_ROUTES,
                #index,
                <#service as ::keel::__private::Service>::INFO.version,
            );
            const _: () = {
                // `keel::permissions!`'s inherent constant, else none.
                #[allow(unused_imports)]
                use ::keel::__private::NoPermissions as _;
                ::keel::__private::assert_route_permissions(
                    <#service>::PERMISSIONS,
                    <#h as ::keel::__private::Api>::ROUTES,
                    <#service as ::keel::__private::Service>::INFO.name,
                );
            };
        }
    });
    let check = quote!(#route_list #(#checks)*);
    let check_span = input.items.last().map_or_else(|| service.span(), |h| h.span());
    let returns = quote_spanned!(check_span=> ::keel::__private::UriRouter<#kind>);
    let with_calls = handlers.iter().map(|h| quote_spanned!(h.span()=> .with::<#h>()));
    let code = quote! {
        #check
        /// This service's routes, from `uri_router!`; checked for conflicts at
        /// compile time. The type says what they expose (`keel::kind`).
        #[allow(clippy::type_complexity)] // the kind, joined handler by handler; it normalizes to one marker
        pub fn uri_router() -> #returns {
            ::keel::__private::UriRouter::new(<#service as ::keel::__private::Service>::INFO)
                #(#with_calls)*
        }
    };
    ctxt.into_tokens_with(code)
}
