//! Errors of the portal's rules that need a code of their own beyond the
//! kit's (`ILLEGAL_TRANSITION`, `APPROVALS_MISSING`, `INSUFFICIENT_FUNDS`,
//! `PLAN_LIMIT_REACHED`), each with the details a client acts on.
//!
//! Like `kit::ApiError` it has no `Display` on purpose: async-graphql would
//! otherwise convert it through its blanket `Display` conversion and drop the code.

use async_graphql::ErrorExtensions;
use promptsales_kit::ApiError;

/// Stable `extensions.code` values added by the portal.
pub mod codes {
    /// A campaign status change the state machine does not allow.
    pub const ILLEGAL_TRANSITION: &str = "ILLEGAL_TRANSITION";
    /// A status change that needs approvals not yet granted.
    pub const APPROVALS_MISSING: &str = "APPROVALS_MISSING";
    /// A spend or refund the balance cannot cover.
    pub const INSUFFICIENT_FUNDS: &str = "INSUFFICIENT_FUNDS";
    /// An organization would go over a limit of its plan.
    pub const PLAN_LIMIT_REACHED: &str = "PLAN_LIMIT_REACHED";
}

/// Why a portal rule refused an action.
#[derive(Debug)]
pub enum PortalError {
    /// One of the kit's errors (bad input, not found, forbidden, conflict, store failure).
    Api(ApiError),
    /// The state machine has no edge `from -> to`.
    IllegalTransition {
        /// The current status (stored form, e.g. `draft`).
        from: &'static str,
        /// The status asked for.
        to: &'static str,
    },
    /// The change needs these approvals granted first.
    ApprovalsMissing {
        /// The status asked for.
        to: &'static str,
        /// The approval kinds not granted (stored form).
        missing: Vec<&'static str>,
    },
    /// The balance would go below zero.
    InsufficientFunds {
        /// What is available, as decimal text.
        available: String,
        /// What was asked, as decimal text.
        requested: String,
    },
    /// A plan limit would be exceeded.
    PlanLimitReached {
        /// The feature (e.g. `active_campaigns`).
        feature: String,
        /// Its limit.
        limit: i64,
        /// The usage before this action.
        used: i64,
    },
}

/// Results of the portal's rules.
pub type PortalResult<T> = Result<T, PortalError>;

impl From<ApiError> for PortalError {
    fn from(err: ApiError) -> Self {
        Self::Api(err)
    }
}

impl From<promptsales_kit::StoreError> for PortalError {
    fn from(err: promptsales_kit::StoreError) -> Self {
        Self::Api(err.into())
    }
}

impl From<promptsales_kit::LoadError> for PortalError {
    fn from(err: promptsales_kit::LoadError) -> Self {
        Self::Api(err.into())
    }
}

impl From<crate::store::WriteError> for PortalError {
    fn from(err: crate::store::WriteError) -> Self {
        Self::Api(err.into())
    }
}

impl PortalError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Api(e) => e.code(),
            Self::IllegalTransition { .. } => codes::ILLEGAL_TRANSITION,
            Self::ApprovalsMissing { .. } => codes::APPROVALS_MISSING,
            Self::InsufficientFunds { .. } => codes::INSUFFICIENT_FUNDS,
            Self::PlanLimitReached { .. } => codes::PLAN_LIMIT_REACHED,
        }
    }

    /// The message a person reads.
    pub fn message(&self) -> String {
        match self {
            Self::Api(e) => e.message(),
            Self::IllegalTransition { from, to } => {
                format!("a campaign cannot go from {from} to {to}")
            }
            Self::ApprovalsMissing { to, missing } => format!(
                "a campaign cannot become {to} before these approvals are granted: {}",
                missing.join(", ")
            ),
            Self::InsufficientFunds {
                available,
                requested,
            } => format!("the balance ({available}) does not cover {requested}"),
            Self::PlanLimitReached {
                feature,
                limit,
                used,
            } => format!("the plan allows {limit} {feature}; {used} already used"),
        }
    }
}

impl From<PortalError> for async_graphql::Error {
    fn from(err: PortalError) -> Self {
        let err = match err {
            PortalError::Api(api) => return api.into(),
            other => other,
        };
        let message = err.message();
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", err.code());
            match &err {
                PortalError::IllegalTransition { from, to } => {
                    ext.set("from", *from);
                    ext.set("to", *to);
                }
                PortalError::ApprovalsMissing { to, missing } => {
                    ext.set("to", *to);
                    ext.set(
                        "missing",
                        async_graphql::Value::List(
                            missing
                                .iter()
                                .map(|m| async_graphql::Value::from(*m))
                                .collect(),
                        ),
                    );
                }
                PortalError::InsufficientFunds {
                    available,
                    requested,
                } => {
                    ext.set("available", available.as_str());
                    ext.set("requested", requested.as_str());
                }
                PortalError::PlanLimitReached {
                    feature,
                    limit,
                    used,
                } => {
                    ext.set("feature", feature.as_str());
                    ext.set("limit", *limit);
                    ext.set("used", *used);
                }
                PortalError::Api(_) => {}
            }
        })
    }
}
