#[derive(keel::BaseEnum, Clone, Copy)]
pub enum Kind {
    #[base_enum(value = 1)]
    Plain,
    #[base_enum(value = 2)]
    WithData(u8),
}

#[derive(keel::BaseEnum, Clone, Copy)]
pub struct NotAnEnum;

fn main() {}
