//! Who is calling: passwords, tokens (our own and the city identity
//! provider's), login limits, and the [`Caller`] extractor that turns a
//! bearer token into a typed identity for the handlers.

pub mod caller;
pub mod client_addr;
pub mod jwks;
pub mod login_guard;
pub mod password;
pub mod token;

pub use caller::{Caller, Scope};
pub use token::{Claims, Identity, TokenKeys};
