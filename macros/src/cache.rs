//! `#[keel::cache(prefix = "sys", name = "token", key = "{token}", ttl = 3600)]`
//! on a struct (seed: `rc_model/`): a typed cache entry whose key follows
//! the table naming rule (`sys_token:{token}`), with `get`, `set`, `delete`
//! and `exists` from the `keel::cache::CacheModel` trait (nothing is added
//! to the type's own namespace). `table = "Account"` ties the entry to a table: its key
//! name is the table's, taken from the type at compile time.

use crate::attr::AttrArgs;
use crate::ctxt::Ctxt;
use keel_naming::{KeyPart, check_name_part, check_table_name, parse_key_template, snake_case};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Fields, ItemStruct, LitStr};

const KEYS: &[&str] = &["prefix", "kind", "name", "table", "key", "ttl"];

/// How the key's name part is known.
enum KeyName {
    /// Checked here: `sys_token`.
    Literal(String),
    /// The table's name: `<Account as keel::Table>::CACHE_KEY`.
    Table(syn::Path),
}

pub(crate) fn expand_cache(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut ctxt = Ctxt::default();
    let item = match syn::parse2::<ItemStruct>(item.clone()) {
        Ok(item) if matches!(item.fields, Fields::Named(_)) && item.generics.params.is_empty() => item,
        Ok(item) => {
            ctxt.error_spanned_by(
                &item.ident,
                "#[keel::cache] goes on a non-generic struct with named fields",
            );
            return ctxt.into_tokens_with(quote!(#item));
        }
        Err(_) => {
            ctxt.error_spanned_by(item.clone(), "#[keel::cache] goes on a struct");
            return ctxt.into_tokens_with(item);
        }
    };
    let attr = AttrArgs::parse(&mut ctxt, "cache", args, KEYS);
    let (prefix, kind, name) =
        (attr.string(&mut ctxt, "prefix"), attr.string(&mut ctxt, "kind"), attr.string(&mut ctxt, "name"));
    let table = attr.string(&mut ctxt, "table");
    let key_name = match (&table, &prefix) {
        (Some(table), _) => {
            for lit in [&prefix, &kind, &name].into_iter().flatten() {
                ctxt.error_spanned_by(
                    lit,
                    "a cache model tied to a table takes the table's name as its key: drop `prefix`, `kind` and `name`",
                );
            }
            match table.parse::<syn::Path>() {
                Ok(path) => Some(KeyName::Table(path)),
                Err(_) => {
                    ctxt.error_spanned_by(
                        table,
                        "`table` names a #[keel::table] type, e.g. `table = \"Account\"`",
                    );
                    None
                }
            }
        }
        (None, Some(prefix)) => literal_name(&mut ctxt, &item, prefix, kind.as_ref(), name.as_ref()),
        (None, None) => {
            ctxt.syn_error(syn::Error::new(
                Span::call_site(),
                "#[keel::cache] needs `prefix` (the owning service's, e.g. `prefix = \"sys\"`) or `table = \"…\"` for an entry tied to a table",
            ));
            None
        }
    };
    let template = attr.string(&mut ctxt, "key").and_then(|lit| key_parts(&mut ctxt, &item, &lit));
    let ttl = attr.int(&mut ctxt, "ttl").and_then(|lit| match lit.base10_parse::<u64>() {
        Ok(0) | Err(_) => {
            ctxt.error_spanned_by(&lit, "`ttl` is in seconds and above 0; leave it out for no expiry");
            None
        }
        Ok(seconds) => Some(seconds),
    });
    let parts = template.as_deref().unwrap_or(&[]);
    let code = match key_name {
        Some(key_name) if !ctxt.has_errors() => {
            let ident = &item.ident;
            // Entries are stored as JSON: say so at the struct, not at a call.
            let serde = quote::quote_spanned! {ident.span()=>
                const _: () = {
                    fn stored_as_json<T: ::keel::__private::serde::Serialize + ::keel::__private::serde::de::DeserializeOwned>() {}
                    let _ = stored_as_json::<#ident>;
                };
            };
            let code = generate(&item, &key_name, parts, ttl);
            quote!(#code #serde)
        }
        // Stub impls beside the errors, with the key's parameters when they
        // parsed: code that reads the entry adds no errors of its own.
        _ => generate(&item, &KeyName::Literal(String::new()), parts, None),
    };
    ctxt.into_tokens_with(code)
}

fn literal_name(
    ctxt: &mut Ctxt,
    item: &ItemStruct,
    prefix: &LitStr,
    kind: Option<&LitStr>,
    name: Option<&LitStr>,
) -> Option<KeyName> {
    // The table rule, with its messages, applied to a key.
    let as_key = |msg: String| msg.replacen("table ", "cache key ", 1);
    if let Err(msg) = check_name_part("table prefix", &prefix.value()) {
        ctxt.error_spanned_by(prefix, as_key(msg));
        return None;
    }
    if let Some(kind) = kind
        && let Err(msg) = check_name_part("table kind", &kind.value())
    {
        ctxt.error_spanned_by(kind, as_key(msg));
        return None;
    }
    let name_value = name.map_or_else(|| snake_case(&item.ident.to_string()), LitStr::value);
    match check_table_name(&prefix.value(), kind.map(LitStr::value).as_deref(), &name_value) {
        Ok(full) => Some(KeyName::Literal(full)),
        Err(msg) => {
            match name {
                Some(lit) => ctxt.error_spanned_by(lit, as_key(msg)),
                None => ctxt.error_spanned_by(
                    &item.ident,
                    format!("{} (from the struct's name; or set `name = \"…\"`)", as_key(msg)),
                ),
            }
            None
        }
    }
}

/// The template's parts, each parameter checked against the fields.
fn key_parts(ctxt: &mut Ctxt, item: &ItemStruct, lit: &LitStr) -> Option<Vec<KeyPart>> {
    let parts = match parse_key_template(&lit.value()) {
        Ok(parts) => parts,
        Err(msg) => {
            ctxt.error_spanned_by(lit, msg);
            return None;
        }
    };
    let fields: Vec<String> =
        item.fields.iter().filter_map(|f| f.ident.as_ref().map(ToString::to_string)).collect();
    let mut ok = true;
    let mut seen = Vec::new();
    for part in &parts {
        let KeyPart::Param(param) = part else { continue };
        if !fields.contains(param) {
            ctxt.error_spanned_by(
                lit,
                format!(
                    "key parameter `{{{param}}}` is not a field of `{}`; its fields are: {}",
                    item.ident,
                    fields.join(", ")
                ),
            );
            ok = false;
        } else if seen.contains(param) {
            ctxt.error_spanned_by(lit, format!("key parameter `{{{param}}}` appears twice"));
            ok = false;
        }
        seen.push(param.clone());
    }
    ok.then_some(parts)
}

fn generate(item: &ItemStruct, key_name: &KeyName, parts: &[KeyPart], ttl: Option<u64>) -> TokenStream {
    let ident = &item.ident;
    let key_const = match key_name {
        KeyName::Literal(full) => quote!(#full),
        KeyName::Table(path) => quote!(<#path as ::keel::__private::Table>::CACHE_KEY),
    };
    let params: Vec<syn::Ident> = parts
        .iter()
        .filter_map(|p| match p {
            KeyPart::Param(name) => Some(format_ident!("{}", name)),
            KeyPart::Literal(_) => None,
        })
        .collect();
    let param_types: Vec<TokenStream> = params.iter().map(|_| quote!(&'a dyn ::std::fmt::Display)).collect();
    // `sys_token:{}` built from the parts: literals as written, a `{}` per param.
    let mut format = String::from("{}");
    if !parts.is_empty() {
        format.push(':');
    }
    for part in parts {
        match part {
            KeyPart::Literal(text) => format.push_str(&text.replace('{', "{{").replace('}', "}}")),
            KeyPart::Param(_) => format.push_str("{}"),
        }
    }
    let ttl = match ttl {
        Some(seconds) => quote!(::core::option::Option::Some(::core::time::Duration::from_secs(#seconds))),
        None => quote!(::core::option::Option::None),
    };
    let doc_key = match key_name {
        KeyName::Literal(full) => full.clone(),
        KeyName::Table(path) => quote!(#path).to_string().replace(' ', "") + "'s table name",
    };
    let doc = format!("Cache entry `{doc_key}` (`#[keel::cache]`).");
    quote! {
        #[doc = #doc]
        #item

        #[automatically_derived]
        impl ::keel::__private::CacheModel for #ident {
            const KEY: &'static str = #key_const;
            const TTL: ::core::option::Option<::core::time::Duration> = #ttl;
            type Params<'a> = (#(#param_types,)*);
            fn key(&self) -> ::std::string::String {
                <Self as ::keel::__private::CacheModel>::key_of((#(&self.#params as &dyn ::std::fmt::Display,)*))
            }
            fn key_of((#(#params,)*): Self::Params<'_>) -> ::std::string::String {
                ::std::format!(#format, <Self as ::keel::__private::CacheModel>::KEY #(, #params)*)
            }
        }
    }
}
