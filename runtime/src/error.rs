//! The error type of code that runs outside a request — jobs, scripts, boot
//! hooks, health checks — so `?` works on any error they meet.

/// Any error, boxed: database, cache, I/O, or a message (`"…".into()`).
///
/// ```
/// fn setting(text: &str) -> Result<u32, keel::BoxError> {
///     Ok(text.parse::<u32>()?)
/// }
/// assert!(setting("x").is_err());
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
