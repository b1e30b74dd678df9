//! Base types services extend (seed: `common/libs`). Empty until a service needs one.
