//! Who is calling: passwords, tokens (our own and the city identity
//! provider's), login limits, trusted proxies, and the typed [`Caller`]
//! the handlers and the service take (`api::caller` is the extractor that
//! makes one from a bearer token). `auth` uses the settings, the storage
//! and the error vocabulary, never the service or the API.

pub mod caller;
pub mod client_addr;
pub mod jwks;
pub mod login_guard;
pub mod password;
pub mod token;

pub use caller::{Caller, Scope};
pub use token::{Claims, Identity, TokenKeys};
