//! The `outreach_jobs` table.

use chrono::{DateTime, Utc};
use promptsales_kit::StoreError;
use promptsales_kit::StrEnum;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

use crate::domain::channel::Channel;
use crate::domain::outreach::{JobStatus, OutreachJob};
use crate::store::JobLease;

/// A row of `outreach_jobs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outreach_jobs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Tenant.
    pub organization_id: Uuid,
    /// Channel code.
    pub channel: String,
    /// Template.
    pub template_id: Option<Uuid>,
    /// Status code.
    pub status: String,
    /// Items.
    pub total: i32,
    /// Written.
    pub succeeded: i32,
    /// Failed.
    pub failed: i32,
    /// Finished at.
    pub finished_at: Option<DateTime<Utc>>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The sealed request (pitch, template ids, prospects): what a take-over needs.
    pub request_enc: Option<String>,
    /// The instance running it.
    pub lease_owner: Option<Uuid>,
    /// Until when its owner counts as alive (renewed while it runs).
    pub lease_until: Option<DateTime<Utc>>,
}

/// No relation is navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The domain job.
    pub fn into_domain(self) -> Result<OutreachJob, StoreError> {
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("outreach_jobs {}: {what}", self.id));
        Ok(OutreachJob {
            id: self.id,
            organization_id: self.organization_id,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel"))?,
            status: JobStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            template_id: self.template_id,
            total: self.total,
            succeeded: self.succeeded,
            failed: self.failed,
            finished_at: self.finished_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The row of a new job, with its sealed request and first lease.
pub fn active_model(j: &OutreachJob, request_enc: &str, lease: &JobLease) -> ActiveModel {
    ActiveModel {
        id: Set(j.id),
        organization_id: Set(j.organization_id),
        channel: Set(j.channel.as_str().into()),
        template_id: Set(j.template_id),
        status: Set(j.status.as_str().into()),
        total: Set(j.total),
        succeeded: Set(j.succeeded),
        failed: Set(j.failed),
        finished_at: Set(j.finished_at),
        created_at: Set(j.created_at),
        updated_at: Set(j.updated_at),
        request_enc: Set(Some(request_enc.to_string())),
        lease_owner: Set(Some(lease.owner)),
        lease_until: Set(Some(lease.until)),
    }
}
