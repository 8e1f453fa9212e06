//! The names the adapter writes and reads, pinned: risk classes and policies are in operators'
//! `PROMPTSALES_MCP_TOOL_POLICY`, and classes, outcomes and transports in the audit log sales
//! keeps (`recordToolCall`) and in tool results, so renaming a variant must fail here first.

use promptsales_kit::StrEnum;
use promptsales_kit::names::assert_pinned;

use crate::risk::{Policy, RiskClass};
use crate::server::Transport;
use crate::supervision::Outcome;

#[test]
fn risk_classes_and_policies() {
    use RiskClass::*;
    assert_pinned(&[
        (Read, "read"),
        (Write, "write"),
        (Sensitive, "sensitive"),
        (Launch, "launch"),
        (Spend, "spend"),
        (Erase, "erase"),
        (Permissions, "permissions"),
    ]);
    assert_pinned(&[
        (Policy::Run, "run"),
        (Policy::Approve, "approve"),
        (Policy::Deny, "deny"),
    ]);
    // Mildest first: an operation takes its strongest root field's class.
    assert!(RiskClass::ALL.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn audit_names() {
    use Outcome::*;
    assert_pinned(&[
        (Succeeded, "SUCCEEDED"),
        (Failed, "FAILED"),
        (Refused, "REFUSED"),
        (ApprovalRequested, "APPROVAL_REQUESTED"),
    ]);
    assert_pinned(&[(Transport::Stdio, "stdio"), (Transport::Http, "http")]);
}
