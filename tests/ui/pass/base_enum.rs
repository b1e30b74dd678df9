use keel::BaseEnum;

#[derive(keel::BaseEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowState {
    #[base_enum(value = 1, label = "active")]
    Active,
    #[base_enum(value = 0)]
    Hidden,
    #[base_enum(value = -1, label = "deleted")]
    Deleted,
}

fn main() {
    assert_eq!(RowState::Deleted.value(), -1);
    assert_eq!(RowState::Hidden.label(), "hidden");
    assert_eq!(RowState::CHOICES, &[(1, "active"), (0, "hidden"), (-1, "deleted")]);
    assert_eq!(RowState::from_value(7), None);
}
