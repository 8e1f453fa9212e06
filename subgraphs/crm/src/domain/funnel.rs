//! The funnel's state machine: which stage moves are allowed.
//!
//! Forward one step at a time (IQL -> MQL -> SQL -> opportunity -> won), one
//! step back from SQL and opportunity (a lead that is not ready yet), to lost
//! from any open stage, and a lost lead may be reopened at IQL. Won is final:
//! a sale happened, and undoing it is a refund, not a stage move.

use super::Invalid;
use super::lead::LeadStage;
use promptsales_kit::StrEnum;

/// The stages a lead at `from` may move to.
pub fn allowed_moves(from: LeadStage) -> &'static [LeadStage] {
    use LeadStage::*;
    match from {
        Iql => &[Mql, Lost],
        Mql => &[Sql, Lost],
        Sql => &[Opportunity, Mql, Lost],
        Opportunity => &[Won, Sql, Lost],
        Won => &[],
        Lost => &[Iql],
    }
}

/// Whether a lead at `stage` is still worked (not won or lost).
pub fn is_open(stage: LeadStage) -> bool {
    !matches!(stage, LeadStage::Won | LeadStage::Lost)
}

/// Checks a move, naming `input.stage` when it is not allowed.
pub fn check_move(from: LeadStage, to: LeadStage) -> Result<(), Invalid> {
    if allowed_moves(from).contains(&to) {
        return Ok(());
    }
    let allowed: Vec<&str> = allowed_moves(from).iter().map(|s| s.as_str()).collect();
    Err(Invalid::new(
        "input.stage",
        format!(
            "a lead cannot move from {} to {}; allowed: {}",
            from.as_str(),
            to.as_str(),
            if allowed.is_empty() {
                "none (won is final)".to_string()
            } else {
                allowed.join(", ")
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_follow_the_funnel() {
        use LeadStage::*;
        assert!(check_move(Iql, Mql).is_ok());
        assert!(check_move(Opportunity, Won).is_ok());
        assert!(check_move(Lost, Iql).is_ok());
        assert_eq!(check_move(Iql, Won).unwrap_err().field, "input.stage");
        assert!(check_move(Won, Lost).is_err(), "won is final");
        assert!(check_move(Mql, Mql).is_err(), "no move to the same stage");
        for &from in LeadStage::ALL {
            for to in allowed_moves(from) {
                assert_ne!(from, *to);
            }
        }
        assert!(is_open(Sql) && !is_open(Won) && !is_open(Lost));
    }
}
