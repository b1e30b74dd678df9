//! Error collection, after serde_derive's `Ctxt`: every macro records all the
//! problems it finds and reports them together, so one build shows them all.
//! A `Ctxt` dropped without being checked panics in debug builds: an error
//! recorded and then forgotten would let bad code compile.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

pub(crate) struct Ctxt {
    /// `None` once checked.
    errors: Option<Vec<syn::Error>>,
}

impl Default for Ctxt {
    fn default() -> Self {
        Ctxt { errors: Some(Vec::new()) }
    }
}

impl Ctxt {
    /// Records an error pointing at `tokens`.
    pub(crate) fn error_spanned_by<T: ToTokens, M: Display>(&mut self, tokens: T, message: M) {
        self.syn_error(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error already carrying its span.
    pub(crate) fn syn_error(&mut self, error: syn::Error) {
        if let Some(errors) = &mut self.errors {
            errors.push(error);
        }
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.errors.as_ref().is_some_and(|errors| !errors.is_empty())
    }

    /// All recorded errors as one `syn::Error`, or `Ok` when there were none.
    pub(crate) fn check(mut self) -> syn::Result<()> {
        let mut errors = self.errors.take().unwrap_or_default().into_iter();
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

impl Drop for Ctxt {
    fn drop(&mut self) {
        if cfg!(debug_assertions) && !std::thread::panicking() && self.errors.is_some() {
            panic!("keel-macros: a Ctxt was dropped without check() or into_tokens_with()");
        }
    }
}
