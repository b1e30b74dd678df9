//! Shared cache models (seed: `common/model_rc`). They arrive with `#[keel::cache]` (the cache issue).
