//! Installs the service's logger: log4rs with size-rotated files under
//! `logs/<service>/` — `info.log`, `failed.log` and the named files a service
//! declares — fed through a queue so that no request thread touches the disk.
//!
//! log4rs' `RollingFileAppender` takes a mutex and flushes on every record
//! (DESIGN §10). keel's appender only formats the line and queues it; one
//! writer thread drains the queue and hands each batch to the rolling
//! appenders, so many lines cost one `write(2)`. [`LogGuard`] drains the
//! queue on a clean shutdown, so no line is lost.

use crate::config::LogConfig;
use crate::log::{ACCESS, FAILED, FILE_TARGET_PREFIX, INFO};
use log4rs::append::Append;
use log4rs::append::rolling_file::RollingFileAppender;
use log4rs::append::rolling_file::policy::compound::CompoundPolicy;
use log4rs::append::rolling_file::policy::compound::roll::fixed_window::FixedWindowRoller;
use log4rs::append::rolling_file::policy::compound::trigger::size::SizeTrigger;
use log4rs::config::{Appender, Config, Logger, Root};
use log4rs::encode::pattern::PatternEncoder;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// Lines waiting for the writer; past this, loggers wait (back-pressure
/// rather than unbounded memory when the disk stalls).
const QUEUE_CAPACITY: usize = 64 * 1024;

enum Message {
    Line { file: usize, line: String },
    Stop,
}

/// Keeps the writer thread alive; dropping it writes every queued line.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    sender: SyncSender<Message>,
    writer: Option<JoinHandle<()>>,
    /// The folder holding the service's log files.
    pub dir: PathBuf,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if self.sender.send(Message::Stop).is_ok()
            && let Some(writer) = self.writer.take()
        {
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
    let (sender, receiver) = sync_channel(QUEUE_CAPACITY);
    let writer = std::thread::Builder::new()
        .name("keel-log-writer".to_owned())
        .spawn(move || write_loop(&receiver, &files))
        .map_err(|e| LogError(format!("cannot start the log writer: {e}")))?;

    let queue = |file: usize, min: log::LevelFilter| {
        Box::new(QueueAppender {
            file,
            min,
            sender: sender.clone(),
        }) as Box<dyn Append>
    };
    let mut builder = Config::builder()
        .appender(Appender::builder().build("info", queue(0, log::LevelFilter::Trace)))
        .appender(Appender::builder().build("failed", queue(1, log::LevelFilter::Trace)))
        // Framework errors (salvo, hyper, tokio tasks) land in failed.log too.
        .appender(Appender::builder().build("errors", queue(1, log::LevelFilter::Error)))
        .logger(
            Logger::builder()
                .appender("info")
                .additive(false)
                .build(INFO, log::LevelFilter::Trace),
        )
        .logger(
            Logger::builder()
                .appender("info")
                .additive(false)
                .build(ACCESS, log::LevelFilter::Trace),
        )
        .logger(
            Logger::builder()
                .appender("failed")
                .additive(false)
                .build(FAILED, log::LevelFilter::Trace),
        )
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
                    .build(format!("{FILE_TARGET_PREFIX}{name}"), log::LevelFilter::Trace),
            );
    }
    let log4rs_config = builder
        .build(
            Root::builder()
                .appender("info")
                .appender("errors")
                .build(config.level.filter()),
        )
        .map_err(|e| LogError(format!("bad logger configuration: {e}")))?;
    log4rs::init_config(log4rs_config).map_err(|e| LogError(format!("cannot install the logger: {e}")))?;
    Ok(LogGuard {
        sender,
        writer: Some(writer),
        dir,
    })
}

fn rolling_file(dir: &Path, name: &str, config: &LogConfig) -> Result<RollingFileAppender, LogError> {
    let path = dir.join(format!("{name}.log"));
    let pattern = dir.join(format!("{name}.{{}}.log"));
    let roller = FixedWindowRoller::builder()
        .base(1)
        .build(&pattern.to_string_lossy(), config.keep.max(1))
        .map_err(|e| LogError(format!("bad rotation pattern for {}: {e}", path.display())))?;
    let policy = CompoundPolicy::new(
        Box::new(SizeTrigger::new(config.max_size_mib.max(1) * 1024 * 1024)),
        Box::new(roller),
    );
    RollingFileAppender::builder()
        .encoder(Box::new(PatternEncoder::new("{m}")))
        .build(&path, Box::new(policy))
        .map_err(|e| LogError(format!("cannot open {}: {e}", path.display())))
}

/// Drains the queue in batches: one appender call (one write) per file per batch.
fn write_loop(receiver: &Receiver<Message>, files: &[RollingFileAppender]) {
    let mut batches: Vec<String> = vec![String::new(); files.len()];
    loop {
        let first = match receiver.recv_timeout(Duration::from_secs(1)) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut stop = false;
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Line { file, line } => {
                    if let Some(batch) = batches.get_mut(file) {
                        batch.push_str(&line);
                    }
                }
                Message::Stop => stop = true,
            }
            // Bound a batch so a flood still reaches the disk steadily.
            next = if batches.iter().map(String::len).sum::<usize>() < 256 * 1024 {
                receiver.try_recv().ok()
            } else {
                None
            };
        }
        for (file, batch) in files.iter().zip(batches.iter_mut()) {
            if !batch.is_empty() {
                let result = file.append(&log::Record::builder().args(format_args!("{batch}")).build());
                if let Err(err) = result {
                    eprintln!("keel: cannot write a log file: {err}");
                }
                batch.clear();
            }
        }
        if stop {
            return;
        }
    }
}

/// Formats a record into a line and queues it for the writer.
#[derive(Debug)]
struct QueueAppender {
    file: usize,
    min: log::LevelFilter,
    sender: SyncSender<Message>,
}

impl Append for QueueAppender {
    fn append(&self, record: &log::Record<'_>) -> anyhow::Result<()> {
        if record.level() > self.min {
            return Ok(());
        }
        let mut line = String::with_capacity(96);
        let now = time::OffsetDateTime::now_utc();
        let (h, m, s) = now.to_hms();
        let _ = write!(
            line,
            "{}T{h:02}:{m:02}:{s:02}.{:03}Z {:<5} ",
            now.date(),
            now.millisecond(),
            record.level()
        );
        // The MultLogger targets are the file names already; show the
        // source module for everything else (salvo, hyper, …).
        let target = record.target();
        if ![INFO, FAILED, ACCESS].contains(&target) && !target.starts_with(FILE_TARGET_PREFIX) {
            let _ = write!(line, "{target}: ");
        }
        let _ = writeln!(line, "{}", record.args());
        // After `LogGuard` is dropped the writer is gone and lines are dropped.
        let _ = self.sender.send(Message::Line {
            file: self.file,
            line,
        });
        Ok(())
    }

    fn flush(&self) {}
}
