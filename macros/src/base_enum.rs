//! `#[derive(BaseEnum)]` (seed: every enum inherits `BaseEnum`): each unit
//! variant carries an integer value and a label; values and labels are
//! unique. Generates `keel::BaseEnum`, serde as the value, and an OpenAPI
//! schema listing the values.

use crate::attr::AttrArgs;
use crate::ctxt::Ctxt;
use keel_naming::snake_case;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident, LitInt, LitStr};

const ATTR: &str = "base_enum";
const KEYS: &[&str] = &["value", "label"];

struct Variant {
    ident: Ident,
    value: i64,
    value_lit: LitInt,
    label: String,
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let mut ctxt = Ctxt::default();
    let variants = parse(&mut ctxt, &input);
    // Beside errors, the impls over the variants that parsed, so columns,
    // filters and JSON that use the enum add no errors of their own.
    // A fallback knows no values: it maps nothing, so it warns about nothing.
    let fallback = ctxt.has_errors();
    let variants = if fallback { Vec::new() } else { variants };
    let code = match &input.data {
        Data::Enum(_) if input.generics.params.is_empty() => generate(&input, &variants, fallback),
        _ => TokenStream::new(),
    };
    ctxt.into_tokens_with(code)
}

fn parse(ctxt: &mut Ctxt, input: &DeriveInput) -> Vec<Variant> {
    let Data::Enum(data) = &input.data else {
        ctxt.error_spanned_by(
            &input.ident,
            "BaseEnum derives on an enum of unit variants, e.g. `enum AccountStatus { Active, Disabled }`",
        );
        return Vec::new();
    };
    if !input.generics.params.is_empty() {
        ctxt.error_spanned_by(&input.generics, "a BaseEnum cannot be generic");
    }
    if data.variants.is_empty() {
        ctxt.error_spanned_by(&input.ident, "a BaseEnum needs at least one variant");
    }
    let mut variants: Vec<Variant> = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            ctxt.error_spanned_by(&variant.fields, "BaseEnum variants carry no data: the value is the variant, e.g. `#[base_enum(value = 1, label = \"active\")] Active`");
            continue;
        }
        let mut attrs = variant.attrs.iter().filter(|a| a.path().is_ident(ATTR));
        let Some(attr) = attrs.next() else {
            ctxt.error_spanned_by(
                &variant.ident,
                format!(
                    "variant `{}` has no value: add `#[base_enum(value = …, label = \"…\")]`",
                    variant.ident
                ),
            );
            continue;
        };
        if let Some(extra) = attrs.next() {
            ctxt.error_spanned_by(
                extra,
                "one #[base_enum(..)] per variant: put value and label in the same attribute",
            );
        }
        let tokens = match attr.meta.require_list() {
            Ok(list) => list.tokens.clone(),
            Err(err) => {
                ctxt.syn_error(err);
                continue;
            }
        };
        let args = AttrArgs::parse(ctxt, ATTR, tokens, KEYS);
        let value_lit = args.int(ctxt, "value");
        let label_lit = args.string(ctxt, "label");
        let Some(value_lit) = value_lit else {
            ctxt.error_spanned_by(
                attr,
                format!("variant `{}` has no value: add `value = …` (an integer)", variant.ident),
            );
            continue;
        };
        let Ok(value) = value_lit.base10_parse::<i64>() else {
            ctxt.error_spanned_by(&value_lit, "a BaseEnum value is an integer that fits in i64");
            continue;
        };
        let label = label_lit.as_ref().map_or_else(|| snake_case(&variant.ident.to_string()), LitStr::value);
        if label.is_empty() {
            ctxt.error_spanned_by(&label_lit, "a BaseEnum label cannot be empty");
        }
        // Unique values: they are what is stored and sent.
        if let Some(first) = variants.iter().find(|v| v.value == value) {
            ctxt.error_spanned_by(
                &value_lit,
                format!(
                    "duplicate value {value} on `{}` and `{}`: each variant needs its own value",
                    first.ident, variant.ident
                ),
            );
        }
        // Unique labels: they are what people read in docs and admin pages.
        if let Some(first) = variants.iter().find(|v| v.label == label) {
            let at: &dyn quote::ToTokens = match &label_lit {
                Some(lit) => lit,
                None => &variant.ident,
            };
            ctxt.error_spanned_by(
                at,
                format!(
                    "duplicate label `{label}` on `{}` and `{}`: each variant needs its own label",
                    first.ident, variant.ident
                ),
            );
        }
        variants.push(Variant { ident: variant.ident.clone(), value, value_lit, label });
    }
    variants
}

fn generate(input: &DeriveInput, variants: &[Variant], fallback: bool) -> TokenStream {
    let ident = &input.ident;
    let name = ident.to_string();
    let choices = variants.iter().map(|v| {
        let (lit, label) = (&v.value_lit, &v.label);
        quote!((#lit, #label))
    });
    let to_value = variants.iter().map(|v| {
        let (variant, lit) = (&v.ident, &v.value_lit);
        quote!(Self::#variant => #lit)
    });
    let rest = if fallback { quote!(_ => 0,) } else { quote!() };
    let from_value = variants.iter().map(|v| {
        let (variant, lit) = (&v.ident, &v.value_lit);
        quote!(#lit => ::core::option::Option::Some(Self::#variant))
    });
    // The smallest integer column holding every value.
    let (min, max) = variants.iter().fold((0i64, 0i64), |(lo, hi), v| (lo.min(v.value), hi.max(v.value)));
    let sql_type = if i16::try_from(min).is_ok() && i16::try_from(max).is_ok() {
        quote::format_ident!("SmallInt")
    } else if i32::try_from(min).is_ok() && i32::try_from(max).is_ok() {
        quote::format_ident!("Integer")
    } else {
        quote::format_ident!("BigInt")
    };
    quote! {
        const _: () = {
            use ::keel::__private::{oapi, serde};
            #[automatically_derived]
            impl ::keel::__private::BaseEnum for #ident {
                const NAME: &'static str = #name;
                const CHOICES: &'static [(i64, &'static str)] = &[#(#choices),*];
                fn value(&self) -> i64 {
                    match self { #(#to_value,)* #rest }
                }
                fn from_value(value: i64) -> ::core::option::Option<Self> {
                    match value {
                        #(#from_value,)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
            #[automatically_derived]
            impl ::keel::__private::ColumnType for #ident {
                const SQL_TYPE: ::keel::__private::SqlType = ::keel::__private::SqlType::#sql_type;
            }
            #[automatically_derived]
            impl serde::Serialize for #ident {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    serializer.serialize_i64(::keel::__private::BaseEnum::value(self))
                }
            }
            #[automatically_derived]
            impl<'de> serde::Deserialize<'de> for #ident {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    ::keel::__private::deserialize_base_enum(deserializer)
                }
            }
            #[automatically_derived]
            impl oapi::ComposeSchema for #ident {
                fn compose(
                    _components: &mut oapi::Components,
                    _generics: ::std::vec::Vec<oapi::RefOr<oapi::schema::Schema>>,
                ) -> oapi::RefOr<oapi::schema::Schema> {
                    ::keel::__private::base_enum_schema::<Self>()
                }
            }
            #[automatically_derived]
            impl oapi::ToSchema for #ident {
                fn to_schema(_components: &mut oapi::Components) -> oapi::RefOr<oapi::schema::Schema> {
                    ::keel::__private::base_enum_schema::<Self>()
                }
            }
        };
    }
}
