//! The questions the offline planner answers: one kind per question, each backed by a
//! named operation of the catalogue (`mcp/operations/*.graphql`), with the slots it needs.
//!
//! The embedder compares a question with each kind's phrasings and with the description of
//! its operation (from the operation file); only kinds whose required slots the question
//! fills are candidates.

/// Whether a kind needs a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// It cannot be answered without it.
    Required,
    /// Used when given; a documented default otherwise.
    Optional,
    /// Ignored.
    Unused,
}

/// One kind of question.
#[derive(Debug)]
pub struct Kind {
    /// Stable name (`best_return`), reported with the answer and used by the labels.
    pub id: &'static str,
    /// The catalogue operation it runs.
    pub operation: &'static str,
    /// What it answers, in a few words (for "what I can answer").
    pub summary: &'static str,
    /// A question it answers, as listed to the user (`<campaign>` stands for one of theirs:
    /// a real name here would be some tenant's campaign shown to every other one).
    pub example: &'static str,
    /// Ways of asking it, for the embedder.
    pub phrasings: &'static [&'static str],
    /// A campaign of the caller.
    pub campaign: Need,
    /// A period.
    pub period: Need,
    /// A channel.
    pub channel: Need,
}

impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// Every kind, in the order they are listed to the user.
pub const KINDS: &[Kind] = &[
    Kind {
        id: "best_return",
        operation: "getPerformanceDashboard",
        summary: "your campaigns ranked by return (ROI) over a period",
        example: "Which campaigns had the best return in October?",
        phrasings: &[
            "which campaigns had the best return",
            "best performing campaigns by ROI",
            "top campaigns by return on investment",
            "rank my campaigns by ROI",
            "which campaign earned the most for what it cost",
            "most profitable campaigns",
        ],
        campaign: Need::Unused,
        period: Need::Optional,
        channel: Need::Unused,
    },
    Kind {
        id: "organization_results",
        operation: "getPerformanceDashboard",
        summary: "your organization's totals over a period (spend, leads, customers, revenue, ROI, cost per lead)",
        example: "How did we do last quarter overall?",
        phrasings: &[
            "how did we do overall",
            "total spend leads and revenue of the organization",
            "what was our cost per lead",
            "overall results of all campaigns",
            "how much revenue did we make in total",
            "how many customers did we win overall",
            "what is our total ROI",
        ],
        campaign: Need::Unused,
        period: Need::Optional,
        channel: Need::Unused,
    },
    Kind {
        id: "leads_by_channel",
        operation: "listCampaignLeadSources",
        summary: "the leads a campaign brought, by source channel, over a period",
        example: "How many leads did <campaign> bring last week, by channel?",
        phrasings: &[
            "how many leads did the campaign bring by channel",
            "leads of the campaign per source",
            "where did the campaign's leads come from",
            "number of leads the campaign generated",
            "lead sources of the campaign",
            "how many leads came from each channel for the campaign",
        ],
        campaign: Need::Required,
        period: Need::Optional,
        channel: Need::Unused,
    },
    Kind {
        id: "spend_vs_budget",
        operation: "getChannelSpend",
        summary: "ad spend per channel over a period against the budget the ads planned",
        example: "What did we spend on TikTok this quarter against budget?",
        phrasings: &[
            "what did we spend on the channel against budget",
            "ad spend per channel compared with the budget",
            "how much did we spend on ads this quarter versus plan",
            "spend by channel",
            "are we over budget on a channel",
            "how much of the budget did the channel use",
        ],
        campaign: Need::Unused,
        period: Need::Optional,
        channel: Need::Optional,
    },
    Kind {
        id: "funnel",
        operation: "getCampaignFunnel",
        summary: "a campaign's lead funnel (IQL, MQL, SQL, opportunity, won, lost)",
        example: "What does the funnel of <campaign> look like?",
        phrasings: &[
            "what does the campaign's funnel look like",
            "leads per stage of the campaign",
            "how many leads are qualified won or lost in the campaign",
            "the campaign's pipeline by stage",
            "how many MQL and SQL does the campaign have",
            "conversion funnel of the campaign",
        ],
        campaign: Need::Required,
        period: Need::Unused,
        channel: Need::Unused,
    },
    Kind {
        id: "campaign_revenue",
        operation: "getCampaignFunnel",
        summary: "the revenue of a campaign's sales and how many sales it made",
        example: "How much revenue did <campaign> bring?",
        phrasings: &[
            "how much revenue did the campaign bring",
            "what did the campaign sell",
            "sales of the campaign",
            "how many sales did the campaign close",
            "how much money did the campaign make",
        ],
        campaign: Need::Required,
        period: Need::Unused,
        channel: Need::Unused,
    },
    Kind {
        id: "top_ads",
        operation: "getBestChannels",
        summary: "a campaign's best ads within each channel over a period (by conversions, CTR or ROAS)",
        example: "What were the top ads of <campaign> by CTR?",
        phrasings: &[
            "top ads of the campaign",
            "best ads by conversions",
            "which ads of the campaign performed best",
            "rank the campaign's ads by click-through rate",
            "which ad had the highest ROAS",
            "best creatives of the campaign",
        ],
        campaign: Need::Required,
        period: Need::Optional,
        channel: Need::Unused,
    },
    Kind {
        id: "best_channel",
        operation: "getBestChannels",
        summary: "a campaign's figures per channel over a period (impressions, clicks, spend, conversions, ROAS)",
        example: "Which channel worked best for <campaign> in September?",
        phrasings: &[
            "which channel worked best for the campaign",
            "performance of the campaign per channel",
            "campaign results by channel and market",
            "best channel of the campaign",
            "impressions clicks and conversions per channel for the campaign",
        ],
        campaign: Need::Required,
        period: Need::Optional,
        channel: Need::Unused,
    },
    Kind {
        id: "campaign_budget",
        operation: "getCampaignPerformance",
        summary: "a campaign's budget: total, spent and available, with its ad totals",
        example: "How much budget does <campaign> have left?",
        phrasings: &[
            "how much budget does the campaign have left",
            "what has the campaign spent of its budget",
            "campaign budget total spent available",
            "is the campaign over budget",
            "overview of the campaign's performance",
            "how is the campaign doing",
        ],
        campaign: Need::Required,
        period: Need::Unused,
        channel: Need::Unused,
    },
    Kind {
        id: "pending_approvals",
        operation: "listPendingApprovals",
        summary: "the approvals waiting for a decision",
        example: "Which approvals are pending?",
        phrasings: &[
            "which approvals are pending",
            "what is waiting for approval",
            "approvals waiting for a decision",
            "what needs my sign-off",
            "pending budget or launch approvals",
        ],
        campaign: Need::Unused,
        period: Need::Unused,
        channel: Need::Unused,
    },
    Kind {
        id: "campaigns_by_status",
        operation: "listCampaigns",
        summary: "your campaigns, optionally those in a status (running, paused, draft, completed)",
        example: "Which campaigns are running?",
        phrasings: &[
            "which campaigns are running",
            "list my campaigns",
            "what campaigns do we have",
            "which campaigns are paused",
            "show the draft campaigns",
            "which campaigns have finished",
        ],
        campaign: Need::Unused,
        period: Need::Unused,
        channel: Need::Unused,
    },
];

/// The kind named `id`.
pub fn by_id(id: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.id == id)
}
