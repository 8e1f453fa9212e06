//! The in-memory layer in front of Redis: the responses this router found in Redis
//! recently, served again without a Redis round trip, and dropped the moment Redis
//! deletes them.
//!
//! Every invalidation runs [`promptsales_kit::cache_tags::INVALIDATE_SCRIPT`], which
//! publishes the response keys it deleted on the prefix's channel, whoever runs it
//! (a mutation through any replica, the ETL, a webhook). Each router subscribes on a
//! connection of its own, read by a thread of its own, and drops those keys here.
//!
//! A stale entry is never served, however the threads interleave:
//! - an entry is served only while the subscription is up, when nothing unread waits
//!   on its socket (a peek, no read: an invalidation Redis has sent is either applied
//!   or seen pending), and when no invalidation was being applied or was applied
//!   between reading the entry and that check (`pending`, `epoch`);
//! - an entry read from Redis is kept only if no invalidation arrived since the lookup
//!   started (the epoch again), so a deletion racing the lookup cannot be undone;
//! - this router's own invalidations drop their keys here before later lookups may run
//!   (the response cache's barrier);
//! - a lost subscription (Redis stopped: its socket closes; a silent network: a PING
//!   unanswered for [`SILENCE`]) empties the layer, and it stays unused until the
//!   subscription is back: an outage cannot hide a deletion.
//!
//! Entries expire with their max-age, never later than in Redis, and the layer keeps
//! at most `max_bytes` of bodies (oldest first out).

use std::collections::{HashMap, VecDeque};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::fd::AsRawFd as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::store::Entry;

/// How long after a lost subscription the next attempt is made.
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// A quiet subscription is PINGed after this long, and given up if still silent as long again.
pub const SILENCE: Duration = Duration::from_secs(5);

/// What Redis holds at a response key, as far as this layer knows.
#[derive(Debug, Clone)]
pub enum Cached {
    /// A response.
    Response(Arc<Entry>),
    /// The operation's responses are private: look at the user's key.
    PrivateMarker,
}

struct Slot {
    value: Cached,
    /// Unix second from which it must not be served (never later than Redis's TTL).
    expires_at: u64,
    /// Insertion number, so the eviction queue skips replaced entries.
    seq: u64,
    bytes: usize,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Slot>,
    order: VecDeque<(String, u64)>,
    bytes: usize,
    next_seq: u64,
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some(slot) = self.map.remove(key) {
            self.bytes -= slot.bytes;
        }
    }

    fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.bytes = 0;
    }

    /// Holds `value` at `key` until `expires_at`, dropping the oldest entries beyond `max_bytes`.
    fn put(&mut self, key: &str, value: Cached, expires_at: u64, now: u64, max_bytes: usize) {
        if now >= expires_at {
            return;
        }
        let bytes = key.len()
            + SLOT_OVERHEAD
            + match &value {
                Cached::Response(entry) => entry.body.len(),
                Cached::PrivateMarker => 0,
            };
        if bytes > max_bytes {
            return;
        }
        self.remove(key);
        self.next_seq += 1;
        let seq = self.next_seq;
        self.map.insert(
            key.to_string(),
            Slot {
                value,
                expires_at,
                seq,
                bytes,
            },
        );
        self.order.push_back((key.to_string(), seq));
        self.bytes += bytes;
        while self.bytes > max_bytes {
            let Some((oldest, seq)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&oldest).is_some_and(|slot| slot.seq == seq) {
                self.remove(&oldest);
            }
        }
        // Replaced and dropped keys leave stale queue items: compact now and then.
        if self.order.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.order
                .retain(|(key, seq)| map.get(key).is_some_and(|slot| slot.seq == *seq));
        }
    }
}

/// What one held entry costs besides its key and body (the map's and queue's share, roughly).
const SLOT_OVERHEAD: usize = 64;

/// The in-memory layer (one per router), and the state of its subscription.
pub struct HotCache {
    entries: Mutex<Entries>,
    max_bytes: usize,
    /// Changes (drops, clears) being made now; the reader counts one from the moment it
    /// sees bytes on the subscription until all it read is applied.
    pending: AtomicU64,
    /// How many changes were completed.
    epoch: AtomicU64,
    /// Whether the subscription is up (then `socket` is its connection).
    live: AtomicBool,
    /// A handle on the subscription's socket, to peek at unread bytes.
    socket: Mutex<Option<Arc<TcpStream>>>,
}

impl std::fmt::Debug for HotCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotCache")
            .field("max_bytes", &self.max_bytes)
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish()
    }
}

/// A mark taken before reading from Redis: what is read may be kept only if it still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(u64);

impl HotCache {
    /// An empty layer keeping at most `max_bytes` of responses; unused until [`HotCache::subscribe`] connects.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: Mutex::default(),
            max_bytes,
            pending: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            live: AtomicBool::new(false),
            socket: Mutex::new(None),
        }
    }

    /// Whether the layer may be used now (its subscription is up).
    pub fn live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    /// The mark to take before a Redis lookup whose result may be kept.
    pub fn epoch(&self) -> Epoch {
        Epoch(self.epoch.load(Ordering::SeqCst))
    }

    /// Whether nothing happened since `mark` that could make what was read then stale.
    fn unchanged_since(&self, mark: Epoch) -> bool {
        if !self.live() {
            return false;
        }
        // In this order: bytes still on the socket are invalidations not taken yet; bytes
        // the reader took count in `pending` until applied, and then in `epoch`.
        self.socket_is_quiet()
            && self.pending.load(Ordering::SeqCst) == 0
            && self.epoch.load(Ordering::SeqCst) == mark.0
    }

    /// Whether the subscription's socket has nothing unread and is not closed.
    fn socket_is_quiet(&self) -> bool {
        let socket = match self.socket.lock() {
            Ok(guard) => guard.clone(),
            Err(_) => None,
        };
        let Some(socket) = socket else {
            return false;
        };
        let mut byte = 0u8;
        // SAFETY: the descriptor stays open while `socket` (an `Arc` of the stream) is held;
        // the buffer is one valid byte; MSG_PEEK leaves the data for the reader, and
        // MSG_DONTWAIT makes the call return at once whatever the socket's blocking mode.
        let n = unsafe {
            libc::recv(
                socket.as_raw_fd(),
                (&mut byte as *mut u8).cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        // Nothing to read is the only quiet answer: bytes are an invalidation, 0 the end.
        n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock
    }

    /// Runs `change` as one change: lookups and keeps overlapping it do not count.
    fn change(&self, change: impl FnOnce(&mut Entries)) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut entries) = self.entries.lock() {
            change(&mut entries);
        }
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.pending.fetch_sub(1, Ordering::SeqCst);
    }

    /// The response at `shared_key` (or, when the operation is private, at `user_key`), if held and current.
    pub fn lookup(&self, shared_key: &str, user_key: Option<&str>, now: u64) -> Option<Arc<Entry>> {
        let mark = self.epoch();
        if !self.live() || self.pending.load(Ordering::SeqCst) != 0 {
            return None;
        }
        let found = {
            let entries = self.entries.lock().ok()?;
            let current = |key: &str| {
                entries
                    .map
                    .get(key)
                    .filter(|slot| now < slot.expires_at)
                    .map(|slot| slot.value.clone())
            };
            match current(shared_key)? {
                Cached::Response(entry) => entry,
                Cached::PrivateMarker => match current(user_key?)? {
                    Cached::Response(entry) => entry,
                    Cached::PrivateMarker => return None,
                },
            }
        };
        self.unchanged_since(mark).then_some(found)
    }

    /// Keeps what a Redis lookup started at `mark` found: the shared key's value and, for a
    /// private operation, the user's response. Nothing is kept if anything was invalidated since.
    pub fn keep(
        &self,
        mark: Epoch,
        now: u64,
        shared: (&str, Cached),
        personal: Option<(&str, Arc<Entry>)>,
    ) {
        if self.max_bytes == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // Checked under the lock the reader takes to apply an invalidation.
        if !self.unchanged_since(mark) {
            return;
        }
        let expiry = |entry: &Entry| entry.stored_at.saturating_add(entry.max_age.max(1));
        let (shared_key, shared_value) = shared;
        let personal_expiry = personal.as_ref().map(|(_, entry)| expiry(entry));
        let shared_expiry = match &shared_value {
            Cached::Response(entry) => expiry(entry),
            // The marker lives as long as the responses it points to; known only with one of them.
            Cached::PrivateMarker => match personal_expiry {
                Some(expires_at) => expires_at,
                None => return,
            },
        };
        entries.put(shared_key, shared_value, shared_expiry, now, self.max_bytes);
        if let (Some((key, entry)), Some(expires_at)) = (personal, personal_expiry) {
            entries.put(
                key,
                Cached::Response(entry),
                expires_at,
                now,
                self.max_bytes,
            );
        }
    }

    /// Drops `keys` (this router's own invalidation, applied before later lookups run).
    pub fn drop_keys<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        self.change(|entries| {
            for key in keys {
                entries.remove(key);
            }
        });
    }

    /// Drops everything (an invalidation whose keys are unknown, a lost subscription).
    pub fn clear(&self) {
        self.change(Entries::clear);
    }

    /// How many responses and markers are held (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.map.len()).unwrap_or(0)
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Subscribes to the invalidations of `prefix` at `redis_url` on a thread of its own,
    /// reconnecting for as long as the process runs; the layer is used while subscribed.
    /// Does nothing (the layer stays unused) for a Redis it cannot reach over plain TCP.
    pub fn subscribe(self: &Arc<Self>, redis_url: &str, prefix: &str) {
        let Some(target) = Target::from_url(redis_url) else {
            tracing::info!(
                "the response cache's memory layer is off: it needs a redis:// URL over TCP"
            );
            return;
        };
        let channel = promptsales_kit::cache_tags::invalidation_channel(prefix);
        let this = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("response-cache-invalidations".into())
            .spawn(move || {
                let mut logged = false;
                loop {
                    let Some(cache) = this.upgrade() else { return };
                    // Logged inside; either way the layer is off until the next subscription.
                    let _ = cache.follow(&target, &channel, &mut logged);
                    drop(cache);
                    std::thread::sleep(RECONNECT_AFTER);
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start the response cache's invalidation thread; its memory layer is off");
        }
    }

    /// One subscription, from connecting until it is lost; the layer is emptied when it ends.
    fn follow(&self, target: &Target, channel: &str, logged: &mut bool) -> std::io::Result<()> {
        let mut holding = false;
        let result = self.follow_inner(target, channel, logged, &mut holding);
        self.live.store(false, Ordering::SeqCst);
        if let Ok(mut socket) = self.socket.lock() {
            *socket = None;
        }
        self.clear();
        if holding {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
        if let Err(error) = &result
            && !*logged
        {
            *logged = true;
            tracing::warn!(%error, "response cache invalidations unavailable; its memory layer is off until they are back");
        }
        result
    }

    /// `holding`: whether the reader counts in `pending` (bytes taken, not all applied yet).
    fn follow_inner(
        &self,
        target: &Target,
        channel: &str,
        logged: &mut bool,
        holding: &mut bool,
    ) -> std::io::Result<()> {
        let mut stream = target.connect()?;
        let mut reader = resp::Reader::default();
        if let Some(password) = &target.password {
            let mut auth = vec!["AUTH"];
            if let Some(username) = &target.username {
                auth.push(username);
            }
            auth.push(password);
            stream.write_all(&resp::command(&auth))?;
            match reader.next_blocking(&mut stream)? {
                resp::Frame::Simple(_) => {}
                other => return Err(protocol_error(format!("AUTH answered {other:?}"))),
            }
        }
        stream.write_all(&resp::command(&["SUBSCRIBE", channel]))?;
        match reader.next_blocking(&mut stream)? {
            resp::Frame::Array(items)
                if items.first().and_then(resp::Frame::text) == Some("subscribe") => {}
            other => return Err(protocol_error(format!("SUBSCRIBE answered {other:?}"))),
        }
        if !reader.is_empty() {
            return Err(protocol_error("unexpected data after SUBSCRIBE".into()));
        }
        stream.set_read_timeout(Some(SILENCE))?;
        // Peeks go through a second handle on the same socket (it keeps it open while used).
        let peek = Arc::new(stream.try_clone()?);
        // Anything kept before this subscription may have missed invalidations.
        self.clear();
        if let Ok(mut socket) = self.socket.lock() {
            *socket = Some(peek);
        }
        self.live.store(true, Ordering::SeqCst);
        if *logged {
            tracing::info!("response cache invalidations followed again");
            *logged = false;
        }
        let mut buf = vec![0u8; 64 * 1024];
        let mut pinged = false;
        loop {
            // Wait for data without taking it: it stays visible to peeks until counted as pending.
            let n = match stream.peek(&mut buf[..1]) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if pinged {
                        return Err(std::io::ErrorKind::TimedOut.into());
                    }
                    stream.write_all(&resp::command(&["PING"]))?;
                    pinged = true;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            pinged = false;
            if !*holding {
                self.pending.fetch_add(1, Ordering::SeqCst);
                *holding = true;
            }
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            reader.push(&buf[..n]);
            while let Some(frame) = reader.next()? {
                self.apply(frame, channel)?;
            }
            // Released only once no partial message is held.
            if reader.is_empty() {
                self.epoch.fetch_add(1, Ordering::SeqCst);
                self.pending.fetch_sub(1, Ordering::SeqCst);
                *holding = false;
            }
        }
    }

    /// Applies one message of the subscription.
    fn apply(&self, frame: resp::Frame, channel: &str) -> std::io::Result<()> {
        let resp::Frame::Array(items) = frame else {
            return Err(protocol_error(format!("unexpected {frame:?}")));
        };
        match items.as_slice() {
            [kind, from, payload]
                if kind.text() == Some("message") && from.text() == Some(channel) =>
            {
                let Some(payload) = payload.text() else {
                    self.clear_entries();
                    return Ok(());
                };
                // Counted in `pending` by the caller; the epoch moves once all is applied.
                if let Ok(mut entries) = self.entries.lock() {
                    for key in payload.split('\n') {
                        entries.remove(key);
                    }
                }
                Ok(())
            }
            // Anything else (a pong, another kind of push): nothing of ours.
            _ => Ok(()),
        }
    }

    fn clear_entries(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

fn protocol_error(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// Where the subscription connects.
struct Target {
    host: String,
    port: u16,
    username: Option<String>,
    password: Option<String>,
}

impl Target {
    fn from_url(url: &str) -> Option<Self> {
        let info = redis::Client::open(url).ok()?.get_connection_info().clone();
        match info.addr {
            redis::ConnectionAddr::Tcp(host, port) => Some(Self {
                host,
                port,
                username: info.redis.username,
                password: info.redis.password,
            }),
            _ => None,
        }
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        use std::net::ToSocketAddrs as _;
        let mut last = None;
        for address in (self.host.as_str(), self.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&address, Duration::from_secs(1)) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    // The handshake must not hang the thread.
                    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
                    return Ok(stream);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::ErrorKind::AddrNotAvailable.into()))
    }
}

/// Just enough of RESP2 for a subscription: commands out, frames in.
mod resp {
    use std::io::Read;

    /// One frame.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Frame {
        Simple(String),
        Error(String),
        Integer(i64),
        Bulk(Option<Vec<u8>>),
        Array(Vec<Frame>),
    }

    impl Frame {
        /// The text of a simple or bulk string.
        pub fn text(&self) -> Option<&str> {
            match self {
                Frame::Simple(s) => Some(s),
                Frame::Bulk(Some(b)) => std::str::from_utf8(b).ok(),
                _ => None,
            }
        }
    }

    /// A command as an array of bulk strings.
    pub fn command(parts: &[&str]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", parts.len()).into_bytes();
        for part in parts {
            out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// Frames from a byte stream read in arbitrary pieces.
    #[derive(Default)]
    pub struct Reader {
        buf: Vec<u8>,
    }

    impl Reader {
        pub fn push(&mut self, bytes: &[u8]) {
            self.buf.extend_from_slice(bytes);
        }

        pub fn is_empty(&self) -> bool {
            self.buf.is_empty()
        }

        /// The next complete frame, if the buffer holds one.
        pub fn next(&mut self) -> std::io::Result<Option<Frame>> {
            match parse(&self.buf, 0)? {
                Some((frame, used)) => {
                    self.buf.drain(..used);
                    Ok(Some(frame))
                }
                None => Ok(None),
            }
        }

        /// The next frame, reading from `stream` until one is complete.
        pub fn next_blocking(&mut self, stream: &mut impl Read) -> std::io::Result<Frame> {
            let mut chunk = [0u8; 4096];
            loop {
                if let Some(frame) = self.next()? {
                    return Ok(frame);
                }
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                self.push(&chunk[..n]);
            }
        }
    }

    fn invalid(what: &str) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
    }

    /// The line starting at `at` (without CRLF) and where the next one starts.
    fn line(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
        let rest = buf.get(at..)?;
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        Some((&rest[..end], at + end + 2))
    }

    fn number(bytes: &[u8]) -> std::io::Result<i64> {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("bad number"))
    }

    /// The frame at `at` and where it ends; `None` while incomplete.
    fn parse(buf: &[u8], at: usize) -> std::io::Result<Option<(Frame, usize)>> {
        let Some(&kind) = buf.get(at) else {
            return Ok(None);
        };
        let Some((head, next)) = line(buf, at + 1) else {
            return Ok(None);
        };
        let text = || String::from_utf8_lossy(head).into_owned();
        Ok(Some(match kind {
            b'+' => (Frame::Simple(text()), next),
            b'-' => (Frame::Error(text()), next),
            b':' => (Frame::Integer(number(head)?), next),
            b'$' => {
                let len = number(head)?;
                if len < 0 {
                    (Frame::Bulk(None), next)
                } else {
                    let len = usize::try_from(len).map_err(|_| invalid("bad length"))?;
                    let end = next + len;
                    if buf.len() < end + 2 {
                        return Ok(None);
                    }
                    if &buf[end..end + 2] != b"\r\n" {
                        return Err(invalid("bulk string without CRLF"));
                    }
                    (Frame::Bulk(Some(buf[next..end].to_vec())), end + 2)
                }
            }
            b'*' => {
                let count = number(head)?;
                if count < 0 {
                    (Frame::Array(Vec::new()), next)
                } else {
                    let mut items = Vec::new();
                    let mut at = next;
                    for _ in 0..count {
                        match parse(buf, at)? {
                            Some((item, end)) => {
                                items.push(item);
                                at = end;
                            }
                            None => return Ok(None),
                        }
                    }
                    (Frame::Array(items), at)
                }
            }
            // RESP3 pushes (`>`) never come: the connection speaks RESP2.
            _ => return Err(invalid("unknown frame type")),
        }))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn frames_are_read_across_pieces() {
            let message = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$6\r\na\nb\r\nc\r\n:1\r\n";
            let mut reader = Reader::default();
            for byte in &message[..message.len() - 4] {
                assert_eq!(reader.next().unwrap(), None);
                reader.push(&[*byte]);
            }
            let frame = reader.next().unwrap().unwrap();
            assert_eq!(
                frame,
                Frame::Array(vec![
                    Frame::Bulk(Some(b"message".to_vec())),
                    Frame::Bulk(Some(b"ch".to_vec())),
                    Frame::Bulk(Some(b"a\nb\r\nc".to_vec())),
                ])
            );
            assert!(reader.is_empty());
            reader.push(b":1\r\n+OK\r\n");
            assert_eq!(reader.next().unwrap(), Some(Frame::Integer(1)));
            assert_eq!(reader.next().unwrap(), Some(Frame::Simple("OK".into())));
            assert_eq!(reader.next().unwrap(), None);
            reader.push(b"?\r\n");
            assert!(reader.next().is_err());
        }

        #[test]
        fn commands_are_bulk_arrays() {
            assert_eq!(
                command(&["SUBSCRIBE", "rc:invalidated"]),
                b"*2\r\n$9\r\nSUBSCRIBE\r\n$14\r\nrc:invalidated\r\n".to_vec()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis_conn::{Redis, RedisSettings};
    use crate::response_cache::store::{self, Found};
    use promptsales_kit::cache_tags::{entity_tag, response_key};

    fn entry(body: &str) -> Entry {
        Entry {
            stored_at: store::now(),
            max_age: 60,
            private: false,
            body: body.as_bytes().to_vec(),
        }
    }

    /// Waits (a bounded number of times) until `done` holds.
    async fn until(mut done: impl FnMut() -> bool) -> bool {
        for _ in 0..500 {
            if done() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// Stores `entry` tagged `tag` through the plugin's own store, then reads it as a lookup would and keeps it.
    async fn cached(hot: &HotCache, redis: &Redis, hash: &str, tag: &str, entry: &Entry) -> String {
        store::store(redis, Some("org-a"), hash, hash, entry, &[tag.to_string()])
            .await
            .expect("stored");
        let key = response_key(redis.prefix(), Some("org-a"), hash);
        let mark = hot.epoch();
        let Found::Shared(found) = store::lookup(redis, &key, None).await.expect("lookup") else {
            panic!("not found");
        };
        hot.keep(
            mark,
            store::now(),
            (&key, Cached::Response(Arc::new(found))),
            None,
        );
        key
    }

    #[tokio::test]
    async fn kept_responses_are_served_until_any_invalidation_deletes_them() {
        let r = promptsales_kit::testing::redis().await;
        let prefix = r.fresh_prefix();
        let redis = Redis::new(RedisSettings {
            url: r.url().to_string(),
            key_prefix: prefix.clone(),
            ..RedisSettings::default()
        })
        .unwrap();
        let hot = Arc::new(HotCache::new(1 << 20));
        assert!(!hot.live());
        hot.subscribe(r.url(), &prefix);
        assert!(until(|| hot.live()).await, "subscribed");

        let (one, two) = (entry("{\"data\":1}"), entry("{\"data\":2}"));
        let c1 = entity_tag("Campaign", "c1");
        let c2 = entity_tag("Campaign", "c2");
        let key_one = cached(&hot, &redis, "one", &c1, &one).await;
        let key_two = cached(&hot, &redis, "two", &c2, &two).await;
        let now = store::now();
        assert_eq!(hot.lookup(&key_one, None, now).as_deref(), Some(&one));
        assert_eq!(hot.lookup(&key_two, None, now).as_deref(), Some(&two));
        // Expired by its max-age, as in Redis.
        assert_eq!(hot.lookup(&key_one, None, now + 61), None);

        // Another component's invalidation (not this router's): heard through Redis.
        let client = redis::Client::open(r.url()).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        let deleted = promptsales_kit::cache_tags::invalidate_for(
            &mut con,
            &prefix,
            Some("org-a"),
            &[c1.as_str()],
        )
        .await
        .unwrap();
        assert_eq!(deleted, 1);
        // While the message waits on the socket nothing is served; once applied, what it
        // did not name is served again and what it named is gone.
        assert!(
            until(|| hot.lookup(&key_two, None, store::now()).is_some()).await,
            "served again once the invalidation is applied"
        );
        assert_eq!(hot.lookup(&key_one, None, store::now()), None);
        assert_eq!(hot.len(), 1);

        // What a lookup read before an invalidation arrived is not kept.
        let key_three = response_key(&prefix, Some("org-a"), "three");
        let stale_mark = hot.epoch();
        hot.drop_keys([key_two.as_str()]);
        hot.keep(
            stale_mark,
            store::now(),
            (&key_three, Cached::Response(Arc::new(entry("{}")))),
            None,
        );
        assert_eq!(hot.lookup(&key_three, None, store::now()), None);
        assert!(hot.is_empty());
    }

    #[tokio::test]
    async fn private_responses_are_kept_behind_their_marker() {
        let hot = HotCache::new(1 << 20);
        // Not subscribed: nothing is kept or served.
        let user = Arc::new(Entry {
            private: true,
            ..entry("{\"me\":1}")
        });
        let now = store::now();
        hot.keep(
            hot.epoch(),
            now,
            ("shared", Cached::PrivateMarker),
            Some(("shared:u:1", user.clone())),
        );
        assert!(hot.is_empty());
        assert_eq!(hot.lookup("shared", Some("shared:u:1"), now), None);
    }

    #[tokio::test]
    async fn a_lost_subscription_empties_the_memory_until_it_is_back() {
        let mut server = promptsales_kit::testing::throwaway_redis()
            .await
            .expect("a private redis");
        let prefix = "lost:".to_string();
        let redis = Redis::new(RedisSettings {
            url: server.url(),
            key_prefix: prefix.clone(),
            ..RedisSettings::default()
        })
        .unwrap();
        let hot = Arc::new(HotCache::new(1 << 20));
        hot.subscribe(&server.url(), &prefix);
        assert!(until(|| hot.live()).await, "subscribed");
        let one = entry("{\"data\":1}");
        let key = cached(&hot, &redis, "one", &entity_tag("Campaign", "c1"), &one).await;
        assert_eq!(hot.lookup(&key, None, store::now()).as_deref(), Some(&one));

        server.stop().await.expect("redis stops");
        // The closed socket is seen at once by the peek, before the reader wakes up.
        assert_eq!(hot.lookup(&key, None, store::now()), None);
        assert!(until(|| !hot.live()).await, "the subscription is lost");
        assert!(hot.is_empty());

        server.start().await.expect("redis starts");
        assert!(until(|| hot.live()).await, "subscribed again");
        assert_eq!(hot.lookup(&key, None, store::now()), None, "emptied");
    }

    #[test]
    fn the_memory_keeps_at_most_its_size_oldest_out() {
        let body = "x".repeat(1000);
        let size = 2 + SLOT_OVERHEAD + body.len();
        let mut entries = Entries::default();
        let now = store::now();
        let response = || Cached::Response(Arc::new(entry(&body)));
        for key in ["k1", "k2", "k3", "k1", "k4"] {
            entries.put(key, response(), now + 60, now, 3 * size);
        }
        // k1 was replaced (so queued again after k3): k2 went first.
        let mut held: Vec<&str> = entries.map.keys().map(String::as_str).collect();
        held.sort();
        assert_eq!(held, ["k1", "k3", "k4"]);
        assert_eq!(entries.bytes, 3 * size);
        // Expired or too large: not held.
        entries.put("old", response(), now, now, 3 * size);
        entries.put("big", response(), now + 60, now, size - 1);
        assert!(!entries.map.contains_key("old") && !entries.map.contains_key("big"));
        entries.remove("k3");
        assert_eq!(entries.bytes, 2 * size);
    }
}
