//! Transactions: [`Db::begin`] gives a [`Tx`] whose row operations (the
//! same as `Db`'s, in `rows`) run on one connection; commit makes them,
//! dropping it without a commit — an early `?`, a panic — rolls them back.

use crate::data::db::{Db, DbError};
use rbatis::executor::RBatisTxExecutor;

/// One transaction: the row operations of [`Db`] on one connection.
/// [`Tx::commit`] makes the changes; dropped without it — an early `?`, a
/// panic — it rolls back. Cached rows it changed are dropped at commit.
///
/// ```no_run
/// # async fn demo(db: &keel::db::Db) -> Result<(), keel::db::DbError> {
/// let tx = db.begin().await?;
/// // tx.insert(&row).await?; tx.update_where(…).await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
pub struct Tx {
    pub(super) db: Db,
    pub(super) tx: RBatisTxExecutor,
    /// Cache keys of rows changed, dropped from the cache at commit.
    pub(super) touched: std::sync::Mutex<Vec<String>>,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").field("database", &self.db.name()).field("done", &self.tx.done()).finish()
    }
}

impl Db {
    /// Starts a transaction on a connection of its own.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let rb = self.rb.clone();
        let tx = self.guarded(async move { rb.acquire_begin().await }).await?;
        Ok(Tx { db: self.clone(), tx, touched: std::sync::Mutex::new(Vec::new()) })
    }
}

impl Tx {
    /// Makes the changes; drops the rows they touched from the cache.
    pub async fn commit(self) -> Result<(), DbError> {
        let tx = self.tx.clone();
        self.db.guarded(async move { tx.commit().await }).await?;
        let keys =
            std::mem::take(&mut *self.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        if let Some(cache) = &self.db.cache {
            for key in keys {
                let _ = cache.delete(&key).await;
            }
        }
        Ok(())
    }

    /// Undoes the changes now (dropping the transaction does it too).
    pub async fn rollback(self) -> Result<(), DbError> {
        let tx = self.tx.clone();
        self.db.guarded(async move { tx.rollback().await }).await
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.tx.done() {
            return;
        }
        // Not committed: roll back before the connection goes back to the
        // pool (it holds a clone of the connection until then).
        let tx = self.tx.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = tx.rollback().await;
            });
        }
    }
}
