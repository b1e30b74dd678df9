//! Scripts (seed: `script/`): jobs on a cron schedule (with a seconds
//! field) inside the service process, and one-off scripts run from the
//! command line.
//!
//! - **Jobs** (`App::job`): with several instances sharing Redis, each tick
//!   runs exactly once across them. The lock's key names the job and the
//!   tick (`keel_job:<service>:<job>:<unix second>`), is taken with
//!   `SET NX` and expires on its own — never released, so an instance that
//!   wakes late cannot take a tick that already ran. A failed or panicking
//!   run is logged to `failed.log`; the next tick runs as usual. While the
//!   cache is unreachable a tick is skipped (and logged) rather than risk
//!   running it on every instance. `[jobs] <name> = "<cron>"` overrides a
//!   schedule; `"off"` disables the job.
//! - **Scripts** (`App::script`, `<binary> script <name>`, `script --list`):
//!   the seed's naming holds — a one-off `script_…` is recorded in
//!   `keel_script` when it has run and refuses to run twice; a reusable
//!   `rescript_…` runs whenever asked.

use crate::error::BoxError;
use crate::logging::MultLogger;
use crate::state::{AppState, Backends};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
pub(crate) use keel_naming::check_script_name;
use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// What a job or script gets: the backends (through [`Backends`]), the
/// tick and a logger.
#[derive(Clone, Debug)]
pub struct JobCtx {
    state: Arc<AppState>,
    /// The tick being run, Unix seconds (0 for a script run by hand).
    pub tick: i64,
    /// `log.info(..)` / `log.failed(..)`, tagged with the job's name.
    pub log: MultLogger,
}

impl Backends for JobCtx {
    fn state(&self) -> &AppState {
        &self.state
    }
}

pub(crate) type RunFn = Arc<dyn Fn(JobCtx) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// A scheduled job as declared.
#[derive(Clone)]
pub(crate) struct JobDecl {
    pub(crate) name: &'static str,
    pub(crate) schedule: &'static str,
    pub(crate) run: RunFn,
}

/// A script run by hand.
#[derive(Clone)]
pub(crate) struct ScriptDecl {
    pub(crate) name: &'static str,
    pub(crate) run: RunFn,
}

/// One run of a one-off script (framework table `keel_script`).
#[crate::table(prefix = "keel", name = "script")]
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ScriptRun {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// The service that ran it.
    #[column(len = 64)]
    pub service: String,
    /// The script's name (`script_…`).
    #[column(index, len = 128)]
    pub name: String,
    /// When it finished, UTC.
    pub ran_at: Option<crate::time::DateTime>,
}

/// A job's schedule: `[jobs] <name>` from the configuration, else the
/// declared one; `None` when configured `off`.
pub(crate) fn parse_schedule(
    job: &JobDecl,
    configured: Option<&str>,
) -> Result<Option<cron::Schedule>, String> {
    let text = configured.unwrap_or(job.schedule).trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    // The parser's own message spans lines (the text and a caret): one
    // line naming the job, the text and the expected shape says more.
    cron::Schedule::from_str(text).map(Some).map_err(|_| {
        format!(
            "job `{}`: schedule `{text}` is not a cron expression with seconds (sec min hour day month weekday, e.g. `0 */5 * * * *`)",
            job.name
        )
    })
}

/// Runs `job` on `schedule` until the task is aborted.
pub(crate) async fn run_schedule(job: JobDecl, schedule: cron::Schedule, state: Arc<AppState>) {
    let service = state.service().name;
    loop {
        let mut upcoming = schedule.upcoming(chrono::Utc);
        let Some(next) = upcoming.next() else { return };
        // Locks outlive the job's period tenfold (a minute at least, a day
        // at most): a late instance finds the tick taken.
        let period = upcoming.next().map_or(Duration::from_secs(60), |after| {
            (after - next).to_std().unwrap_or(Duration::from_secs(60))
        });
        let lock_ttl = (period * 10).clamp(Duration::from_secs(60), Duration::from_secs(86_400));
        let wait = (next - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::time::sleep(wait).await;
        let tick = next.timestamp();
        let key = format!("keel_job:{service}:{}:{tick}", job.name);
        match state.cache().set_nx(&key, b"1", lock_ttl).await {
            Ok(true) => run_once(&job, &state, tick).await,
            Ok(false) => {
                log::debug!(target: crate::logging::INFO, "job `{}` tick {tick} taken by another instance", job.name)
            }
            Err(err) => {
                crate::metrics::metrics().job_run(job.name, crate::metrics::JobOutcome::Skipped);
                log::warn!(target: crate::logging::FAILED, "job `{}` skipped tick {tick}: no lock ({err})", job.name)
            }
        }
    }
}

async fn run_once(job: &JobDecl, state: &Arc<AppState>, tick: i64) {
    let log = MultLogger::for_job(state.service().name, job.name);
    let ctx = JobCtx { state: Arc::clone(state), tick, log };
    let started = std::time::Instant::now();
    let outcome = AssertUnwindSafe((job.run)(ctx)).catch_unwind().await;
    let ms = started.elapsed().as_millis();
    let counted = match &outcome {
        Ok(Ok(())) => crate::metrics::JobOutcome::Ok,
        Ok(Err(_)) => crate::metrics::JobOutcome::Failed,
        Err(_) => crate::metrics::JobOutcome::Panicked,
    };
    crate::metrics::metrics().job_run(job.name, counted);
    match outcome {
        Ok(Ok(())) => {
            log::info!(target: crate::logging::INFO, "job `{}` ran (tick {tick}) in {ms} ms", job.name)
        }
        Ok(Err(err)) => {
            log::error!(target: crate::logging::FAILED, "job `{}` failed (tick {tick}) after {ms} ms: {err}", job.name)
        }
        Err(_) => {
            log::error!(target: crate::logging::FAILED, "job `{}` panicked (tick {tick}) after {ms} ms", job.name)
        }
    }
}

/// Runs script `name` by hand: a one-off `script_…` only if it has not run
/// before, then records it.
pub(crate) async fn run_script(script: &ScriptDecl, state: Arc<AppState>) -> Result<String, String> {
    let once = check_script_name(script.name)?;
    let service = state.service().name;
    if once {
        let db = state
            .db()
            .map_err(|_| "one-off scripts are recorded in the default database; the service has none")?;
        let filter =
            crate::data::db::Filter::new().eq(ScriptRun::SERVICE, service).eq(ScriptRun::NAME, script.name);
        let runs = db.select::<ScriptRun>(&filter).await.map_err(|e| e.to_string())?;
        if let Some(run) = runs.first() {
            return Err(format!(
                "script `{}` already ran (at {}); a one-off script runs once — a repeatable one is named `rescript_…`",
                script.name,
                run.ran_at.map_or_else(|| "an unknown time".to_owned(), |t| t.to_string())
            ));
        }
    }
    let log = MultLogger::for_job(service, script.name);
    let ctx = JobCtx { state: Arc::clone(&state), tick: 0, log };
    let started = std::time::Instant::now();
    match AssertUnwindSafe((script.run)(ctx)).catch_unwind().await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => return Err(format!("script `{}` failed: {err}", script.name)),
        Err(_) => return Err(format!("script `{}` panicked", script.name)),
    }
    if once && let Ok(db) = state.db() {
        let run = ScriptRun {
            id: None,
            service: service.to_owned(),
            name: script.name.to_owned(),
            ran_at: Some(crate::time::DateTime::now()),
        };
        db.insert(&run)
            .await
            .map_err(|e| format!("script `{}` ran but was not recorded: {e}", script.name))?;
    }
    Ok(format!("script `{}` ran in {} ms", script.name, started.elapsed().as_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_have_seconds_and_can_be_turned_off() {
        let run: RunFn = Arc::new(|_| Box::pin(async { Ok(()) }));
        let job = JobDecl { name: "tick", schedule: "*/1 * * * * *", run };
        assert!(matches!(parse_schedule(&job, None), Ok(Some(_))));
        assert!(matches!(parse_schedule(&job, Some("off")), Ok(None)));
        let err = parse_schedule(&job, Some("*/5 * * * *x")).err().unwrap_or_default();
        assert!(err.contains("job `tick`") && err.contains("sec min hour"), "{err}");
    }
}
