//! The one time format of answers: RFC 3339, UTC, `Z`, whole seconds; and
//! the runtime's lazy time limit, [`poll_within`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The timer of [`poll_within`]: none until the work first has to wait.
/// Boxed, so that a future holding one is not larger by a `Sleep` for the
/// common case that never makes it.
pub(crate) type LazyTimer = Option<Pin<Box<tokio::time::Sleep>>>;

/// Polls `work`; ready with none when the timer fires first (the caller
/// then drops `work`, which cancels it at the `.await` it waits on).
///
/// The timer is made, by `start`, only once `work` returns `Pending`. Most
/// work limited this way is done on its first poll — a request's answer
/// computed at once, a WebSocket frame written into a buffer — and
/// `tokio::time::timeout` around each of them (a timer entry, a clone of
/// the runtime's handle) cost about 1 % of the cheapest request
/// (`bench/together.sh`, the request deadline on against off). A function
/// polled from the caller's own future, not a future of its own: no extra
/// layer of state machine on every request.
pub(crate) fn poll_within<F: Future>(
    work: Pin<&mut F>,
    timer: &mut LazyTimer,
    start: impl FnOnce() -> tokio::time::Sleep,
    cx: &mut Context<'_>,
) -> Poll<Option<F::Output>> {
    if let Poll::Ready(out) = work.poll(cx) {
        return Poll::Ready(Some(out));
    }
    timer.get_or_insert_with(|| Box::pin(start())).as_mut().poll(cx).map(|()| None)
}

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

/// A point in time, UTC; sent and received as RFC 3339 with `Z`
/// (`2026-11-25T10:00:00Z`, whole seconds), stored in the database's own
/// time type: `DATETIME(6)` on MySQL (UTC wall clock), `TIMESTAMPTZ` on
/// PostgreSQL, RFC 3339 text on SQLite (fixed width, so it sorts and
/// compares in time order).
///
/// ```
/// let at: keel::time::DateTime = serde_json::from_str("\"2026-11-25T10:00:00+02:00\"").unwrap();
/// assert_eq!(serde_json::to_string(&at).unwrap(), "\"2026-11-25T08:00:00Z\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub OffsetDateTime);

impl DateTime {
    /// Now, UTC.
    pub fn now() -> DateTime {
        DateTime(OffsetDateTime::now_utc())
    }
}

impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&rfc3339(self.0))
    }
}

/// The name the database drivers give their date-time values: a row
/// serialized for a statement carries the time as this newtype, which
/// each driver binds as its native time type.
pub(crate) const DRIVER_NAME: &str = "DateTime";

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // JSON sees the text (a newtype is transparent there); the database
        // drivers see their own date-time type.
        serializer.serialize_newtype_struct(DRIVER_NAME, &rfc3339(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse(&text).map_err(|err| {
            serde::de::Error::custom(format_args!(
                "`{text}` is not an RFC 3339 time ({err}), e.g. `2026-11-25T10:00:00Z`"
            ))
        })
    }
}

/// RFC 3339, any offset; the instant is kept, in UTC. (The drivers hand
/// back their times in this form too: MySQL's wall clock is read at
/// offset 0, see `Db::connect`.)
fn parse(text: &str) -> Result<DateTime, time::error::Parse> {
    OffsetDateTime::parse(text, &Rfc3339).map(|at| DateTime(at.to_offset(time::UtcOffset::UTC)))
}

impl salvo::oapi::ComposeSchema for DateTime {
    fn compose(
        _: &mut salvo::oapi::Components,
        _: Vec<salvo::oapi::RefOr<salvo::oapi::schema::Schema>>,
    ) -> salvo::oapi::RefOr<salvo::oapi::schema::Schema> {
        salvo::oapi::Object::with_type(salvo::oapi::BasicType::String)
            .format(salvo::oapi::SchemaFormat::KnownFormat(salvo::oapi::KnownFormat::DateTime))
            .into()
    }
}

impl salvo::oapi::ToSchema for DateTime {
    fn to_schema(
        components: &mut salvo::oapi::Components,
    ) -> salvo::oapi::RefOr<salvo::oapi::schema::Schema> {
        <Self as salvo::oapi::ComposeSchema>::compose(components, Vec::new())
    }
}
