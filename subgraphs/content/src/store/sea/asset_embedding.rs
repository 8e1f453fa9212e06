//! The embedding columns of `media_assets` (a second, narrow entity on the same table),
//! and the vector encoding: little-endian f32s in base64, portable across stores.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use promptsales_kit::StoreError;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

/// The embedding part of a `media_assets` row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "media_assets")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// The model that made the embedding.
    pub embedding_model: Option<String>,
    /// The vector's length (null on rows embedded before it was recorded: re-embedded).
    pub embedding_dimensions: Option<i32>,
    /// The vector, encoded.
    #[sea_orm(column_type = "Text", nullable)]
    pub embedding: Option<String>,
}

/// No relation is navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Encodes a vector.
pub fn encode(vector: &[f32]) -> String {
    let mut bytes = Vec::with_capacity(vector.len() * 4);
    for x in vector {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    STANDARD.encode(bytes)
}

/// Decodes a vector; a malformed one marks the row corrupt.
pub fn decode(id: Uuid, text: &str) -> Result<Vec<f32>, StoreError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| StoreError::Corrupt(format!("media_assets {id}: embedding is not base64")))?;
    if bytes.len() % 4 != 0 {
        return Err(StoreError::Corrupt(format!(
            "media_assets {id}: embedding of {} bytes",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip() {
        let v = vec![0.5f32, -1.25, 3.0e-8];
        assert_eq!(decode(Uuid::nil(), &encode(&v)).ok(), Some(v));
        assert!(decode(Uuid::nil(), "AAA").is_err());
    }
}
