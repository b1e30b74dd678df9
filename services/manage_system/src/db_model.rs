//! Table models (seed: `db_model/main.py`, `others.py`, `MODEL_LIST`).

pub mod main;
pub mod others;

use crate::SysConf;
use main::Account;
use others::Login;

// The service's tables in one place (seed: MODEL_LIST); a table whose
// prefix is not `sys` stops the build here.
keel::models!(SysConf => Account, Login);
