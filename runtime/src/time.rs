//! The one time format of answers: RFC 3339, UTC, `Z`, whole seconds.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Formats `at` as `2026-11-25T10:00:00Z`.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// The current time as `2026-11-25T10:00:00Z`.
///
/// ```
/// let now = keel::time::now_rfc3339();
/// assert!(now.ends_with('Z') && now.len() == 20, "{now}");
/// ```
pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc())
}
