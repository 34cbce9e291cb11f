//! The kinds of the bed rules: a guest's gender and a place's category
//! (RULES.md §2), and the macro that gives such a kind its kebab-case
//! text. The rest of the service takes them from here (re-exported by
//! `nattplats::domain`), so the rules import nothing above them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An enum written in kebab case, with `ALL`, `as_str`, `Display` and
/// `FromStr` (an unknown text is an error naming the ones allowed). Where it
/// is used, `fmt`, `FromStr`, `Serialize`, `Deserialize` and the crate
/// `utoipa` must be in scope (the service's `domain` uses it too).
#[doc(hidden)]
#[macro_export]
macro_rules! __kebab_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] #[schema(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "must be one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}
pub use super::__kebab_enum as kebab_enum;

kebab_enum!(
    /// A guest's recorded gender. Only `woman` gives access to women's places.
    Gender { Woman => "woman", Man => "man", Other => "other", Unknown => "unknown" }
);

kebab_enum!(
    /// A place's category (RULES.md §2).
    PlaceCategory { Regular => "regular", Women => "women", Overflow => "overflow" }
);
