//! `#[keel::api(path = "/…", version = "1.00.02", public)]`: the seed's
//! class-style views (`HTTPMethodView`) on an `impl` block, or one route on
//! a free `async fn` with `method = "…"`.
//!
//! parse (`parse.rs`: attribute and items into [`ApiDef`]) → check (rules,
//! inside parse, errors collected in a [`Ctxt`]) → generate (`expand.rs`).

mod expand;
mod parse;

pub(crate) use parse::doc_text;

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut ctxt = Ctxt::default();
    match parse::ApiDef::parse(&mut ctxt, args, item.clone()) {
        Some(def) if !ctxt.has_errors() => ctxt.into_tokens_with(expand::generate(&def)),
        // Emit the user's item untouched beside the errors, so one bad
        // annotation does not also break every caller of the handler.
        Some(def) => ctxt.into_tokens_with(expand::fallback(&def)),
        None => ctxt.into_tokens_with(item),
    }
}
