//! The service binary's command line: `serve` (default), `routes`, `openapi`, `script`, `systemd`, `db …`.

use super::App;
use crate::data::migrate::command::DbAction;
use crate::http::router::UriRouter;
use crate::kind::Kind;
use crate::service::ServiceInfo;
use clap::{Parser, Subcommand};
use std::fmt::Write;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(about = "A keel service", long_about = None)]
pub(crate) struct Cli {
    /// `serve`'s flags, for the default command (`http_manage_sys --port 9000`).
    #[command(flatten)]
    pub(crate) listen: ListenFlags,
    #[command(flatten)]
    pub(crate) home: HomeFlags,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Where to listen: `serve` only.
#[derive(Clone, Debug, Default, clap::Args)]
pub(crate) struct ListenFlags {
    /// Port to listen on (wins over configuration).
    #[arg(long)]
    pub(crate) port: Option<u16>,
    /// Address to bind (wins over configuration), e.g. 127.0.0.1.
    #[arg(long)]
    pub(crate) bind: Option<String>,
}

/// Where the project is and which profile: every command that reads the
/// configuration; accepted before or after the subcommand.
#[derive(Clone, Debug, Default, clap::Args)]
pub(crate) struct HomeFlags {
    /// Project root holding logs/, data/, migrations/ and services/<name>/config/
    /// (default: KEEL_HOME, else the working directory).
    #[arg(long, global = true)]
    pub(crate) home: Option<std::path::PathBuf>,
    /// Profile: adds config/<profile>.toml over config/default.toml (default: KEEL_PROFILE).
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,
}

/// What `serve` runs with.
#[derive(Debug)]
pub(crate) struct ServeFlags {
    pub(crate) port: Option<u16>,
    pub(crate) bind: Option<String>,
    pub(crate) home: Option<std::path::PathBuf>,
    pub(crate) profile: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve HTTP (the default).
    Serve {
        #[command(flatten)]
        listen: Option<ListenFlags>,
    },
    /// Print the route table: verb, URL, handler, access.
    Routes,
    /// Print the OpenAPI document.
    Openapi,
    /// Run a script by hand (`script_…` once, `rescript_…` any time); `--list` shows them and the jobs.
    Script {
        /// The script's name.
        name: Option<String>,
        /// List the scripts and scheduled jobs.
        #[arg(long)]
        list: bool,
    },
    /// Print the systemd unit for this binary, or install it (`--install`).
    Systemd {
        /// A user unit (~/.config/systemd/user, `systemctl --user`) instead
        /// of a system one (/etc/systemd/system, `User=`/`Group=`).
        #[arg(long)]
        user: bool,
        /// Write the unit, reload systemd where it runs, and print the commands.
        #[arg(long)]
        install: bool,
    },
    /// Migrations (seed: aerich): init-db, migrate, upgrade, downgrade, history, heads.
    Db {
        /// The named database (its files are in migrations/<service>/<database>/).
        #[arg(long, default_value = "default", global = true)]
        database: String,
        #[command(subcommand)]
        command: DbCommand,
    },
}

/// `db …`: per service and per named database, files in `migrations/<service>/`.
#[derive(Clone, Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// First time only: write the first migration from the models and apply it.
    InitDb,
    /// Diff the models against the last migration file and write the next one.
    Migrate {
        /// The migration's name (snake_case), e.g. add_note.
        #[arg(long)]
        name: Option<String>,
        /// Print the new migration's SQL for the configured database; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Apply pending migrations.
    Upgrade {
        /// Print the SQL; run nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Revert the last migration, or every one above VERSION.
    Downgrade {
        /// Version to go back to (0: before the first migration).
        #[arg(long)]
        to: Option<u32>,
        /// Print the SQL; run nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Applied migrations, with their time.
    History,
    /// Migrations not applied yet.
    Heads,
}

impl Cli {
    pub(crate) fn parse_for(service: ServiceInfo) -> Cli {
        let command =
            <Cli as clap::CommandFactory>::command().name(service.name).version(service.version).about(
                format!("keel service `{}` (id {}, prefix `{}`)", service.name, service.id, service.prefix),
            );
        let matches = command.get_matches();
        match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
            Ok(cli) => cli,
            Err(err) => err.exit(),
        }
    }
}

impl From<DbCommand> for DbAction {
    fn from(command: DbCommand) -> DbAction {
        match command {
            DbCommand::InitDb => DbAction::InitDb,
            DbCommand::Migrate { name, dry_run } => DbAction::Migrate { name, dry_run },
            DbCommand::Upgrade { dry_run } => DbAction::Upgrade { dry_run },
            DbCommand::Downgrade { to, dry_run } => DbAction::Downgrade { to, dry_run },
            DbCommand::History => DbAction::History,
            DbCommand::Heads => DbAction::Heads,
        }
    }
}

impl<K: Kind> App<K> {
    /// Parses the command line and runs the command: `serve` (default),
    /// `db`, `script`, `routes` or `openapi`. Returns the process exit code.
    ///
    /// A binary calls `.run()` instead, which `#[keel::main]` provides only
    /// when the app's [kind](crate::kind) matches the binary's name; this is
    /// the same command line without that compile-time check.
    pub async fn run_cli(self) -> ExitCode {
        let cli = Cli::parse_for(self.service_info());
        let command = cli.command.unwrap_or(Command::Serve { listen: None });
        let before = cli.listen;
        if (before.port.is_some() || before.bind.is_some()) && !matches!(command, Command::Serve { .. }) {
            eprintln!("{}: --port and --bind apply to `serve` only", self.service_info().name);
            return ExitCode::from(2);
        }
        let home = cli.home;
        match command {
            Command::Serve { listen } => {
                let after = listen.unwrap_or_default();
                let flags = ServeFlags {
                    port: after.port.or(before.port),
                    bind: after.bind.or(before.bind),
                    home: home.home,
                    profile: home.profile,
                };
                self.serve(flags).await
            }
            Command::Db { database, command } => self.db_command(home, database, command).await,
            Command::Script { name, list } => self.script_command(home, name, list).await,
            Command::Systemd { user, install } => self.systemd_command(home, user, install),
            Command::Routes => {
                print!("{}", routes_table(&self.router));
                ExitCode::SUCCESS
            }
            Command::Openapi => match crate::http::openapi::document(&self.router).to_pretty_json() {
                Ok(json) => {
                    println!("{json}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("openapi: {err}");
                    ExitCode::FAILURE
                }
            },
        }
    }

    /// `db …`: migrations of one database.
    async fn db_command(mut self, flags: HomeFlags, database: String, command: DbCommand) -> ExitCode {
        let info = self.service_info();
        if let Err(code) = self.configure(flags.home, flags.profile) {
            return code;
        }
        let Some(models) = self.models else {
            eprintln!("{}: the service has no tables (no `keel::models!` given to App::models)", info.name);
            return ExitCode::FAILURE;
        };
        let models: Vec<crate::TableSchema> =
            models().into_iter().filter(|t| t.database == database).collect();
        if models.is_empty() {
            eprintln!(
                "{}: database `{database}` has no tables: a table goes there with #[keel::table(…, database = \"{database}\")]",
                info.name
            );
            return ExitCode::FAILURE;
        }
        let entry = match self.config.database.get(&database) {
            Some(entry) => entry.clone(),
            None if database == "default" => self.embedded_database(),
            None => {
                eprintln!(
                    "{}: database `{database}` is not configured: set database.{database} (KEEL_DATABASE__{})",
                    info.name,
                    database.to_ascii_uppercase()
                );
                return ExitCode::from(2);
            }
        };
        let target_is_default = database == "default";
        let target = crate::data::migrate::command::DbTarget {
            service: info.name,
            dir: self.migrations_dir(&database),
            database,
            entry,
            home: self.home.clone(),
            models,
            embedded: self.embedded_migrations.filter(|_| target_is_default),
        };
        match crate::data::migrate::command::run(&command.into(), target).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("{}: {err}", info.name);
                ExitCode::FAILURE
            }
        }
    }

    /// `systemd [--user] [--install]`.
    fn systemd_command(mut self, flags: HomeFlags, user_unit: bool, install: bool) -> ExitCode {
        use super::systemd::{
            UnitSpec, current_account, env_file, how_to_run, systemd_running, unit, unit_dir,
        };
        let info = self.service_info();
        if let Err(code) = self.configure(flags.home, flags.profile) {
            return code;
        }
        let bin = crate::service::binary_name().unwrap_or(info.name);
        let absolute =
            |path: &std::path::Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let exec = match std::env::current_exe() {
            Ok(exe) => absolute(&exe),
            Err(err) => {
                eprintln!("{}: cannot tell where this binary is: {err}", info.name);
                return ExitCode::FAILURE;
            }
        };
        let home = absolute(&self.home);
        let spec = UnitSpec {
            service: info,
            bin,
            exec,
            home: home.clone(),
            config: &self.config,
            user_unit,
            account: current_account(),
        };
        let text = unit(&spec);
        if !install {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        // ProtectSystem=strict leaves only these writable, and only if they
        // exist when the service starts.
        for dir in ["logs", "data"] {
            if let Err(err) = std::fs::create_dir_all(home.join(dir)) {
                eprintln!("{}: cannot create {}: {err}", info.name, home.join(dir).display());
                return ExitCode::FAILURE;
            }
        }
        let written = unit_dir(user_unit).and_then(|dir| {
            let path = dir.join(format!("{bin}.service"));
            std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&path, &text))
                .map(|()| path)
                .map_err(|err| format!("cannot write {}: {err}", dir.display()))
        });
        let path = match written {
            Ok(path) => path,
            Err(err) => {
                eprintln!("{}: {err}", info.name);
                return ExitCode::FAILURE;
            }
        };
        println!("wrote {}", path.display());
        if systemd_running(user_unit) {
            let mut reload = std::process::Command::new("systemctl");
            if user_unit {
                reload.arg("--user");
            }
            match reload.arg("daemon-reload").status() {
                Ok(status) if status.success() => println!("systemd reloaded its units"),
                other => eprintln!(
                    "{}: `systemctl daemon-reload` did not succeed ({other:?}); run it by hand",
                    info.name
                ),
            }
        } else {
            println!(
                "no systemd manager runs here: run `systemctl{} daemon-reload` where it does",
                if user_unit { " --user" } else { "" }
            );
        }
        println!("secrets (KEEL_ADMIN__PASSWORD, database URLs) go in {}", env_file(&home, bin).display());
        print!("{}", how_to_run(bin, user_unit));
        ExitCode::SUCCESS
    }

    /// `script <name>` / `script --list`.
    async fn script_command(mut self, flags: HomeFlags, name: Option<String>, list: bool) -> ExitCode {
        let info = self.service_info();
        if list || name.is_none() {
            for script in &self.scripts {
                let kind = if script.name.starts_with("script_") { "once" } else { "reusable" };
                println!("{:<40} {kind}", script.name);
            }
            for job in &self.jobs {
                println!("{:<40} job, schedule `{}`", job.name, job.schedule);
            }
            return ExitCode::SUCCESS;
        }
        let name = name.unwrap_or_default();
        let Some(script) = self.scripts.iter().find(|s| s.name == name).cloned() else {
            eprintln!("{}: no script `{name}`; `script --list` shows them", info.name);
            return ExitCode::FAILURE;
        };
        if let Err(code) = self.configure(flags.home, flags.profile) {
            return code;
        }
        // Scripts log like the service: their lines land in its log files.
        let log_guard = match self.open_logs() {
            Ok(guard) => guard,
            Err(code) => return code,
        };
        let prepared = async {
            self.check_scripts()?;
            self.connect().await
        };
        let code = match prepared.await {
            Ok(state) => match crate::jobs::run_script(&script, state).await {
                Ok(done) => {
                    log::info!(target: crate::logging::INFO, "{done}");
                    println!("{done}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    log::error!(target: crate::logging::FAILED, "{err}");
                    eprintln!("{}: {err}", info.name);
                    ExitCode::FAILURE
                }
            },
            Err(err) => {
                eprintln!("{}: {err}", info.name);
                ExitCode::FAILURE
            }
        };
        drop(log_guard);
        code
    }
}

/// The `routes` table, aligned columns.
pub fn routes_table<K: crate::kind::Kind>(router: &UriRouter<K>) -> String {
    let rows = router.table();
    let url_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(3).max(3);
    let handler_width = rows.iter().map(|r| r.2.len()).max().unwrap_or(7).max(7);
    let mut out = String::new();
    let _ = writeln!(out, "{:<6}  {:<url_width$}  {:<handler_width$}  ACCESS", "VERB", "URL", "HANDLER");
    // The operational routes every service serves, beside its own.
    let operational = [
        ("GET", "/health", "health"),
        ("GET", "/openapi.json", "openapi"),
        ("GET", "/docs", "docs"),
        ("GET", "/metrics", "metrics"),
    ];
    for (verb, url, handler) in operational {
        let _ = writeln!(out, "{verb:<6}  {url:<url_width$}  {handler:<handler_width$}  public");
    }
    for (verb, url, handler, access) in rows {
        let _ = writeln!(out, "{:<6}  {url:<url_width$}  {handler:<handler_width$}  {access}", verb.as_str());
    }
    out
}
