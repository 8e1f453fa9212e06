//! Which organization a write lands in.

use promptsales_kit::ApiError;
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

/// The organization a new row belongs to: the caller's own, or the one named when the caller may act for any.
///
/// Naming another tenant's organization is refused as `NOT_FOUND`, the same
/// answer as for a row that does not exist, so no tenant learns of another.
pub fn organization_for_write(
    scope: TenantScope,
    given: Option<Uuid>,
    field: &str,
) -> Result<Uuid, ApiError> {
    match (scope, given) {
        (TenantScope::Organization(own), None) => Ok(own),
        (TenantScope::Organization(own), Some(id)) if id == own => Ok(own),
        (TenantScope::Organization(_), Some(id)) => Err(ApiError::not_found("Organization", id)),
        (TenantScope::All, Some(id)) => Ok(id),
        (TenantScope::All, None) => Err(ApiError::bad_input(
            field,
            format!("{field} is required when the request does not act for one organization"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_writes_only_into_itself() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let scoped = TenantScope::Organization(a);
        assert_eq!(organization_for_write(scoped, None, "f").ok(), Some(a));
        assert_eq!(organization_for_write(scoped, Some(a), "f").ok(), Some(a));
        assert_eq!(
            organization_for_write(scoped, Some(b), "f")
                .unwrap_err()
                .code(),
            "NOT_FOUND"
        );
        assert_eq!(
            organization_for_write(TenantScope::All, Some(b), "f").ok(),
            Some(b)
        );
        assert_eq!(
            organization_for_write(TenantScope::All, None, "f")
                .unwrap_err()
                .code(),
            "BAD_USER_INPUT"
        );
    }
}
