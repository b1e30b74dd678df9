//! Other tables: `sys_records_login` arrives with `#[keel::table]` (the data issue).
