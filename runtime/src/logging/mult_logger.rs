//! MultLogger (seed): `ctx.log.info(..)` and `ctx.log.failed(..)`, each line
//! tagged with the service and request id. Records go through the `log`
//! facade under the targets [`INFO`] and [`FAILED`]; the service's logger
//! routes those to `info.log` and `failed.log`.

use super::request_id::RequestId;
use std::fmt::Display;

/// `log` target of lines meant for `info.log`.
pub const INFO: &str = "info";
/// `log` target of the one access line per request (in `info.log`).
pub const ACCESS: &str = "access";
/// `log` target of lines meant for `failed.log`.
pub const FAILED: &str = "failed";
/// Prefix of the `log` target of a named file: `file.audit` → `audit.log`.
pub const FILE_TARGET_PREFIX: &str = "file.";

/// The seed's MultLogger, bound to one request or one job.
#[derive(Clone, Debug)]
pub struct MultLogger {
    service: &'static str,
    tag: Tag,
}

/// What a line is tagged with besides the service.
#[derive(Clone, Debug)]
enum Tag {
    Request(RequestId),
    Job(&'static str),
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tag::Request(id) => id.fmt(f),
            Tag::Job(name) => f.write_str(name),
        }
    }
}

impl MultLogger {
    pub(crate) fn for_request(service: &'static str, request_id: RequestId) -> Self {
        MultLogger { service, tag: Tag::Request(request_id) }
    }

    /// Lines of a job or script, tagged with its name.
    pub(crate) fn for_job(service: &'static str, name: &'static str) -> Self {
        MultLogger { service, tag: Tag::Job(name) }
    }

    /// A line in `info.log`.
    pub fn info(&self, msg: impl Display) {
        log::info!(target: INFO, "[{}] [{}] {msg}", self.service, self.tag);
    }

    /// A line in `failed.log`.
    pub fn failed(&self, msg: impl Display) {
        log::error!(target: FAILED, "[{}] [{}] {msg}", self.service, self.tag);
    }

    /// A line in the named file `logs/<service>/<name>.log`, declared in
    /// `log.files` (seed: a MultLogger file added like info and failed).
    pub fn to(&self, name: &str, msg: impl Display) {
        let target = format!("{FILE_TARGET_PREFIX}{name}");
        log::info!(target: &target, "[{}] [{}] {msg}", self.service, self.tag);
    }
}
