//! Installs the service's logger: log4rs with size-rotated files under
//! `logs/<service>/` — `info.log`, `failed.log` and the named files a service
//! declares — fed through a queue so that no request thread touches the disk.
//!
//! log4rs routes records by target and level; keel's appender only formats
//! the line and appends it to an in-memory buffer; one writer thread takes
//! the buffers every [`WRITE_INTERVAL`] (sooner when they grow past
//! [`WAKE_BYTES`]) and appends each to its file, rotated in agreement with
//! the service's other processes (`shared_file`: several processes share
//! one folder and lose no line), so many lines cost one `write(2)` and no
//! request thread waits on the disk or wakes another thread. A channel with
//! one message per line was measured first: the wake-up per line cost more
//! than half the throughput (docs/benchmarks.md). [`LogGuard`] writes what is
//! buffered on a clean shutdown, so no line is lost.

mod access;
mod mult_logger;
pub mod request_id;
mod shared_file;

pub use mult_logger::{ACCESS, FAILED, FILE_TARGET_PREFIX, INFO, MultLogger};
pub use request_id::RequestId;

use access::write_timestamp;
pub(crate) use access::{access, capped};

use crate::config::LogConfig;
use log4rs::append::Append;
use log4rs::config::{Appender, Config, Logger, Root};
use shared_file::SharedFile;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the writer takes the buffered lines.
pub const WRITE_INTERVAL: Duration = Duration::from_millis(50);
/// Buffered bytes past which a logger wakes the writer early.
pub const WAKE_BYTES: usize = 1 << 20;

/// One buffer of pending text per log file, shared by loggers and the writer.
struct Pending {
    buffers: Mutex<Buffers>,
    wake: Condvar,
}

struct Buffers {
    files: Vec<Vec<u8>>,
    bytes: usize,
    stop: bool,
}

/// Keeps the writer thread alive; dropping it writes every buffered line.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    pending: Arc<Pending>,
    writer: Option<JoinHandle<()>>,
    /// The folder holding the service's log files.
    pub dir: PathBuf,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Ok(mut buffers) = self.pending.buffers.lock() {
            buffers.stop = true;
        }
        self.pending.wake.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Logging could not start; names the file or setting.
#[derive(Debug, thiserror::Error)]
#[error("logs: {0}")]
pub struct LogError(String);

/// Sets up `<home>/logs/<service>/` (created if missing) and installs the
/// logger for the process. Fails if a logger is already installed.
pub fn init(home: &Path, service: &str, config: &LogConfig) -> Result<LogGuard, LogError> {
    let dir = home.join("logs").join(service);
    std::fs::create_dir_all(&dir).map_err(|e| LogError(format!("cannot create {}: {e}", dir.display())))?;
    let mut names = vec!["info".to_owned(), "failed".to_owned()];
    names.extend(config.files.iter().cloned());
    let mut files = Vec::with_capacity(names.len());
    for name in &names {
        files.push(rolling_file(&dir, name, config)?);
    }
    let pending = Arc::new(Pending {
        buffers: Mutex::new(Buffers { files: vec![Vec::new(); files.len()], bytes: 0, stop: false }),
        wake: Condvar::new(),
    });
    let shared = pending.clone();
    let writer = std::thread::Builder::new()
        .name("keel-log-writer".to_owned())
        .spawn(move || write_loop(&shared, &mut files))
        .map_err(|e| LogError(format!("cannot start the log writer: {e}")))?;

    let queue = |file: usize, min: log::LevelFilter| {
        Box::new(BufferAppender { file, min, pending: pending.clone() }) as Box<dyn Append>
    };
    // `log.level`, or `log.levels.<target>` for one target: `info`,
    // `failed`, `access`, a named file, or a library's module path.
    let level_of = |target: &str| config.levels.get(target).copied().unwrap_or(config.level).filter();
    ACCESS_ON.store(level_of("access") >= log::LevelFilter::Info, Ordering::Relaxed);
    let mut builder = Config::builder()
        .appender(Appender::builder().build("info", queue(0, log::LevelFilter::Trace)))
        .appender(Appender::builder().build("failed", queue(1, log::LevelFilter::Trace)))
        // Framework errors (salvo, hyper, tokio tasks) land in failed.log too.
        .appender(Appender::builder().build("errors", queue(1, log::LevelFilter::Error)))
        .logger(Logger::builder().appender("info").additive(false).build(INFO, level_of("info")))
        .logger(Logger::builder().appender("info").additive(false).build(ACCESS, level_of("access")))
        .logger(Logger::builder().appender("failed").additive(false).build(FAILED, level_of("failed")))
        // hyper logs every connection reset at debug; nobody reads those.
        .logger(Logger::builder().build("hyper", log::LevelFilter::Warn))
        .logger(Logger::builder().build("hyper_util", log::LevelFilter::Warn));
    for (index, name) in config.files.iter().enumerate() {
        let appender = format!("file.{name}");
        builder = builder
            .appender(Appender::builder().build(appender.clone(), queue(index + 2, log::LevelFilter::Trace)))
            .logger(
                Logger::builder()
                    .appender(appender)
                    .additive(false)
                    .build(format!("{FILE_TARGET_PREFIX}{name}"), level_of(name)),
            );
    }
    for (target, level) in &config.levels {
        let keel_target = [INFO, FAILED, ACCESS].contains(&target.as_str()) || config.files.contains(target);
        if !keel_target {
            builder = builder.logger(Logger::builder().build(target.clone(), level.filter()));
        }
    }
    let log4rs_config = builder
        .build(Root::builder().appender("info").appender("errors").build(config.level.filter()))
        .map_err(|e| LogError(format!("bad logger configuration: {e}")))?;
    log4rs::init_config(log4rs_config).map_err(|e| LogError(format!("cannot install the logger: {e}")))?;
    // init_config succeeds once per process, so the sink is set once too.
    let _ = ACCESS_SINK.set(pending.clone());
    Ok(LogGuard { pending, writer: Some(writer), dir })
}

fn rolling_file(dir: &Path, name: &str, config: &LogConfig) -> Result<SharedFile, LogError> {
    let max_bytes = config.max_size_mib.max(1).saturating_mul(1024 * 1024);
    SharedFile::open(dir, name, max_bytes, config.keep)
        .map_err(|e| LogError(format!("cannot open {}: {e}", dir.join(format!("{name}.log")).display())))
}

/// Every [`WRITE_INTERVAL`] (or when woken), swaps the buffers out and
/// writes each in one appender call; after `stop`, writes the rest and ends.
fn write_loop(pending: &Pending, files: &mut [SharedFile]) {
    let mut spare: Vec<Vec<u8>> = vec![Vec::new(); files.len()];
    loop {
        let stop = {
            let Ok(guard) = pending.buffers.lock() else { return };
            let Ok((mut buffers, _)) =
                pending.wake.wait_timeout_while(guard, WRITE_INTERVAL, |b| !b.stop && b.bytes < WAKE_BYTES)
            else {
                return;
            };
            std::mem::swap(&mut buffers.files, &mut spare);
            buffers.bytes = 0;
            buffers.stop
        };
        for (file, text) in files.iter_mut().zip(spare.iter_mut()) {
            if !text.is_empty() {
                if let Err(err) = file.append(text) {
                    eprintln!("keel: cannot write a log file: {err}");
                }
                text.clear();
            }
        }
        if stop {
            return;
        }
    }
}

/// Formats a record into a line and appends it to its file's buffer.
struct BufferAppender {
    file: usize,
    min: log::LevelFilter,
    pending: Arc<Pending>,
}

impl std::fmt::Debug for BufferAppender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferAppender").field("file", &self.file).field("min", &self.min).finish()
    }
}

thread_local! {
    /// Formatting scratch for every line (access lines too), reused so a
    /// line costs no allocation.
    static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Pending {
    /// Appends one formatted line to `file`'s buffer.
    fn push(&self, file: usize, line: &[u8]) {
        // A poisoned lock means the writer died; the line has nowhere to go.
        if let Ok(mut buffers) = self.buffers.lock()
            && !buffers.stop
        {
            buffers.bytes += line.len();
            if let Some(buffer) = buffers.files.get_mut(file) {
                buffer.extend_from_slice(line);
            }
            if buffers.bytes >= WAKE_BYTES {
                self.wake.notify_one();
            }
        }
    }
}

impl Append for BufferAppender {
    fn append(&self, record: &log::Record<'_>) -> anyhow::Result<()> {
        if record.level() > self.min {
            return Ok(());
        }
        LINE.with_borrow_mut(|line| {
            line.clear();
            write_timestamp(line, Instant::now());
            let _ = write!(line, " {:<5} ", record.level());
            // The MultLogger targets name the file already; show the source
            // module for everything else (salvo, hyper, …).
            let target = record.target();
            if ![INFO, FAILED, ACCESS].contains(&target) && !target.starts_with(FILE_TARGET_PREFIX) {
                let _ = write!(line, "{target}: ");
            }
            let _ = writeln!(line, "{}", record.args());
            self.pending.push(self.file, line);
        });
        Ok(())
    }

    fn flush(&self) {}
}

/// Whether access lines are written (`log.levels.access`, else
/// `log.level`, at `info` or below); read on every request.
static ACCESS_ON: AtomicBool = AtomicBool::new(true);

/// The buffers of the installed logger, for the access line's fast path.
static ACCESS_SINK: OnceLock<Arc<Pending>> = OnceLock::new();
