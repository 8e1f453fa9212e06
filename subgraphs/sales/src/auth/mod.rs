//! Identity: the OAuth 2.0 token endpoint of the platform, and permissions.
//!
//! The sales subgraph owns users, so it issues the tokens every subgraph
//! verifies: `POST /oauth/token` (grants `client_credentials`, `password`,
//! `refresh_token`, RFC 6749), `POST /oauth/revoke` (RFC 7009) and the public
//! keys at `GET /.well-known/jwks.json`. Access tokens are ES256 JWTs whose
//! claims follow the identity contract (`kit::auth::Claims`); a user's roles
//! are their live permissions, a client's its configured roles.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PROMPTSALES_JWT_PRIVATE_KEY_FILE` | `<data dir>/jwt-signing.pem` | the signing key (PKCS#8 PEM, P-256), generated 0600 when absent |
//! | `PROMPTSALES_ACCESS_TOKEN_TTL` | `900` | access token lifetime, seconds |
//! | `PROMPTSALES_REFRESH_TOKEN_TTL` | `2592000` | refresh token lifetime, seconds (30 days) |

pub mod demo;
pub mod entity;
pub mod grants;
pub mod http;
pub mod issuer;
pub mod keys;
pub mod permissions;
pub mod sea;
pub mod secret;
pub mod store;

pub use grants::{OAuthError, TokenResponse, TokenService};
pub use issuer::{AccessToken, Issuer, Lifetimes};
pub use sea::SeaAuthStore;
pub use store::AuthStore;
