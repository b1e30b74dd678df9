//! The service binary's command line: `serve` (default), `routes`, `openapi`, `db …`.

use crate::router::UriRouter;
use crate::service::ServiceInfo;
use clap::{Parser, Subcommand};
use std::fmt::Write;

#[derive(Debug, Parser)]
#[command(about = "A keel service", long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) serve: ServeFlags,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Flags of `serve`; accepted before or after the subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeFlags {
    /// Port to listen on (wins over configuration).
    #[arg(long, global = true)]
    pub(crate) port: Option<u16>,
    /// Address to bind (wins over configuration), e.g. 127.0.0.1.
    #[arg(long, global = true)]
    pub(crate) bind: Option<String>,
    /// Project root holding logs/, data/, migrations/ and services/<name>/config/
    /// (default: KEEL_HOME, else the working directory).
    #[arg(long, global = true)]
    pub(crate) home: Option<std::path::PathBuf>,
    /// Profile: adds config/<profile>.toml over config/default.toml (default: KEEL_PROFILE).
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,
}

#[derive(Debug, Default, Subcommand)]
pub(crate) enum Command {
    /// Serve HTTP (the default).
    #[default]
    Serve,
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

/// The `routes` table, aligned columns.
pub fn routes_table<K: crate::kind::Kind>(router: &UriRouter<K>) -> String {
    let rows = router.table();
    let url_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(3).max(3);
    let handler_width = rows.iter().map(|r| r.2.len()).max().unwrap_or(7).max(7);
    let mut out = String::new();
    let _ = writeln!(out, "{:<6}  {:<url_width$}  {:<handler_width$}  ACCESS", "VERB", "URL", "HANDLER");
    for (verb, url, handler, public) in rows {
        let access = if public { "public" } else { "protected" };
        let _ = writeln!(out, "{:<6}  {url:<url_width$}  {handler:<handler_width$}  {access}", verb.as_str());
    }
    out
}
