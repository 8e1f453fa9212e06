//! The claims of a PromptSales access token (the identity contract).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::context::RequestContext;

/// Who a token was issued to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// A person (the `password` and `refresh_token` grants); `sub` is the user id.
    User,
    /// A service or agent (the `client_credentials` grant); `sub` is the client id.
    Client,
}

/// The payload of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer (`promptsales` by default).
    pub iss: String,
    /// Audience (`promptsales-api` by default).
    pub aud: String,
    /// The user id (`typ` user) or the client id (`typ` client).
    pub sub: String,
    /// The organization; absent only for platform operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Uuid>,
    /// `subsystem:role` strings (`sales:admin`, `ads:read`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Who the token was issued to.
    pub typ: TokenType,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// The token's unique id.
    pub jti: String,
}

impl Claims {
    /// The request context these claims grant: tenant, user (for user tokens) and roles.
    pub fn context(&self) -> RequestContext {
        RequestContext {
            organization: self.org,
            user: match self.typ {
                TokenType::User => Uuid::parse_str(&self.sub).ok(),
                TokenType::Client => None,
            },
            roles: RequestContext::parse_roles(self.roles.iter().map(String::as_str)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Role, Subsystem};

    #[test]
    fn a_user_token_names_its_user_and_a_client_token_does_not() {
        let org = Uuid::now_v7();
        let user = Uuid::now_v7();
        let mut claims = Claims {
            iss: "promptsales".into(),
            aud: "promptsales-api".into(),
            sub: user.to_string(),
            org: Some(org),
            roles: vec!["sales:write".into(), "ads:read".into()],
            typ: TokenType::User,
            exp: 2,
            iat: 1,
            jti: "j".into(),
        };
        let context = claims.context();
        assert_eq!(context.organization, Some(org));
        assert_eq!(context.user, Some(user));
        assert!(context.has(Subsystem::Sales, Role::Write));
        assert!(!context.has(Subsystem::Crm, Role::Read));
        claims.typ = TokenType::Client;
        claims.sub = "reporting-agent".into();
        assert_eq!(claims.context().user, None);
        let json = serde_json::to_value(&claims).expect("json");
        assert_eq!(json["typ"], "client");
    }
}
