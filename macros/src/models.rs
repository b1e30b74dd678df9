//! `keel::models!(SysConf => Account, Login)`: a service's tables in one
//! place (seed: `MODEL_LIST`). Migrations and table creation read the list;
//! a `const` item checks at compile time that every table carries the
//! service's prefix and that no two share a name.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Path, Token, Type};

struct ModelsInput {
    service: Type,
    tables: Punctuated<Path, Token![,]>,
}

impl Parse for ModelsInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let service: Type = input.parse()?;
        input.parse::<Token![=>]>().map_err(|err| {
            syn::Error::new(err.span(), "models! starts with the service, then `=>` and the tables: `models!(SysConf => Account, Login)`")
        })?;
        Ok(ModelsInput { service, tables: Punctuated::parse_terminated(input)? })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<ModelsInput>(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let service = &input.service;
    let tables: Vec<&Path> = input.tables.iter().collect();
    let pairs = tables
        .iter()
        .map(|t| quote_spanned!(t.span()=> (<#t as ::keel::Table>::PREFIX, <#t as ::keel::Table>::TABLE)));
    let span = tables.last().map_or_else(|| service.span(), |t| t.span());
    let check = quote_spanned! {span=>
        const _: () = ::keel::__private::assert_models(<#service as ::keel::Service>::INFO.prefix, &[#(#pairs),*]);
    };
    quote! {
        #check
        /// This service's tables (seed: `MODEL_LIST`), checked against its prefix at compile time.
        pub fn models() -> ::std::vec::Vec<::keel::TableSchema> {
            ::std::vec![#(<#tables as ::keel::Table>::schema()),*]
        }
    }
}
