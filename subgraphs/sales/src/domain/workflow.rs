//! The campaign's life as a state machine, and the approvals that gate it.
//!
//! ```text
//!   draft --submit--> pending_approval --(budget+content+schedule granted)--> approved
//!     ^                 |  (withdraw / a rejection)                              |
//!     +-----------------+---------------(reopen / launch rejected)---------------+
//!                                                             launch (launch granted)
//!                                                                                v
//!   completed <--complete-- active <--resume-- paused <--pause-- active
//!   cancelled <-- any of draft, pending_approval, approved, active, paused
//! ```
//!
//! Nothing runs before it is approved: `approved` needs the budget, content
//! and schedule approvals granted, `active` (the launch) also needs the
//! launch approval. Approvals are granted by someone other than who asked
//! (four eyes), holding the sales admin role.

use promptsales_kit::ApiError;
use promptsales_kit::StrEnum;
use uuid::Uuid;

use super::campaign::CampaignStatus;
use super::error::{PortalError, PortalResult};

/// What an approval authorises.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApprovalKind {
    /// The money it may spend.
    Budget,
    /// The content it will publish.
    Content,
    /// Its calendar.
    Schedule,
    /// Going live.
    Launch,
}

impl ApprovalKind {
    /// What `approved` needs.
    pub const FOR_APPROVED: [Self; 3] = [Self::Budget, Self::Content, Self::Schedule];
}

/// Where an approval request stands.
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::Display)]
#[strum(serialize_all = "snake_case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApprovalStatus {
    /// Waiting for a decision.
    Pending,
    /// Granted.
    Granted,
    /// Refused (the campaign goes back to draft).
    Rejected,
    /// No longer asked (the campaign was withdrawn or cancelled).
    Withdrawn,
}

/// Every edge of the state machine (besides none other).
pub const EDGES: [(CampaignStatus, CampaignStatus); 14] = {
    use CampaignStatus::*;
    [
        (Draft, PendingApproval),
        (Draft, Cancelled),
        (PendingApproval, Draft),
        (PendingApproval, Approved),
        (PendingApproval, Cancelled),
        (Approved, Draft),
        (Approved, Active),
        (Approved, Cancelled),
        (Active, Paused),
        (Active, Completed),
        (Active, Cancelled),
        (Paused, Active),
        (Paused, Completed),
        (Paused, Cancelled),
    ]
};

/// What else changes with a status change, for the store to write in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The status it leaves (the store writes only if the campaign is still there).
    pub from: CampaignStatus,
    /// The status it reaches.
    pub to: CampaignStatus,
    /// Approvals to request (submitting asks for all four).
    pub request: Vec<ApprovalKind>,
    /// Whether the campaign's pending approvals are withdrawn.
    pub withdraw_pending: bool,
}

/// Whether the machine has the edge `from -> to`.
pub fn is_edge(from: CampaignStatus, to: CampaignStatus) -> bool {
    EDGES.contains(&(from, to))
}

/// The approvals `to` needs that are not in `granted`.
pub fn missing_for(to: CampaignStatus, granted: &[ApprovalKind]) -> Vec<ApprovalKind> {
    let needed: &[ApprovalKind] = match to {
        CampaignStatus::Approved => &ApprovalKind::FOR_APPROVED,
        // Launching needs everything; resuming a paused campaign needs nothing new.
        CampaignStatus::Active => &ApprovalKind::ALL,
        _ => &[],
    };
    needed
        .iter()
        .copied()
        .filter(|k| !granted.contains(k))
        .collect()
}

/// Decides a status change: refused when there is no such edge or when approvals
/// are missing; otherwise what to write besides the status. `granted` lists the
/// kinds granted in the campaign's current approval round (each submission
/// opens a new round, so grants of an earlier round never count again).
pub fn transition(
    from: CampaignStatus,
    to: CampaignStatus,
    granted: &[ApprovalKind],
) -> PortalResult<Transition> {
    if !is_edge(from, to) {
        return Err(PortalError::IllegalTransition {
            from: from.as_str(),
            to: to.as_str(),
        });
    }
    // Resuming does not need the launch approval again: it was granted to go live once.
    let missing = if from == CampaignStatus::Paused {
        Vec::new()
    } else {
        missing_for(to, granted)
    };
    if !missing.is_empty() {
        return Err(PortalError::ApprovalsMissing {
            to: to.as_str(),
            missing: missing.iter().map(|k| k.as_str()).collect(),
        });
    }
    Ok(Transition {
        from,
        to,
        request: if to == CampaignStatus::PendingApproval {
            ApprovalKind::ALL.to_vec()
        } else {
            Vec::new()
        },
        withdraw_pending: matches!(to, CampaignStatus::Draft | CampaignStatus::Cancelled),
    })
}

/// A decision on a pending approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Grant it.
    Grant,
    /// Refuse it.
    Reject,
}

/// What resolving an approval does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The approval's new status.
    pub status: ApprovalStatus,
    /// The campaign's status change it causes, if any.
    pub campaign: Option<Transition>,
}

/// Decides an approval: only a pending one of a campaign waiting for approval
/// (or, for the launch, an approved one), never by the user who asked for it.
/// The last of budget/content/schedule granted approves the campaign; a
/// rejection sends it back to draft.
#[allow(clippy::too_many_arguments)]
pub fn resolve(
    approval_status: ApprovalStatus,
    kind: ApprovalKind,
    requested_by: Option<Uuid>,
    resolver: Uuid,
    decision: Decision,
    campaign_status: CampaignStatus,
    granted_before: &[ApprovalKind],
) -> PortalResult<Resolution> {
    if approval_status != ApprovalStatus::Pending {
        return Err(ApiError::Conflict(format!(
            "this approval is already {}",
            approval_status.as_str()
        ))
        .into());
    }
    if requested_by == Some(resolver) {
        return Err(ApiError::Forbidden(
            "an approval cannot be resolved by the user who requested it".into(),
        )
        .into());
    }
    let open = matches!(
        campaign_status,
        CampaignStatus::PendingApproval | CampaignStatus::Approved
    );
    if !open {
        return Err(ApiError::Conflict(format!(
            "the campaign is {}, not waiting for approval",
            campaign_status.as_str()
        ))
        .into());
    }
    match decision {
        // Any refusal sends the campaign back to draft: it is changed and submitted again.
        Decision::Reject => Ok(Resolution {
            status: ApprovalStatus::Rejected,
            campaign: Some(transition(campaign_status, CampaignStatus::Draft, &[])?),
        }),
        Decision::Grant => {
            let mut granted: Vec<ApprovalKind> = granted_before.to_vec();
            granted.push(kind);
            let approve = campaign_status == CampaignStatus::PendingApproval
                && missing_for(CampaignStatus::Approved, &granted).is_empty();
            Ok(Resolution {
                status: ApprovalStatus::Granted,
                campaign: if approve {
                    Some(transition(
                        CampaignStatus::PendingApproval,
                        CampaignStatus::Approved,
                        &granted,
                    )?)
                } else {
                    None
                },
            })
        }
    }
}

/// The kinds granted in the campaign's latest approval round (`approvals` may hold every round).
pub fn granted_in_last_round(approvals: &[crate::store::workflow::Approval]) -> Vec<ApprovalKind> {
    let Some(round) = approvals.iter().map(|a| a.round).max() else {
        return Vec::new();
    };
    granted_in_round(approvals, round)
}

/// The kinds granted in approval round `round`.
pub fn granted_in_round(
    approvals: &[crate::store::workflow::Approval],
    round: i32,
) -> Vec<ApprovalKind> {
    approvals
        .iter()
        .filter(|a| a.round == round && a.status == ApprovalStatus::Granted)
        .map(|a| a.kind)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use CampaignStatus::*;

    fn code<T: std::fmt::Debug>(r: PortalResult<T>) -> &'static str {
        match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.code(),
        }
    }

    #[test]
    fn every_pair_of_statuses_is_legal_exactly_when_it_is_an_edge() {
        for &from in CampaignStatus::ALL {
            for &to in CampaignStatus::ALL {
                let result = transition(from, to, &ApprovalKind::ALL);
                if is_edge(from, to) {
                    let t = result.unwrap_or_else(|e| panic!("{from:?}->{to:?}: {}", e.message()));
                    assert_eq!((t.from, t.to), (from, to));
                } else {
                    assert_eq!(code(result), "ILLEGAL_TRANSITION", "{from:?}->{to:?}");
                }
            }
        }
        for end in [Completed, Cancelled] {
            assert!(
                CampaignStatus::ALL.iter().all(|to| !is_edge(end, *to)),
                "{end:?} is final"
            );
        }
    }

    #[test]
    fn approval_and_launch_need_their_approvals() {
        let three = ApprovalKind::FOR_APPROVED;
        assert_eq!(
            code(transition(PendingApproval, Approved, &[])),
            "APPROVALS_MISSING"
        );
        assert_eq!(
            code(transition(PendingApproval, Approved, &three[..2])),
            "APPROVALS_MISSING"
        );
        assert!(transition(PendingApproval, Approved, &three).is_ok());
        assert_eq!(
            code(transition(Approved, Active, &three)),
            "APPROVALS_MISSING"
        );
        assert!(transition(Approved, Active, &ApprovalKind::ALL).is_ok());
        // Resuming needs nothing new.
        assert!(transition(Paused, Active, &[]).is_ok());
    }

    #[test]
    fn submitting_asks_for_every_approval_and_leaving_withdraws_them() {
        let t = transition(Draft, PendingApproval, &[]).expect("legal");
        assert_eq!(t.request, ApprovalKind::ALL.to_vec());
        assert!(!t.withdraw_pending);
        assert!(
            transition(PendingApproval, Draft, &[])
                .expect("legal")
                .withdraw_pending
        );
        assert!(
            transition(Approved, Cancelled, &[])
                .expect("legal")
                .withdraw_pending
        );
    }

    #[test]
    fn approvals_follow_four_eyes_and_the_last_grant_approves() {
        let (asker, boss) = (Uuid::now_v7(), Uuid::now_v7());
        let pending = ApprovalStatus::Pending;
        let own = resolve(
            pending,
            ApprovalKind::Budget,
            Some(asker),
            asker,
            Decision::Grant,
            PendingApproval,
            &[],
        );
        assert_eq!(code(own), "FORBIDDEN");
        let twice = resolve(
            ApprovalStatus::Granted,
            ApprovalKind::Budget,
            Some(asker),
            boss,
            Decision::Grant,
            PendingApproval,
            &[],
        );
        assert_eq!(code(twice), "CONFLICT");
        let closed = resolve(
            pending,
            ApprovalKind::Budget,
            Some(asker),
            boss,
            Decision::Grant,
            Draft,
            &[],
        );
        assert_eq!(code(closed), "CONFLICT");

        let first = resolve(
            pending,
            ApprovalKind::Budget,
            Some(asker),
            boss,
            Decision::Grant,
            PendingApproval,
            &[],
        )
        .expect("grant");
        assert_eq!(
            (first.status, first.campaign),
            (ApprovalStatus::Granted, None)
        );
        let last = resolve(
            pending,
            ApprovalKind::Schedule,
            Some(asker),
            boss,
            Decision::Grant,
            PendingApproval,
            &[ApprovalKind::Budget, ApprovalKind::Content],
        )
        .expect("grant");
        assert_eq!(last.campaign.map(|t| t.to), Some(Approved));
        // The launch approval alone never approves a campaign.
        let launch = resolve(
            pending,
            ApprovalKind::Launch,
            Some(asker),
            boss,
            Decision::Grant,
            PendingApproval,
            &[],
        )
        .expect("grant");
        assert_eq!(launch.campaign, None);

        let rejected = resolve(
            pending,
            ApprovalKind::Content,
            None,
            boss,
            Decision::Reject,
            PendingApproval,
            &[],
        )
        .expect("reject");
        assert_eq!(rejected.status, ApprovalStatus::Rejected);
        assert_eq!(
            rejected.campaign.map(|t| (t.to, t.withdraw_pending)),
            Some((Draft, true))
        );
        let launch_refused = resolve(
            pending,
            ApprovalKind::Launch,
            None,
            boss,
            Decision::Reject,
            Approved,
            &[],
        )
        .expect("reject");
        assert_eq!(
            launch_refused.campaign.map(|t| t.to),
            Some(Draft),
            "back to draft to be changed"
        );
    }
}
