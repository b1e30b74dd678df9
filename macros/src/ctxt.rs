//! Error collection, after serde_derive's `Ctxt`: every macro records all the
//! problems it finds and reports them together, so one build shows them all.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

#[derive(Default)]
pub(crate) struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// Records an error pointing at `tokens`.
    pub(crate) fn error_spanned_by<T: ToTokens, M: Display>(&mut self, tokens: T, message: M) {
        self.errors.push(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error already carrying its span.
    pub(crate) fn syn_error(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// All recorded errors as one `syn::Error`, or `Ok` when there were none.
    pub(crate) fn check(self) -> syn::Result<()> {
        let mut errors = self.errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }

    /// The recorded errors as `compile_error!` invocations, followed by
    /// `fallback` — code emitted anyway so one mistake does not cascade into
    /// "cannot find type" errors elsewhere (thiserror's trick).
    pub(crate) fn into_tokens_with(self, fallback: TokenStream) -> TokenStream {
        match self.check() {
            Ok(()) => fallback,
            Err(error) => {
                let errors = error.to_compile_error();
                quote::quote! { #errors #fallback }
            }
        }
    }
}
