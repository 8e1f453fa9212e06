//! Identity: the OAuth 2.0 token endpoint of the platform, and permissions.
//!
//! The sales subgraph owns users, so it issues the tokens every subgraph
//! verifies: `POST /oauth/token` (grants `client_credentials`, `password`,
//! `refresh_token`, RFC 6749), `POST /oauth/revoke` (RFC 7009) and the public
//! keys at `GET /.well-known/jwks.json`. Access tokens are ES256 JWTs whose
//! claims follow the identity contract (`kit::auth::Claims`); a user's roles
//! are their live permissions, a client's its configured roles, narrowed by a
//! requested `scope` ([`scope`]). Failed logins are throttled ([`throttle`]);
//! signing keys rotate without a restart ([`keys`]).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_JWT_PRIVATE_KEY_FILE` | `<data dir>/jwt-signing.pem` | the signing key (PKCS#8 PEM, P-256), generated 0600 when absent |
//! | `PROMPTSALES_JWT_ROTATION_FILE` | `<key file>` with `.rotation.json` | the next key and previous public keys (`promptsales signing-key`) |
//! | `PROMPTSALES_JWT_KEY_ACTIVATION_DELAY` | `660` | seconds a rotated-in key is published before it signs |
//! | `PROMPTSALES_JWT_KEY_RELOAD_INTERVAL` | `30` | seconds between re-readings of the key files |
//! | `PROMPTSALES_LOGIN_MAX_FAILURES` | `5` | failed logins per account per window before 429 (0: no limit) |
//! | `PROMPTSALES_LOGIN_MAX_FAILURES_PER_IP` | `30` | failed logins per client IP per window before 429 (0: no limit) |
//! | `PROMPTSALES_LOGIN_FAILURE_WINDOW` | `900` | the failure-counting window, seconds |
//! | `PROMPTSALES_ACCESS_TOKEN_TTL` | `900` | access token lifetime, seconds |
//! | `PROMPTSALES_REFRESH_TOKEN_TTL` | `2592000` | refresh token lifetime, seconds (30 days) |

pub mod demo;
pub mod entity;
pub mod grants;
pub mod http;
pub mod issuer;
pub mod keys;
pub mod permissions;
pub mod scope;
pub mod sea;
pub mod secret;
pub mod store;
pub mod throttle;

pub use grants::{OAuthError, TokenResponse, TokenService};
pub use issuer::{AccessToken, Issuer, Lifetimes};
pub use sea::SeaAuthStore;
pub use store::AuthStore;
