//! Messages built during const evaluation: cross-item checks (route
//! conflicts, table prefixes) run as `const` items and fail `cargo check`
//! with the text they build here.

pub(crate) const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A fixed buffer of text; `fail` panics with it (at compile time).
pub(crate) struct Message {
    buf: [u8; 1024],
    len: usize,
}

impl Message {
    pub(crate) const fn new() -> Message {
        Message { buf: [0; 1024], len: 0 }
    }

    pub(crate) const fn push(&mut self, text: &str) -> &mut Message {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < self.buf.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    pub(crate) const fn fail(&self) -> ! {
        let (text, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(text) {
            Ok(text) => panic!("{}", text),
            Err(_) => panic!("keel: a compile-time check failed"),
        }
    }
}
