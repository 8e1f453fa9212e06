//! `completion/complete`. The protocol completes only prompt arguments and resource-template
//! arguments (`ref/prompt`, `ref/resource`), not tool arguments: a tool's enum-like arguments
//! list their values as `enum` in its input schema instead. Prompt placeholders that name an
//! enum of the graph (a channel, a stage, a status) are completed with its values.

use crate::schema::SchemaIndex;

/// Which enum of the graph a placeholder's values come from.
fn enum_of(placeholder: &str) -> Option<&'static str> {
    match placeholder {
        "channel" => Some("ContentChannel"),
        "stage" | "lead_stage" => Some("LeadStage"),
        "status" | "campaign_status" => Some("CampaignStatus"),
        "purpose" => Some("PromptTemplatePurpose"),
        "interaction_channel" => Some("InteractionChannel"),
        _ => None,
    }
}

/// The values of an enum-like placeholder that start with what was typed (any case).
pub fn placeholder_values(index: &SchemaIndex, placeholder: &str, typed: &str) -> Vec<String> {
    let Some(name) = enum_of(placeholder) else {
        return Vec::new();
    };
    let typed = typed.to_ascii_uppercase();
    index
        .enum_values(name)
        .into_iter()
        .filter(|v| v.starts_with(&typed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_placeholder_completes_with_the_graphs_channels() {
        let index = SchemaIndex::parse(crate::config::BUILT_SUPERGRAPH).expect("parses");
        let all = placeholder_values(&index, "channel", "");
        assert!(all.contains(&"INSTAGRAM".to_string()), "{all:?}");
        assert_eq!(placeholder_values(&index, "channel", "ins"), ["INSTAGRAM"]);
        assert!(placeholder_values(&index, "key_message", "").is_empty());
    }
}
