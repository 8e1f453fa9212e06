//! Who may do what in the sales subsystem: thin rules over the kit's role check.

use promptsales_kit::context::{Role, Subsystem};
use promptsales_kit::{ApiError, ApiResult, RequestContext};
use uuid::Uuid;

/// Fails with `FORBIDDEN` unless the caller holds at least `role` in the sales subsystem.
pub fn require(context: &RequestContext, role: Role) -> ApiResult<()> {
    context.require(Subsystem::Sales, role)
}

/// The acting user, required for actions that must name who did them (approvals).
pub fn acting_user(context: &RequestContext, action: &str) -> ApiResult<Uuid> {
    context.user.ok_or_else(|| {
        ApiError::Unauthenticated(format!("{action} must be done by an identified user"))
    })
}
