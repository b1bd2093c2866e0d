//! Wire names of enums, written once.
//!
//! [`wire_enum!`](crate::wire_enum) takes one list of `Variant => "name"` and
//! makes from it the enum, `ALL`, `as_str`, and serde and OpenAPI impls that
//! read the same list, so the names in JSON, in the database, in URLs and in
//! the published schema cannot drift apart. A `parse` with the field's error
//! is made too when asked for.
//!
//! Serde reads and writes exactly what a derived impl would (the same visitor
//! calls and the same error texts, `unknown variant `x`, expected one of …`),
//! so API answers to a wrong value are unchanged.

use crate::error::{Error, Result};
use serde::de::{self, Deserializer, EnumAccess, Unexpected, VariantAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

#[doc(hidden)]
pub use serde as __serde;
#[doc(hidden)]
pub use utoipa as __utoipa;

/// An enum whose values have fixed wire names; implemented by
/// [`wire_enum!`](crate::wire_enum).
pub trait Wire: Copy + Eq + fmt::Debug + 'static {
    /// The Rust name, which serde reports in its errors.
    const NAME: &'static str;
    /// Every value, in declaration order.
    const VALUES: &'static [Self];
    /// The wire names, in the same order.
    const NAMES: &'static [&'static str];

    fn as_str(self) -> &'static str;

    /// The value of an exact wire name.
    fn from_wire(s: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .position(|n| *n == s)
            .map(|i| Self::VALUES[i])
    }
}

/// How `parse` reads a value typed by a person and words its error:
/// `未知的{zh}“{s}”` / `unknown {en} '{s}'`, with the choices listed or not.
#[derive(Clone, Copy)]
pub struct Noun<T> {
    field: &'static str,
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    label_zh: Option<fn(T) -> &'static str>,
    /// The Chinese error lists the labels when there are any, else the wire names.
    zh_choices: bool,
    en_choices: bool,
    trim: bool,
}

impl<T: Wire> Noun<T> {
    /// Only the wire names are accepted, and the error lists no choices.
    pub fn new(
        field: &'static str,
        code: &'static str,
        zh: &'static str,
        en: &'static str,
    ) -> Self {
        Noun {
            field,
            code,
            zh,
            en,
            label_zh: None,
            zh_choices: false,
            en_choices: false,
            trim: false,
        }
    }

    /// The English error lists the wire names.
    pub fn listed_in_english(self) -> Self {
        Noun {
            en_choices: true,
            ..self
        }
    }

    /// Both errors list the wire names.
    pub fn listed(self) -> Self {
        Noun {
            zh_choices: true,
            en_choices: true,
            ..self
        }
    }

    /// The Chinese labels are accepted too, as spreadsheets use either.
    pub fn or_label(self, label_zh: fn(T) -> &'static str) -> Self {
        Noun {
            label_zh: Some(label_zh),
            ..self
        }
    }

    /// Accepts labels, and the errors list them in Chinese and the wire names in English.
    pub fn listed_by_label(self, label_zh: fn(T) -> &'static str) -> Self {
        Noun {
            label_zh: Some(label_zh),
            zh_choices: true,
            en_choices: true,
            ..self
        }
    }

    /// Surrounding blanks are ignored.
    pub fn trimmed(self) -> Self {
        Noun { trim: true, ..self }
    }

    pub fn parse(&self, s: &str) -> Result<T> {
        let s = if self.trim { s.trim() } else { s };
        T::from_wire(s)
            .or_else(|| {
                let label = self.label_zh?;
                T::VALUES.iter().copied().find(|v| label(*v) == s)
            })
            .ok_or_else(|| self.error(s))
    }

    fn error(&self, s: &str) -> Error {
        let mut zh = format!("未知的{}“{s}”", self.zh);
        if self.zh_choices {
            let choices: Vec<&str> = match self.label_zh {
                Some(label) => T::VALUES.iter().map(|v| label(*v)).collect(),
                None => T::NAMES.to_vec(),
            };
            zh.push_str(",可选:");
            zh.push_str(&choices.join("、"));
        }
        let mut en = format!("unknown {} '{s}'", self.en);
        if self.en_choices {
            en.push_str("; one of ");
            en.push_str(&T::NAMES.join(", "));
        }
        Error::invalid(self.field, self.code, zh, en)
    }
}

/// What a derived `Serialize` does for a unit variant.
pub fn serialize<T: Wire, S: serde::Serializer>(v: T, s: S) -> Result<S::Ok, S::Error> {
    let index = T::VALUES.iter().position(|x| *x == v).unwrap_or(0);
    s.serialize_unit_variant(T::NAME, index as u32, v.as_str())
}

/// What a derived `Deserialize` does for an enum of unit variants: the same
/// calls on the deserializer, so every format and every error reads as before.
pub fn deserialize<'de, T: Wire, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_enum(T::NAME, T::NAMES, EnumVisitor(PhantomData))
}

struct EnumVisitor<T>(PhantomData<T>);

impl<'de, T: Wire> Visitor<'de> for EnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "enum {}", T::NAME)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<T, A::Error> {
        let (Variant(v), access) = data.variant::<Variant<T>>()?;
        access.unit_variant()?;
        Ok(v)
    }
}

struct Variant<T>(T);

impl<'de, T: Wire> serde::Deserialize<'de> for Variant<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(VariantVisitor(PhantomData))
    }
}

struct VariantVisitor<T>(PhantomData<T>);

/// "variant index 0 <= i < N", as serde words a wrong index.
struct IndexRange(usize);

impl de::Expected for IndexRange {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "variant index 0 <= i < {}", self.0)
    }
}

impl<'de, T: Wire> Visitor<'de> for VariantVisitor<T> {
    type Value = Variant<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Variant<T>, E> {
        usize::try_from(v)
            .ok()
            .and_then(|i| T::VALUES.get(i))
            .map(|x| Variant(*x))
            .ok_or_else(|| E::invalid_value(Unexpected::Unsigned(v), &IndexRange(T::VALUES.len())))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Variant<T>, E> {
        T::from_wire(v)
            .map(Variant)
            .ok_or_else(|| E::unknown_variant(v, T::NAMES))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Variant<T>, E> {
        let v = String::from_utf8_lossy(v);
        self.visit_str(&v)
    }
}

/// The schema a derived `ToSchema` gives an enum of unit variants: a string
/// with the wire names as its values, described by the enum's doc comment.
pub fn schema<T: Wire>(doc: &[&str]) -> RefOr<Schema> {
    let description = description(doc);
    let object = ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(T::NAMES.iter().copied()))
        .description((!description.is_empty()).then_some(description))
        .build();
    RefOr::T(Schema::Object(object))
}

/// Doc lines joined as utoipa joins them: trailing blanks dropped and the
/// common leading indentation removed.
fn description(doc: &[&str]) -> String {
    let lines: Vec<&str> = doc.iter().map(|l| l.trim_end()).collect();
    let indent = lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An enum of unit variants with one wire name each, and what follows from
/// the list: `ALL`, `as_str`, [`Wire`], `Serialize`, `Deserialize` and
/// `utoipa::ToSchema`. Optionally `parse`, either exact (`parse: exact;`,
/// giving an `Option`) or with the field's error (`parse: Noun::new(…)…;`).
///
/// ```
/// wangge_core::wire_enum! {
///     /// A light's colour.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
///     pub enum Light {
///         Red => "red",
///         Green => "green",
///     }
///     parse: Noun::new("light", "light", "信号灯", "light").listed();
/// }
/// assert_eq!(Light::parse("green"), Ok(Light::Green));
/// assert_eq!(Light::ALL, [Light::Red, Light::Green]);
/// ```
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[doc = $doc:literal])*
        #[derive($($derive:path),* $(,)?)]
        $(#[schema(as = $schema:ident)])?
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident => $wire:literal
            ),+ $(,)?
        }
        $(parse: $($parse:tt)+)?
    ) => {
        $(#[doc = $doc])*
        #[derive($($derive),*)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
        }

        impl $name {
            pub const ALL: [$name; 0 $(+ $crate::__wire_one!($variant))+] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }
        }

        impl $crate::wire::Wire for $name {
            const NAME: &'static str = stringify!($name);
            const VALUES: &'static [$name] = &$name::ALL;
            const NAMES: &'static [&'static str] = &[$($wire),+];

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl $crate::wire::__serde::Serialize for $name {
            fn serialize<S: $crate::wire::__serde::Serializer>(
                &self,
                s: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::wire::serialize(*self, s)
            }
        }

        impl<'de> $crate::wire::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::wire::__serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::wire::deserialize(d)
            }
        }

        impl $crate::wire::__utoipa::__dev::ComposeSchema for $name {
            fn compose(
                _: ::std::vec::Vec<
                    $crate::wire::__utoipa::openapi::RefOr<
                        $crate::wire::__utoipa::openapi::schema::Schema,
                    >,
                >,
            ) -> $crate::wire::__utoipa::openapi::RefOr<
                $crate::wire::__utoipa::openapi::schema::Schema,
            > {
                $crate::wire::schema::<$name>(&[$($doc),*])
            }
        }

        impl $crate::wire::__utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                // The name given with `#[schema(as = …)]`, else the enum's own.
                ::std::borrow::Cow::Borrowed($crate::__wire_first!($($schema)? $name))
            }
        }

        $($crate::__wire_parse!($name; $($parse)+);)?
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __wire_one {
    ($v:ident) => {
        1
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __wire_first {
    ($first:ident $($rest:ident)*) => {
        stringify!($first)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __wire_parse {
    ($name:ident; exact;) => {
        impl $name {
            pub fn parse(s: &str) -> ::std::option::Option<$name> {
                <$name as $crate::wire::Wire>::from_wire(s)
            }
        }
    };
    ($name:ident; $noun:expr;) => {
        impl $name {
            pub fn parse(s: &str) -> $crate::Result<$name> {
                #[allow(unused_imports)]
                use $crate::wire::Noun;
                let noun: $crate::wire::Noun<$name> = $noun;
                noun.parse(s)
            }
        }
    };
}
