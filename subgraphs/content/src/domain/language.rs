//! The language an audience reads: the offline writer's built-in wording in it, and what a
//! model is asked to write in.
//!
//! The offline writer is not a model: it fills fixed sentences. So that a Spanish or French
//! audience gets Spanish or French copy offline too, the built-in bodies, the angles' opening
//! lines and the default call to action exist in each supported language. The campaign's own
//! words (name, key message, call to action) are used as the customer wrote them.

use promptsales_kit::ApiError;

/// A supported audience language (ISO 639-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// English (the default).
    #[default]
    En,
    /// Spanish.
    Es,
    /// French.
    Fr,
}

impl Language {
    /// Every supported language.
    pub const ALL: [Language; 3] = [Self::En, Self::Es, Self::Fr];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
            Self::Fr => "fr",
        }
    }

    /// Its English name, for a model's instructions.
    pub fn english_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Es => "Spanish",
            Self::Fr => "French",
        }
    }

    /// Reads `en`, `es`, `fr` (any case, a region such as `es-MX` allowed); absent is English.
    pub fn parse(field: &str, raw: Option<&str>) -> Result<Self, ApiError> {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(Self::En);
        };
        let primary = raw
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|l| l.code() == primary)
            .ok_or_else(|| {
                ApiError::bad_input(
                    field,
                    format!("{field} must be one of en, es, fr (ISO 639-1), not {raw:?}"),
                )
            })
    }

    /// The default call to action.
    pub fn default_call_to_action(self) -> &'static str {
        match self {
            Self::En => "Find out more today.",
            Self::Es => "Descubre más hoy.",
            Self::Fr => "Découvrez-en plus dès aujourd'hui.",
        }
    }

    /// The question angle's opening line: `{audience}, what if {message}?`.
    pub fn question_hook(self, audience: &str, message: &str) -> String {
        match self {
            Self::En => format!("{audience}, what if {message}?"),
            Self::Es => format!("{audience}, ¿y si {message}?"),
            Self::Fr => format!("{audience}, et si {message} ?"),
        }
    }

    /// The proof angle's opening line.
    pub fn proof_hook(self, audience: &str, campaign: &str, message: &str) -> String {
        match self {
            Self::En => format!("How {audience} get there: {campaign} shows that {message}."),
            Self::Es => {
                format!("Cómo lo consiguen {audience}: {campaign} demuestra que {message}.")
            }
            Self::Fr => format!("Comment {audience} y arrivent : {campaign} montre que {message}."),
        }
    }

    /// The built-in campaign-content body of an e-mail, a blog post or another channel.
    pub fn campaign_body(self, kind: BodyKind) -> &'static str {
        match (self, kind) {
            (Self::En, BodyKind::Email) => {
                "Subject: {{campaign_name}}: {{key_message}}\n\n{{hook}}\n\nIn short: {{campaign_name}} helps {{audience}}: {{key_message}}.\n\n{{call_to_action}}"
            }
            (Self::En, BodyKind::Blog) => {
                "{{hook}}\n\nIn short: {{campaign_name}} helps {{audience}}: {{key_message}}.\n\nWhy it matters for {{audience}}: {{keywords}}.\n\n{{call_to_action}}"
            }
            (Self::En, BodyKind::Post) => {
                "{{hook}}\n\n{{key_message}}. In short: {{campaign_name}} is made for {{audience}}.\n\n{{call_to_action}}"
            }
            (Self::Es, BodyKind::Email) => {
                "Asunto: {{campaign_name}}: {{key_message}}\n\n{{hook}}\n\nEn resumen: {{campaign_name}} ayuda a {{audience}}: {{key_message}}.\n\n{{call_to_action}}"
            }
            (Self::Es, BodyKind::Blog) => {
                "{{hook}}\n\nEn resumen: {{campaign_name}} ayuda a {{audience}}: {{key_message}}.\n\nPor qué importa a {{audience}}: {{keywords}}.\n\n{{call_to_action}}"
            }
            (Self::Es, BodyKind::Post) => {
                "{{hook}}\n\n{{key_message}}. En resumen: {{campaign_name}} está pensado para {{audience}}.\n\n{{call_to_action}}"
            }
            (Self::Fr, BodyKind::Email) => {
                "Objet : {{campaign_name}} : {{key_message}}\n\n{{hook}}\n\nEn bref : {{campaign_name}} aide {{audience}} : {{key_message}}.\n\n{{call_to_action}}"
            }
            (Self::Fr, BodyKind::Blog) => {
                "{{hook}}\n\nEn bref : {{campaign_name}} aide {{audience}} : {{key_message}}.\n\nPourquoi c'est important pour {{audience}} : {{keywords}}.\n\n{{call_to_action}}"
            }
            (Self::Fr, BodyKind::Post) => {
                "{{hook}}\n\n{{key_message}}. En bref : {{campaign_name}} est fait pour {{audience}}.\n\n{{call_to_action}}"
            }
        }
    }
}

/// Which built-in body a channel uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// An e-mail (with a subject line).
    Email,
    /// A blog or landing page.
    Blog,
    /// A social post.
    Post,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_with_regions_and_unknown_ones_name_the_field() {
        assert_eq!(Language::parse("f", None).ok(), Some(Language::En));
        assert_eq!(Language::parse("f", Some("es-MX")).ok(), Some(Language::Es));
        assert_eq!(Language::parse("f", Some("FR")).ok(), Some(Language::Fr));
        match Language::parse("input.audiences[0].language", Some("klingon")) {
            Err(ApiError::BadInput { field, .. }) => {
                assert_eq!(field, "input.audiences[0].language")
            }
            other => panic!("expected bad input, got {other:?}"),
        }
    }
}
