//! Main tables: `sys_account` arrives with `#[keel::table]` (the data issue).
