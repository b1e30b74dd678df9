// The folder is read at compile time: a wrong path is a build error, not
// a binary that finds no migrations once deployed.
const FILES: &[(&str, &str)] = keel::embed_migrations!("no/such/migrations");

fn main() {
    let _ = FILES;
}
