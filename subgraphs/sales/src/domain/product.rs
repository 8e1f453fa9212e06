//! Products an organization sells.

use promptsales_kit::ApiResult;

use super::text;
use crate::store::NewProduct;

/// Validates and normalises a product to create; fields are named as in `CreateProductInput`.
pub fn validate_new(new: NewProduct) -> ApiResult<NewProduct> {
    Ok(NewProduct {
        name: text::required("input.name", &new.name, 200)?,
        description: text::optional("input.description", new.description.as_deref(), 5_000)?,
        price: text::non_negative("input.price", new.price)?,
        currency: text::currency("input.currency", &new.currency)?,
        ..new
    })
}
