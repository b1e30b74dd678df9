//! Serving: bind, serve in the background, stop on SIGTERM / Ctrl-C and
//! drain; a service without routes runs its jobs headless.

use super::cli::ServeFlags;
use super::listener::{ClosingAcceptor, ConnectionPolicy, ListenerSwitch};
use super::{App, BootError};
use crate::kind::Kind;
use crate::state::Sockets;
use salvo::Server;
use salvo::conn::{Acceptor, Listener, TcpListener};
use salvo::server::ServerHandle;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

impl<K: Kind> App<K> {
    /// config → logs → listen → serve until SIGTERM / Ctrl-C → drain → flush.
    pub(super) async fn serve(mut self, flags: ServeFlags) -> ExitCode {
        let info = self.service_info();
        if let Err(code) = self.configure(flags.home, flags.profile) {
            return code;
        }
        let log_guard = match self.open_logs() {
            Ok(guard) => guard,
            Err(code) => return code,
        };
        let bind = flags.bind.unwrap_or_else(|| self.config.server.bind.clone());
        let port = flags.port.unwrap_or_else(|| self.config.port(&info));
        let drain = Duration::from_secs(self.config.server.shutdown_timeout);
        let shutdown = match ShutdownSignal::install() {
            Ok(shutdown) => shutdown,
            Err(err) => {
                eprintln!("{}: cannot listen for SIGTERM: {err}", info.name);
                return ExitCode::FAILURE;
            }
        };
        if self.router.endpoints().is_empty() {
            return self.run_headless(shutdown, log_guard).await;
        }
        self.say_open_file_limit();
        let running = match self.bind(&format!("{bind}:{port}")).await {
            Ok(running) => running,
            Err(err) => {
                eprintln!("{}: {err}", info.name);
                log::error!(target: crate::logging::FAILED, "boot failed: {err}");
                return ExitCode::FAILURE;
            }
        };
        let url = format!("http://{}", running.addr);
        log::info!(target: crate::logging::INFO, "{} {} listening on {url}", info.name, info.version);
        println!("{} {} listening on {url} (logs in {})", info.name, info.version, log_guard.dir.display());
        let signal = shutdown.recv().await;
        log::info!(target: crate::logging::INFO, "{signal}: draining in-flight requests (up to {}s)", drain.as_secs());
        running.stop_graceful(drain);
        running.wait().await;
        log::info!(target: crate::logging::INFO, "{} stopped", info.name);
        // Writes every queued line before the process exits.
        drop(log_guard);
        ExitCode::SUCCESS
    }

    /// Raises the open-file limit and says in info.log what it is; warns
    /// when `server.max_connections` would not fit under it.
    fn say_open_file_limit(&self) {
        #[cfg(unix)]
        match super::listener::raise_open_file_limit() {
            Ok(Some(limit)) => {
                log::info!(target: crate::logging::INFO, "open-file limit: {limit}");
                let wanted = self.config.server.max_connections as u64 + 64;
                if limit < wanted {
                    log::warn!(
                        target: crate::logging::FAILED,
                        "open-file limit {limit} is below server.max_connections + 64 ({wanted}): raise LimitNOFILE or lower server.max_connections"
                    );
                }
            }
            Ok(None) => log::info!(target: crate::logging::INFO, "open-file limit: unlimited"),
            Err(err) => log::warn!(target: crate::logging::FAILED, "cannot raise the open-file limit: {err}"),
        }
    }

    /// A service with no external interface (a `service_*` binary, no
    /// routes): its jobs run until SIGTERM / Ctrl-C.
    async fn run_headless(
        mut self,
        shutdown: ShutdownSignal,
        log_guard: crate::logging::LogGuard,
    ) -> ExitCode {
        let info = self.service_info();
        let jobs = match self.start().await {
            Ok((_state, jobs)) => jobs,
            Err(err) => {
                eprintln!("{}: {err}", info.name);
                log::error!(target: crate::logging::FAILED, "boot failed: {err}");
                return ExitCode::FAILURE;
            }
        };
        let names: Vec<&str> = self.jobs.iter().map(|job| job.name).collect();
        log::info!(
            target: crate::logging::INFO,
            "{} {} running {} job(s), no external interface",
            info.name,
            info.version,
            jobs.len()
        );
        println!(
            "{} {} running jobs [{}], no external interface (logs in {})",
            info.name,
            info.version,
            names.join(", "),
            log_guard.dir.display()
        );
        let signal = shutdown.recv().await;
        for job in &jobs {
            job.abort();
        }
        log::info!(target: crate::logging::INFO, "{signal}: {} stopped", info.name);
        drop(log_guard);
        ExitCode::SUCCESS
    }

    /// Connects the database, runs the boot hooks, starts the jobs, binds
    /// `addr` (port 0 picks a free one) and serves in the background.
    pub async fn bind(mut self, addr: &str) -> Result<RunningServer, BootError> {
        let (_state, jobs) = self.start().await?;
        let acceptor = TcpListener::new(addr.to_owned())
            .try_bind()
            .await
            .map_err(|err| BootError(format!("cannot listen on {addr}: {err}")))?;
        let local = acceptor
            .holdings()
            .first()
            .map(|h| h.local_addr.clone())
            .ok_or_else(|| BootError(format!("cannot listen on {addr}: no address bound")))?;
        let addr =
            local.into_std().ok_or_else(|| BootError(format!("{addr} is not an IP socket address")))?;
        let (acceptor, listener) = ClosingAcceptor::new(acceptor);
        let server = Server::new(acceptor)
            .fuse_policy(ConnectionPolicy::new(&self.config.server, Arc::clone(&self.sockets)))
            .max_connections(self.config.server.max_connections.max(1));
        let handle = server.handle();
        let service = self.salvo_service();
        let task = tokio::spawn(async move { server.serve(service).await });
        Ok(RunningServer { addr, handle, task, jobs, sockets: Arc::clone(&self.sockets), listener })
    }
}

/// How long a stopping server keeps answering on kept-alive connections
/// (each answer closing its connection) before it closes the idle ones.
const CLOSE_WINDOW: Duration = Duration::from_secs(1);

/// A service serving in the background.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<()>,
    /// The scheduled jobs; stopped with the server.
    jobs: Vec<tokio::task::JoinHandle<()>>,
    /// Open WebSockets; closed with 1001 when the server stops.
    sockets: Arc<Sockets>,
    listener: ListenerSwitch,
}

impl RunningServer {
    /// Closes the listener (new connections are refused at once) and lets
    /// in-flight requests finish within `timeout`; no job starts another tick.
    ///
    /// For the first second (at most half of `timeout`), kept-alive
    /// connections are still served, each answer closing its connection;
    /// only then are idle ones closed. Closing an idle kept-alive connection
    /// races with a proxy sending on it; by then few are left to race.
    pub fn stop_graceful(&self, timeout: Duration) {
        for job in &self.jobs {
            job.abort();
        }
        // Upgraded connections are detached from the server: tell each to
        // close with 1001 ("going away"); HTTP answers close their
        // connections from now on.
        self.sockets.shutdown();
        // New clients are refused from now on, not parked in the backlog
        // for the whole drain.
        self.listener.close();
        let window = CLOSE_WINDOW.min(timeout / 2);
        let handle = self.handle.clone();
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            handle.stop_graceful(Some(timeout.saturating_sub(window)));
        });
    }

    /// Waits until the server stops.
    pub async fn wait(self) {
        if let Err(err) = self.task.await {
            log::error!(target: crate::logging::FAILED, "server task failed: {err}");
        }
        self.sockets.close_all(Duration::from_secs(5)).await;
    }
}

/// SIGTERM and Ctrl-C, listened to from before the service announces it is
/// up: a supervisor may signal as soon as it sees the "listening" line.
struct ShutdownSignal {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    fn install() -> std::io::Result<ShutdownSignal> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(ShutdownSignal {
                term: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignal {})
    }

    /// Waits for the first signal and names it.
    async fn recv(mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "Ctrl-C",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}
