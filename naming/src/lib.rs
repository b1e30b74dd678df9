#![warn(missing_docs)]

//! keel's naming rules: table names, cache keys, versions, paths, binary,
//! service and script names — used by the macros at compile time and by
//! the runtime at boot, so a rule is written once.
//!
//! Each rule is a pure function over a string that returns the normalized
//! value or a message saying what was found, what the rule is and how to fix
//! it. Macros attach the message to the offending token's span; the unit
//! tests beside each rule pin the accepted and refused spellings.

mod binary;
mod cache_key;
mod ident;
mod path;
mod permission;
mod predicate;
mod script;
mod table;
mod version;

pub use binary::{BinaryKind, check_binary_name};
pub use cache_key::{KeyPart, parse_key_template};
pub use ident::{check_name_part, check_service_name};
pub use path::{ApiPath, check_api_path};
pub use permission::check_permission_name;
pub use predicate::{is_lower_alnum, is_param, is_snake};
pub use script::check_script_name;
pub use table::{MAX_TABLE_NAME, check_table_name, snake_case};
pub use version::check_version;
