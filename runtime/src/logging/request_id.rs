//! Request ids: taken from `X-Request-Id` when sane, generated otherwise,
//! echoed in the response header and in every envelope.

use salvo::http::HeaderValue;
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The header a request id arrives in and is echoed back in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served, kept in the depot.
///
/// Held as the header value it is echoed in: a client's sane id is copied
/// once, a generated one is built once, and cloning either (for the
/// response header, for `ctx`) allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only sane ids (ASCII) are ever held.
        std::str::from_utf8(self.0.as_bytes()).unwrap_or("-")
    }

    /// The id's bytes (ASCII), without the check `as_str` makes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The id as the `X-Request-Id` header value.
    pub(crate) fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }

    /// A client's id if it is sane (≤ 64 chars of `[A-Za-z0-9._-]`), so it
    /// cannot inject into logs or headers; a fresh one otherwise.
    pub(crate) fn from_header(value: Option<&HeaderValue>) -> RequestId {
        match value {
            // Copied, not shared: the request's header value is a slice of
            // the connection's read buffer, which a `ctx` kept by a spawned
            // task would otherwise hold on to whole.
            Some(v) if is_sane(v.as_bytes()) => {
                RequestId(HeaderValue::from_bytes(v.as_bytes()).unwrap_or_else(|_| v.clone()))
            }
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
        let mut id = [0u8; 24];
        put_hex(&mut id[..8], u64::from(prefix as u32));
        put_hex(&mut id[8..], n);
        // Owned by a refcounted `Bytes` from the start: cloning it into the
        // response header is a count, where a copied slice would allocate
        // again on its first clone. Hex digits are always a valid value.
        RequestId(
            HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(id))
                .unwrap_or(HeaderValue::from_static("-")),
        )
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `value`'s low `out.len()` hex digits, lower-case, zero-padded (no
/// formatter: this runs on every request).
fn put_hex(out: &mut [u8], value: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = out.len();
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = (digits - 1 - i) * 4;
        *slot = HEX[((value >> shift) & 0xf) as usize];
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
            assert_eq!(RequestId::from_header(Some(&HeaderValue::from_str(ok).unwrap())).as_str(), ok);
        }
        for bad in ["", "a b", "a\nb", "é", &"x".repeat(65), "a;b"] {
            let value = HeaderValue::from_bytes(bad.as_bytes()).ok();
            let id = RequestId::from_header(value.as_ref());
            assert_ne!(id.as_str(), bad);
            assert_eq!(id.as_str().len(), 24);
            assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
    }

    #[test]
    fn generated_ids_differ() {
        assert_ne!(RequestId::generate(), RequestId::generate());
    }
}
