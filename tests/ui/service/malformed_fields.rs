// Every malformed field is reported in one build.
#[keel::service(name = "ManageSystem", id = 0, port = 70000, prefix = "Sys", version = "1.0")]
pub struct SysConf;

#[keel::service(name = "guidance", id = 2, port = 8002, prefix = "keel", version = "1.00.00")]
pub struct GuiConf;

fn main() {}
