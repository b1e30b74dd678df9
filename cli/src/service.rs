//! `new service <name> --prefix <p> --port <n> [--kind …] [--id …]`: a
//! whole service package in the seed's layout, added to the workspace,
//! with its first migration written by its own binary.

use crate::template::{camel, fill, text};
use crate::workspace::{Workspace, write};
use crate::{Kind, Refusal};

#[derive(Debug, clap::Args)]
pub(crate) struct NewService {
    /// The service's name, snake_case: its folder, package, log folder.
    pub(crate) name: String,
    /// Prefix of its tables and cache keys, `[a-z][a-z0-9]*`.
    #[arg(long)]
    pub(crate) prefix: String,
    /// The port it listens on by default.
    #[arg(long)]
    pub(crate) port: u16,
    /// What its binary serves.
    #[arg(long, value_enum, default_value = "http")]
    pub(crate) kind: Kind,
    /// Its id (default: the next free one).
    #[arg(long)]
    pub(crate) id: Option<u32>,
    /// The binary's name (default: the kind's prefix and the name, e.g. `http_order`).
    #[arg(long)]
    pub(crate) bin: Option<String>,
    /// The version its routes are served under.
    #[arg(long, default_value = "1.00.00")]
    pub(crate) version: String,
    /// One line saying what the service does.
    #[arg(long)]
    pub(crate) description: Option<String>,
    /// Write the files only; print the command that writes the first migration.
    #[arg(long)]
    pub(crate) no_migrate: bool,
}

/// The new service once every rule passed.
#[derive(Debug)]
struct Plan {
    name: String,
    prefix: String,
    port: u16,
    id: u32,
    kind: Kind,
    bin: String,
    version: String,
    description: String,
}

pub(crate) fn run(args: &NewService) -> Result<(), Refusal> {
    let workspace = Workspace::find()?;
    let plan = check(&workspace, args)?;
    let dir = workspace.root.join("services").join(&plan.name);
    for (path, text) in files(&plan)? {
        write(&dir.join(path), &text)?;
    }
    // `embed_migrations!` needs the folder to exist before the first build.
    let migrations = workspace.root.join("migrations").join(&plan.name);
    std::fs::create_dir_all(&migrations)
        .map_err(|e| format!("cannot create {}: {e}", migrations.display()))?;
    workspace.add_member(&plan.name)?;
    println!(
        "wrote services/{}/ (binary `{}`, id {}, port {}, prefix `{}`) and added it to the workspace",
        plan.name, plan.bin, plan.id, plan.port, plan.prefix
    );
    crate::addition::format(&workspace.root, &plan.name);
    let migrate =
        ["run", "--quiet", "-p", &plan.name, "--bin", &plan.bin, "--", "db", "migrate", "--name", "init"];
    if args.no_migrate {
        println!("write its first migration with: cargo {}", migrate.join(" "));
    } else {
        crate::addition::cargo(&workspace.root, &migrate)?;
    }
    println!("next: cargo run --bin {}   (and cargo test -p {})", plan.bin, plan.name);
    Ok(())
}

/// Every rule, before anything is written.
fn check(workspace: &Workspace, args: &NewService) -> Result<Plan, Refusal> {
    keel_naming::check_service_name(&args.name)?;
    keel_naming::check_name_part("prefix", &args.prefix)?;
    keel_naming::check_version(&args.version)?;
    if args.port == 0 {
        return Err("--port 0 is not a port a service can be reached on: pick one, e.g. 8003".into());
    }
    let bin = args.bin.clone().unwrap_or_else(|| format!("{}{}", args.kind.prefix(), args.name));
    let bin_kind = keel_naming::check_binary_name(&bin)?;
    if !bin.starts_with(args.kind.prefix()) {
        return Err(Refusal(format!(
            "binary `{bin}` serves {} by its prefix but --kind is {}: name it `{}{}` or pass the matching --kind",
            describe(bin_kind),
            args.kind.label(),
            args.kind.prefix(),
            bin.split_once('_').map_or(bin.as_str(), |(_, stem)| stem)
        )));
    }
    let holder = |what: &str, held_by: &crate::workspace::Declared| {
        Refusal(format!(
            "{what} is taken by service `{}` (services/{}/src/config.rs)",
            held_by.name, held_by.dir
        ))
    };
    for service in &workspace.services {
        if service.name == args.name {
            return Err(holder(&format!("name `{}`", args.name), service));
        }
        if service.prefix == args.prefix {
            return Err(holder(&format!("prefix `{}`", args.prefix), service));
        }
        if service.port == args.port {
            return Err(holder(&format!("port {}", args.port), service));
        }
        if Some(service.id) == args.id {
            return Err(holder(&format!("id {}", service.id), service));
        }
        if service.bins.contains(&bin) {
            return Err(Refusal(format!(
                "binary `{bin}` is taken by service `{}` (services/{}/Cargo.toml)",
                service.name, service.dir
            )));
        }
    }
    if workspace.packages.contains(&args.name) || workspace.root.join("services").join(&args.name).exists() {
        return Err(Refusal(format!(
            "name `{}` is taken by a package or folder of the workspace (services/{0} or a member named so)",
            args.name
        )));
    }
    if args.prefix == "keel" {
        return Err(
            "prefix `keel` is the framework's own (keel_session, keel_migration): pick another".into()
        );
    }
    let id = match args.id {
        Some(id) => id,
        None => workspace.services.iter().map(|s| s.id).max().unwrap_or(0) + 1,
    };
    Ok(Plan {
        name: args.name.clone(),
        prefix: args.prefix.clone(),
        port: args.port,
        id,
        kind: args.kind,
        bin,
        version: args.version.clone(),
        description: args.description.clone().unwrap_or_else(|| format!("the {} service", args.name)),
    })
}

/// `(path under services/<name>, text)` of every file of the package.
fn files(plan: &Plan) -> Result<Vec<(String, String)>, Refusal> {
    let conf = format!("{}Conf", camel(&plan.name));
    let (id, port) = (plan.id.to_string(), plan.port.to_string());
    let routes = matches!(plan.kind, Kind::Http | Kind::Server);
    let socket = matches!(plan.kind, Kind::Ws | Kind::Server);
    let app_path = if routes { "uri_router::app" } else { "app" };
    let ws_dev = "\nfutures-util.workspace = true\ntokio-tungstenite = { version = \"0.30\", default-features = false, features = [\"connect\"] }";
    let live_doc =
        if plan.kind == Kind::Ws { "The singleton entry (seed: `api_main.py`)" } else { "A live socket" };
    let values: Vec<(&str, &str)> = vec![
        ("name", &plan.name),
        ("crate", &plan.name),
        ("prefix", &plan.prefix),
        ("id", &id),
        ("port", &port),
        ("version", &plan.version),
        ("bin", &plan.bin),
        ("Conf", &conf),
        ("description", &plan.description),
        ("kind_type", plan.kind.marker()),
        ("app_path", app_path),
        ("dev_dependencies", if socket { ws_dev } else { "" }),
        ("live_doc", live_doc),
        ("router_uses", if socket { "\nuse crate::interface::live::LiveSocket;" } else { "" }),
        ("router_extra", if socket { ", LiveSocket" } else { "" }),
        ("interface_extra", if socket { "\npub mod live;" } else { "" }),
        (
            "ws_models_check",
            if plan.kind == Kind::Ws {
                "\n\n/// The models match the latest migration (boot refuses them otherwise).\n#[test]\nfn models_match_the_migrations() {\n    keel::testing::assert_migrations_match(&{{crate}}::app());\n}"
            } else {
                ""
            },
        ),
    ];
    let fill = |template: &str| -> Result<String, Refusal> {
        // Twice: a value may itself hold a placeholder (`ws_models_check`).
        let once = fill_partial(template, &values);
        fill(&once, &values).map_err(Refusal)
    };
    let mut out: Vec<(&str, &str)> = vec![
        ("Cargo.toml", text::CARGO_TOML),
        ("config/default.toml", text::DEFAULT_TOML),
        ("src/config.rs", text::CONFIG),
        ("src/db_model.rs", text::DB_MODEL),
        ("src/rc_model.rs", text::RC_MODEL),
        ("src/script.rs", text::SCRIPT),
    ];
    match plan.kind {
        Kind::Http | Kind::Server => {
            out.extend([
                ("src/lib.rs", text::LIB_ROUTES),
                ("src/api_base.rs", text::API_BASE),
                ("src/uri_router.rs", text::URI_ROUTER),
                ("src/interface.rs", text::INTERFACE),
                ("src/interface/item.rs", text::ITEM),
                ("tests/service.rs", text::TEST_ROUTES),
            ]);
            if plan.kind == Kind::Server {
                out.extend([("src/interface/live.rs", text::LIVE), ("tests/socket.rs", text::TEST_WS)]);
            }
        }
        Kind::Ws => out.extend([
            ("src/lib.rs", text::LIB_WS),
            ("src/api_base.rs", text::API_BASE),
            ("src/api_main.rs", text::LIVE),
            ("tests/socket.rs", text::TEST_WS),
        ]),
        Kind::Service => {
            out.extend([("src/lib.rs", text::LIB_SERVICE), ("tests/service.rs", text::TEST_SERVICE)])
        }
    }
    let mut files = vec![(format!("src/bin/{}.rs", plan.bin), fill(text::MAIN)?)];
    for (path, template) in out {
        files.push((path.to_owned(), fill(template)?));
    }
    Ok(files)
}

fn describe(kind: keel_naming::BinaryKind) -> &'static str {
    match kind {
        keel_naming::BinaryKind::Http => "HTTP (http_)",
        keel_naming::BinaryKind::Ws => "a WebSocket (ws_)",
        keel_naming::BinaryKind::Server => "HTTP and WebSocket (server_)",
        keel_naming::BinaryKind::Service => "nothing external (service_)",
    }
}

/// Replaces the placeholders it knows, leaves the rest.
fn fill_partial(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_owned(), |out, (key, value)| out.replace(&format!("{{{{{key}}}}}"), value))
}
