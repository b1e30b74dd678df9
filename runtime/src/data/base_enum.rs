//! Integer-valued, labelled enums (seed: `BaseEnum`), derived with
//! `#[derive(keel::BaseEnum)]`.

use salvo::oapi::{self, RefOr, schema::Schema};
use std::fmt;
use std::marker::PhantomData;

/// An enum whose variants are stored and sent as integers and shown by label.
///
/// ```
/// use keel::BaseEnum;
///
/// #[derive(keel::BaseEnum, Clone, Copy, Debug, PartialEq, Eq)]
/// pub enum AccountStatus {
///     #[base_enum(value = 1, label = "active")]
///     Active,
///     #[base_enum(value = 0, label = "disabled")]
///     Disabled,
/// }
///
/// assert_eq!(AccountStatus::Active.value(), 1);
/// assert_eq!(AccountStatus::Disabled.label(), "disabled");
/// assert_eq!(AccountStatus::from_value(1), Some(AccountStatus::Active));
/// assert_eq!(serde_json::to_string(&AccountStatus::Active).unwrap(), "1");
/// let err = serde_json::from_str::<AccountStatus>("5").unwrap_err().to_string();
/// assert!(err.contains("expected one of 1 (active), 0 (disabled)"), "{err}");
/// ```
pub trait BaseEnum: Sized + Copy + 'static {
    /// The enum's name.
    const NAME: &'static str;
    /// Every `(value, label)`, in declaration order.
    const CHOICES: &'static [(i64, &'static str)];
    /// The stored and sent value.
    fn value(&self) -> i64;
    /// The variant with `value`, if any.
    fn from_value(value: i64) -> Option<Self>;
    /// The human label.
    fn label(&self) -> &'static str {
        let value = self.value();
        Self::CHOICES.iter().find(|(v, _)| *v == value).map_or("", |(_, label)| label)
    }
    /// "1 (active), 0 (disabled)": the allowed values, for messages.
    fn allowed() -> String {
        Self::CHOICES.iter().map(|(v, l)| format!("{v} ({l})")).collect::<Vec<_>>().join(", ")
    }
}

/// Accepts an integer (JSON) or a string holding one (query strings);
/// anything else is refused naming the allowed values.
#[doc(hidden)]
pub fn deserialize_base_enum<'de, E: BaseEnum, D: serde::Deserializer<'de>>(de: D) -> Result<E, D::Error> {
    struct Visitor<E>(PhantomData<E>);
    impl<E: BaseEnum> Visitor<E> {
        fn pick<Err: serde::de::Error>(value: Option<i64>, shown: &dyn fmt::Display) -> Result<E, Err> {
            value.and_then(E::from_value).ok_or_else(|| {
                Err::custom(format_args!(
                    "invalid value {shown} for {}: expected one of {}",
                    E::NAME,
                    E::allowed()
                ))
            })
        }
    }
    impl<E: BaseEnum> serde::de::Visitor<'_> for Visitor<E> {
        type Value = E;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "one of {}", E::allowed())
        }
        fn visit_i64<Err: serde::de::Error>(self, v: i64) -> Result<E, Err> {
            Self::pick(Some(v), &v)
        }
        fn visit_u64<Err: serde::de::Error>(self, v: u64) -> Result<E, Err> {
            Self::pick(i64::try_from(v).ok(), &v)
        }
        fn visit_str<Err: serde::de::Error>(self, v: &str) -> Result<E, Err> {
            Self::pick(v.trim().parse().ok(), &format_args!("`{v}`"))
        }
        fn visit_f64<Err: serde::de::Error>(self, v: f64) -> Result<E, Err> {
            Self::pick(None, &v)
        }
        fn visit_bool<Err: serde::de::Error>(self, v: bool) -> Result<E, Err> {
            Self::pick(None, &v)
        }
    }
    de.deserialize_any(Visitor(PhantomData))
}

/// An integer schema whose `enum` lists the values and whose description
/// gives each label.
#[doc(hidden)]
pub fn base_enum_schema<E: BaseEnum>() -> RefOr<Schema> {
    let described = E::CHOICES.iter().map(|(v, l)| format!("`{v}` = {l}")).collect::<Vec<_>>().join(", ");
    oapi::Object::with_type(oapi::BasicType::Integer)
        .enum_values(E::CHOICES.iter().map(|(v, _)| *v))
        .description(format!("{}: {described}", E::NAME))
        .into()
}
