//! Request ids: taken from `X-Request-Id` when sane, generated otherwise,
//! echoed in the response header and in every envelope.

use salvo::Depot;
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The header a request id arrives in and is echoed back in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served, kept in the depot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub(crate) String);

impl RequestId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The current request's id, or `-` outside a keel service.
    pub fn of(depot: &Depot) -> &str {
        depot.get_typed::<RequestId>().map_or("-", |id| id.0.as_str())
    }

    /// A client's id if it is sane (≤ 64 chars of `[A-Za-z0-9._-]`), so it
    /// cannot inject into logs or headers; a fresh one otherwise.
    pub(crate) fn from_header(value: Option<&[u8]>) -> RequestId {
        match value {
            Some(v) if is_sane(v) => RequestId(String::from_utf8_lossy(v).into_owned()),
            _ => RequestId::generate(),
        }
    }

    /// 24 hex digits: a random per-process prefix and a counter — unique
    /// without a syscall per request.
    pub(crate) fn generate() -> RequestId {
        static PREFIX: OnceLock<u64> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let prefix = *PREFIX.get_or_init(|| RandomState::new().hash_one(std::process::id()));
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut id = String::with_capacity(24);
        push_hex(&mut id, u64::from(prefix as u32), 8);
        push_hex(&mut id, n, 16);
        RequestId(id)
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `digits` lower-case hex digits of `value`, zero-padded (no formatter: this
/// runs on every request).
fn push_hex(out: &mut String, value: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..digits).rev() {
        out.push(char::from(HEX[((value >> (shift * 4)) & 0xf) as usize]));
    }
}

fn is_sane(v: &[u8]) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_client_ids_are_kept_others_replaced() {
        for ok in ["abc", "A-b_c.9", &"x".repeat(64)] {
            assert_eq!(RequestId::from_header(Some(ok.as_bytes())).0, ok);
        }
        for bad in ["", "a b", "a\nb", "é", &"x".repeat(65), "a;b"] {
            let id = RequestId::from_header(Some(bad.as_bytes()));
            assert_ne!(id.0, bad);
            assert_eq!(id.0.len(), 24);
        }
    }

    #[test]
    fn generated_ids_differ() {
        assert_ne!(RequestId::generate(), RequestId::generate());
    }
}
