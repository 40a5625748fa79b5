//! The pure core: states, rules and vocabularies. Nothing here does IO or reads the clock;
//! callers pass `now` in. Nothing here imports from `store`, `http`, `mail` or `jobs`.
/// Generates a closed vocabulary enum with `as_str`, `parse` and `ALL`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Result<$name, String> {
                let wanted = s.trim().to_ascii_lowercase();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == wanted)
                    .ok_or_else(|| {
                        let codes: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        format!("`{}` is not {} ({})", s, $what, codes.join(", "))
                    })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod access;
pub mod answers;
pub mod attachments;
pub mod confirmation;
pub mod dashboard;
pub mod delivery;
pub mod diff;
pub mod export;
pub mod interview;
pub mod numbers;
pub mod pledge;
pub mod reference;
pub mod register;
pub mod reminders;
pub mod request;
pub mod requirements;
pub mod text;
pub mod throttle;
