//! Table models (seed: `db_model/main.py`, `others.py`, `MODEL_LIST`).

pub mod main;
pub mod others;

use crate::SysConf;
use keel::auth::Session;
use keel::jobs::ScriptRun;
use main::{Account, Role};
use others::Login;

// The service's tables in one place (seed: MODEL_LIST); a table whose
// prefix is not `sys` (or the framework's `keel`) stops the build here.
// manage_system issues the tokens, so it owns `keel_session`; its one-off
// scripts are recorded in `keel_script`.
keel::models!(SysConf => Account, Login, Session, ScriptRun, Role);
