//! hyper's own answers, as JSON.
//!
//! A request hyper cannot parse (a NUL byte in the path, two different `Content-Length`s,
//! headers over its buffer, a URI too long) never reaches axum: hyper writes a bare
//! `400`, `414` or `431` with an empty body and closes the connection. A client can cause
//! each of them, so each must be a JSON body with a stable code like every other refusal.
//!
//! [`WireListener`] wraps the TCP listener so that every connection's writes pass through
//! [`WireStream`], which recognises that one answer (a head-only 400/414/431 with
//! `content-length: 0`, which the application itself never sends: its refusals all carry a
//! JSON body) and writes a JSON answer in its place. Everything else passes untouched.
//! Serve it with [`axum::serve::ListenerExt::tap_io`] (see [`serve_json_refusals`]) so that
//! `ConnectInfo<SocketAddr>` still works.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Writes the JSON body of a refusal with `status` (a GraphQL error or a JSON-RPC error).
pub type RefusalBody = fn(StatusCode) -> String;

/// The body of a GraphQL service's refusal: `{"errors":[{message, extensions.code: BAD_REQUEST}]}`.
pub fn graphql_refusal(status: StatusCode) -> String {
    serde_json::json!({
        "errors": [{
            "message": refusal_message(status),
            "extensions": { "code": super::transport::BAD_REQUEST },
        }]
    })
    .to_string()
}

/// Why hyper refused, in words a client can act on.
pub fn refusal_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::URI_TOO_LONG => "the request's URI is too long",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "the request's headers are too large",
        _ => "the request is not valid HTTP (its method, path, version or headers)",
    }
}

/// A TCP listener whose connections answer hyper's own refusals as JSON.
#[derive(Debug)]
pub struct WireListener {
    inner: TcpListener,
    body: RefusalBody,
}

impl WireListener {
    /// Wraps `inner`; refusals get bodies written by `body`.
    pub fn new(inner: TcpListener, body: RefusalBody) -> Self {
        Self { inner, body }
    }
}

impl axum::serve::Listener for WireListener {
    type Io = WireStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, peer) = axum::serve::Listener::accept(&mut self.inner).await;
        (WireStream::new(stream, self.body), peer)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Serves `router` on `listener` with JSON refusals and the peer address as
/// `ConnectInfo<SocketAddr>`, until `shutdown` completes.
pub async fn serve_json_refusals(
    listener: TcpListener,
    router: axum::Router,
    body: RefusalBody,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    use axum::serve::ListenerExt as _;
    // `tap_io` gives the wrapped listener axum's `ConnectInfo<SocketAddr>`; the tap itself
    // turns Nagle off, as for any request/response protocol.
    let listener = WireListener::new(listener, body).tap_io(|io| {
        let _ = io.inner.set_nodelay(true);
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// A connection whose bare hyper refusal is replaced by a JSON answer.
#[derive(Debug)]
pub struct WireStream<S> {
    inner: S,
    body: RefusalBody,
    /// The answer being written instead of hyper's, how much of it is written, and the
    /// length of hyper's buffer (what is reported written once the answer is out).
    replacement: Option<(Vec<u8>, usize, usize)>,
}

impl<S> WireStream<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, body: RefusalBody) -> Self {
        Self {
            inner,
            body,
            replacement: None,
        }
    }
}

/// The status of hyper's own refusal when `buf` is one: a whole head (nothing after its
/// blank line), status 400, 414 or 431, and `content-length: 0`.
pub fn bare_refusal(buf: &[u8]) -> Option<StatusCode> {
    if !buf.starts_with(b"HTTP/1.") || !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let head = std::str::from_utf8(&buf[..buf.len() - 4]).ok()?;
    if head.contains("\r\n\r\n") {
        return None;
    }
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let code: u16 = status_line.split(' ').nth(1)?.parse().ok()?;
    let status = StatusCode::from_u16(code).ok()?;
    if !matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::URI_TOO_LONG
            | StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    ) {
        return None;
    }
    let empty = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("content-length") && value.trim() == "0"
        })
    });
    empty.then_some(status)
}

/// The JSON answer written instead of a bare refusal with `status`.
pub fn json_answer(status: StatusCode, body: RefusalBody) -> Vec<u8> {
    let body = body(status);
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Bad Request"),
        body.len(),
    )
    .into_bytes()
}

impl<S: AsyncRead + Unpin> AsyncRead for WireStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WireStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacement.is_none() {
            match bare_refusal(buf) {
                Some(status) => {
                    this.replacement = Some((json_answer(status, this.body), 0, buf.len()));
                }
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        // hyper calls again with the same buffer until it is reported written; the answer
        // is written meanwhile, then the whole buffer is reported written.
        let Some((answer, written, original)) = this.replacement.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while *written < answer.len() {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &answer[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        let original = *original;
        this.replacement = None;
        Poll::Ready(Ok(original))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_hyper_s_bare_refusals() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 14:00:00 GMT\r\n\r\n";
        assert_eq!(bare_refusal(bare), Some(StatusCode::BAD_REQUEST));
        let headers = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            bare_refusal(headers),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        // The application's own answers carry a body, or are not refusals.
        let json = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(bare_refusal(json), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_refusal(ok), None);
        let not_found = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_refusal(not_found), None);
        assert_eq!(bare_refusal(b"{\"data\":null}"), None);
    }

    #[test]
    fn the_json_answer_is_whole_http() {
        let answer = json_answer(StatusCode::BAD_REQUEST, graphql_refusal);
        let text = String::from_utf8(answer).expect("UTF-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(json["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}
