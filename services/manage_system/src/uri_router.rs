//! Every handler of the service, in one list (seed: `uri_router.py`).
//! Two handlers on the same verb + version + path stop the build.

use crate::SysConf;
use crate::interface::test::TestHandler;

keel::uri_router!(SysConf => TestHandler);
