//! Limits checked on a client's raw text before anything parses it.
//!
//! GraphQL parsers (graphql-tools' combine parser in the router and the MCP
//! adapter, async-graphql's pest parser in the subgraphs) and the validation
//! rules after them recurse once per nesting level and, for fragments, once per
//! spread: a 263-byte document nested 50 deep, or 30 fragments that each spread
//! the previous one twice, cost far more than their size, and more again in debug
//! builds. [`check_document`] and [`check_json_depth`] walk the bytes once,
//! without recursion or allocation proportional to nesting, so a hostile request
//! is refused in time proportional to its size, before that work starts.

use std::collections::HashMap;

#[cfg(feature = "http")]
pub mod http;

/// Code of a document or JSON value nested deeper than allowed.
pub const MAX_DEPTH_EXCEEDED: &str = "MAX_DEPTH_EXCEEDED";
/// Code of a document with more tokens than allowed.
pub const TOKEN_LIMIT_EXCEEDED: &str = "TOKEN_LIMIT_EXCEEDED";
/// Code of a document with more aliases than allowed.
pub const MAX_ALIASES_EXCEEDED: &str = "MAX_ALIASES_EXCEEDED";
/// Code of a document whose fields, with every fragment spread expanded, exceed the limit.
pub const MAX_FIELDS_EXCEEDED: &str = "MAX_FIELDS_EXCEEDED";
/// Code of a document whose fragments spread each other in a cycle.
pub const FRAGMENT_CYCLE: &str = "GRAPHQL_VALIDATION_FAILED";
/// Code of a JSON body nested deeper than allowed.
pub const MAX_JSON_DEPTH_EXCEEDED: &str = "MAX_JSON_DEPTH_EXCEEDED";

/// Default deepest selection (fragments expanded) the pre-parse check lets through;
/// the precise per-service depth rule runs after parsing.
pub const DEFAULT_MAX_DEPTH: usize = 32;
/// Default deepest bracket nesting (`{`, `(`, `[`) of a document, arguments included.
pub const DEFAULT_MAX_NESTING: usize = 40;
/// Default most tokens in a document (the router's `limits.max_tokens`).
pub const DEFAULT_MAX_TOKENS: usize = 4000;
/// Default most aliases in a document, fragments expanded.
pub const DEFAULT_MAX_ALIASES: usize = 30;
/// Default most fields in a document with every fragment spread expanded.
pub const DEFAULT_MAX_FIELDS: usize = 5000;
/// Default deepest JSON nesting of a request body (variables, extensions).
pub const DEFAULT_MAX_JSON_DEPTH: usize = 32;

/// What a document may hold before it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Deepest selection, fragments expanded (a field at the top is depth 1).
    pub max_depth: usize,
    /// Deepest nesting of brackets of any kind (selection sets, arguments, lists, objects).
    pub max_nesting: usize,
    /// Most lexical tokens.
    pub max_tokens: usize,
    /// Most aliases, fragments expanded.
    pub max_aliases: usize,
    /// Most fields, fragments expanded (what a "doubling fragments" document blows up).
    pub max_fields: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self {
            max_depth: DEFAULT_MAX_DEPTH,
            max_nesting: DEFAULT_MAX_NESTING,
            max_tokens: DEFAULT_MAX_TOKENS,
            max_aliases: DEFAULT_MAX_ALIASES,
            max_fields: DEFAULT_MAX_FIELDS,
        }
    }
}

/// A limit a request went over: its stable code and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LimitExceeded {
    /// The stable `extensions.code`.
    pub code: &'static str,
    /// What went over, and the limit.
    pub message: String,
}

impl LimitExceeded {
    fn new(code: &'static str, message: String) -> Self {
        Self { code, message }
    }
}

/// What [`check_document`] measured (fragments expanded where it says so).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentStats {
    /// Lexical tokens.
    pub tokens: usize,
    /// Deepest bracket nesting.
    pub nesting: usize,
    /// Deepest selection of any operation, fragments expanded.
    pub depth: usize,
    /// Aliases of the operation with the most, fragments expanded.
    pub aliases: usize,
    /// Fields of the operation with the most, fragments expanded.
    pub fields: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Punct(u8),
    Spread,
    Name(&'a str),
    /// Numbers, strings, and bytes no GraphQL token starts with (the parser reports those).
    Value,
}

/// One operation's or fragment's own counts, and the fragments it spreads.
#[derive(Debug, Default)]
struct Definition<'a> {
    fields: usize,
    aliases: usize,
    depth: usize,
    /// (fragment name, selection depth of the spread).
    spreads: Vec<(&'a str, usize)>,
}

/// Counts of a fragment with its spreads expanded.
#[derive(Debug, Clone, Copy)]
struct Expanded {
    fields: usize,
    aliases: usize,
    depth: usize,
}

#[derive(Clone, Copy)]
enum Visit {
    InProgress,
    Done(Expanded),
}

/// Checks `document` against `limits` in one pass over its bytes plus one over its
/// fragment graph (memoised, so doubling spreads cost nothing extra).
///
/// A document that is not valid GraphQL may pass: the parser reports it. What passes
/// costs the parser and validation no more than its limits allow.
pub fn check_document(
    document: &str,
    limits: &DocumentLimits,
) -> Result<DocumentStats, LimitExceeded> {
    let mut lexer = Lexer {
        bytes: document.as_bytes(),
        text: document,
        pos: 0,
    };
    let mut stats = DocumentStats::default();
    let mut operations: Vec<Definition<'_>> = Vec::new();
    let mut fragments: HashMap<&str, Definition<'_>> = HashMap::new();

    // The definition being read: an operation index, or a fragment name.
    enum Current<'a> {
        None,
        Operation(usize),
        Fragment(&'a str),
    }
    let mut current = Current::None;
    let mut nesting = 0usize;
    // Open `(` and `[`: braces inside them are input objects, not selection sets.
    let mut value_nesting = 0usize;
    let mut selection_depth = 0usize;
    let mut prev: Option<Token<'_>> = None;
    let mut prev2: Option<Token<'_>> = None;
    let mut expect_fragment_name = false;

    while let Some(token) = lexer.next_token() {
        stats.tokens += 1;
        if stats.tokens > limits.max_tokens {
            return Err(LimitExceeded::new(
                TOKEN_LIMIT_EXCEEDED,
                format!(
                    "Token limit exceeded: the document has more than {} tokens.",
                    limits.max_tokens
                ),
            ));
        }
        let top_level = nesting == 0;
        let in_selection = selection_depth > 0 && value_nesting == 0;
        match token {
            Token::Punct(open @ (b'{' | b'(' | b'[')) => {
                nesting += 1;
                stats.nesting = stats.nesting.max(nesting);
                if nesting > limits.max_nesting {
                    return Err(LimitExceeded::new(
                        MAX_DEPTH_EXCEEDED,
                        format!(
                            "Document nested deeper than {} brackets.",
                            limits.max_nesting
                        ),
                    ));
                }
                if open == b'{' && value_nesting == 0 {
                    if top_level && matches!(current, Current::None) {
                        // An anonymous `{ ... }` operation.
                        operations.push(Definition::default());
                        current = Current::Operation(operations.len() - 1);
                    }
                    selection_depth += 1;
                    let definition = match &current {
                        Current::Operation(i) => operations.get_mut(*i),
                        Current::Fragment(name) => fragments.get_mut(name),
                        Current::None => None,
                    };
                    if let Some(definition) = definition {
                        definition.depth = definition.depth.max(selection_depth);
                        if definition.depth > limits.max_depth {
                            return Err(depth_exceeded(limits.max_depth));
                        }
                    }
                } else {
                    value_nesting += 1;
                }
            }
            Token::Punct(b'}' | b')' | b']') => {
                nesting = nesting.saturating_sub(1);
                if value_nesting > 0 {
                    value_nesting -= 1;
                } else if selection_depth > 0 {
                    selection_depth -= 1;
                    // Only the definition's own selection set ends it (not its variables or directives).
                    if selection_depth == 0 {
                        current = Current::None;
                    }
                }
            }
            Token::Name(name) if top_level && matches!(current, Current::None) => {
                if expect_fragment_name {
                    expect_fragment_name = false;
                    // A repeated name is a validation error; counting it once more is harmless.
                    fragments.insert(name, Definition::default());
                    current = Current::Fragment(name);
                } else if name == "fragment" {
                    expect_fragment_name = true;
                } else {
                    // `query`, `mutation`, `subscription` (or garbage the parser refuses).
                    operations.push(Definition::default());
                    current = Current::Operation(operations.len() - 1);
                }
            }
            Token::Name(name) if in_selection => {
                let definition = match &current {
                    Current::Operation(i) => operations.get_mut(*i),
                    Current::Fragment(fragment) => fragments.get_mut(fragment),
                    Current::None => None,
                };
                if let Some(definition) = definition {
                    match (prev, prev2) {
                        (Some(Token::Spread), _) if name != "on" => {
                            definition.spreads.push((name, selection_depth))
                        }
                        // `... on Type`, `@directive`: not fields.
                        (Some(Token::Spread), _)
                        | (Some(Token::Name("on")), Some(Token::Spread))
                        | (Some(Token::Punct(b'@')), _) => {}
                        _ => definition.fields += 1,
                    }
                }
            }
            Token::Punct(b':') if in_selection => {
                // `alias: field`: the alias was counted as a field; the field name will be.
                let definition = match &current {
                    Current::Operation(i) => operations.get_mut(*i),
                    Current::Fragment(fragment) => fragments.get_mut(fragment),
                    Current::None => None,
                };
                if let Some(definition) = definition {
                    definition.aliases += 1;
                    definition.fields = definition.fields.saturating_sub(1);
                }
            }
            _ => {}
        }
        prev2 = prev;
        prev = Some(token);
    }

    // Expand spreads: each fragment once (memoised), cycles refused.
    let mut memo: HashMap<&str, Visit> = HashMap::new();
    for operation in &operations {
        let expanded = expand(operation, &fragments, &mut memo, limits)?;
        stats.depth = stats.depth.max(expanded.depth);
        stats.aliases = stats.aliases.max(expanded.aliases);
        stats.fields = stats.fields.max(expanded.fields);
    }
    // Fragments no operation spreads still cost validation.
    for definition in fragments.values() {
        let expanded = expand(definition, &fragments, &mut memo, limits)?;
        stats.depth = stats.depth.max(expanded.depth);
    }
    Ok(stats)
}

fn depth_exceeded(max: usize) -> LimitExceeded {
    LimitExceeded::new(
        MAX_DEPTH_EXCEEDED,
        format!("Query depth limit of {max} exceeded."),
    )
}

/// The counts of `definition` with its spreads expanded, without recursion: an explicit
/// stack walks the fragment graph depth-first.
fn expand<'a>(
    definition: &Definition<'a>,
    fragments: &HashMap<&'a str, Definition<'a>>,
    memo: &mut HashMap<&'a str, Visit>,
    limits: &DocumentLimits,
) -> Result<Expanded, LimitExceeded> {
    // Resolve every fragment reachable from `definition` first, children before parents.
    let mut stack: Vec<(&'a str, bool)> = definition
        .spreads
        .iter()
        .map(|(name, _)| (*name, false))
        .collect();
    while let Some((name, children_done)) = stack.pop() {
        let Some(fragment) = fragments.get(name) else {
            // Unknown fragment: the validator reports it; it adds nothing.
            continue;
        };
        if children_done {
            let expanded = combine(fragment, memo, limits)?;
            memo.insert(name, Visit::Done(expanded));
            continue;
        }
        match memo.get(name) {
            Some(Visit::Done(_)) => continue,
            Some(Visit::InProgress) => {
                return Err(LimitExceeded::new(
                    FRAGMENT_CYCLE,
                    format!("Cannot spread fragment \"{name}\" within itself."),
                ));
            }
            None => {}
        }
        memo.insert(name, Visit::InProgress);
        stack.push((name, true));
        for (child, _) in &fragment.spreads {
            match memo.get(child) {
                Some(Visit::Done(_)) => {}
                Some(Visit::InProgress) => {
                    return Err(LimitExceeded::new(
                        FRAGMENT_CYCLE,
                        format!("Cannot spread fragment \"{child}\" within itself."),
                    ));
                }
                None => stack.push((child, false)),
            }
        }
    }
    combine(definition, memo, limits)
}

/// One definition's counts from its own and its (already expanded) spreads'.
fn combine(
    definition: &Definition<'_>,
    memo: &HashMap<&str, Visit>,
    limits: &DocumentLimits,
) -> Result<Expanded, LimitExceeded> {
    let mut total = Expanded {
        fields: definition.fields,
        aliases: definition.aliases,
        depth: definition.depth,
    };
    for (name, at_depth) in &definition.spreads {
        if let Some(Visit::Done(child)) = memo.get(name) {
            total.fields = total.fields.saturating_add(child.fields);
            total.aliases = total.aliases.saturating_add(child.aliases);
            // The fragment's top-level fields sit at the spread's own depth.
            total.depth = total
                .depth
                .max(at_depth.saturating_add(child.depth).saturating_sub(1));
        }
    }
    if total.depth > limits.max_depth {
        return Err(depth_exceeded(limits.max_depth));
    }
    if total.aliases > limits.max_aliases {
        return Err(LimitExceeded::new(
            MAX_ALIASES_EXCEEDED,
            format!(
                "Aliases limit of {} exceeded (fragments expanded).",
                limits.max_aliases
            ),
        ));
    }
    if total.fields > limits.max_fields {
        return Err(LimitExceeded::new(
            MAX_FIELDS_EXCEEDED,
            format!(
                "The document selects more than {} fields once its fragments are expanded.",
                limits.max_fields
            ),
        ));
    }
    Ok(total)
}

struct Lexer<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn next_token(&mut self) -> Option<Token<'a>> {
        self.skip_ignored();
        let byte = *self.bytes.get(self.pos)?;
        let start = self.pos;
        self.pos += 1;
        Some(match byte {
            b'.' => {
                if self.bytes.get(self.pos..self.pos + 2) == Some(b"..") {
                    self.pos += 2;
                    Token::Spread
                } else {
                    Token::Value
                }
            }
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|'
            | b'}' => Token::Punct(byte),
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                while self
                    .bytes
                    .get(self.pos)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                {
                    self.pos += 1;
                }
                // ASCII boundaries, so the slice is always on char boundaries.
                Token::Name(self.text.get(start..self.pos).unwrap_or(""))
            }
            b'-' | b'0'..=b'9' => {
                while self
                    .bytes
                    .get(self.pos)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
                {
                    self.pos += 1;
                }
                Token::Value
            }
            b'"' => {
                if self.bytes.get(self.pos..self.pos + 2) == Some(b"\"\"") {
                    self.pos += 2;
                    self.skip_block_string();
                } else {
                    self.skip_string();
                }
                Token::Value
            }
            _ => {
                // Skip the rest of a multi-byte character in one token.
                while self.bytes.get(self.pos).is_some_and(|b| (b & 0xC0) == 0x80) {
                    self.pos += 1;
                }
                Token::Value
            }
        })
    }

    fn skip_ignored(&mut self) {
        while let Some(&byte) = self.bytes.get(self.pos) {
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => self.pos += 1,
                // The byte-order mark.
                0xEF if self.bytes.get(self.pos..self.pos + 3) == Some(b"\xEF\xBB\xBF") => {
                    self.pos += 3
                }
                b'#' => {
                    while self
                        .bytes
                        .get(self.pos)
                        .is_some_and(|b| *b != b'\n' && *b != b'\r')
                    {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn skip_string(&mut self) {
        while let Some(&byte) = self.bytes.get(self.pos) {
            self.pos += 1;
            match byte {
                b'\\' => self.pos += 1,
                b'"' | b'\n' | b'\r' => return,
                _ => {}
            }
        }
    }

    fn skip_block_string(&mut self) {
        while self.pos < self.bytes.len() {
            if self.bytes.get(self.pos..self.pos + 4) == Some(b"\\\"\"\"") {
                self.pos += 4;
            } else if self.bytes.get(self.pos..self.pos + 3) == Some(b"\"\"\"") {
                self.pos += 3;
                return;
            } else {
                self.pos += 1;
            }
        }
    }
}

/// Checks that the JSON text `bytes` nests objects and arrays at most `max_depth` deep,
/// in one pass and without parsing it (invalid JSON passes: the parser reports it).
pub fn check_json_depth(bytes: &[u8], max_depth: usize) -> Result<(), LimitExceeded> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(LimitExceeded::new(
                        MAX_JSON_DEPTH_EXCEEDED,
                        format!("JSON nested deeper than {max_depth} levels."),
                    ));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "{ a ".repeat(depth), "}".repeat(depth))
    }

    fn doubling(levels: usize) -> String {
        let mut doc = String::from("query { a { ...F0 } }\nfragment F0 on T { a b }\n");
        for i in 1..=levels {
            doc.push_str(&format!(
                "fragment F{i} on T {{ ...F{p} ...F{p} }}\n",
                p = i - 1
            ));
        }
        doc.replace("...F0 } }\n", &format!("...F{levels} }} }}\n"))
    }

    #[test]
    fn counts_a_plain_query() {
        let stats = check_document(
            r#"query Q($id: ID!) { campaign(id: $id, filter: {a: {b: [1, 2]}}) { id name n: budget } }"#,
            &DocumentLimits::default(),
        )
        .unwrap();
        assert_eq!(stats.depth, 2);
        assert_eq!(stats.fields, 4);
        assert_eq!(stats.aliases, 1);
        assert_eq!(stats.nesting, 5);
    }

    #[test]
    fn refuses_deep_selections_before_parsing() {
        let limits = DocumentLimits::default();
        assert!(check_document(&nested(30), &limits).is_ok());
        for depth in [50, 10_000] {
            let err = check_document(&nested(depth), &limits).unwrap_err();
            assert_eq!(err.code, MAX_DEPTH_EXCEEDED, "depth {depth}");
        }
        // Unclosed brackets count as well.
        let err = check_document(&"{".repeat(100_000), &limits).unwrap_err();
        assert_eq!(err.code, MAX_DEPTH_EXCEEDED);
    }

    #[test]
    fn refuses_deep_arguments() {
        let doc = format!("{{ a(x: {}1{}) }}", "[".repeat(60), "]".repeat(60));
        let err = check_document(&doc, &DocumentLimits::default()).unwrap_err();
        assert_eq!(err.code, MAX_DEPTH_EXCEEDED);
    }

    #[test]
    fn depth_counts_through_fragments() {
        let doc = "{ a { ...F } } fragment F on A { b { c } }";
        assert_eq!(
            check_document(doc, &DocumentLimits::default())
                .unwrap()
                .depth,
            3
        );
        // A chain of fragments, each one level deeper: deep without deep brackets.
        let mut chain = String::from("{ ...F0 }\n");
        for i in 0..40 {
            chain.push_str(&format!("fragment F{i} on T {{ a {{ ...F{} }} }}\n", i + 1));
        }
        chain.push_str("fragment F40 on T { a }\n");
        let err = check_document(&chain, &DocumentLimits::default()).unwrap_err();
        assert_eq!(err.code, MAX_DEPTH_EXCEEDED);
    }

    #[test]
    fn doubling_fragments_are_refused_in_linear_time() {
        let limits = DocumentLimits::default();
        let small = check_document(&doubling(5), &limits).unwrap();
        assert_eq!(small.fields, 1 + 2 * 32);
        let roomy = DocumentLimits {
            max_tokens: usize::MAX,
            ..limits
        };
        for levels in [30, 64, 5_000] {
            let err = check_document(&doubling(levels), &roomy).unwrap_err();
            assert_eq!(err.code, MAX_FIELDS_EXCEEDED, "levels {levels}");
        }
    }

    #[test]
    fn directives_on_definitions_do_not_hide_a_fragment() {
        let mut doc = doubling(30);
        doc = doc.replace(" on T {", " on T @a(x: 1) {");
        let err = check_document(&doc, &DocumentLimits::default()).unwrap_err();
        assert_eq!(err.code, MAX_FIELDS_EXCEEDED);
        let doc = "query Q($a: In = {x: 1}) @d(y: 2) { a { b } }";
        let stats = check_document(doc, &DocumentLimits::default()).unwrap();
        assert_eq!((stats.depth, stats.fields), (2, 2));
    }

    #[test]
    fn refuses_fragment_cycles() {
        let doc = "{ ...A } fragment A on T { ...B } fragment B on T { ...A }";
        let err = check_document(doc, &DocumentLimits::default()).unwrap_err();
        assert_eq!(err.code, FRAGMENT_CYCLE);
        let doc = "{ ...A } fragment A on T { x ...A }";
        assert!(check_document(doc, &DocumentLimits::default()).is_err());
    }

    #[test]
    fn counts_tokens_and_aliases() {
        let limits = DocumentLimits {
            max_tokens: 10,
            ..DocumentLimits::default()
        };
        let err = check_document("{ a b c d e f g h i j k }", &limits).unwrap_err();
        assert_eq!(err.code, TOKEN_LIMIT_EXCEEDED);
        let aliases: String = (0..31).map(|i| format!("a{i}: id ")).collect();
        let err =
            check_document(&format!("{{ {aliases} }}"), &DocumentLimits::default()).unwrap_err();
        assert_eq!(err.code, MAX_ALIASES_EXCEEDED);
        // Aliases in a fragment count once per spread.
        let doc = format!(
            "{{ ...F ...F2 }} fragment F on T {{ {} }} fragment F2 on T {{ ...F }}",
            (0..20).map(|i| format!("a{i}: id ")).collect::<String>()
        );
        let err = check_document(&doc, &DocumentLimits::default()).unwrap_err();
        assert_eq!(err.code, MAX_ALIASES_EXCEEDED);
    }

    #[test]
    fn strings_comments_and_inline_fragments_are_not_structure() {
        let doc = "# {{{{{{{{\n{ a(x: \"{{{{ \\\" [[[[\", y: \"\"\"{{{ \\\"\"\" [[[\"\"\") { ... on T @skip(if: false) { b } } }";
        let stats = check_document(doc, &DocumentLimits::default()).unwrap();
        assert_eq!(stats.depth, 3);
        assert_eq!(stats.fields, 2);
        assert_eq!(stats.aliases, 0);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let limits = DocumentLimits::default();
        for doc in [
            "",
            "\"",
            "\"\"\"",
            "...",
            "{ ...",
            "fragment",
            "fragment F",
            "}}}}",
            "é{ñ}",
            "\u{feff}{a}",
            "{ a: }",
            ": : :",
            "query { ... on }",
        ] {
            let _ = check_document(doc, &limits);
        }
    }

    #[test]
    fn json_depth_ignores_strings() {
        assert!(check_json_depth(br#"{"a":[[[1]]],"s":"[[[[[[[[[[["}"#, 4).is_ok());
        assert!(check_json_depth(br#"{"a":[[[[1]]]]}"#, 4).is_err());
        assert!(check_json_depth(br#"{"s":"\"[[[[[[","b":1}"#, 2).is_ok());
        let deep = format!(r#"{{"x":{}1{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
        let err = check_json_depth(deep.as_bytes(), DEFAULT_MAX_JSON_DEPTH).unwrap_err();
        assert_eq!(err.code, MAX_JSON_DEPTH_EXCEEDED);
    }
}
