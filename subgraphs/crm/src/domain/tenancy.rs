//! Which organization a write goes to.

use promptsales_kit::ApiError;
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

/// The organization a new row belongs to: the caller's tenant, or the one it names when it
/// acts for every tenant. Naming another tenant is refused as `NOT_FOUND`, like reading it.
pub fn organization_for_write(
    scope: TenantScope,
    given: Option<Uuid>,
    field: &str,
) -> Result<Uuid, ApiError> {
    match (scope, given) {
        (TenantScope::Organization(own), None) => Ok(own),
        (TenantScope::Organization(own), Some(named)) if named == own => Ok(own),
        (TenantScope::Organization(_), Some(named)) => {
            Err(ApiError::not_found("Organization", named))
        }
        (TenantScope::All, Some(named)) => Ok(named),
        (TenantScope::All, None) => Err(ApiError::bad_input(
            field,
            format!("{field} is required when the request is not scoped to an organization"),
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
        assert_eq!(
            organization_for_write(scoped, None, "input.organizationId").ok(),
            Some(a)
        );
        assert_eq!(
            organization_for_write(scoped, Some(a), "input.organizationId").ok(),
            Some(a)
        );
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
