//! `#[keel::service(name, id, port, prefix, version)]`: a service's identity
//! (the seed's SERVER_NAME, SERVER_ID, RUN_PORT, table prefix and VER_CODE),
//! checked at compile time and exposed as `keel::Service::INFO`.

use crate::attr::AttrArgs;
use crate::ctxt::Ctxt;
use keel_naming::{check_name_part, check_service_name, check_version};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{ItemStruct, LitInt, LitStr};

const MACRO: &str = "service";
const KEYS: &[&str] = &["name", "id", "port", "prefix", "version"];

struct ServiceDef {
    item: ItemStruct,
    name: LitStr,
    id: u32,
    port: u16,
    prefix: LitStr,
    version: LitStr,
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut ctxt = Ctxt::default();
    let item = match syn::parse2::<ItemStruct>(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            ctxt.error_spanned_by(&item, "#[keel::service] goes on a struct, e.g. `pub struct SysConf;`");
            return ctxt.into_tokens_with(item);
        }
    };
    match parse(&mut ctxt, args, &item) {
        Some(def) if !ctxt.has_errors() => ctxt.into_tokens_with(generate(&def)),
        _ => ctxt.into_tokens_with(fallback(&item)),
    }
}

/// Beside the errors: the struct with an empty identity, so `uri_router!`,
/// `models!` and the app that name it add no errors of their own (the
/// cross-item checks skip an empty identity).
fn fallback(item: &ItemStruct) -> TokenStream {
    let ident = &item.ident;
    let generics = &item.generics;
    if !generics.params.is_empty() {
        return quote!(#item);
    }
    quote! {
        #item
        #[automatically_derived]
        impl ::keel::__private::Service for #ident {
            const INFO: ::keel::__private::ServiceInfo = ::keel::__private::ServiceInfo {
                name: "",
                id: 0,
                port: 0,
                prefix: "",
                version: "0.00.00",
            };
        }
    }
}

fn parse(ctxt: &mut Ctxt, args: TokenStream, item: &ItemStruct) -> Option<ServiceDef> {
    // A missing key has no token of its own: blame the whole attribute.
    let span = Span::call_site();
    let attr = AttrArgs::parse(ctxt, MACRO, args, KEYS);
    let name = attr.string(ctxt, "name");
    let name = AttrArgs::require(ctxt, name, span, MACRO, "name", "\"manage_system\"");
    let id = attr.int(ctxt, "id");
    let id = AttrArgs::require(ctxt, id, span, MACRO, "id", "1");
    let port = attr.int(ctxt, "port");
    let port = AttrArgs::require(ctxt, port, span, MACRO, "port", "8001");
    let prefix = attr.string(ctxt, "prefix");
    let prefix = AttrArgs::require(ctxt, prefix, span, MACRO, "prefix", "\"sys\"");
    let version = attr.string(ctxt, "version");
    let version = AttrArgs::require(ctxt, version, span, MACRO, "version", "\"1.00.00\"");

    if !item.generics.params.is_empty() {
        ctxt.error_spanned_by(&item.generics, "a service identity cannot be generic");
    }
    if let Some(name) = &name
        && let Err(msg) = check_service_name(&name.value())
    {
        ctxt.error_spanned_by(name, msg);
    }
    if let Some(prefix) = &prefix {
        if let Err(msg) = check_name_part("service prefix", &prefix.value()) {
            ctxt.error_spanned_by(prefix, msg);
        } else if prefix.value() == "keel" {
            ctxt.error_spanned_by(
                prefix,
                "service prefix `keel` is reserved for framework tables and keys (`keel_migration`, `keel_session`); pick the service's own, e.g. `sys`",
            );
        }
    }
    if let Some(version) = &version
        && let Err(msg) = check_version(&version.value())
    {
        ctxt.error_spanned_by(version, msg);
    }
    let id = id.and_then(|lit| {
        ranged::<u32>(ctxt, &lit, "id", 1, "a positive integer that no other service of the workspace uses")
    });
    let port = port.and_then(|lit| ranged::<u16>(ctxt, &lit, "port", 1, "a TCP port, 1 to 65535"));
    Some(ServiceDef {
        item: item.clone(),
        name: name?,
        id: id?,
        port: port?,
        prefix: prefix?,
        version: version?,
    })
}

fn ranged<T>(ctxt: &mut Ctxt, lit: &LitInt, key: &str, min: T, what: &str) -> Option<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    match lit.base10_parse::<T>() {
        Ok(value) if value >= min => Some(value),
        _ => {
            ctxt.error_spanned_by(lit, format!("`{key} = {lit}` is out of range: {key} must be {what}"));
            None
        }
    }
}

fn generate(def: &ServiceDef) -> TokenStream {
    let item = &def.item;
    let ident = &item.ident;
    let (name, id, port, prefix, version) = (&def.name, def.id, def.port, &def.prefix, &def.version);
    quote! {
        #item
        #[automatically_derived]
        impl ::keel::__private::Service for #ident {
            const INFO: ::keel::__private::ServiceInfo = ::keel::__private::ServiceInfo {
                name: #name,
                id: #id,
                port: #port,
                prefix: #prefix,
                version: #version,
            };
        }
    }
}
