// trybuild names every binary `trybuild000…`; `bin_name` stands in for
// Cargo's CARGO_BIN_NAME here.
#[keel::main(bin_name = "api_manage_sys")]
async fn main() {}
