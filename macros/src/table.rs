//! `#[keel::table(prefix = "sys", kind = "records", name = "login")]` on a
//! struct: a table named by the seed's rule (`sys_records_login`), its cache
//! key, and a schema description of its columns; and `#[keel::columns]`, an
//! abstract column set (seed: abstract models in `common/model_db`) that
//! tables include with `#[column(flatten)]`.
//!
//! The prefix is compared with the owning service's in `keel::models!`,
//! where both are known.

use crate::attr::AttrArgs;
use crate::ctxt::Ctxt;
use keel_naming::{check_name_part, check_table_name, snake_case};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Fields, ItemStruct, LitInt, LitStr};

const TABLE_KEYS: &[&str] = &["prefix", "kind", "name", "renamed_from", "cache_ttl", "database"];
/// Constants of the `Table` trait: a column constant of the same name
/// would hide them (`Account::TABLE` would be the column).
const RESERVED: &[&str] =
    &["TABLE", "PREFIX", "CACHE_KEY", "PRIMARY_KEY", "RENAMED_FROM", "CACHE_SKIP", "CACHE_TTL"];
const COLUMN_KEYS: &[&str] =
    &["primary", "unique", "index", "len", "default", "renamed_from", "flatten", "skip_cache"];

struct Column {
    field: syn::Ident,
    ty: syn::Type,
    name: String,
    primary: bool,
    unique: bool,
    index: bool,
    len: Option<LitInt>,
    default: Option<LitStr>,
    renamed_from: Option<LitStr>,
    flatten: bool,
    /// Kept out of the row's cache entry (a secret such as a password hash).
    skip_cache: bool,
}

struct TableName {
    full: String,
    prefix: String,
    /// The table's previous full name: a declared rename for migrations.
    renamed_from: Option<LitStr>,
}

/// `#[keel::table(..)]`.
pub(crate) fn expand_table(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut ctxt = Ctxt::default();
    let Some(mut item) = parse_struct(&mut ctxt, item.clone(), "table") else {
        return ctxt.into_tokens_with(item);
    };
    let attr = AttrArgs::parse(&mut ctxt, "table", args, TABLE_KEYS);
    let prefix = attr.string(&mut ctxt, "prefix");
    if prefix.is_none() && !ctxt.has_errors() {
        ctxt.syn_error(syn::Error::new(
            Span::call_site(),
            "#[table] needs `prefix`, the owning service's, e.g. `prefix = \"sys\"`; a column set shared by services is a #[keel::columns] struct instead",
        ));
    }
    let kind = attr.string(&mut ctxt, "kind");
    let name = attr.string(&mut ctxt, "name");
    let renamed_from = attr.string(&mut ctxt, "renamed_from");
    let cache_ttl = attr.int(&mut ctxt, "cache_ttl");
    let database = attr.string(&mut ctxt, "database");
    if let Some(lit) = &database
        && !keel_naming::is_snake(&lit.value())
    {
        ctxt.error_spanned_by(
            lit,
            format!("`database = \"{}\"` names a database of the configuration: snake_case `[a-z][a-z0-9_]*`, e.g. `stats`", lit.value()),
        );
    }
    if let Some(lit) = &cache_ttl
        && lit.base10_parse::<u64>().is_ok_and(|ttl| ttl == 0)
    {
        ctxt.error_spanned_by(lit, "`cache_ttl` is in seconds and at least 1; leave it out for the default");
    }
    let mut table =
        prefix.as_ref().and_then(|prefix| table_name(&mut ctxt, &item, prefix, kind.as_ref(), name.as_ref()));
    if let (Some(table), Some(old)) = (&mut table, renamed_from) {
        // The old name was a table once, so it obeyed the same rule.
        match old.value().split_once('_') {
            _ if old.value() == table.full => ctxt.error_spanned_by(
                &old,
                format!("`renamed_from` names the table's old name; `{}` is its current one", table.full),
            ),
            Some((old_prefix, rest)) if old_prefix == table.prefix => {
                match check_table_name(old_prefix, None, rest) {
                    Ok(_) => table.renamed_from = Some(old),
                    Err(msg) => ctxt.error_spanned_by(&old, format!("`renamed_from`: {msg}")),
                }
            }
            _ => ctxt.error_spanned_by(
                &old,
                format!(
                    "`renamed_from` is the table's old full name with the same prefix, e.g. `{}_old_name`",
                    table.prefix
                ),
            ),
        }
    }
    let columns = parse_columns(&mut ctxt, &mut item);
    for column in &columns {
        if let Some(old) = &column.renamed_from
            && columns.iter().any(|other| other.name == old.value() && other.name != column.name)
        {
            ctxt.error_spanned_by(
                old,
                format!(
                    "`renamed_from = \"{}\"` names another column of this table; a rename's old name is gone from the struct (drop the key, or rename the other field too)",
                    old.value()
                ),
            );
        }
    }
    let primary: Vec<&Column> = columns.iter().filter(|c| c.primary).collect();
    match primary.as_slice() {
        [] if !columns.iter().any(|c| c.flatten) => ctxt.error_spanned_by(
            &item.ident,
            format!("table `{}` has no primary key: mark its id field `#[column(primary)]`", item.ident),
        ),
        [_, second, ..] => ctxt.error_spanned_by(
            &second.field,
            "a table has one primary key column; keep `primary` on one field and make the others `unique`",
        ),
        _ => {}
    }
    check_reserved(&mut ctxt, &columns);
    let code = match (&table, ctxt.has_errors()) {
        (Some(table), false) => generate_table(&item, table, &columns, cache_ttl.as_ref(), database.as_ref()),
        _ => fallback_table(&item, &columns),
    };
    ctxt.into_tokens_with(code)
}

/// Emitted beside the errors of a bad `#[table]`: the struct (its
/// `#[column]` attributes stripped) with stub impls, so `models!`, queries
/// and cache reads that use the type add no errors of their own. The empty
/// name tells `models!`' check to skip it.
fn fallback_table(item: &ItemStruct, columns: &[Column]) -> TokenStream {
    let ident = &item.ident;
    // Column constants too, so filters naming them add no errors.
    let valid: Vec<&Column> = columns
        .iter()
        .filter(|c| c.name.split('_').all(keel_naming::is_lower_alnum))
        .filter(|c| !RESERVED.contains(&c.name.to_ascii_uppercase().as_str()))
        .collect();
    let constants = column_constants(ident, valid.iter().copied(), false);
    quote! {
        #item
        #constants
        #[automatically_derived]
        impl ::keel::__private::Columns for #ident {
            fn columns() -> ::std::vec::Vec<::keel::__private::ColumnSchema> {
                ::std::vec::Vec::new()
            }
        }
        #[automatically_derived]
        impl ::keel::__private::Table for #ident {
            const TABLE: &'static str = "";
            const PREFIX: &'static str = "";
            const CACHE_KEY: &'static str = "";
            const PRIMARY_KEY: &'static str = "";
            fn statements() -> &'static ::keel::__private::Statements {
                static STATEMENTS: ::std::sync::OnceLock<::keel::__private::Statements> = ::std::sync::OnceLock::new();
                STATEMENTS.get_or_init(::keel::__private::Statements::of::<Self>)
            }
        }
    }
}

/// A column whose constant would hide a constant of the `Table` trait.
fn check_reserved(ctxt: &mut Ctxt, columns: &[Column]) {
    for column in columns.iter().filter(|c| !c.flatten) {
        let constant = column.name.to_ascii_uppercase();
        if RESERVED.contains(&constant.as_str()) {
            ctxt.error_spanned_by(
                &column.field,
                format!(
                    "column `{}` would be the constant `{constant}`, which the Table trait already names: rename the field (e.g. `{}_name`) and keep the column with `renamed_from` if it exists",
                    column.name, column.name
                ),
            );
        }
    }
}

/// One constant per column (`pub const USERNAME: Column<Account, String>`)
/// — `SetColumn<Set, V>` for a column set — and, for a table, a `Flattens`
/// impl per set it includes, so the set's constants are its columns too.
fn column_constants<'a>(
    owner: &syn::Ident,
    columns: impl IntoIterator<Item = &'a Column> + Clone,
    set: bool,
) -> TokenStream {
    let constants = columns.clone().into_iter().filter(|c| !c.flatten).map(|c| {
        let constant = syn::Ident::new(&c.name.to_ascii_uppercase(), c.field.span());
        let (ty, name) = (&c.ty, &c.name);
        let doc = format!("Column `{name}`.");
        let kind = if set { quote!(SetColumn) } else { quote!(Column) };
        quote! {
            #[doc = #doc]
            pub const #constant: ::keel::__private::#kind<#owner, #ty> = ::keel::__private::#kind::new(#name);
        }
    });
    let flattened = columns.into_iter().filter(|c| c.flatten && !set).map(|c| {
        let ty = &c.ty;
        quote! {
            #[automatically_derived]
            impl ::keel::__private::Flattens<#ty> for #owner {}
        }
    });
    quote! {
        #[automatically_derived]
        #[allow(dead_code)]
        impl #owner {
            #(#constants)*
        }
        #(#flattened)*
    }
}

/// `#[keel::columns]`.
pub(crate) fn expand_columns(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut ctxt = Ctxt::default();
    if !args.is_empty() {
        ctxt.error_spanned_by(
            &args,
            "#[keel::columns] takes no arguments: a column set has no table and no prefix of its own",
        );
    }
    let Some(mut item) = parse_struct(&mut ctxt, item.clone(), "columns") else {
        return ctxt.into_tokens_with(item);
    };
    let columns = parse_columns(&mut ctxt, &mut item);
    let code = {
        let ident = &item.ident;
        // On error the set still implements `Columns` (empty), so tables
        // flattening it add no errors of their own.
        let list = if ctxt.has_errors() { quote!(::std::vec::Vec::new()) } else { column_list(&columns) };
        let constants =
            if ctxt.has_errors() { TokenStream::new() } else { column_constants(ident, &columns, true) };
        quote! {
            #item
            #constants
            #[automatically_derived]
            impl ::keel::__private::Columns for #ident {
                fn columns() -> ::std::vec::Vec<::keel::__private::ColumnSchema> {
                    #list
                }
            }
        }
    };
    ctxt.into_tokens_with(code)
}

fn parse_struct(ctxt: &mut Ctxt, item: TokenStream, macro_name: &str) -> Option<ItemStruct> {
    match syn::parse2::<ItemStruct>(item.clone()) {
        Ok(item) if matches!(item.fields, Fields::Named(_)) && item.generics.params.is_empty() => Some(item),
        Ok(item) => {
            ctxt.error_spanned_by(
                &item.ident,
                format!("#[keel::{macro_name}] goes on a non-generic struct with named fields"),
            );
            None
        }
        Err(_) => {
            ctxt.error_spanned_by(item, format!("#[keel::{macro_name}] goes on a struct"));
            None
        }
    }
}

fn table_name(
    ctxt: &mut Ctxt,
    item: &ItemStruct,
    prefix: &LitStr,
    kind: Option<&LitStr>,
    name: Option<&LitStr>,
) -> Option<TableName> {
    let prefix_value = prefix.value();
    if let Err(msg) = check_name_part("table prefix", &prefix_value) {
        ctxt.error_spanned_by(prefix, msg);
        return None;
    }
    let kind_value = kind.map(LitStr::value);
    if let (Some(kind), Some(value)) = (kind, &kind_value)
        && let Err(msg) = check_name_part("table kind", value)
    {
        ctxt.error_spanned_by(kind, msg);
        return None;
    }
    let name_value = name.map_or_else(|| snake_case(&item.ident.to_string()), LitStr::value);
    match check_table_name(&prefix_value, kind_value.as_deref(), &name_value) {
        Ok(full) => Some(TableName { full, prefix: prefix_value, renamed_from: None }),
        Err(msg) => {
            // Blame `name = "…"` when given, else the struct's name it came from.
            match name {
                Some(lit) => ctxt.error_spanned_by(lit, msg),
                None => ctxt.error_spanned_by(
                    &item.ident,
                    format!("{msg} (from the struct's name; or set `name = \"…\"`)"),
                ),
            }
            None
        }
    }
}

/// Reads and strips the `#[column(..)]` attributes (an attribute macro has
/// no inert helpers: left in place they would not compile).
fn parse_columns(ctxt: &mut Ctxt, item: &mut ItemStruct) -> Vec<Column> {
    let mut columns = Vec::new();
    let Fields::Named(fields) = &mut item.fields else { return columns };
    for field in &mut fields.named {
        let Some(ident) = field.ident.clone() else { continue };
        let mut flags = AttrArgs::empty();
        let mut seen = false;
        let mut kept = Vec::new();
        for attr in std::mem::take(&mut field.attrs) {
            if !attr.path().is_ident("column") {
                kept.push(attr);
                continue;
            }
            if seen {
                ctxt.error_spanned_by(
                    &attr,
                    "one #[column(..)] per field: put every key in the same attribute",
                );
                continue;
            }
            seen = true;
            match attr.meta.require_list() {
                Ok(list) => flags = AttrArgs::parse(ctxt, "column", list.tokens.clone(), COLUMN_KEYS),
                Err(err) => ctxt.syn_error(err),
            }
        }
        let flatten = flags.flag(ctxt, "flatten").is_some();
        if flatten {
            // The set's columns sit beside the table's own in rows.
            kept.push(syn::parse_quote!(#[serde(flatten)]));
        }
        let skip_cache = flags.flag(ctxt, "skip_cache").is_some();
        if skip_cache {
            // A row read back from the cache lacks it: the type's default.
            kept.push(syn::parse_quote!(#[serde(default)]));
        }
        field.attrs = kept;
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
        let valid = name.split('_').all(keel_naming::is_lower_alnum);
        if !flatten && (!valid || name.len() > keel_naming::MAX_TABLE_NAME) {
            ctxt.error_spanned_by(
                &ident,
                format!("column `{name}` breaks the naming rule: lower-case `[a-z][a-z0-9]*` parts joined by single `_`, at most 63 characters"),
            );
        }
        let renamed_from = flags.string(ctxt, "renamed_from");
        if let Some(old) = &renamed_from
            && old.value() == name
        {
            ctxt.error_spanned_by(
                old,
                format!("`renamed_from` names the column's old name; `{name}` is its current one"),
            );
        }
        columns.push(Column {
            field: ident,
            ty: field.ty.clone(),
            name,
            primary: flags.flag(ctxt, "primary").is_some(),
            unique: flags.flag(ctxt, "unique").is_some(),
            index: flags.flag(ctxt, "index").is_some(),
            len: flags.int(ctxt, "len"),
            default: flags.string(ctxt, "default"),
            renamed_from,
            flatten,
            skip_cache,
        });
    }
    columns
}

fn column_list(columns: &[Column]) -> TokenStream {
    let pushes = columns.iter().map(|c| {
        let ty = &c.ty;
        if c.flatten {
            return quote! { columns.extend(<#ty as ::keel::__private::Columns>::columns()); };
        }
        let name = &c.name;
        let (primary, unique, index) = (c.primary, c.unique, c.index);
        let len = opt(c.len.as_ref());
        let default = opt(c.default.as_ref());
        let renamed_from = opt(c.renamed_from.as_ref());
        let sql_type = quote::quote_spanned! {ty.span()=> <#ty as ::keel::__private::ColumnType>::SQL_TYPE };
        let nullable = quote::quote_spanned! {ty.span()=> <#ty as ::keel::__private::ColumnType>::NULLABLE };
        quote! {
            columns.push(::keel::__private::ColumnSchema {
                name: #name,
                sql_type: #sql_type,
                nullable: #nullable,
                primary: #primary,
                unique: #unique,
                index: #index,
                len: #len,
                default: #default,
                renamed_from: #renamed_from,
            });
        }
    });
    quote! {
        let mut columns = ::std::vec::Vec::new();
        #(#pushes)*
        columns
    }
}

fn opt<T: ToTokens>(value: Option<&T>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

fn generate_table(
    item: &ItemStruct,
    table: &TableName,
    columns: &[Column],
    cache_ttl: Option<&LitInt>,
    database: Option<&LitStr>,
) -> TokenStream {
    let ident = &item.ident;
    let (full, prefix) = (&table.full, &table.prefix);
    let primary = columns.iter().find(|c| c.primary).map_or_else(String::new, |c| c.name.clone());
    let list = column_list(columns);
    let renamed_from = opt(table.renamed_from.as_ref());
    let skipped: Vec<&String> = columns.iter().filter(|c| c.skip_cache).map(|c| &c.name).collect();
    let doc = format!("Table `{full}` (`#[keel::table]`).");
    let constants = column_constants(ident, columns, false);
    let cache_ttl = opt(cache_ttl);
    let database = database.map_or_else(|| "default".to_owned(), LitStr::value);
    quote! {
        #[doc = #doc]
        #item
        #constants
        #[automatically_derived]
        impl ::keel::__private::Columns for #ident {
            fn columns() -> ::std::vec::Vec<::keel::__private::ColumnSchema> {
                #list
            }
        }
        #[automatically_derived]
        impl ::keel::__private::Table for #ident {
            const TABLE: &'static str = #full;
            const PREFIX: &'static str = #prefix;
            const CACHE_KEY: &'static str = #full;
            const PRIMARY_KEY: &'static str = #primary;
            const RENAMED_FROM: ::core::option::Option<&'static str> = #renamed_from;
            const CACHE_SKIP: &'static [&'static str] = &[#(#skipped),*];
            const CACHE_TTL: ::core::option::Option<u64> = #cache_ttl;
            const DATABASE: &'static str = #database;
            fn statements() -> &'static ::keel::__private::Statements {
                static STATEMENTS: ::std::sync::OnceLock<::keel::__private::Statements> = ::std::sync::OnceLock::new();
                STATEMENTS.get_or_init(::keel::__private::Statements::of::<Self>)
            }
        }
    }
}
