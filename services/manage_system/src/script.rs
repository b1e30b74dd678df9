//! Scheduled and one-off scripts (seed: `script/`); they arrive with the scripts issue.
