//! Shared processing functions (seed: `common/func`).

/// The current time as RFC 3339 in UTC with `Z` and whole seconds, the one
/// time format of every answer (`2026-11-25T10:00:00Z`).
pub fn now_rfc3339() -> String {
    keel::time::now_rfc3339()
}
