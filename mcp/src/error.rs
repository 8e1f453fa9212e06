//! The adapter's errors.

/// What can go wrong inside the adapter (never sent to a model as is: tool errors say what to fix).
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// The supergraph SDL could not be read or parsed.
    #[error("supergraph: {0}")]
    Schema(String),
    /// An operation file is not a usable tool.
    #[error("{file}: {message}")]
    Operation {
        /// The file (or embedded name).
        file: String,
        /// What is wrong with it.
        message: String,
    },
    /// Configuration is missing or malformed.
    #[error("configuration: {0}")]
    Config(String),
    /// A token could not be obtained or verified.
    #[error("identity: {0}")]
    Identity(String),
    /// The router could not be reached or answered something that is not GraphQL.
    #[error("router: {0}")]
    Router(String),
    /// An I/O failure (files, sockets).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
