// Cache keys follow the table naming rule; key parameters are fields.

#[keel::cache(prefix = "Sys", name = "token")]
pub struct BadPrefix {
    pub token: String,
}

#[keel::cache(prefix = "sys", name = "Token__Entry")]
pub struct BadName {
    pub token: String,
}

#[keel::cache(prefix = "sys", key = "{tokn}")]
pub struct Token {
    pub token: String,
}

#[keel::cache(prefix = "sys", key = "{token}/{token}")]
pub struct Slash {
    pub token: String,
}

#[keel::cache(prefix = "sys", name = "session", ttl = 0)]
pub struct NoTtl {
    pub token: String,
}

fn main() {}
