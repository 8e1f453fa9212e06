//! Which organization a write lands in.

use promptsales_kit::ApiError;
use promptsales_kit::context::TenantScope;
use uuid::Uuid;

/// The organization a new row belongs to: the caller's tenant by default; another tenant's is refused as absent.
pub fn target_organization(
    field: &str,
    scope: TenantScope,
    given: Option<Uuid>,
) -> Result<Uuid, ApiError> {
    match (scope, given) {
        (TenantScope::Organization(own), None) => Ok(own),
        (scope, Some(id)) if scope.allows(id) => Ok(id),
        (_, Some(id)) => Err(ApiError::not_found("Organization", id)),
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
    fn tenants_write_only_into_their_own_organization() {
        let own = Uuid::now_v7();
        let other = Uuid::now_v7();
        let scoped = TenantScope::Organization(own);
        assert_eq!(target_organization("o", scoped, None).ok(), Some(own));
        assert_eq!(target_organization("o", scoped, Some(own)).ok(), Some(own));
        assert_eq!(
            target_organization("o", scoped, Some(other))
                .err()
                .map(|e| e.code()),
            Some("NOT_FOUND")
        );
        assert_eq!(
            target_organization("o", TenantScope::All, Some(other)).ok(),
            Some(other)
        );
        assert_eq!(
            target_organization("o", TenantScope::All, None)
                .err()
                .map(|e| e.code()),
            Some("BAD_USER_INPUT")
        );
    }
}
