use crate::net::Socket;

use std::io::{self, Read, Write};
use std::task::{Context, Poll};

use futures_util::future;

pub struct StdSocket<S> {
    pub socket: S,
    wants_read: bool,
    wants_write: bool,
}

impl<S: Socket> StdSocket<S> {
    pub fn new(socket: S) -> Self {
        Self {
            socket,
            wants_read: false,
            wants_write: false,
        }
    }

    // PromptSales patch (upstream launchbadge/sqlx#4251, released in 0.9 only): wait for
    // *either* direction the TLS layer wanted, not both in turn. `rustls::complete_io`
    // tries to read whenever a write would block, so both flags are set; waiting for the
    // socket to become readable after it became writable deadlocked a large write (a
    // `COPY ... FROM STDIN`, a big statement) that the server had to receive in full
    // before it would send anything back.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.wants_write && !self.wants_read {
            return Poll::Ready(Ok(()));
        }

        let mut ready_any = false;

        if self.wants_write {
            if let Poll::Ready(result) = self.socket.poll_write_ready(cx) {
                result?;
                self.wants_write = false;
                ready_any = true;
            }
        }

        if self.wants_read {
            if let Poll::Ready(result) = self.socket.poll_read_ready(cx) {
                result?;
                self.wants_read = false;
                ready_any = true;
            }
        }

        if ready_any {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    pub async fn ready(&mut self) -> io::Result<()> {
        future::poll_fn(|cx| self.poll_ready(cx)).await
    }
}

impl<S: Socket> Read for StdSocket<S> {
    fn read(&mut self, mut buf: &mut [u8]) -> io::Result<usize> {
        self.wants_read = true;
        let read = self.socket.try_read(&mut buf)?;
        self.wants_read = false;

        Ok(read)
    }
}

impl<S: Socket> Write for StdSocket<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.wants_write = true;
        let written = self.socket.try_write(buf)?;
        self.wants_write = false;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        // NOTE: TCP sockets and unix sockets are both no-ops for flushes
        Ok(())
    }
}
