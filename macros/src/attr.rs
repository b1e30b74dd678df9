//! `key = "value"` / `flag` attribute arguments, shared by every attribute
//! macro. Unknown and repeated keys are errors at the key's span.

use crate::ctxt::Ctxt;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitInt, LitStr, Meta, Token};

pub(crate) struct AttrArgs {
    items: Vec<AttrItem>,
}

struct AttrItem {
    key: Ident,
    value: Option<Lit>,
}

impl AttrArgs {
    /// No arguments (a field without `#[column(..)]`).
    pub(crate) fn empty() -> AttrArgs {
        AttrArgs { items: Vec::new() }
    }

    /// Parses `args`, accepting only `known` keys.
    pub(crate) fn parse(
        ctxt: &mut Ctxt,
        macro_name: &str,
        args: proc_macro2::TokenStream,
        known: &[&str],
    ) -> AttrArgs {
        let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
            Ok(metas) => metas,
            Err(err) => {
                ctxt.syn_error(err);
                return AttrArgs { items: Vec::new() };
            }
        };
        let mut items: Vec<AttrItem> = Vec::new();
        for meta in metas {
            let (path, value) = match meta {
                Meta::Path(path) => (path, None),
                Meta::NameValue(nv) => match nv.value {
                    Expr::Lit(ExprLit { lit, .. }) => (nv.path, Some(lit)),
                    // `value = -1`: a negative integer literal.
                    Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. })
                        if matches!(&*expr, Expr::Lit(ExprLit { lit: Lit::Int(_), .. })) =>
                    {
                        let Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) = *expr else { continue };
                        let negative = LitInt::new(&format!("-{}", int.base10_digits()), int.span());
                        (nv.path, Some(Lit::Int(negative)))
                    }
                    other => {
                        ctxt.error_spanned_by(
                            &other,
                            format!(
                                "`{}` takes a literal value, e.g. `{} = \"…\"`",
                                path_text(&nv.path),
                                path_text(&nv.path)
                            ),
                        );
                        continue;
                    }
                },
                Meta::List(list) => {
                    ctxt.error_spanned_by(
                        &list,
                        format!(
                            "`{}(…)` is not an argument of #[{macro_name}]; write `key = \"value\"`",
                            path_text(&list.path)
                        ),
                    );
                    continue;
                }
            };
            let Some(key) = path.get_ident().cloned() else {
                ctxt.error_spanned_by(&path, format!("unknown #[{macro_name}] argument"));
                continue;
            };
            let name = key.to_string();
            if !known.contains(&name.as_str()) {
                ctxt.error_spanned_by(
                    &key,
                    format!(
                        "unknown #[{macro_name}] argument `{name}`; expected one of: {}",
                        known.join(", ")
                    ),
                );
                continue;
            }
            if items.iter().any(|item| item.key == key) {
                ctxt.error_spanned_by(
                    &key,
                    format!("duplicate #[{macro_name}] argument `{name}`; give it once"),
                );
                continue;
            }
            items.push(AttrItem { key, value });
        }
        AttrArgs { items }
    }

    fn take(&self, key: &str) -> Option<&AttrItem> {
        self.items.iter().find(|item| item.key == key)
    }

    /// A string value, e.g. `path = "/test"`.
    pub(crate) fn string(&self, ctxt: &mut Ctxt, key: &str) -> Option<LitStr> {
        let item = self.take(key)?;
        match &item.value {
            Some(Lit::Str(lit)) => Some(lit.clone()),
            Some(other) => {
                ctxt.error_spanned_by(other, format!("`{key}` takes a string, e.g. `{key} = \"…\"`"));
                None
            }
            None => {
                ctxt.error_spanned_by(&item.key, format!("`{key}` needs a value: `{key} = \"…\"`"));
                None
            }
        }
    }

    /// An integer value, e.g. `port = 8001`.
    pub(crate) fn int(&self, ctxt: &mut Ctxt, key: &str) -> Option<LitInt> {
        let item = self.take(key)?;
        match &item.value {
            Some(Lit::Int(lit)) => Some(lit.clone()),
            Some(other) => {
                ctxt.error_spanned_by(other, format!("`{key}` takes an integer, e.g. `{key} = 1`"));
                None
            }
            None => {
                ctxt.error_spanned_by(&item.key, format!("`{key}` needs a value: `{key} = 1`"));
                None
            }
        }
    }

    /// A bare flag, e.g. `public`.
    pub(crate) fn flag(&self, ctxt: &mut Ctxt, key: &str) -> Option<Ident> {
        let item = self.take(key)?;
        if let Some(value) = &item.value {
            ctxt.error_spanned_by(value, format!("`{key}` is a flag: write `{key}` alone"));
        }
        Some(item.key.clone())
    }

    /// The span to blame when a required key is missing.
    pub(crate) fn require<T>(
        ctxt: &mut Ctxt,
        value: Option<T>,
        span_of: proc_macro2::Span,
        macro_name: &str,
        key: &str,
        example: &str,
    ) -> Option<T> {
        if value.is_none() {
            ctxt.syn_error(syn::Error::new(
                span_of,
                format!("#[{macro_name}] needs `{key}`, e.g. `{key} = {example}`"),
            ));
        }
        value
    }
}

fn path_text(path: &syn::Path) -> String {
    path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}
