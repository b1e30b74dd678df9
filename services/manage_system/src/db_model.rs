//! Table models (seed: `db_model/main.py`, `others.py`, `MODEL_LIST`).

pub mod main;
pub mod others;
