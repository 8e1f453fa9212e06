//! What a tool risks, and what the deployment lets it do.
//!
//! Every operation tool has a risk class (derived from the root fields it runs); the class
//! gives its MCP annotations and, with `PROMPTSALES_MCP_TOOL_POLICY`, what a call does:
//! run, ask a person for approval first, or be refused. Whatever the policy says, a tool
//! that launches, spends, erases or changes permissions never runs straight from a call:
//! a person approves it in sales first (the supervised automation the product promises).

use std::collections::BTreeMap;

use graphql_tools::static_graphql::query;
use promptsales_kit::StrEnum;
use rmcp::model::ToolAnnotations;

use crate::error::McpError;

/// How much harm a tool can do, named (`spend`) in the policy and in results.
///
/// Declared mildest first: an operation with several root fields takes the strongest
/// (`Ord`), and the supervised classes come last so no milder one can mask them.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RiskClass {
    /// Reads only.
    Read,
    /// Everyday writes inside the platform (drafts, reviews, lead work).
    Write,
    /// Touches secrets or keys (credentials, webhook secrets, re-encryption).
    Sensitive,
    /// Sends money or content to the outside world (ads go live, outreach goes out).
    Launch,
    /// Moves money (budget movements, payments, subscriptions).
    Spend,
    /// Destroys data that cannot be brought back (erasure).
    Erase,
    /// Changes who may do what (users, permissions, organizations).
    Permissions,
}

impl RiskClass {
    /// Whether a call of this class may never run without a person's approval.
    pub fn always_supervised(self) -> bool {
        matches!(
            self,
            Self::Launch | Self::Spend | Self::Erase | Self::Permissions
        )
    }

    /// The default outcome of a call of this class.
    pub fn default_policy(self) -> Policy {
        match self {
            Self::Read | Self::Write => Policy::Run,
            _ => Policy::Approve,
        }
    }

    /// The MCP annotations this class declares (the protocol's hints: a client may ask its
    /// user before calling anything not read-only, and warn before destructive calls).
    pub fn annotations(self) -> ToolAnnotations {
        let (read_only, destructive, idempotent, open_world) = match self {
            Self::Read => (true, false, true, false),
            Self::Write => (false, false, false, false),
            // Ads and messages reach people outside the platform; launching twice is a no-op.
            Self::Launch => (false, false, false, true),
            // Money that moved does not come back by calling again.
            Self::Spend => (false, true, false, true),
            Self::Erase => (false, true, true, false),
            Self::Permissions => (false, true, true, false),
            Self::Sensitive => (false, true, false, false),
        };
        ToolAnnotations::new()
            .read_only(read_only)
            .destructive(destructive)
            .idempotent(idempotent)
            .open_world(open_world)
    }

    /// The class of one root field of an operation, from its name and literal arguments.
    pub fn of_root_field(
        kind_is_mutation: bool,
        field: &str,
        arguments: &[(String, query::Value)],
    ) -> Self {
        if !kind_is_mutation {
            return Self::Read;
        }
        match field {
            // A status change launches only when it may go ACTIVE (a literal other status,
            // such as PENDING_APPROVAL, is everyday workflow).
            "changeCampaignStatus" => match arguments.iter().find(|(n, _)| n == "status") {
                Some((_, query::Value::Enum(status))) if status != "ACTIVE" => Self::Write,
                _ => Self::Launch,
            },
            "launchAds" | "publishAd" | "startOutreachBatch" | "markOutreachSent" => Self::Launch,
            "recordBudgetMovement"
            | "recordPaymentTransaction"
            | "subscribe"
            | "renewSubscription"
            | "cancelSubscription"
            | "recordUsage" => Self::Spend,
            "eraseCustomer" | "removePaymentMethod" => Self::Erase,
            "grantPermission" | "revokePermission" | "createUser" | "createOrganization" => {
                Self::Permissions
            }
            // A person's decisions (a campaign's approvals, an agent's request) and the
            // supervision's own machinery: an agent deciding or forging them would defeat
            // the supervision, so they never run from a tool (`executeOperation` refuses
            // every supervised class, and no operation file names them).
            "resolveApproval" | "resolveAgentAction" | "requestAgentAction" | "useAgentAction"
            | "recordToolCall" => Self::Permissions,
            "setThirdPartyServiceCredential"
            | "registerThirdPartyService"
            | "addPaymentMethod"
            | "rotateCrmWebhookSecret"
            | "revokeCrmWebhookSecret"
            | "reencryptCrmData" => Self::Sensitive,
            _ => Self::Write,
        }
    }
}

/// What a call does, named (`approve`) in the policy variable.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "lowercase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// It runs (the graph still checks the caller's roles).
    Run,
    /// It becomes an approval request in sales; once a person approves, the same call runs.
    Approve,
    /// It is refused.
    Deny,
}

/// `PROMPTSALES_MCP_TOOL_POLICY` with `PROMPTSALES_MCP_ALLOW_MUTATIONS`: what each call does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolPolicy {
    allow_mutations: bool,
    classes: BTreeMap<RiskClass, Policy>,
    tools: BTreeMap<String, Policy>,
}

impl Default for ToolPolicy {
    fn default() -> Self {
        Self {
            allow_mutations: true,
            classes: BTreeMap::new(),
            tools: BTreeMap::new(),
        }
    }
}

impl ToolPolicy {
    /// A policy under which only reads run (what `ask` and other read-only paths use).
    pub fn reads_only() -> Self {
        Self {
            allow_mutations: false,
            ..Self::default()
        }
    }

    /// Parses `key=policy` entries separated by commas or whitespace, where a key is a risk
    /// class (`spend=deny`) or a tool name (`createSale=approve`); a tool's entry beats its
    /// class's. `run` for a class or tool that launches, spends, erases or changes
    /// permissions is refused here, so a typo cannot let money move unsupervised.
    pub fn parse(text: &str, allow_mutations: bool) -> Result<Self, McpError> {
        let mut policy = Self {
            allow_mutations,
            ..Self::default()
        };
        for entry in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let (key, value) = entry.split_once('=').ok_or_else(|| {
                McpError::Config(format!(
                    "PROMPTSALES_MCP_TOOL_POLICY: `{entry}` is not key=run|approve|deny"
                ))
            })?;
            let value = Policy::parse(value.trim()).ok_or_else(|| {
                McpError::Config(format!(
                    "PROMPTSALES_MCP_TOOL_POLICY: `{entry}`: the policy is run, approve or deny"
                ))
            })?;
            let key = key.trim();
            match RiskClass::parse(key) {
                Some(class) => {
                    if class.always_supervised() && value == Policy::Run {
                        return Err(McpError::Config(format!(
                            "PROMPTSALES_MCP_TOOL_POLICY: `{entry}`: {class} tools never run \
                             without a person's approval (use approve or deny)"
                        )));
                    }
                    policy.classes.insert(class, value);
                }
                None => {
                    policy.tools.insert(key.to_string(), value);
                }
            }
        }
        Ok(policy)
    }

    /// What a call of `tool` (of class `class`) does.
    pub fn decide(&self, tool: &str, class: RiskClass) -> Policy {
        if class == RiskClass::Read {
            return Policy::Run;
        }
        if !self.allow_mutations {
            return Policy::Deny;
        }
        let chosen = self
            .tools
            .get(tool)
            .or_else(|| self.classes.get(&class))
            .copied()
            .unwrap_or_else(|| class.default_policy());
        // A tool entry cannot lift a supervised class to run either.
        if class.always_supervised() && chosen == Policy::Run {
            Policy::Approve
        } else {
            chosen
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyday_writes_run_and_money_launches_erasure_and_rights_wait_for_a_person() {
        let policy = ToolPolicy::default();
        assert_eq!(policy.decide("listLeads", RiskClass::Read), Policy::Run);
        assert_eq!(
            policy.decide("moveLeadStage", RiskClass::Write),
            Policy::Run
        );
        for class in [
            RiskClass::Launch,
            RiskClass::Spend,
            RiskClass::Erase,
            RiskClass::Permissions,
            RiskClass::Sensitive,
        ] {
            assert_eq!(policy.decide("x", class), Policy::Approve, "{class}");
        }
    }

    #[test]
    fn a_tool_entry_beats_its_class_but_never_lifts_supervision() {
        let policy = ToolPolicy::parse(
            "write=approve, moveLeadStage=run spend=deny launchCampaign=run sensitive=run",
            true,
        )
        .expect("parses");
        assert_eq!(
            policy.decide("createSale", RiskClass::Write),
            Policy::Approve
        );
        assert_eq!(
            policy.decide("moveLeadStage", RiskClass::Write),
            Policy::Run
        );
        assert_eq!(
            policy.decide("recordCampaignBudgetMovement", RiskClass::Spend),
            Policy::Deny
        );
        assert_eq!(
            policy.decide("launchCampaign", RiskClass::Launch),
            Policy::Approve
        );
        assert_eq!(policy.decide("rotate", RiskClass::Sensitive), Policy::Run);
    }

    #[test]
    fn the_coarse_switch_denies_every_write_and_bad_entries_are_refused() {
        let off = ToolPolicy::parse("moveLeadStage=run", false).expect("parses");
        assert_eq!(off.decide("moveLeadStage", RiskClass::Write), Policy::Deny);
        assert_eq!(off.decide("listLeads", RiskClass::Read), Policy::Run);
        for bad in [
            "spend=run",
            "erase=run",
            "permissions=run",
            "launch=run",
            "write",
            "write=maybe",
        ] {
            assert!(ToolPolicy::parse(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn root_fields_give_the_class_and_a_status_change_launches_only_towards_active() {
        use graphql_tools::static_graphql::query::Value;
        let status = |s: &str| vec![("status".to_string(), Value::Enum(s.to_string()))];
        assert_eq!(
            RiskClass::of_root_field(true, "changeCampaignStatus", &status("PENDING_APPROVAL")),
            RiskClass::Write
        );
        assert_eq!(
            RiskClass::of_root_field(true, "changeCampaignStatus", &status("ACTIVE")),
            RiskClass::Launch
        );
        let variable = vec![("status".to_string(), Value::Variable("s".into()))];
        assert_eq!(
            RiskClass::of_root_field(true, "changeCampaignStatus", &variable),
            RiskClass::Launch
        );
        assert_eq!(
            RiskClass::of_root_field(true, "recordBudgetMovement", &[]),
            RiskClass::Spend
        );
        assert_eq!(
            RiskClass::of_root_field(true, "eraseCustomer", &[]),
            RiskClass::Erase
        );
        assert_eq!(
            RiskClass::of_root_field(true, "grantPermission", &[]),
            RiskClass::Permissions
        );
        assert_eq!(
            RiskClass::of_root_field(true, "moveLeadStage", &[]),
            RiskClass::Write
        );
        for decision in [
            "resolveApproval",
            "resolveAgentAction",
            "useAgentAction",
            "recordToolCall",
        ] {
            assert_eq!(
                RiskClass::of_root_field(true, decision, &[]),
                RiskClass::Permissions,
                "{decision}"
            );
        }
        assert_eq!(
            RiskClass::of_root_field(false, "eraseCustomer", &[]),
            RiskClass::Read
        );
        let spend = RiskClass::Spend.annotations();
        assert_eq!(spend.destructive_hint, Some(true));
        assert_eq!(spend.read_only_hint, Some(false));
        let read = RiskClass::Read.annotations();
        assert_eq!(
            (read.read_only_hint, read.idempotent_hint),
            (Some(true), Some(true))
        );
    }
}
