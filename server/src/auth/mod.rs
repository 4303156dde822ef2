//! Sign-in and who is calling: password hashing, access tokens (JWT), refresh-token sessions
//! with rotation and reuse detection, the login rate limit and the device tokens that let a
//! known device pass its per-username part, the second factor (TOTP) and the `AuthUser`
//! extractor.
//!
//! Must never: log or return a password, a secret or a refresh token; tell an unknown
//! username apart from a wrong password (same status, same body, same work).

pub mod device_cookie;
pub mod device_handlers;
pub mod devices;
pub mod extract;
pub mod handlers;
pub mod mfa;
pub mod mfa_handlers;
pub mod password;
pub mod rate_limit;
pub mod secret;
pub mod sessions;
pub mod standing;
pub mod tokens;

pub use extract::AuthUser;
