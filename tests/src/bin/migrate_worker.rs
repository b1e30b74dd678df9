//! Test helper: `migrate_worker <database-url> <migrations-dir>` applies the
//! pending migrations of service `tst` and prints one line per migration it
//! applied. The migration tests start several at once to prove the lock.

use keel::config::BackendEntry;
use keel::migrate::{apply::Migrator, file::MigrationSet};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, dir] = args.as_slice() else {
        eprintln!("usage: migrate_worker <database-url> <migrations-dir>");
        return ExitCode::from(2);
    };
    let home = std::env::temp_dir();
    let db = match keel::db::Db::connect("default", &BackendEntry::Url(url.clone()), &home).await {
        Ok(db) => db,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let set = match MigrationSet::load(std::path::Path::new(dir)) {
        Ok(set) => set,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    match (Migrator { db: &db, set: &set, service: "tst" }).upgrade(&|line| println!("{line}")).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}
