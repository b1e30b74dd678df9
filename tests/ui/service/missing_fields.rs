#[keel::service(name = "manage_system", id = 1)]
pub struct SysConf;

fn main() {}
