#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

pub struct Plain;

keel::uri_router!(SysConf => Plain);

fn main() {}
