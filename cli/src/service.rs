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
    // Everything computed before the first file is written.
    let files = files(&plan)?;
    let manifest = workspace.with_member(&plan.name)?;
    let dir = workspace.root.join("services").join(&plan.name);
    for (path, text) in files {
        write(&dir.join(path), &text)?;
    }
    // `embed_migrations!` needs the folder to exist before the first build.
    let migrations = workspace.root.join("migrations").join(&plan.name);
    std::fs::create_dir_all(&migrations)
        .map_err(|e| format!("cannot create {}: {e}", migrations.display()))?;
    write(&workspace.root.join("Cargo.toml"), &manifest)?;
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
    if args.port < 1024 {
        return Err(Refusal(format!(
            "--port {} is below 1024, which only root may listen on: pick one from 1024 up, e.g. 8003",
            args.port
        )));
    }
    if args.id == Some(0) {
        return Err("--id 0: service ids start at 1".into());
    }
    if let Some(description) = &args.description
        && description.chars().any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return Err("--description is one line of plain text (no quotes, backslashes or line breaks)".into());
    }
    let leftover = workspace.root.join("migrations").join(&args.name);
    if std::fs::read_dir(&leftover).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(Refusal(format!(
            "{} already holds migrations (a service removed, or an earlier run): remove it, or pick another name",
            leftover.display()
        )));
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
    }
    if let Some((_, package)) = workspace.bins.iter().find(|(taken, _)| *taken == bin) {
        return Err(Refusal(format!("binary `{bin}` is taken by package `{package}`")));
    }
    crate::workspace::check_crate_name(workspace, &args.name, "service name")?;
    if workspace.root.join("services").join(&args.name).exists() {
        return Err(Refusal(format!("name `{}` is taken by the folder services/{0}", args.name)));
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
    let ws_models_check = if plan.kind == Kind::Ws {
        format!(
            "\n\n/// The models match the latest migration (boot refuses them otherwise).\n#[test]\nfn models_match_the_migrations() {{\n    keel::testing::assert_migrations_match(&{}::app());\n}}",
            plan.name
        )
    } else {
        String::new()
    };
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
        ("ws_models_check", &ws_models_check),
    ];
    let fill = |template: &str| fill(template, &values).map_err(Refusal);
    let mut out: Vec<(&str, &str)> = vec![
        ("Cargo.toml", text::CARGO_TOML),
        ("build.rs", text::BUILD_RS),
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
