use super::parse::{ApiDef, HandlerItem, RouteFn};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

/// The handler type, the user's code, one salvo handler per route, and the
/// `keel::Api` impl that `uri_router!` reads.
pub(crate) fn generate(def: &ApiDef) -> TokenStream {
    let handler = &def.handler;
    let user_code = user_code(def);
    let path = &def.path;
    let public = def.public;
    let version = match &def.version {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let handler_name = handler.to_string();
    let decls = def.routes.iter().map(|route| {
        let verb = verb_variant(route.verb);
        let permission = match route.permission.as_ref().or(def.permission.as_ref()) {
            Some(p) => quote!(::core::option::Option::Some(#p)),
            None => quote!(::core::option::Option::None),
        };
        quote! {
            ::keel::__private::RouteDecl {
                verb: ::keel::__private::Verb::#verb,
                path: #path,
                version: #version,
                handler: #handler_name,
                public: #public,
                permission: #permission,
            }
        }
    });
    let route_impls = def.routes.iter().map(|route| route_impl(def, route));
    let endpoints = def.routes.iter().enumerate().map(|(index, route)| {
        let salvo_handler = salvo_handler_ident(route);
        let operation = operation_ident(route);
        let doc = &route.doc;
        quote! {
            ::keel::__private::Endpoint::new(&<Self as ::keel::__private::Api>::ROUTES[#index], #doc, #salvo_handler, #operation)
        }
    });
    let count = def.routes.len();
    quote! {
        #user_code
        const _: () = {
            use ::keel::__private::salvo;
            #(#route_impls)*
            #[automatically_derived]
            impl ::keel::__private::Api for #handler {
                type Kind = ::keel::__private::kind::HttpOnly;
                const ROUTES: &'static [::keel::__private::RouteDecl] = &[#(#decls),*];
                fn endpoints() -> ::std::vec::Vec<::keel::__private::Endpoint> {
                    let mut endpoints = ::std::vec::Vec::with_capacity(#count);
                    #(endpoints.push(#endpoints);)*
                    endpoints
                }
            }
        };
    }
}

/// What is emitted beside errors: the user's code and an empty route list, so
/// `uri_router!` and callers still compile and only the real error shows.
pub(crate) fn fallback(def: &ApiDef) -> TokenStream {
    let handler = &def.handler;
    let user_code = user_code(def);
    quote! {
        #user_code
        #[automatically_derived]
        impl ::keel::__private::Api for #handler {
            type Kind = ::keel::__private::kind::HttpOnly;
            const ROUTES: &'static [::keel::__private::RouteDecl] = &[];
            fn endpoints() -> ::std::vec::Vec<::keel::__private::Endpoint> {
                ::std::vec::Vec::new()
            }
        }
    }
}

/// The handler struct and the user's functions, unchanged.
fn user_code(def: &ApiDef) -> TokenStream {
    let handler = &def.handler;
    match &def.item {
        HandlerItem::Impl(item_impl) => {
            let doc = super::parse::doc_text(&item_impl.attrs);
            let doc = if doc.is_empty() { format!("The `{handler}` view (`#[keel::api]`).") } else { doc };
            let traits = marker_traits(handler, quote!(#handler));
            quote! {
                #[doc = #doc]
                pub struct #handler;
                #traits
                #item_impl
            }
        }
        HandlerItem::Fn(item_fn) => {
            // The function stays as written (callable by name, attributes
            // once). The route is a braced struct of the same name: braced
            // structs live only in the type namespace, so neither the fn nor
            // a `let login = …` in the module collides with it (as Rocket does).
            let vis = &item_fn.vis;
            let doc =
                format!("The route of [`{handler}()`]({handler}()) (`#[keel::api]`), for `uri_router!`.");
            let traits = marker_traits(handler, quote!(#handler {}));
            quote! {
                #item_fn
                #[doc = #doc]
                #[allow(non_camel_case_types)]
                #vis struct #handler {}
                #traits
            }
        }
    }
}

/// `Clone`, `Copy`, `Debug` and `Default` for the unit-like handler type,
/// written out: what `#[derive(…)]` would produce, without four derive
/// expansions per handler on every build. `value` builds the type.
fn marker_traits(handler: &syn::Ident, value: TokenStream) -> TokenStream {
    let name = handler.to_string();
    quote! {
        #[automatically_derived]
        impl ::core::clone::Clone for #handler {
            #[inline]
            fn clone(&self) -> Self {
                *self
            }
        }
        #[automatically_derived]
        impl ::core::marker::Copy for #handler {}
        #[automatically_derived]
        impl ::core::fmt::Debug for #handler {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(#name)
            }
        }
        #[automatically_derived]
        impl ::core::default::Default for #handler {
            #[inline]
            fn default() -> Self {
                #value
            }
        }
    }
}

fn salvo_handler_ident(route: &RouteFn) -> syn::Ident {
    format_ident!("__keel_{}_handler", route.fn_ident)
}

fn operation_ident(route: &RouteFn) -> syn::Ident {
    format_ident!("__keel_{}_operation", route.fn_ident)
}

fn verb_variant(verb: &str) -> syn::Ident {
    let mut name = verb.to_owned();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    format_ident!("{}", name)
}

/// One route: a salvo handler that extracts each argument (answering the
/// envelope on failure), calls the user's fn and writes its answer; and the
/// OpenAPI operation built from the same argument and return types.
fn route_impl(def: &ApiDef, route: &RouteFn) -> TokenStream {
    let handler = &def.handler;
    let fn_ident = &route.fn_ident;
    let salvo_handler = salvo_handler_ident(route);
    let operation = operation_ident(route);
    let locals: Vec<syn::Ident> = (0..route.args.len()).map(|i| format_ident!("__arg{}", i)).collect();
    let extracts = route.args.iter().zip(&locals).map(|(arg, local)| {
        let ty = &arg.ty;
        let name = arg.name.to_string();
        let name = name.trim_start_matches('_');
        // Spanned on the user's type, so an argument type that is not an
        // extractor is reported on that argument.
        let call = quote_spanned! {ty.span()=>
            <#ty as ::keel::__private::FromRequest>::from_request(req, depot, #name).await
        };
        quote! {
            let #local = match #call {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(error) => {
                    ::keel::__private::write_error(error, depot, res);
                    return;
                }
            };
        }
    });
    let call = match &def.item {
        HandlerItem::Impl(_) => quote!(#handler::#fn_ident),
        HandlerItem::Fn(_) => quote!(#fn_ident),
    };
    let output = &route.output;
    let write = quote_spanned! {output.span()=>
        ::keel::__private::IntoAnswer::write_answer(answer, depot, res)
    };
    let registers = route.args.iter().map(|arg| {
        let ty = &arg.ty;
        let name = arg.name.to_string();
        let name = name.trim_start_matches('_');
        quote_spanned! {ty.span()=>
            <#ty as ::keel::__private::FromRequest>::register(components, &mut operation, #name);
        }
    });
    let out_register = quote_spanned! {output.span()=>
        <#output as ::keel::__private::IntoAnswer>::register(components, &mut operation);
    };
    quote! {
        #[allow(non_camel_case_types)]
        struct #salvo_handler;
        // What `#[async_trait]` would write, written here: one proc macro
        // fewer to run per route on every build.
        impl salvo::Handler for #salvo_handler {
            #[allow(clippy::type_complexity, clippy::needless_lifetimes)]
            fn handle<'life0, 'life1, 'life2, 'life3, 'life4, 'async_trait>(
                &'life0 self,
                req: &'life1 mut salvo::Request,
                depot: &'life2 mut salvo::Depot,
                res: &'life3 mut salvo::Response,
                _ctrl: &'life4 mut salvo::FlowCtrl,
            ) -> ::core::pin::Pin<::std::boxed::Box<
                dyn ::core::future::Future<Output = ()> + ::core::marker::Send + 'async_trait,
            >>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                'life3: 'async_trait,
                'life4: 'async_trait,
                Self: 'async_trait,
            {
                ::std::boxed::Box::pin(async move {
                    #(#extracts)*
                    let answer = #call(#(#locals),*).await;
                    #write
                })
            }
        }
        fn #operation(components: &mut ::keel::__private::oapi::Components) -> ::keel::__private::oapi::Operation {
            let mut operation = ::keel::__private::oapi::Operation::new();
            #(#registers)*
            #out_register
            operation
        }
    }
}
