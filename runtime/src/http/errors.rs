//! The one place where errors of the lower layers become HTTP answers: a
//! conflict is 409, a backend that cannot be reached 503, anything else
//! 500 with the details kept for `failed.log`.

use crate::cache::CacheError;
use crate::data::db::DbError;
use crate::http::answer::{ApiError, ErrorCode};

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match &err {
            DbError::Conflict(_) => ApiError::new(ErrorCode::Conflict).msg("already exists").with_source(err),
            DbError::Unavailable(_) => {
                ApiError::new(ErrorCode::Unavailable).msg("database unavailable").with_source(err)
            }
            DbError::Other(_) => ApiError::internal(err),
        }
    }
}

impl From<CacheError> for ApiError {
    fn from(err: CacheError) -> Self {
        match err {
            CacheError::Unavailable(_) => {
                ApiError::new(ErrorCode::Unavailable).msg("cache unavailable").with_source(err)
            }
            other => ApiError::internal(other),
        }
    }
}
