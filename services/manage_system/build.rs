//! Rebuilds the crate when a migration is added to `migrations/manage_system/`:
//! `keel::embed_migrations!` compiles the folder's files in, and cargo
//! tracks the files it included but not new ones.

fn main() {
    println!("cargo::rerun-if-changed=../../migrations/manage_system");
}
