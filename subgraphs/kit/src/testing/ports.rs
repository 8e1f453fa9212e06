//! Free TCP ports for throwaway servers.

use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Mutex;

/// Ports already handed out in this process, so two servers started at the
/// same moment never race for the same one.
static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// Returns a TCP port on 127.0.0.1 that was free a moment ago and has not been handed out before in this process.
pub fn free_port() -> u16 {
    // The kernel rarely repeats an ephemeral port right away, so a few tries suffice.
    for _ in 0..64 {
        let port = match TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()) {
            Ok(addr) => addr.port(),
            Err(e) => panic!("cannot bind 127.0.0.1:0 to find a free port: {e}"),
        };
        let mut guard = HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner());
        if guard.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
    panic!("no fresh free port on 127.0.0.1 after 64 tries")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_and_bindable() {
        let a = free_port();
        let b = free_port();
        assert_ne!(a, b);
        assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, a)).is_ok());
    }
}
