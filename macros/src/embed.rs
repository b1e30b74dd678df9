//! `embed_migrations!("../../migrations/manage_system")`: the migration
//! files of a folder (relative to the crate), compiled into the binary as
//! `&[(file name, text)]` in version order, so a deployed binary needs no
//! source tree beside it. Each file is `include_str!`-ed, so editing one
//! rebuilds; a file added later is picked up by the next build of the crate
//! (and until then the folder on disk, newer than the binary, is used).

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let dir = match syn::parse2::<LitStr>(input) {
        Ok(dir) => dir,
        Err(err) => {
            return syn::Error::new(
                err.span(),
                "embed_migrations! takes the migrations folder relative to the crate, e.g. `keel::embed_migrations!(\"../../migrations/manage_system\")`",
            )
            .to_compile_error();
        }
    };
    let Some(root) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return syn::Error::new(dir.span(), "CARGO_MANIFEST_DIR is not set: build with cargo")
            .to_compile_error();
    };
    let folder = std::path::Path::new(&root).join(dir.value());
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(err) => {
            return syn::Error::new(
                dir.span(),
                format!(
                    "no migrations folder `{}` below this crate ({err}): write the first migration with `db init-db`, or fix the path",
                    dir.value()
                ),
            )
            .to_compile_error();
        }
    };
    let mut files: Vec<(String, String)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            Some((name, path.to_str()?.to_owned()))
        })
        .collect();
    files.sort();
    let items = files.iter().map(|(name, path)| quote! { (#name, ::core::include_str!(#path)) });
    quote! { &[#(#items),*] }
}
