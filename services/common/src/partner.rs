//! Shared tools callable as they are (seed: `common/partner`). Empty until a service needs one.
