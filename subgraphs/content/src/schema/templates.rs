//! `PromptTemplate` and the comparison of two versions.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::enums::{ContentChannel, PromptTemplatePurpose};
use super::loaders;
use crate::domain::template;
use crate::store;

/// A saved version of a prompt template.
pub struct PromptTemplate(pub template::PromptTemplate);

/// What a template version produced.
#[derive(SimpleObject, Clone, Copy)]
#[graphql(cache_control(max_age = 30, private))]
pub struct PromptTemplateResults {
    /// Pieces and messages written with it.
    pub generated: i64,
    /// Generated pieces approved by a reviewer.
    pub approved: i64,
    /// Outreach messages sent.
    pub sent: i64,
    /// Outreach messages that got a reply.
    pub replied: i64,
    /// approved / generated (0 when nothing was generated).
    pub approval_rate: f64,
    /// replied / sent (0 when nothing was sent).
    pub reply_rate: f64,
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<store::TemplateResults> for PromptTemplateResults {
    fn from(r: store::TemplateResults) -> Self {
        let rate = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        Self {
            generated: signed(r.generated),
            approved: signed(r.approved),
            sent: signed(r.sent),
            replied: signed(r.replied),
            approval_rate: rate(r.approved, r.generated),
            reply_rate: rate(r.replied, r.sent),
        }
    }
}

/// A saved version of a prompt template.
#[Object(cache_control(max_age = 60, private))]
impl PromptTemplate {
    /// Its id (one per version).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The name grouping its versions.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it writes.
    async fn purpose(&self) -> PromptTemplatePurpose {
        self.0.purpose.into()
    }

    /// The role or use it serves.
    async fn use_case(&self) -> &str {
        &self.0.use_case
    }

    /// The channel.
    async fn channel(&self) -> ContentChannel {
        self.0.channel.into()
    }

    /// 1, 2, ... per name.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The text with `{{placeholders}}`.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// The placeholders it uses.
    async fn placeholders(&self) -> &[String] {
        &self.0.placeholders
    }

    /// Whether new work may use it.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// What it produced so far.
    async fn results(&self, ctx: &Context<'_>) -> Result<PromptTemplateResults> {
        Ok(loaders::template_results(ctx, self.0.id).await?.into())
    }

    /// When it was saved.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Two template versions side by side.
#[derive(SimpleObject)]
#[graphql(cache_control(max_age = 30, private))]
pub struct PromptTemplateComparison {
    /// The first.
    pub a: PromptTemplate,
    /// The second.
    pub b: PromptTemplate,
    /// The first's results.
    pub a_results: PromptTemplateResults,
    /// The second's results.
    pub b_results: PromptTemplateResults,
    /// The better one by reply rate, then approval rate; null while they tie.
    pub leader_id: Option<ID>,
}
