//! `new api` and `new table`: one handler or one table added to an
//! existing service, listed where the macros look for it (its
//! `uri_router!`, its `models!`), so the service builds with it at once.

use crate::Refusal;
use crate::template::{camel, fill, text};
use crate::workspace::{Declared, Workspace, read, write};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub(crate) struct NewApi {
    /// The handler's module name, snake_case (`src/interface/<name>.rs`).
    pub(crate) name: String,
    /// The service to add it to.
    #[arg(long)]
    pub(crate) service: String,
    /// Its path, e.g. `/invoice` or `/invoice/{id}`.
    #[arg(long)]
    pub(crate) path: String,
    /// The version it is served under (default: the service's).
    #[arg(long)]
    pub(crate) version: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct NewTable {
    /// The table's name after the prefix (and kind), snake_case.
    pub(crate) name: String,
    /// The service to add it to.
    #[arg(long)]
    pub(crate) service: String,
    /// The table's kind, between prefix and name (`sys_records_login`).
    #[arg(long)]
    pub(crate) kind: Option<String>,
    /// Write the code only; print the command that writes its migration.
    #[arg(long)]
    pub(crate) no_migrate: bool,
}

pub(crate) fn run_api(args: &NewApi) -> Result<(), Refusal> {
    let workspace = Workspace::find()?;
    let service = workspace.service(&args.service)?;
    keel_naming::check_service_name(&args.name).map_err(|e| e.replace("service name", "handler name"))?;
    crate::workspace::check_module_name(&args.name, "handler name")?;
    keel_naming::check_api_path(&args.path)?;
    let version = args.version.clone().unwrap_or_else(|| service.version.clone());
    keel_naming::check_version(&version)?;
    let src = workspace.root.join("services").join(&service.dir).join("src");
    let router_path = src.join("uri_router.rs");
    let Ok(router) = std::fs::read_to_string(&router_path) else {
        return Err(Refusal(format!(
            "service `{}` has no src/uri_router.rs (a singleton WebSocket or a service without routes): add the handler by hand",
            service.name
        )));
    };
    let module = src.join("interface").join(format!("{}.rs", args.name));
    if module.exists() {
        return Err(Refusal(format!("{} exists already: pick another name", module.display())));
    }
    let handler = format!("{}Handler", camel(&args.name));
    if contains_word(&router, &handler) {
        return Err(Refusal(format!(
            "{} already names `{handler}`: pick another name",
            router_path.display()
        )));
    }
    if let Some(holder) = route_holder(&src.join("interface"), &args.path, &version) {
        return Err(Refusal(format!(
            "GET/… {} under version {version} is taken by {}",
            args.path,
            holder.display()
        )));
    }
    let router = list_in_router(&router, &args.name, &handler).ok_or_else(|| {
        format!("{}: no `keel::uri_router!(… => …);` to add `{handler}` to", router_path.display())
    })?;
    let interface_path = src.join("interface.rs");
    let interface = read(&interface_path)?;
    let code =
        fill(text::API, &[("path", &args.path), ("version", &version), ("Camel", &camel(&args.name))])?;
    write(&module, &code)?;
    write(&interface_path, &format!("{}\npub mod {};\n", interface.trim_end(), args.name))?;
    write(&router_path, &router)?;
    format(&workspace.root, &service.package);
    println!(
        "wrote src/interface/{}.rs (`{handler}`: GET /v{version}{}) in services/{} and listed it in uri_router!",
        args.name, args.path, service.dir
    );
    Ok(())
}

/// `router` with `use crate::interface::<module>::<handler>;` among its
/// imports and `<handler>` at the end of its `uri_router!` list. `None`
/// when there is no list, or it holds comments (where the new name could
/// land inside one).
fn list_in_router(router: &str, module: &str, handler: &str) -> Option<String> {
    let listed = append_to_list(router, "keel::uri_router!(", handler)?;
    Some(insert_import(&listed, &format!("use crate::interface::{module}::{handler};")))
}

/// `text` with `item` appended to the macro list opened by `opening`.
fn append_to_list(text: &str, opening: &str, item: &str) -> Option<String> {
    let start = text.find(opening)?;
    let end = start + text[start..].find(");")?;
    let list = &text[start..end];
    if list.contains("//") || list.contains("/*") {
        return None;
    }
    let list = list.trim_end().trim_end_matches(',');
    Some(format!("{}{list}, {item}{}", &text[..start], &text[end..]))
}

/// `text` with `import` after its last `use` statement (which may span
/// lines), or after its leading `//!` docs when it has none.
fn insert_import(text: &str, import: &str) -> String {
    let last_use = text
        .match_indices("\nuse ")
        .map(|(at, _)| at + 1)
        .last()
        .or_else(|| text.starts_with("use ").then_some(0));
    let at = match last_use {
        Some(at) => text[at..].find(';').map_or(text.len(), |end| {
            let after = at + end + 1;
            after + usize::from(text[after..].starts_with('\n'))
        }),
        None => {
            let docs: usize = text
                .split_inclusive('\n')
                .take_while(|l| l.starts_with("//!") || l.trim().is_empty())
                .map(str::len)
                .sum();
            docs
        }
    };
    format!("{}{import}\n{}", &text[..at], &text[at..])
}

/// Whether `word` occurs in `text` as a whole identifier.
fn contains_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back().is_none_or(|c| !ident(c));
        let after = text[at + word.len()..].chars().next().is_none_or(|c| !ident(c));
        before && after
    })
}

/// The handler file under `interface` already declaring `path` at `version`.
fn route_holder(interface: &Path, path: &str, version: &str) -> Option<std::path::PathBuf> {
    let found = rust_files(interface);
    let declared = format!("path = \"{path}\"");
    found.into_iter().find(|file| {
        std::fs::read_to_string(file).is_ok_and(|text| {
            text.lines().any(|l| l.contains(&declared) && l.contains(&format!("version = \"{version}\"")))
        })
    })
}

pub(crate) fn run_table(args: &NewTable) -> Result<(), Refusal> {
    let workspace = Workspace::find()?;
    let service = workspace.service(&args.service)?;
    let table = keel_naming::check_table_name(&service.prefix, args.kind.as_deref(), &args.name)?;
    crate::workspace::check_module_name(&args.name, "table name")?;
    let src = workspace.root.join("services").join(&service.dir).join("src");
    let model_path = src.join("db_model.rs");
    let models = read(&model_path)?;
    let struct_name = camel(&args.name);
    let taken = rust_files(&src).into_iter().find(|file| {
        std::fs::read_to_string(file).is_ok_and(|text| {
            contains_word(&text, &format!("struct {struct_name}"))
                || (file == &model_path && contains_word(&text, &struct_name))
        })
    });
    if let Some(holder) = taken {
        return Err(Refusal(format!(
            "`{struct_name}` is taken in {}: pick another table name",
            holder.display()
        )));
    }
    if let Some(last) = last_migration(&workspace.root.join("migrations").join(&service.name))
        && read(&last)?.contains(&format!("\"name\": \"{table}\""))
    {
        return Err(Refusal(format!(
            "table `{table}` exists already ({}): pick another name",
            last.display()
        )));
    }
    let kind_attr = args.kind.as_ref().map(|k| format!("kind = \"{k}\", ")).unwrap_or_default();
    let code = fill(
        text::TABLE,
        &[
            ("service", &service.name),
            ("table", &table),
            ("prefix", &service.prefix),
            ("kind_attr", &kind_attr),
            ("name", &args.name),
            ("Camel", &struct_name),
        ],
    )?;
    let updated = add_model(&models, &struct_name, &code).ok_or_else(|| {
        format!("{}: no `keel::models!(… => …);` to add `{struct_name}` to", model_path.display())
    })?;
    write(&model_path, &updated)?;
    format(&workspace.root, &service.package);
    println!(
        "added `{struct_name}` (table `{table}`) to services/{}/src/db_model.rs and its models!",
        service.dir
    );
    let bin = migrating_bin(service)?;
    let migrate = [
        "run",
        "--quiet",
        "-p",
        service.package.as_str(),
        "--bin",
        bin,
        "--",
        "db",
        "migrate",
        "--name",
        &args.name,
    ];
    if args.no_migrate {
        println!("write its migration with: cargo {}", migrate.join(" "));
        return Ok(());
    }
    cargo(&workspace.root, &migrate)
}

/// `models` with the table's code before the `keel::models!` list (so the
/// list stays last) and `struct_name` at the list's end; the prelude is
/// imported if the file lacks it.
fn add_model(models: &str, struct_name: &str, code: &str) -> Option<String> {
    let start = models.find("keel::models!(")?;
    let listed = append_to_list(models, "keel::models!(", struct_name)?;
    // The comment lines right above the list belong to it.
    let mut lines: Vec<&str> = listed[..start].lines().collect();
    let mut comments = Vec::new();
    while let Some(line) = lines.pop_if(|l| l.trim_start().starts_with("// ") || l.trim() == "//") {
        comments.push(line);
    }
    comments.reverse();
    let mut out = format!("{}\n{code}\n", lines.join("\n").trim_end());
    for line in comments {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&listed[start..]);
    if !out.contains("use keel::prelude::*;") {
        out = insert_import(&out, "use keel::prelude::*;");
    }
    Some(out)
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut pending = vec![dir.to_owned()];
    let mut files = Vec::new();
    while let Some(next) = pending.pop() {
        match std::fs::read_dir(&next) {
            Ok(entries) => pending.extend(entries.flatten().map(|e| e.path())),
            Err(_) if next.extension().is_some_and(|e| e == "rs") => files.push(next),
            Err(_) => {}
        }
    }
    files
}

/// The last migration file of a service's folder.
fn last_migration(dir: &Path) -> Option<std::path::PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json")).max()
}

/// The binary that writes the service's migrations (any binary does; the
/// first listed).
fn migrating_bin(service: &Declared) -> Result<&str, Refusal> {
    service.bins.first().map(String::as_str).ok_or_else(|| {
        Refusal(format!("services/{}/Cargo.toml declares no [[bin]] to run `db migrate` with", service.dir))
    })
}

/// `cargo fmt -p <package>`, so written code follows the workspace's
/// rustfmt.toml whatever the names sort as; without rustfmt installed the
/// code still builds, and a line says so.
pub(crate) fn format(root: &Path, package: &str) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let formatted =
        std::process::Command::new(&cargo).args(["fmt", "-p", package]).current_dir(root).status();
    if !formatted.is_ok_and(|status| status.success()) {
        println!("(not formatted: `cargo fmt` is unavailable; run it before committing)");
    }
}

/// Runs `cargo <args>` in the workspace root (the cargo that runs this
/// tool, when it does); a failure names the command to rerun.
pub(crate) fn cargo(root: &Path, args: &[&str]) -> Result<(), Refusal> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    println!("running: cargo {}", args.join(" "));
    let status = std::process::Command::new(&cargo)
        .args(args)
        .current_dir(root)
        .env("KEEL_HOME", root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(Refusal(format!(
            "`cargo {}` failed ({status}); fix what it printed and run it again",
            args.join(" ")
        )))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_handler_joins_the_router_list_and_its_imports() {
        let router = "//! Doc.\n\nuse crate::OrderConf;\nuse crate::interface::item::ItemHandler;\n\nkeel::uri_router!(OrderConf => ItemHandler);\n\npub fn app() {}\n";
        let updated = super::list_in_router(router, "invoice", "InvoiceHandler").expect("a list");
        assert!(
            updated.contains("keel::uri_router!(OrderConf => ItemHandler, InvoiceHandler);"),
            "{updated}"
        );
        assert!(
            updated.contains("use crate::interface::item::ItemHandler;\nuse crate::interface::invoice::InvoiceHandler;\n\nkeel"),
            "{updated}"
        );
        let multi = "use x;\nkeel::uri_router!(\n    SysConf => A, B,\n    C\n);\n";
        let updated = super::list_in_router(multi, "d", "DHandler").expect("a list");
        assert!(updated.contains("    C, DHandler);"), "{updated}");
    }

    #[test]
    fn a_table_goes_above_the_models_list_and_joins_it() {
        let models = "//! Doc.\n\nuse crate::OrderConf;\nuse keel::prelude::*;\n\npub struct Item {}\n\n// The list.\nkeel::models!(OrderConf => Item);\n";
        let updated = super::add_model(models, "Invoice", "\npub struct Invoice {}\n").expect("a list");
        assert!(updated.contains("pub struct Item {}\n\npub struct Invoice {}\n\n// The list.\nkeel::models!(OrderConf => Item, Invoice);\n"), "{updated}");
        let bare = "//! Doc.\n\nkeel::models!(SysConf => Account);\n";
        let updated = super::add_model(bare, "Invoice", "\npub struct Invoice {}\n").expect("a list");
        assert!(updated.starts_with("//! Doc.\n\nuse keel::prelude::*;\n"), "{updated}");
        assert!(
            updated.ends_with("pub struct Invoice {}\n\nkeel::models!(SysConf => Account, Invoice);\n"),
            "{updated}"
        );
    }
}
