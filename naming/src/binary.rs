/// What a service binary exposes, read from its name (the binary-name rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryKind {
    /// `http_*`: HTTP only.
    Http,
    /// `ws_*`: WebSocket only.
    Ws,
    /// `server_*`: HTTP and WebSocket.
    Server,
    /// `service_*`: no external interface.
    Service,
}

const PREFIXES: [(&str, BinaryKind); 4] = [
    ("http_", BinaryKind::Http),
    ("ws_", BinaryKind::Ws),
    ("server_", BinaryKind::Server),
    ("service_", BinaryKind::Service),
];

/// A service binary's name: `http_` / `ws_` / `server_` / `service_` and a
/// snake_case rest, so operators can tell from `ps` what a process serves.
pub fn check_binary_name(name: &str) -> Result<BinaryKind, String> {
    for (prefix, kind) in PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix) {
            let rest_ok = crate::is_snake(rest);
            return if rest_ok {
                Ok(kind)
            } else {
                Err(format!(
                    "binary `{name}` must be `{prefix}` followed by a snake_case service name, e.g. `{prefix}manage_sys`"
                ))
            };
        }
    }
    let stem = name.split_once('_').map_or(name, |(_, rest)| rest);
    Err(format!(
        "binary `{name}` must start with http_, ws_, server_ or service_ (http_ serves HTTP, ws_ WebSocket, server_ both, service_ nothing external); rename it in Cargo.toml, e.g. `http_{stem}`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_tells_the_kind() {
        let cases = [
            ("http_manage_sys", BinaryKind::Http),
            ("ws_guidance", BinaryKind::Ws),
            ("server_chat2", BinaryKind::Server),
            ("service_cleaner", BinaryKind::Service),
        ];
        for (name, kind) in cases {
            assert_eq!(check_binary_name(name), Ok(kind), "{name}");
        }
    }

    #[test]
    fn other_names_are_refused_with_a_fix() {
        let cases = [
            ("api_manage_sys", "http_manage_sys"),
            ("manage", "http_manage"),
            ("http_", "http_manage_sys"),
            ("http_Manage", "http_manage_sys"),
            ("ws-guidance", "http_ws-guidance"),
            ("trybuild000", "http_trybuild000"),
        ];
        for (bad, fix) in cases {
            let err = check_binary_name(bad).expect_err(bad);
            assert!(err.contains(&format!("`{bad}`")) && err.contains(fix), "{err}");
        }
    }
}
