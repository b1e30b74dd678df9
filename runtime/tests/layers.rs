//! The runtime's shape, as docs/architecture.md describes it, checked on the
//! source: every top-level module imports only from modules below it in
//! [`LAYERS`] (so there is no cycle), nothing but `boot` reaches into
//! `boot`, the data and cache layers know nothing of HTTP answers, and no
//! file grows past 500 lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top-level modules of `runtime/src`, lowest layer first.
const LAYERS: &[&str] = &[
    "const_text",
    "error",
    "kind",
    "time",
    "service",
    "config",
    "logging",
    "metrics",
    "cache",
    "data",
    "state",
    "http",
    "auth",
    "ws",
    "jobs",
    "boot",
];

const MAX_LINES: usize = 500;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { panic!("cannot read {}", dir.display()) };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`http/frame.rs` → `http`),
/// `None` for `lib.rs`.
fn layer_of(file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?.to_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (name != "lib").then_some(name)
}

/// `crate::x` paths in `text` (comments skipped), as the top-level names.
fn crate_refs(text: &str) -> Vec<String> {
    let mut refs = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                refs.push(name);
            }
            rest = after;
        }
    }
    refs
}

/// Where each root re-export (`crate::AppState`) comes from, read from
/// lib.rs's `pub use <module>::…` lines.
fn root_reexports() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap_or_default();
    let mut map = BTreeMap::new();
    let mut statement = String::new();
    for line in lib.lines() {
        let trimmed = line.trim();
        if statement.is_empty() && !trimmed.starts_with("pub use ") {
            continue;
        }
        statement.push_str(trimmed);
        statement.push(' ');
        if !trimmed.ends_with(';') {
            continue;
        }
        let body = statement.trim().trim_start_matches("pub use ").trim_end_matches(';').to_owned();
        statement.clear();
        let module = body.split("::").next().unwrap_or("").trim().to_owned();
        let names = body.rsplit("::").next().unwrap_or("");
        for name in names.trim_matches(|c| c == '{' || c == '}' || c == ' ').split(',') {
            let name = name.split(" as ").last().unwrap_or("").trim();
            if !name.is_empty() {
                map.insert(name.to_owned(), module.clone());
            }
        }
    }
    map
}

#[test]
fn modules_import_only_from_lower_layers() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let reexports = root_reexports();
    let rank = |name: &str| LAYERS.iter().position(|l| *l == name);
    let mut violations = Vec::new();
    for file in &files {
        let Some(layer) = layer_of(file) else { continue };
        let Some(own) = rank(&layer) else {
            violations.push(format!("{}: module `{layer}` is not in LAYERS", file.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        // Unit tests may reach anywhere.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for name in crate_refs(text) {
            let target = match rank(&name) {
                Some(_) => name.clone(),
                None => match reexports.get(&name) {
                    Some(module) => module.clone(),
                    // `crate::__private`, macros' own paths, keel_macros.
                    None => continue,
                },
            };
            let Some(theirs) = rank(&target) else { continue };
            if theirs > own {
                violations.push(format!(
                    "{}: `{layer}` uses `crate::{name}` from the higher layer `{target}`",
                    file.strip_prefix(src()).unwrap_or(file).display()
                ));
            }
        }
    }
    assert!(violations.is_empty(), "imports that point up:\n{}", violations.join("\n"));
}

#[test]
fn data_and_cache_know_nothing_of_http_answers() {
    let mut files = Vec::new();
    rust_files(&src().join("data"), &mut files);
    rust_files(&src().join("cache"), &mut files);
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap_or_default().contains("ApiError"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "name ApiError: {offenders:?}");
}

#[test]
fn no_runtime_file_passes_the_line_limit() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap_or_default().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}

#[test]
fn every_top_level_module_is_a_declared_layer() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut seen: Vec<String> = files.iter().filter_map(|f| layer_of(f)).collect();
    seen.sort();
    seen.dedup();
    let unknown: Vec<&String> = seen.iter().filter(|m| !LAYERS.contains(&m.as_str())).collect();
    assert!(unknown.is_empty(), "add to LAYERS and docs/architecture.md: {unknown:?}");
}
