//! Store failures on their way to clients: always through `ApiError`, so they carry a code and no details.

use std::sync::Arc;

use async_graphql::ErrorExtensions;
use promptsales_kit::error::codes;
use promptsales_kit::{ApiError, StoreError};

/// Turns a store result into an API result.
///
/// `StoreError` is `Display`, so a bare `?` would reach async-graphql's
/// blanket conversion and send the database's message without a code.
pub trait StoreResultExt<T> {
    /// The same result with the error as [`ApiError::Internal`].
    fn api(self) -> Result<T, ApiError>;
}

impl<T> StoreResultExt<T> for Result<T, StoreError> {
    fn api(self) -> Result<T, ApiError> {
        self.map_err(ApiError::from)
    }
}

/// A failed batched load, shared by every field that waited on it.
///
/// Deliberately not `Display` (like `ApiError`), so `?` goes through the
/// conversion below and never exposes the cause.
#[derive(Debug, Clone)]
pub struct LoadFailed(pub Arc<StoreError>);

impl From<StoreError> for LoadFailed {
    fn from(err: StoreError) -> Self {
        Self(Arc::new(err))
    }
}

impl From<LoadFailed> for async_graphql::Error {
    fn from(err: LoadFailed) -> Self {
        // ApiError::Internal needs the StoreError itself, which the loader's other waiters share.
        tracing::error!(error = %err.0, "store failure");
        async_graphql::Error::new("internal error")
            .extend_with(|_, ext| ext.set("code", codes::INTERNAL_SERVER_ERROR))
    }
}
