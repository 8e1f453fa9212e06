//! Errors that reach clients, each with a stable `extensions.code`.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

/// Stable codes of `extensions.code`, shared by every subgraph.
pub mod codes {
    /// The input is invalid (a field, an id, a range).
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// The thing asked for does not exist (or is not visible to the caller).
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// No valid identity.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// An identity without the role.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// A concurrent change won, or a uniqueness rule was hit.
    pub const CONFLICT: &str = "CONFLICT";
    /// The query text does not parse.
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The query does not fit the schema.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The organization's plan does not allow more of this (AI generations per month, ...).
    pub const PLAN_LIMIT_REACHED: &str = "PLAN_LIMIT_REACHED";
    /// A service we depend on (an AI model provider, ...) failed or timed out; retry later.
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
    /// Something failed on our side; details are in the logs, not in the response.
    pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
}

/// An error a resolver returns to a client.
///
/// It deliberately has no `Display`: async-graphql converts any `Display`
/// type into an error without a code, so `?` must go through our `From`.
#[derive(Debug)]
pub enum ApiError {
    /// Invalid input, naming the offending field.
    BadInput {
        /// The input field at fault (`input.endDate`).
        field: String,
        /// What a person should change.
        message: String,
    },
    /// No such entity for this caller.
    NotFound {
        /// The entity type.
        entity: &'static str,
        /// The id asked for.
        id: String,
    },
    /// A uniqueness rule or a concurrent change.
    Conflict(String),
    /// No valid identity.
    Unauthenticated(String),
    /// The caller lacks the role.
    Forbidden(String),
    /// The organization's plan limit is reached.
    PlanLimitReached(String),
    /// A service we depend on failed; the message names no secret.
    Unavailable(String),
    /// A store failure; the cause is logged, never sent. Shared, because one
    /// failed DataLoader batch fails every resolver waiting on it.
    Internal(Arc<StoreError>),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::Internal(Arc::new(err))
    }
}

/// The error type of every DataLoader: a store failure that all the waiters of a batch share.
///
/// Like [`ApiError`] it has no `Display`, so `?` in a resolver converts it
/// with its code instead of through async-graphql's `Display` conversion.
#[derive(Debug, Clone)]
pub struct LoadError(pub Arc<StoreError>);

impl From<StoreError> for LoadError {
    fn from(err: StoreError) -> Self {
        Self(Arc::new(err))
    }
}

impl From<LoadError> for ApiError {
    fn from(err: LoadError) -> Self {
        Self::Internal(err.0)
    }
}

impl From<LoadError> for async_graphql::Error {
    fn from(err: LoadError) -> Self {
        ApiError::from(err).into()
    }
}

/// Converts a layer's error (store, loader, domain) into an [`ApiError`], keeping its code.
///
/// Needed where the error type has a `Display` (`StoreError`, `DbErr`): a bare
/// `?` into `async_graphql::Error` would take the message and drop the code.
pub trait ResultExt<T> {
    /// The result with an [`ApiError`].
    fn api(self) -> ApiResult<T>;
}

impl<T, E: Into<ApiError>> ResultExt<T> for Result<T, E> {
    fn api(self) -> ApiResult<T> {
        self.map_err(Into::into)
    }
}

/// Shorthand for resolver results.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A bad-input error on `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A not-found error.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// The message a person reads.
    pub fn message(&self) -> String {
        match self {
            Self::BadInput { message, .. } => message.clone(),
            Self::NotFound { entity, id } => format!("{entity} {id} was not found"),
            Self::Conflict(m)
            | Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::PlanLimitReached(m)
            | Self::Unavailable(m) => m.clone(),
            Self::Internal(_) => "internal error".to_string(),
        }
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadInput { .. } => codes::BAD_USER_INPUT,
            Self::NotFound { .. } => codes::NOT_FOUND,
            Self::Conflict(_) => codes::CONFLICT,
            Self::Unauthenticated(_) => codes::UNAUTHENTICATED,
            Self::Forbidden(_) => codes::FORBIDDEN,
            Self::PlanLimitReached(_) => codes::PLAN_LIMIT_REACHED,
            Self::Unavailable(_) => codes::SERVICE_UNAVAILABLE,
            Self::Internal(_) => codes::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        if let ApiError::Internal(cause) = &err {
            tracing::error!(error = %cause, "store failure");
        }
        let code = err.code();
        let field = match &err {
            ApiError::BadInput { field, .. } => Some(field.clone()),
            _ => None,
        };
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = &field {
                ext.set("field", field.as_str());
            }
        })
    }
}

/// A failure of a store adapter.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database driver failed.
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A row holds a value the domain cannot accept (a corrupt or foreign row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_carries_its_code_and_internal_details_stay_private() {
        let err: async_graphql::Error = ApiError::bad_input("input.budget", "must be >= 0").into();
        let ext = err.extensions.expect("extensions");
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("BAD_USER_INPUT"))
        );
        assert_eq!(
            ext.get("field"),
            Some(&async_graphql::Value::from("input.budget"))
        );

        let err: async_graphql::Error =
            ApiError::from(StoreError::Corrupt("password=hunter2".into())).into();
        assert_eq!(err.message, "internal error");
        let shared = LoadError::from(StoreError::Corrupt("dsn=postgres://secret".into()));
        let err: async_graphql::Error = shared.clone().into();
        assert_eq!(err.message, "internal error");
        assert_eq!(
            err.extensions.and_then(|e| e.get("code").cloned()),
            Some(async_graphql::Value::from("INTERNAL_SERVER_ERROR"))
        );
        let failed: Result<(), StoreError> = Err(StoreError::Corrupt("x".into()));
        assert_eq!(failed.api().unwrap_err().code(), "INTERNAL_SERVER_ERROR");
    }
}
