//! The MCP adapter's JSON-RPC decoding: a POST body as its streamable HTTP transport
//! decodes it (rmcp's `ClientJsonRpcMessage`, serde_json), and for a tool call carrying a
//! GraphQL document (`validateOperation`, `executeOperation`) what the adapter runs before
//! its schema walk: the document limits, then graphql-tools' parser. Whatever the bytes:
//! no panic, no stack overflow, time and memory bounded.

#![no_main]

use libfuzzer_sys::fuzz_target;
use promptsales_guard::{DocumentLimits, check_document};
use rmcp::model::{ClientJsonRpcMessage, ClientRequest, JsonRpcMessage};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = serde_json::from_slice::<ClientJsonRpcMessage>(data) else {
        return;
    };
    let JsonRpcMessage::Request(request) = message else {
        return;
    };
    let ClientRequest::CallToolRequest(call) = request.request else {
        return;
    };
    let Some(arguments) = call.params.arguments else {
        return;
    };
    // The adapter's defaults (`PROMPTSALES_MCP_MAX_*` unset).
    let limits = DocumentLimits::default();
    if let Some(Value::String(operation)) = arguments.get("operation")
        && check_document(operation, &limits).is_ok()
    {
        let _ = graphql_tools::parser::parse_query::<String>(operation);
    }
});
