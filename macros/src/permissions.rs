//! `keel::permissions!(SysConf => "account.read", "account.write")`: the
//! permissions a service's routes may require, declared once beside its
//! identity. Each name follows the permission rule; `uri_router!` refuses a
//! route that names one the service does not declare.
//!
//! The list becomes an inherent constant `SysConf::PERMISSIONS`. A service
//! without the macro has none: `uri_router!` reads the constant with
//! `keel::__private::NoPermissions` in scope, whose blanket `PERMISSIONS =
//! &[]` an inherent constant takes precedence over.

use crate::ctxt::Ctxt;
use keel_naming::check_permission_name;
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{LitStr, Path, Token};

const USAGE: &str = "permissions! starts with the service, then `=>` and the names: `permissions!(SysConf => \"account.read\", \"account.write\")`";

struct Declaration {
    service: Path,
    names: Vec<LitStr>,
}

fn parse(input: ParseStream<'_>) -> syn::Result<Declaration> {
    let service: Path = input.parse().map_err(|err| syn::Error::new(err.span(), USAGE))?;
    input.parse::<Token![=>]>().map_err(|err| syn::Error::new(err.span(), USAGE))?;
    let names = Punctuated::<LitStr, Token![,]>::parse_terminated(input)
        .map_err(|err| syn::Error::new(err.span(), USAGE))?;
    Ok(Declaration { service, names: names.into_iter().collect() })
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let declaration = match parse.parse2(input) {
        Ok(declaration) => declaration,
        Err(err) => return err.to_compile_error(),
    };
    let mut ctxt = Ctxt::default();
    let mut kept: Vec<&LitStr> = Vec::new();
    for name in &declaration.names {
        let value = name.value();
        if let Err(msg) = check_permission_name(&value) {
            ctxt.error_spanned_by(name, msg);
        } else if kept.iter().any(|k| k.value() == value) {
            ctxt.error_spanned_by(name, format!("permission `{value}` is declared twice; list it once"));
        } else {
            kept.push(name);
        }
    }
    let service = &declaration.service;
    let doc = format!(
        "The permissions routes of this service may require (`keel::permissions!`): {}.",
        if kept.is_empty() {
            "none".to_owned()
        } else {
            kept.iter().map(|k| format!("`{}`", k.value())).collect::<Vec<_>>().join(", ")
        }
    );
    // The valid names even beside errors: routes naming them add no errors.
    ctxt.into_tokens_with(quote! {
        #[automatically_derived]
        impl #service {
            #[doc = #doc]
            pub const PERMISSIONS: &'static [&'static str] = &[#(#kept),*];
        }
    })
}
