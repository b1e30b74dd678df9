//! `keel::models!(SysConf => Account, Login)`: a service's tables in one
//! place (seed: `MODEL_LIST`). Migrations and table creation read the list;
//! a `const` item checks at compile time that every table carries the
//! service's prefix and that no two share a name.

use crate::service_list::ServiceList;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let usage =
        "models! starts with the service, then `=>` and the tables: `models!(SysConf => Account, Login)`";
    let input = match syn::parse::Parser::parse2(
        |s: syn::parse::ParseStream<'_>| ServiceList::parse(s, usage),
        input,
    ) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let service = &input.service;
    let tables: Vec<&Path> = input.items.iter().collect();
    let pairs = tables
        .iter()
        .map(|t| quote_spanned!(t.span()=> (<#t as ::keel::__private::Table>::PREFIX, <#t as ::keel::__private::Table>::TABLE)));
    let pairs: Vec<TokenStream> = pairs.collect();
    // One check per table, spanned at it: the error lands on the offender.
    let checks = tables.iter().enumerate().map(|(index, t)| {
        quote_spanned! {t.span()=>
            const _: () = ::keel::__private::assert_models(
                <#service as ::keel::__private::Service>::INFO.prefix,
                &[#(#pairs),*],
                #index,
            );
        }
    });
    let check = quote!(#(#checks)*);
    quote! {
        #check
        /// This service's tables (seed: `MODEL_LIST`), checked against its prefix at compile time.
        pub fn models() -> ::std::vec::Vec<::keel::__private::TableSchema> {
            ::std::vec![#(<#tables as ::keel::__private::Table>::schema()),*]
        }
    }
}
