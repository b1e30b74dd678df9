//! Sessions: an opaque random token per login; its SHA-256 keys a row of
//! `keel_session` (so sessions survive a Redis outage or flush) and the
//! cache entry `keel_session:<hash>` with a TTL. The raw token is stored
//! nowhere. Every service sharing the database and cache accepts the
//! tokens any of them issued.

use crate::cache::Cache;
use crate::data::db::{Db, DbError, Filter};
use crate::data::table::Table;
use crate::http::answer::{ApiError, ErrorCode};
use crate::state::Backends;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One login's session (framework table `keel_session`). A
/// service that issues tokens lists it in its `keel::models!`.
#[crate::table(prefix = "keel", name = "session")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// SHA-256 of the token, hex.
    #[column(unique, len = 64)]
    pub token_hash: String,
    /// The account it signs in.
    #[column(index)]
    pub account_id: i64,
    /// The service that issued it.
    #[column(len = 64)]
    pub issued_by: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// Creation time, UTC.
    pub created_at: Option<crate::time::DateTime>,
}

/// What the cache keeps per session.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    account_id: i64,
    expires_at: i64,
}

/// A valid session, as a check found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidSession {
    /// The account.
    pub account_id: i64,
    /// SHA-256 of the token, hex: what logout revokes.
    pub token_hash: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}

/// A freshly issued token: shown to the client once.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// The bearer token (64 hex characters, 256 random bits).
    pub token: String,
    /// Seconds it stays valid.
    pub expires_in: u64,
}

/// Why a token was refused (all 401 to the client).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No `Authorization: Bearer …`.
    #[error("missing bearer token")]
    Missing,
    /// Not 64 hex characters.
    #[error("malformed bearer token")]
    Malformed,
    /// Unknown or revoked.
    #[error("unknown or revoked token")]
    Unknown,
    /// Past its expiry.
    #[error("expired token")]
    Expired,
}

impl From<TokenError> for ApiError {
    fn from(err: TokenError) -> Self {
        let msg = match err {
            TokenError::Missing => "sign in first: send Authorization: Bearer <token>",
            TokenError::Malformed => "malformed token",
            TokenError::Unknown | TokenError::Expired => "invalid or expired token",
        };
        ApiError::new(ErrorCode::Unauthorized).msg(msg)
    }
}

fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// SHA-256 of `token`, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The token from `Authorization: Bearer <token>` (scheme case-insensitive).
pub fn bearer(header: Option<&str>) -> Result<&str, TokenError> {
    let header = header.ok_or(TokenError::Missing)?;
    let (scheme, token) = header.trim().split_once(' ').ok_or(TokenError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(TokenError::Missing);
    }
    let token = token.trim();
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(token)
    } else {
        Err(TokenError::Malformed)
    }
}

/// How long a session stays in the cache before it is read from
/// `keel_session` again, whatever the session's own lifetime: a revocation
/// that never reached the cache (an outage an instance did not see) lives
/// at most this long there.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(300);

fn cache_key(hash: &str) -> String {
    format!("{}:{hash}", Session::CACHE_KEY)
}

/// Session operations over one database and one cache.
#[derive(Clone, Debug)]
pub struct Sessions<'a> {
    db: &'a Db,
    cache: &'a Cache,
    ttl: Duration,
}

impl<'a> Sessions<'a> {
    /// Sessions of `db` cached in `cache`, lasting `ttl`.
    pub fn new(db: &'a Db, cache: &'a Cache, ttl: Duration) -> Sessions<'a> {
        Sessions { db, cache, ttl }
    }

    /// Sessions of a running service — from a handler's `ctx`, a job's
    /// or the state: its `default` database and cache.
    pub fn of(backends: &'a (impl Backends + ?Sized)) -> Result<Sessions<'a>, ApiError> {
        let ttl = Duration::from_secs(backends.config().auth.session_ttl);
        Ok(Sessions::new(backends.db()?, backends.cache(), ttl))
    }

    /// Issues a token for `account_id`: 256 bits from the OS's CSPRNG; its
    /// hash goes to the database and the cache.
    pub async fn issue(&self, account_id: i64, issued_by: &str) -> Result<IssuedToken, ApiError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let hash = token_hash(&token);
        let expires_at = now_unix().saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX));
        let session = Session {
            id: None,
            token_hash: hash.clone(),
            account_id,
            issued_by: issued_by.to_owned(),
            expires_at,
            created_at: Some(crate::time::DateTime::now()),
        };
        self.db.insert(&session).await?;
        let _ = self
            .cache
            .set_json(
                &cache_key(&hash),
                &Entry { account_id, expires_at },
                Some(self.ttl.min(SESSION_CACHE_TTL)),
            )
            .await;
        Ok(IssuedToken { token, expires_in: self.ttl.as_secs() })
    }

    /// Checks a token: the cache first, the database behind it (so checks
    /// keep working while Redis is away).
    pub async fn check(&self, token: &str) -> Result<Result<ValidSession, TokenError>, DbError> {
        let hash = token_hash(token);
        let key = cache_key(&hash);
        let now = now_unix();
        if self.cache.is_available()
            && let Ok(Some(entry)) = self.cache.get_json::<Entry>(&key).await
        {
            return Ok(if entry.expires_at <= now {
                Err(TokenError::Expired)
            } else {
                Ok(ValidSession {
                    account_id: entry.account_id,
                    token_hash: hash,
                    expires_at: entry.expires_at,
                })
            });
        }
        let row = match self.db.first(&Filter::new().eq(Session::TOKEN_HASH, hash.as_str())).await {
            Ok(row) => row,
            // A database that holds no sessions knows no token: 401, and
            // one line saying where tokens should be checked.
            Err(err) if err.is_missing_table() => {
                no_sessions_here(self.db.name());
                None
            }
            Err(err) => return Err(err),
        };
        let Some(row) = row else { return Ok(Err(TokenError::Unknown)) };
        if row.expires_at <= now {
            self.db.delete_where::<Session>(&Filter::new().eq(Session::TOKEN_HASH, hash.as_str())).await?;
            return Ok(Err(TokenError::Expired));
        }
        let left = Duration::from_secs(u64::try_from(row.expires_at - now).unwrap_or(1));
        let entry = Entry { account_id: row.account_id, expires_at: row.expires_at };
        if self.cache.is_available() {
            let _ = self.cache.set_json(&key, &entry, Some(left.min(SESSION_CACHE_TTL))).await;
        }
        Ok(Ok(ValidSession { account_id: row.account_id, token_hash: hash, expires_at: row.expires_at }))
    }

    /// Revokes one session (logout): database and cache.
    pub async fn revoke(&self, token_hash: &str) -> Result<(), DbError> {
        self.db.delete_where::<Session>(&Filter::new().eq(Session::TOKEN_HASH, token_hash)).await?;
        // An unreachable cache remembers the key and drops it on recovery.
        let _ = self.cache.delete(&cache_key(token_hash)).await;
        Ok(())
    }

    /// Revokes every session of an account (disabled, new password).
    pub async fn revoke_account(&self, account_id: i64) -> Result<usize, DbError> {
        let rows = self.db.select::<Session>(&Filter::new().eq(Session::ACCOUNT_ID, account_id)).await?;
        self.db.delete_where::<Session>(&Filter::new().eq(Session::ACCOUNT_ID, account_id)).await?;
        for row in &rows {
            let _ = self.cache.delete(&cache_key(&row.token_hash)).await;
        }
        Ok(rows.len())
    }
}

/// Logs once per process that database `name` has no sessions table: every
/// token is then unknown (401) until `database.default` points at the
/// database of the service that issues tokens.
fn no_sessions_here(name: &str) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        log::warn!(
            target: crate::logging::FAILED,
            "database `{name}` has no `{}` table, so no token can be valid here: point database.{name} at the database of the service that issues tokens (e.g. manage_system's)",
            <Session as crate::data::table::Table>::TABLE
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_headers() {
        let token = "ab".repeat(32);
        assert_eq!(bearer(Some(&format!("Bearer {token}"))), Ok(token.as_str()));
        assert_eq!(bearer(Some(&format!("bearer  {token} "))), Ok(token.as_str()));
        assert_eq!(bearer(None), Err(TokenError::Missing));
        assert_eq!(bearer(Some(&format!("Basic {token}"))), Err(TokenError::Missing));
        assert_eq!(bearer(Some("Bearer")), Err(TokenError::Malformed));
        assert_eq!(bearer(Some("Bearer xyz")), Err(TokenError::Malformed));
        assert_eq!(bearer(Some(&format!("Bearer {}", "zz".repeat(32)))), Err(TokenError::Malformed));
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
