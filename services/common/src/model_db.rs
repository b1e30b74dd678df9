//! Abstract table models shared by services (seed: `common/model_db`): column sets with no table and no prefix. They arrive with `#[keel::table]` (the data issue).
