//! `keel`, the workspace tool: writes a new service, a handler or a table
//! in the layout keel's macros enforce, so that what it writes compiles,
//! passes clippy and its own tests without an edit.
//!
//! ```text
//! cargo run -p keel-cli -- new service order --prefix ord --port 8003 --kind http
//! cargo run -p keel-cli -- new api invoice --service order --path /invoice
//! cargo run -p keel-cli -- new table invoice --service order
//! ```
//!
//! Run from anywhere inside the workspace. Every check runs before the
//! first file is written: a taken name, prefix, port, id or binary, a
//! malformed name or a binary whose prefix does not match `--kind` ends the
//! command with one line naming the rule or the holder, and nothing written.

mod addition;
mod service;
mod template;
mod workspace;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "keel", about = "keel's workspace tool: new services, handlers and tables")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a new service, handler or table.
    New {
        #[command(subcommand)]
        what: New,
    },
}

#[derive(Debug, Subcommand)]
enum New {
    /// A service package under services/<name>, with its first migration.
    Service(service::NewService),
    /// A handler in services/<service>/src/interface/<name>.rs, listed in its uri_router.
    Api(addition::NewApi),
    /// A table in services/<service>/src/db_model.rs, listed in its models and migrated.
    Table(addition::NewTable),
}

/// What a service's binary serves; its name's prefix says the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// HTTP routes (`http_…`).
    Http,
    /// One WebSocket entry (`ws_…`).
    Ws,
    /// HTTP routes and a WebSocket (`server_…`).
    Server,
    /// No external interface: tables, jobs, scripts (`service_…`).
    Service,
}

impl Kind {
    /// The binary-name prefix.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Kind::Http => "http_",
            Kind::Ws => "ws_",
            Kind::Server => "server_",
            Kind::Service => "service_",
        }
    }

    /// As spelled on the command line.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Ws => "ws",
            Kind::Server => "server",
            Kind::Service => "service",
        }
    }

    /// The marker type of `keel::kind` for an app of this kind.
    pub(crate) fn marker(self) -> &'static str {
        match self {
            Kind::Http => "keel::kind::HttpOnly",
            Kind::Ws => "keel::kind::WsOnly",
            Kind::Server => "keel::kind::HttpAndWs",
            Kind::Service => "keel::kind::NoRoutes",
        }
    }
}

/// A command's failure: one line for the terminal.
#[derive(Debug)]
pub(crate) struct Refusal(pub(crate) String);

impl<T: Into<String>> From<T> for Refusal {
    fn from(message: T) -> Self {
        Refusal(message.into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::New { what: New::Service(args) } => service::run(&args),
        Command::New { what: New::Api(args) } => addition::run_api(&args),
        Command::New { what: New::Table(args) } => addition::run_table(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Refusal(line)) => {
            eprintln!("keel: {line}");
            ExitCode::from(2)
        }
    }
}
