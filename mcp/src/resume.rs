//! Resumed streams answer only what the client missed.
//!
//! rmcp 3.9 replays a stream resumed with `Last-Event-ID` from that event inclusive (its
//! `sync` starts at the named index); the SSE standard and the MCP transport want the
//! events *after* it. This layer drops the one event the client already has, so a client
//! never sees a response (or a priming event) twice.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;

/// The request header naming the last event a client received.
const LAST_EVENT_ID: &str = "last-event-id";

/// Middleware: on a `GET` with `Last-Event-ID`, drops that event from the replay.
pub async fn skip_seen_event(request: Request, next: Next) -> Response {
    let seen = if request.method() == Method::GET {
        request
            .headers()
            .get(LAST_EVENT_ID)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    } else {
        None
    };
    let response = next.run(request).await;
    match seen {
        Some(seen) => {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, without_event(body, seen))
        }
        None => response,
    }
}

/// Where the first complete event of `buffer` ends (after its blank line).
fn event_end(buffer: &[u8]) -> Option<usize> {
    let lf = buffer.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let crlf = buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The `id:` field of one event, if it has one.
fn event_id(event: &[u8]) -> Option<String> {
    String::from_utf8_lossy(event)
        .lines()
        .find_map(|line| line.strip_prefix("id:"))
        .map(|id| id.trim().to_string())
}

struct Filter {
    inner: axum::body::BodyDataStream,
    seen: String,
    pending: Vec<u8>,
    /// The first event with an id went by: everything else passes untouched.
    decided: bool,
}

/// `body` without its first identified event when that one is `seen`.
fn without_event(body: Body, seen: String) -> Body {
    let state = Filter {
        inner: body.into_data_stream(),
        seen,
        pending: Vec::new(),
        decided: false,
    };
    let stream = futures::stream::unfold(state, |mut s| async move {
        loop {
            if s.decided && s.pending.is_empty() {
                return s.inner.next().await.map(|chunk| (chunk, s));
            }
            if s.decided {
                let rest = std::mem::take(&mut s.pending);
                return Some((Ok(Bytes::from(rest)), s));
            }
            match s.inner.next().await {
                None => {
                    s.decided = true;
                    if s.pending.is_empty() {
                        return None;
                    }
                }
                Some(Err(e)) => return Some((Err(e), s)),
                Some(Ok(chunk)) => {
                    s.pending.extend_from_slice(&chunk);
                    let mut out = Vec::new();
                    while !s.decided {
                        let Some(end) = event_end(&s.pending) else {
                            break;
                        };
                        let event: Vec<u8> = s.pending.drain(..end).collect();
                        match event_id(&event) {
                            Some(id) => {
                                s.decided = true;
                                if id != s.seen {
                                    out.extend_from_slice(&event);
                                }
                            }
                            // Comments and keep-alives before it pass.
                            None => out.extend_from_slice(&event),
                        }
                    }
                    if !out.is_empty() {
                        return Some((Ok(Bytes::from(out)), s));
                    }
                }
            }
        }
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn filtered(chunks: &[&'static str], seen: &str) -> String {
        let stream = futures::stream::iter(
            chunks
                .iter()
                .map(|c| Ok::<_, std::io::Error>(Bytes::from_static(c.as_bytes())))
                .collect::<Vec<_>>(),
        );
        let body = without_event(Body::from_stream(stream), seen.to_string());
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("the body reads");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn the_event_the_client_has_is_dropped_and_the_rest_pass_whole() {
        let replay = [
            ": keep-alive\n\nid: 0/",
            "0\nretry: 3000\n\n",
            "id: 1/0\ndata: {\"id\":2}\n\n",
            "id: 2/0\ndata: {}\n\n",
        ];
        assert_eq!(
            filtered(&replay, "0/0").await,
            ": keep-alive\n\nid: 1/0\ndata: {\"id\":2}\n\nid: 2/0\ndata: {}\n\n"
        );
        // An event the client does not have yet passes; only the first identified one is judged.
        assert_eq!(
            filtered(&replay[1..], "2/0").await,
            "0\nretry: 3000\n\nid: 1/0\ndata: {\"id\":2}\n\nid: 2/0\ndata: {}\n\n"
        );
        assert_eq!(
            filtered(&["id: 5\r\ndata: x\r\n\r\nid: 6\r\ndata: y\r\n\r\n"], "5").await,
            "id: 6\r\ndata: y\r\n\r\n"
        );
        // A stream cut mid-event keeps what it had.
        assert_eq!(filtered(&["data: half"], "1").await, "data: half");
    }
}
