//! Cache models (seed: `rc_model/`); they arrive with `#[keel::cache]` (the cache issue).
