//! The lines a test process sends to `failed.log` (log target `FAILED`),
//! captured in memory: in-process apps write no log files.

use std::sync::Mutex;

struct FailedLines(Mutex<Vec<String>>);

impl log::Log for FailedLines {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == keel::logging::FAILED
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

static FAILED: FailedLines = FailedLines(Mutex::new(Vec::new()));

/// Starts capturing (once per process; later calls do nothing).
pub fn capture() {
    let _ = log::set_logger(&FAILED);
    log::set_max_level(log::LevelFilter::Info);
}

/// Every line captured so far.
pub fn lines() -> Vec<String> {
    FAILED.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
}
