//! The access line — `<time> INFO  <request id> <method> <path> <status>
//! <latency>ms` — and the timestamp every log line starts with.
//!
//! Every request writes one access line, so this path is written for its
//! cost: bytes pushed piece by piece into a reused buffer (no `fmt`, no
//! UTF-8 checks of text that is already known to be text), numbers by
//! hand, and the time of day taken from the monotonic clock reading the
//! frame already made rather than from a clock read of its own.
//! (callgrind counted ~960 instructions per request for the line before:
//! 4 % of a JSON answer.)

use super::{ACCESS, ACCESS_ON, ACCESS_SINK, LINE};
use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

thread_local! {
    /// This thread's wall clock: see [`WallClock`].
    static CLOCK: RefCell<WallClock> = const { RefCell::new(WallClock::new()) };
}

/// Writes the access line of one request to `info.log`. `now` is the
/// monotonic time the request ended at (the caller's latency reading).
///
/// It skips the `log` facade's dispatch and goes straight to the buffer;
/// without an installed keel logger (tests, embedding) it goes through
/// `log` like any other line.
pub(crate) fn access(
    request_id: &[u8],
    method: &str,
    path: &str,
    status: u16,
    elapsed: Duration,
    now: Instant,
) {
    if !ACCESS_ON.load(Ordering::Relaxed) {
        return;
    }
    let path = capped(path);
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    let (ms, frac) = (micros / 1000, micros % 1000);
    match ACCESS_SINK.get() {
        Some(pending) => LINE.with_borrow_mut(|line| {
            line.clear();
            write_timestamp(line, now);
            for piece in [b" INFO  ", request_id, b" ", method.as_bytes(), b" ", path.as_bytes(), b" "] {
                line.extend_from_slice(piece);
            }
            push_decimal(line, u64::from(status), 1);
            line.push(b' ');
            push_decimal(line, ms, 1);
            line.push(b'.');
            push_decimal(line, frac, 3);
            line.extend_from_slice(b"ms\n");
            pending.push(0, line);
        }),
        None => {
            let request_id = std::str::from_utf8(request_id).unwrap_or("-");
            log::info!(target: ACCESS, "{request_id} {method} {path} {status} {ms}.{frac:03}ms");
        }
    }
}

/// `value` in decimal, zero-padded to at least `width` digits (at most 20).
pub(super) fn push_decimal(line: &mut Vec<u8>, mut value: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    while value > 0 || digits.len() - start < width.min(digits.len()) {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    line.extend_from_slice(&digits[start..]);
}

/// Longest path written in an access line: a hostile 60 KB URL costs the
/// log a few hundred bytes, not 60 KB a line.
const ACCESS_PATH_CAP: usize = 256;

/// `path`, cut at [`ACCESS_PATH_CAP`] bytes (on a character boundary) with
/// its full length noted.
pub(crate) fn capped(path: &str) -> std::borrow::Cow<'_, str> {
    if path.len() <= ACCESS_PATH_CAP {
        return std::borrow::Cow::Borrowed(path);
    }
    let mut end = ACCESS_PATH_CAP;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}…({} bytes)", &path[..end], path.len()))
}

/// How long a thread derives the time of day from the monotonic clock
/// before it reads the wall clock again (and so follows a clock step).
const RESYNC: Duration = Duration::from_secs(1);

/// The time of day from monotonic readings: the wall clock is read once
/// per [`RESYNC`] per thread, and in between the time of day is that
/// reading plus the monotonic time since. The two clocks drift apart by
/// microseconds a second at most (NTP slews by ≤ 500 ppm), far below the
/// milliseconds a log line shows. A clock step, or a host resumed from
/// suspend (the monotonic clock does not count the suspended time), shows
/// in the lines at the next resync, within a second.
struct WallClock {
    /// The monotonic and wall readings taken together; none before the first line.
    anchor: Option<(Instant, Duration)>,
    /// The second `text` shows, as seconds since the epoch.
    second: u64,
    /// `2026-11-25T10:00:00`, formatted once a second.
    text: Vec<u8>,
}

impl WallClock {
    const fn new() -> WallClock {
        WallClock { anchor: None, second: u64::MAX, text: Vec::new() }
    }

    /// Time since the epoch at the monotonic time `now`.
    fn since_epoch(&mut self, now: Instant) -> Duration {
        if let Some((at, wall)) = self.anchor
            && let Some(since) = now.checked_duration_since(at)
            && since < RESYNC
        {
            return wall + since;
        }
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        self.anchor = Some((now, wall));
        wall
    }

    /// `2026-11-25T10:00:00` for `secs` since the epoch, UTC.
    fn second_text(&mut self, secs: u64) -> &[u8] {
        if self.second != secs {
            let at = i64::try_from(secs)
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let (h, m, s) = at.to_hms();
            self.text.clear();
            let text = format!("{}T{h:02}:{m:02}:{s:02}", at.date());
            self.text.extend_from_slice(text.as_bytes());
            self.second = secs;
        }
        &self.text
    }
}

/// `2026-11-25T10:00:00.123Z`, UTC, at the monotonic time `now`.
pub(super) fn write_timestamp(line: &mut Vec<u8>, now: Instant) {
    CLOCK.with_borrow_mut(|clock| {
        let since_epoch = clock.since_epoch(now);
        line.extend_from_slice(clock.second_text(since_epoch.as_secs()));
        let millis = since_epoch.subsec_millis();
        line.extend_from_slice(&[
            b'.',
            b'0' + (millis / 100) as u8,
            b'0' + (millis / 10 % 10) as u8,
            b'0' + (millis % 10) as u8,
            b'Z',
        ]);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_zero_padded_to_their_width() {
        for (value, width, text) in [
            (0, 1, "0"),
            (7, 3, "007"),
            (404, 1, "404"),
            (1234, 3, "1234"),
            (u64::MAX, 1, "18446744073709551615"),
        ] {
            let mut line = Vec::new();
            push_decimal(&mut line, value, width);
            assert_eq!(line, text.as_bytes());
        }
    }

    #[test]
    fn long_paths_are_cut_on_a_character_boundary_with_their_length() {
        assert_eq!(capped("/v1/x"), "/v1/x");
        let long = format!("/{}", "é".repeat(300));
        let cut = capped(&long);
        assert!(cut.len() < 300, "{cut}");
        assert!(cut.ends_with(&format!("…({} bytes)", long.len())), "{cut}");
    }

    fn wall_now() -> Duration {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
    }

    /// Between resyncs the time of day is derived from the monotonic
    /// clock; after [`RESYNC`] the wall clock is read again, so a clock
    /// step shows within a second. The text has the documented shape.
    #[test]
    fn timestamps_follow_the_wall_clock() {
        let close = |a: Duration, b: Duration| a.abs_diff(b) < Duration::from_millis(50);
        let mut clock = WallClock::new();
        assert!(close(clock.since_epoch(Instant::now()), wall_now()));

        // Within RESYNC: derived from the anchor, even a wrong one.
        let now = Instant::now();
        let stepped = wall_now() - Duration::from_secs(5);
        clock.anchor = Some((now, stepped));
        let derived = clock.since_epoch(now + Duration::from_millis(400));
        assert_eq!(derived, stepped + Duration::from_millis(400));

        // Past RESYNC: the wall clock again.
        if let Some(long_ago) = now.checked_sub(RESYNC * 2) {
            clock.anchor = Some((long_ago, stepped));
            assert!(close(clock.since_epoch(Instant::now()), wall_now()));
        }

        let mut line = Vec::new();
        write_timestamp(&mut line, Instant::now());
        let text = String::from_utf8(line).unwrap_or_default();
        let shape = text.len() == 24
            && text.ends_with('Z')
            && text.as_bytes()[10] == b'T'
            && text.as_bytes()[19] == b'.'
            && text.as_bytes()[20..23].iter().all(u8::is_ascii_digit);
        assert!(shape, "{text}");
    }
}
