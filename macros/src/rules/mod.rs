//! Naming rules shared by every macro.
//!
//! Each rule is a pure function over a string that returns the normalized
//! value or a message saying what was found, what the rule is and how to fix
//! it. Macros attach the message to the offending token's span; the unit
//! tests beside each rule pin the accepted and refused spellings.

mod binary;
mod cache_key;
mod ident;
mod path;
mod table;
mod version;

pub(crate) use binary::{BinaryKind, check_binary_name};
pub(crate) use cache_key::{KeyPart, parse_key_template};
pub(crate) use ident::{check_name_part, check_service_name};
pub(crate) use path::{ApiPath, check_api_path};
pub(crate) use table::{MAX_TABLE_NAME, check_table_name, snake_case};
pub(crate) use version::check_version;
