//! The `Service => Item, Item, …` input shared by `uri_router!` and `models!`.

use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Path, Token, Type};

pub(crate) struct ServiceList {
    pub(crate) service: Type,
    pub(crate) items: Punctuated<Path, Token![,]>,
}

impl ServiceList {
    /// Parses `Service => A, B`; `usage` is shown when the `=>` is missing.
    pub(crate) fn parse(input: ParseStream<'_>, usage: &str) -> syn::Result<ServiceList> {
        let service: Type = input.parse()?;
        input.parse::<Token![=>]>().map_err(|err| syn::Error::new(err.span(), usage))?;
        Ok(ServiceList { service, items: Punctuated::parse_terminated(input)? })
    }
}
