//! Who is calling: passwords, tokens, and the [`Caller`] extractor that
//! turns a bearer token into a typed identity for the handlers.

pub mod caller;
pub mod password;
pub mod token;

pub use caller::{Caller, Scope};
pub use token::{Claims, TokenKeys};
