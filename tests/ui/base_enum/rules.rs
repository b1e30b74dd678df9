// Every broken rule of one enum is reported in one build.
#[derive(keel::BaseEnum, Clone, Copy)]
pub enum AccountStatus {
    #[base_enum(value = 1, label = "active")]
    Active,
    #[base_enum(value = 1, label = "enabled")]
    Enabled,
    #[base_enum(value = 2, label = "active")]
    Reactivated,
    Disabled,
    #[base_enum(value = 3, lable = "locked")]
    Locked,
}

fn main() {}
