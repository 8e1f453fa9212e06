//! A real Redis server for tests: one shared per test process, or a private one that can be stopped.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use tokio::sync::OnceCell;

use super::ports::free_port;
use super::process::{Guarded, env_nonempty, find_on_path};

/// Names an existing Redis to use instead of a throwaway one.
pub const TEST_REDIS_URL: &str = "TEST_REDIS_URL";

/// A Redis server tests share; isolate keys with [`TestRedis::fresh_prefix`].
pub struct TestRedis {
    url: String,
    /// Present when the harness started the server itself; never touched, only owned.
    _server: Option<Guarded>,
}

impl std::fmt::Debug for TestRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestRedis")
            .field("url", &self.url)
            .field("throwaway", &self.is_throwaway())
            .finish()
    }
}

// The failure is kept as text so every later test fails fast with the same reason.
static REDIS: OnceCell<Result<TestRedis, String>> = OnceCell::const_new();

/// The process-wide test Redis; panics with the reason when none can be had.
pub async fn redis() -> &'static TestRedis {
    match try_redis().await {
        Ok(r) => r,
        Err(e) => panic!("no Redis for tests: {e:#}"),
    }
}

/// The process-wide test Redis: `TEST_REDIS_URL`, else a throwaway server started once.
pub async fn try_redis() -> Result<&'static TestRedis> {
    let cell = REDIS
        .get_or_init(|| async { init().await.map_err(|e| format!("{e:#}")) })
        .await;
    cell.as_ref().map_err(|e| anyhow!("{e}"))
}

impl TestRedis {
    /// The server's URL (`redis://127.0.0.1:PORT` for a throwaway one).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the harness started this server (as opposed to `TEST_REDIS_URL`).
    pub fn is_throwaway(&self) -> bool {
        self._server.is_some()
    }

    /// A key prefix (`test:{uuid}:`) no other caller gets, so parallel tests never see each other's keys.
    pub fn fresh_prefix(&self) -> String {
        format!("test:{}:", uuid::Uuid::now_v7().simple())
    }
}

async fn init() -> Result<TestRedis> {
    if let Some(url) = env_nonempty(TEST_REDIS_URL) {
        ping(&url)
            .await
            .with_context(|| format!("{TEST_REDIS_URL}={url} is set but does not answer PING"))?;
        return Ok(TestRedis { url, _server: None });
    }
    let bin = find_redis_server()?;
    let tempdir = new_dir()?;
    let port = free_port();
    let server = start_server(&bin, tempdir.path(), port).await.context(
        "cannot start a throwaway Redis (set TEST_REDIS_URL to use a running server instead)",
    )?;
    // The watchdog deletes the folder once the server stops; the TempDir must not race it.
    let _ = tempdir.keep();
    Ok(TestRedis {
        url: url_for(port),
        _server: Some(server),
    })
}

/// A private throwaway Redis that tests may stop and restart (on the same port and URL).
pub struct OwnedRedis {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    server: Option<Guarded>,
}

impl std::fmt::Debug for OwnedRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedRedis")
            .field("url", &self.url())
            .field("running", &self.is_running())
            .finish()
    }
}

/// Starts a private Redis, always from the installed binary (`TEST_REDIS_URL` is ignored: it must be stoppable).
pub async fn throwaway_redis() -> Result<OwnedRedis> {
    let bin = find_redis_server()?;
    let dir = new_dir()?.keep();
    let port = free_port();
    let mut redis = OwnedRedis {
        bin,
        dir,
        port,
        server: None,
    };
    redis.start().await?;
    Ok(redis)
}

impl OwnedRedis {
    /// The server's URL; unchanged across stop and start.
    pub fn url(&self) -> String {
        url_for(self.port)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server was started and not stopped since.
    pub fn is_running(&self) -> bool {
        self.server.is_some()
    }

    /// Stops the server; returns once it no longer accepts connections. Stopping a stopped server is a no-op.
    pub async fn stop(&mut self) -> Result<()> {
        match self.server.take() {
            Some(server) => server.stop().await,
            None => Ok(()),
        }
    }

    /// Starts the server again on the same port; returns once it answers PING. Starting a running server is a no-op.
    pub async fn start(&mut self) -> Result<()> {
        if self.server.is_some() {
            return Ok(());
        }
        // The watchdog deleted the folder when the server was stopped.
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        self.server = Some(start_server(&self.bin, &self.dir, self.port).await?);
        Ok(())
    }
}

impl Drop for OwnedRedis {
    fn drop(&mut self) {
        if self.server.is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        // A running server is stopped, and its folder deleted, by its watchdog once `server` drops.
    }
}

fn url_for(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

fn new_dir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("promptsales-redis-")
        .tempdir()
        .context("cannot create a temporary folder")
}

fn find_redis_server() -> Result<PathBuf> {
    find_on_path("redis-server", &["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"]).ok_or_else(|| {
        anyhow!("no `redis-server` on PATH, in /usr/bin or /usr/local/bin; install it (e.g. apt-get install redis-server)")
    })
}

async fn start_server(bin: &Path, dir: &Path, port: u16) -> Result<Guarded> {
    let args: Vec<OsString> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
    ]
    .iter()
    .map(OsString::from)
    .chain(std::iter::once(dir.as_os_str().to_owned()))
    .collect();
    let mut server = Guarded::spawn(None, dir, "TERM", bin, &args)?;
    let url = url_for(port);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last_error = anyhow!("no attempt made");
    while Instant::now() < deadline {
        if let Some(status) = server.exit_status() {
            bail!(
                "redis-server on port {port} exited ({status}) before answering PING; {}",
                server.log_tail()
            );
        }
        match ping(&url).await {
            Ok(()) => return Ok(server),
            Err(e) => last_error = e,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bail!(
        "redis-server on port {port} did not answer PING within 20 s ({last_error:#}); {}",
        server.log_tail()
    )
}

async fn ping(url: &str) -> Result<()> {
    let client = ::redis::Client::open(url)?;
    let attempt = async {
        let mut con = client.get_multiplexed_async_connection().await?;
        let pong: String = ::redis::cmd("PING").query_async(&mut con).await?;
        anyhow::ensure!(pong == "PONG", "PING answered {pong:?}");
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(2), attempt)
        .await
        .map_err(|_| anyhow!("PING timed out"))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::redis::AsyncCommands;

    #[tokio::test]
    async fn shared_redis_set_get_with_prefixes() {
        let r = redis().await;
        let (p1, p2) = (r.fresh_prefix(), r.fresh_prefix());
        assert_ne!(p1, p2);
        let client = ::redis::Client::open(r.url()).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        let pong: String = ::redis::cmd("PING").query_async(&mut con).await.unwrap();
        assert_eq!(pong, "PONG");
        let _: () = con.set(format!("{p1}k"), "one").await.unwrap();
        let _: () = con.set(format!("{p2}k"), "two").await.unwrap();
        let got: String = con.get(format!("{p1}k")).await.unwrap();
        assert_eq!(got, "one");
        let got: String = con.get(format!("{p2}k")).await.unwrap();
        assert_eq!(got, "two");
    }

    #[tokio::test]
    async fn throwaway_redis_stops_and_restarts() {
        let mut r = throwaway_redis().await.unwrap();
        assert!(r.is_running());
        let client = ::redis::Client::open(r.url()).unwrap();
        let mut manager = ::redis::aio::ConnectionManager::new(client.clone())
            .await
            .unwrap();
        let _: () = manager.set("k", "v").await.unwrap();

        r.stop().await.unwrap();
        assert!(!r.is_running());
        assert!(client.get_multiplexed_async_connection().await.is_err());
        let during: Result<String, _> = manager.get("k").await;
        assert!(during.is_err(), "a stopped Redis must fail requests");

        r.start().await.unwrap();
        // Nothing is persisted, and the same URL works again, also through the old manager.
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        let after: Option<String> = con.get("k").await.unwrap();
        assert_eq!(after, None);
        let mut reconnected = false;
        for _ in 0..100 {
            if manager.set::<_, _, ()>("k2", "v2").await.is_ok() {
                reconnected = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            reconnected,
            "the connection manager reconnects after a restart"
        );
        let dir = r.dir.clone();
        r.stop().await.unwrap();
        drop(r);
        assert!(!dir.exists(), "the folder is removed");
    }
}
