//! The workspace as the generator sees it: its root, its packages and the
//! services declared under `services/*` — read from the source the same
//! way the workspace's identity test reads them, so there is no registry
//! to keep by hand.

use crate::Refusal;
use std::path::{Path, PathBuf};

/// One `#[keel::service(…)]` of `services/<dir>/src/config.rs`, with the
/// binaries its package declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Declared {
    /// `services/<dir>`.
    pub(crate) dir: String,
    /// Its package's name (for `cargo -p`).
    pub(crate) package: String,
    pub(crate) name: String,
    pub(crate) id: u32,
    pub(crate) port: u16,
    pub(crate) prefix: String,
    pub(crate) version: String,
    pub(crate) bins: Vec<String>,
}

/// The workspace root and what it holds.
#[derive(Debug)]
pub(crate) struct Workspace {
    pub(crate) root: PathBuf,
    pub(crate) services: Vec<Declared>,
    /// Every member package's name.
    pub(crate) packages: Vec<String>,
    /// Every binary of every member: `(binary, package)`, the implicit
    /// ones (`src/main.rs`, `src/bin/*.rs`) included.
    pub(crate) bins: Vec<(String, String)>,
    /// The names of `[workspace.dependencies]`.
    pub(crate) dependencies: Vec<String>,
}

impl Workspace {
    /// The workspace around the current directory.
    pub(crate) fn find() -> Result<Workspace, Refusal> {
        let here = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
        let root = here
            .ancestors()
            .find(|dir| read(&dir.join("Cargo.toml")).is_ok_and(|text| text.contains("[workspace]")))
            .ok_or_else(|| {
                format!("{} is not inside a cargo workspace: run from the keel workspace", here.display())
            })?
            .to_owned();
        Workspace::at(&root)
    }

    /// The workspace rooted at `root`.
    pub(crate) fn at(root: &Path) -> Result<Workspace, Refusal> {
        let manifest = read(&root.join("Cargo.toml"))?;
        let mut packages = Vec::new();
        let mut bins = Vec::new();
        for member in members(&manifest) {
            let dir = root.join(&member);
            if let Ok(text) = read(&dir.join("Cargo.toml"))
                && let Some(name) = package_name(&text)
            {
                bins.extend(bin_names(&text).into_iter().map(|bin| (bin, name.clone())));
                if dir.join("src/main.rs").is_file() {
                    bins.push((name.clone(), name.clone()));
                }
                let implicit: Vec<String> = std::fs::read_dir(dir.join("src/bin"))
                    .map(|entries| {
                        entries
                            .flatten()
                            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                bins.extend(implicit.into_iter().map(|bin| (bin, name.clone())));
                packages.push(name);
            }
        }
        let dependencies = manifest
            .split("[workspace.dependencies]")
            .nth(1)
            .map(|section| {
                section
                    .split("\n[")
                    .next()
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|line| Some(line.split_once('=')?.0.trim().to_owned()))
                    .filter(|name| !name.is_empty() && !name.starts_with('#'))
                    .collect()
            })
            .unwrap_or_default();
        let mut services = Vec::new();
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("services"))
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        dirs.sort();
        for dir in dirs {
            let config = dir.join("src/config.rs");
            let Ok(text) = read(&config) else { continue };
            let manifest = read(&dir.join("Cargo.toml")).unwrap_or_default();
            let bins = bin_names(&manifest);
            let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            for args in text.split("#[keel::service(").skip(1) {
                let args = args.split(")]").next().unwrap_or_default();
                let service = declared(args).map_err(|e| format!("{}: {e}", config.display()))?;
                let package = package_name(&manifest).unwrap_or_else(|| folder.clone());
                services.push(Declared { dir: folder.clone(), package, bins: bins.clone(), ..service });
            }
        }
        Ok(Workspace { root: root.to_owned(), services, packages, bins, dependencies })
    }

    /// The service named `name`, or a refusal listing the ones there are.
    pub(crate) fn service(&self, name: &str) -> Result<&Declared, Refusal> {
        self.services.iter().find(|s| s.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
            Refusal(format!("no service `{name}` under services/ (there are: {})", known.join(", ")))
        })
    }

    /// The workspace manifest with `services/<dir>` added to `members`,
    /// after the last service — computed before anything is written.
    pub(crate) fn with_member(&self, dir: &str) -> Result<String, Refusal> {
        let path = self.root.join("Cargo.toml");
        let text = read(&path)?;
        let start = members_start(&text).ok_or("the workspace Cargo.toml has no `members = [` line")?;
        let end = start + text[start..].find(']').ok_or("the workspace's `members` list is not closed")?;
        if text[start..end].contains('#') || text[start..end].contains('\'') {
            return Err(Refusal(format!(
                "the `members` list of {} holds comments or single quotes: add \"services/{dir}\" to it by hand and run with the files written",
                path.display()
            )));
        }
        // The list rewritten one member a line, the new one after the last service.
        let mut list = members(&text);
        if list.iter().any(|m| m == &format!("services/{dir}")) {
            return Ok(text);
        }
        let after = list.iter().rposition(|m| m.starts_with("services/")).map_or(list.len(), |at| at + 1);
        list.insert(after, format!("services/{dir}"));
        let lines: String = list.iter().map(|m| format!("    \"{m}\",\n")).collect();
        Ok(format!("{}members = [\n{lines}{}", &text[..start], &text[end..]))
    }
}

/// Where the workspace's `members = [` line starts (not `default-members`).
fn members_start(manifest: &str) -> Option<usize> {
    let mut at = 0;
    for line in manifest.split_inclusive('\n') {
        if line.trim_start().starts_with("members = [") {
            return Some(at + (line.len() - line.trim_start().len()));
        }
        at += line.len();
    }
    None
}

/// The `members = [...]` entries of a workspace manifest.
fn members(manifest: &str) -> Vec<String> {
    let Some(start) = members_start(manifest) else { return Vec::new() };
    let list = &manifest[start + "members = [".len()..];
    let list = &list[..list.find(']').unwrap_or(list.len())];
    list.split(',').map(|m| m.trim().trim_matches('"').to_owned()).filter(|m| !m.is_empty()).collect()
}

/// `name = "…"` of a manifest's `[package]`.
fn package_name(manifest: &str) -> Option<String> {
    let package = manifest.split("[package]").nth(1)?;
    let section = package.split("\n[").next()?;
    value_of(section, "name")
}

/// The names of a manifest's `[[bin]]` targets.
fn bin_names(manifest: &str) -> Vec<String> {
    manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|section| value_of(section.split("\n[").next()?, "name"))
        .collect()
}

fn value_of(section: &str, key: &str) -> Option<String> {
    section.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The identity in `name = "…", id = N, port = N, prefix = "…", version = "…"`.
fn declared(args: &str) -> Result<Declared, String> {
    let value = |key: &str| {
        args.split(',')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().trim_matches('"').to_owned())
            .ok_or_else(|| format!("#[keel::service] without `{key}`"))
    };
    Ok(Declared {
        name: value("name")?,
        id: value("id")?.parse().map_err(|e| format!("`id`: {e}"))?,
        port: value("port")?.parse().map_err(|e| format!("`port`: {e}"))?,
        prefix: value("prefix")?,
        version: value("version")?,
        ..Declared::default()
    })
}

/// Rust keywords (2024 edition, reserved ones included) and the crates every
/// package sees: a package or module named so does not compile, or hides one.
const RESERVED: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
];

/// The crates a generated package depends on (its template's dependencies).
const TEMPLATE_DEPENDENCIES: &[&str] =
    &["keel", "serde", "serde_json", "log", "tokio", "futures_util", "tokio_tungstenite"];

/// Refuses `name` as a crate or module name: a keyword, a built-in crate, a
/// package or dependency of the workspace (`-` and `_` alike).
pub(crate) fn check_crate_name(workspace: &Workspace, name: &str, what: &str) -> Result<(), Refusal> {
    let normal = |n: &str| n.replace('-', "_");
    if RESERVED.contains(&name) || name == "test" {
        return Err(Refusal(format!("{what} `{name}` is a Rust keyword or built-in crate: pick another")));
    }
    let taken = workspace
        .packages
        .iter()
        .chain(&workspace.dependencies)
        .map(String::as_str)
        .chain(TEMPLATE_DEPENDENCIES.iter().copied())
        .find(|taken| normal(taken) == name);
    match taken {
        Some(taken) => Err(Refusal(format!(
            "{what} `{name}` is the name of crate `{taken}` in this workspace: a package named so would hide it; pick another"
        ))),
        None => Ok(()),
    }
}

/// Refuses a module name that is a Rust keyword.
pub(crate) fn check_module_name(name: &str, what: &str) -> Result<(), Refusal> {
    if RESERVED.contains(&name) {
        return Err(Refusal(format!("{what} `{name}` is a Rust keyword or built-in crate: pick another")));
    }
    let camel = crate::template::camel(name);
    if camel.len() > 1 && camel.chars().all(|c| !c.is_ascii_lowercase()) {
        return Err(Refusal(format!(
            "{what} `{name}` would make the type `{camel}`, which reads as an acronym (clippy refuses it): use longer words"
        )));
    }
    Ok(())
}

pub(crate) fn read(path: &Path) -> Result<String, Refusal> {
    std::fs::read_to_string(path).map_err(|e| Refusal(format!("cannot read {}: {e}", path.display())))
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), Refusal> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| Refusal(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_members_packages_bins_and_identities() {
        let manifest = "[workspace]\nmembers = [\n    \"naming\",\n    \"services/a\",\n]\n";
        assert_eq!(super::members(manifest), ["naming", "services/a"]);
        let package = "[package]\nname = \"manage_system\"\n\n[[bin]]\nname = \"http_manage_sys\"\npath = \"x\"\n\n[[bin]]\nname = \"service_manage_sys\"\n";
        assert_eq!(super::package_name(package).as_deref(), Some("manage_system"));
        assert_eq!(super::bin_names(package), ["http_manage_sys", "service_manage_sys"]);
        let service =
            super::declared("name = \"order\", id = 3, port = 8003, prefix = \"ord\", version = \"1.00.00\"")
                .expect("parses");
        assert_eq!((service.name.as_str(), service.id, service.port), ("order", 3, 8003));
        assert!(super::declared("name = \"x\", id = 1").is_err_and(|e| e.contains("port")));
    }
}
