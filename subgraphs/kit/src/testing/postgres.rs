//! A real PostgreSQL server for tests, one per test process, one fresh database per test.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use tokio::sync::OnceCell;

use super::ports::free_port;
use super::process::{
    Guarded, command_as, env_nonempty, find_on_path, is_executable, run, running_as_root,
};

/// Names the admin database of an existing server to use instead of a throwaway one.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// Marks databases made by [`TestPostgres::fresh_database`], so stale ones on a
/// long-lived server can be recognised and dropped.
const MARKER: &str = "promptsales-kit test database, created at unix";

/// Databases older than this on a shared server are leftovers of finished runs.
const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);

/// The user a throwaway cluster runs as when we are root.
const SERVICE_USER: &str = "postgres";

/// A PostgreSQL server tests can create databases on.
pub struct TestPostgres {
    admin_url: String,
    /// Present when the harness started the server itself; never touched, only owned.
    _server: Option<Guarded>,
}

impl std::fmt::Debug for TestPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPostgres")
            .field("admin_url", &self.admin_url)
            .field("throwaway", &self.is_throwaway())
            .finish()
    }
}

// The failure is kept as text so every later test fails fast with the same reason.
static POSTGRES: OnceCell<Result<TestPostgres, String>> = OnceCell::const_new();

/// The process-wide test server; panics with the reason when none can be had.
pub async fn postgres() -> &'static TestPostgres {
    match try_postgres().await {
        Ok(pg) => pg,
        Err(e) => panic!("no PostgreSQL for tests: {e:#}"),
    }
}

/// The process-wide test server: `TEST_DATABASE_URL`, else a throwaway cluster started once.
pub async fn try_postgres() -> Result<&'static TestPostgres> {
    let cell = POSTGRES
        .get_or_init(|| async { init().await.map_err(|e| format!("{e:#}")) })
        .await;
    cell.as_ref().map_err(|e| anyhow!("{e}"))
}

impl TestPostgres {
    /// URL of the admin database (the one fresh databases are created from).
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// Whether the harness started this server (as opposed to `TEST_DATABASE_URL`).
    pub fn is_throwaway(&self) -> bool {
        self._server.is_some()
    }

    /// Creates an empty database named `{prefix}_{uuid}` and returns its URL.
    pub async fn fresh_database(&self, prefix: &str) -> Result<String> {
        let name = format!("{}_{}", sanitize(prefix), uuid::Uuid::now_v7().simple());
        let admin = connect(&self.admin_url).await?;
        let created = async {
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .with_context(|| format!("CREATE DATABASE {name}"))?;
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            admin
                .execute_unprepared(&format!(
                    "COMMENT ON DATABASE \"{name}\" IS '{}'",
                    Marker::of_this_process(now).describe()
                ))
                .await
                .with_context(|| format!("COMMENT ON DATABASE {name}"))?;
            anyhow::Ok(())
        }
        .await;
        let _ = admin.close().await;
        created?;
        Ok(database_url(&self.admin_url, &name))
    }

    /// Drops a database made by [`Self::fresh_database`], disconnecting its users.
    pub async fn drop_database(&self, name: &str) -> Result<()> {
        let admin = connect(&self.admin_url).await?;
        let dropped = admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                name.replace('"', "\"\"")
            ))
            .await
            .with_context(|| format!("DROP DATABASE {name}"));
        let _ = admin.close().await;
        dropped.map(|_| ())
    }
}

/// Keeps database names valid and within PostgreSQL's 63-byte limit with the uuid appended.
fn sanitize(prefix: &str) -> String {
    let mut name: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert(0, 't');
        name.truncate(30);
    }
    name
}

/// `url` with its database (path) replaced by `database`, query kept.
fn database_url(url: &str, database: &str) -> String {
    let (head, query) = match url.find('?') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let authority_start = head.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match head[authority_start..].find('/') {
        Some(i) => &head[..authority_start + i],
        None => head,
    };
    format!("{base}/{database}{query}")
}

/// One short-lived connection; pools are tied to the runtime that made them, so none is kept.
async fn connect(url: &str) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(1)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to {url}"))
}

async fn init() -> Result<TestPostgres> {
    if let Some(url) = env_nonempty(TEST_DATABASE_URL) {
        let admin = connect(&url)
            .await
            .with_context(|| format!("{TEST_DATABASE_URL} is set but its server is not usable"))?;
        // In the background: nextest runs every test in its own process, and a test
        // should not wait for another run's leftovers to be dropped.
        tokio::spawn(async move {
            if let Err(e) = drop_stale(&admin).await {
                tracing::warn!("could not drop stale test databases: {e:#}");
            }
            let _ = admin.close().await;
        });
        return Ok(TestPostgres {
            admin_url: url,
            _server: None,
        });
    }
    start_throwaway()
        .await
        .context("cannot start a throwaway PostgreSQL (set TEST_DATABASE_URL to use a running server instead)")
}

/// Who made a test database and when, as kept in its comment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Marker {
    created: u64,
    /// The creating process and the boot it ran in; absent in markers of older runs.
    creator: Option<(u32, String)>,
}

impl Marker {
    fn of_this_process(created: u64) -> Self {
        Self {
            created,
            creator: boot_id().map(|boot| (std::process::id(), boot)),
        }
    }

    fn describe(&self) -> String {
        match &self.creator {
            Some((pid, boot)) => format!("{MARKER} {} pid {pid} boot {boot}", self.created),
            None => format!("{MARKER} {}", self.created),
        }
    }

    fn parse(description: &str) -> Option<Self> {
        let rest = description.strip_prefix(MARKER)?;
        let mut words = rest.split_whitespace();
        let created = words.next()?.parse().ok()?;
        let creator = match (words.next(), words.next(), words.next(), words.next()) {
            (Some("pid"), Some(pid), Some("boot"), Some(boot)) => {
                pid.parse().ok().map(|pid| (pid, boot.to_string()))
            }
            _ => None,
        };
        Some(Self { created, creator })
    }

    /// Whether the database belongs to a finished run: its creator has exited on this
    /// machine, or (for any machine sharing the server) it is hours old.
    fn is_stale(&self, now: u64, this_boot: Option<&str>) -> bool {
        let age = now.saturating_sub(self.created);
        if age > STALE_AFTER.as_secs() {
            return true;
        }
        // A full suite leaves a few hundred databases (gigabytes) behind; dropping those
        // of exited runs at the next start keeps a long-lived server's disk bounded.
        match (&self.creator, this_boot) {
            (Some((pid, boot)), Some(this_boot)) if boot == this_boot => {
                age > CREATOR_GRACE.as_secs() && !Path::new(&format!("/proc/{pid}")).exists()
            }
            _ => false,
        }
    }
}

/// Databases younger than this are never dropped, whoever made them.
const CREATOR_GRACE: Duration = Duration::from_secs(60);

/// This boot of this machine (Linux); `None` elsewhere, where only age counts.
fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && !s.contains(char::is_whitespace))
}

/// Test processes that drop stale databases at once; the others leave it to them.
const CLEANUP_LOCK: i64 = 0x7072_6f6d_7074_7364; // "promptsd"

/// The most databases one process drops: DROP DATABASE checkpoints, so a long
/// backlog is worked off a batch per test process rather than in one.
const DROPS_PER_PROCESS: usize = 32;

/// Drops test databases left on a long-lived server by finished runs.
///
/// `admin` must be a single connection: the advisory lock is held by its session.
async fn drop_stale(admin: &DatabaseConnection) -> Result<()> {
    let locked = admin
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_try_advisory_lock({CLEANUP_LOCK}) AS locked"),
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "locked"))
        .transpose()?
        .unwrap_or(false);
    if !locked {
        return Ok(());
    }
    let rows = admin
        .query_all(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT d.datname, s.description FROM pg_database d \
                 JOIN pg_shdescription s ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass \
                 WHERE s.description LIKE '{MARKER} %' ORDER BY d.oid"
            ),
        ))
        .await?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let this_boot = boot_id();
    let mut dropped = 0usize;
    for row in rows {
        let name: String = row.try_get("", "datname")?;
        let description: String = row.try_get("", "description")?;
        let Some(marker) = Marker::parse(&description) else {
            continue;
        };
        if dropped < DROPS_PER_PROCESS && marker.is_stale(now, this_boot.as_deref()) {
            // Without FORCE: a database somebody still uses is left alone.
            let sql = format!("DROP DATABASE IF EXISTS \"{}\"", name.replace('"', "\"\""));
            match admin.execute_unprepared(&sql).await {
                Ok(_) => dropped += 1,
                Err(e) => tracing::debug!("leaving stale test database {name}: {e}"),
            }
        }
    }
    if dropped > 0 {
        tracing::info!("dropped {dropped} test databases of finished runs");
    }
    // Closing the connection would release it too; this keeps the order explicit.
    admin
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({CLEANUP_LOCK})"))
        .await?;
    Ok(())
}

/// The directory holding `initdb` and `postgres`: PATH first, then the usual install places (newest version first).
fn find_bindir() -> Result<PathBuf> {
    if let Some(postgres) = find_on_path("postgres", &[]) {
        // Debian links /usr/local/bin/postgres to the versioned directory; initdb must come from the same one.
        let real = std::fs::canonicalize(&postgres).unwrap_or(postgres);
        if let Some(dir) = real.parent()
            && is_executable(&dir.join("initdb"))
        {
            return Ok(dir.to_path_buf());
        }
    }
    let mut candidates: Vec<PathBuf> = ["/usr/lib/postgresql", "/usr/pgsql", "/opt/homebrew/opt"]
        .iter()
        .filter_map(|root| std::fs::read_dir(root).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .collect();
    candidates.sort_by_key(|p| {
        let version = p
            .parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .unwrap_or("");
        std::cmp::Reverse(
            version
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    candidates.push(PathBuf::from("/usr/local/pgsql/bin"));
    candidates
        .into_iter()
        .find(|d| is_executable(&d.join("postgres")) && is_executable(&d.join("initdb")))
        .ok_or_else(|| {
            anyhow!(
                "no `postgres` + `initdb` found on PATH, in /usr/lib/postgresql/*/bin, /usr/pgsql*/bin \
                 or /usr/local/pgsql/bin; install the PostgreSQL server (e.g. apt-get install postgresql)"
            )
        })
}

async fn start_throwaway() -> Result<TestPostgres> {
    let started = Instant::now();
    let bindir = find_bindir()?;
    let run_as = running_as_root().then_some(SERVICE_USER);
    // A port taken between free_port() and bind is rare; a fresh attempt covers it.
    let mut last_error = anyhow!("no attempt made");
    for _ in 0..3 {
        match start_cluster(&bindir, run_as).await {
            Ok(pg) => {
                tracing::debug!("throwaway PostgreSQL ready in {:?}", started.elapsed());
                return Ok(pg);
            }
            Err(e) if format!("{e:#}").contains("already in use") => last_error = e,
            Err(e) => return Err(e),
        }
    }
    Err(last_error)
}

async fn start_cluster(bindir: &Path, run_as: Option<&'static str>) -> Result<TestPostgres> {
    let tempdir = tempfile::Builder::new()
        .prefix("promptsales-pg-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let dir = tempdir.path().to_path_buf();
    if let Some(user) = run_as {
        let mut chown = std::process::Command::new("chown");
        chown.arg(format!("{user}:")).arg(&dir);
        run(chown, &format!("chown {user}: {}", dir.display())).await.with_context(|| {
            format!(
                "running as root, so PostgreSQL must run as the `{user}` user, which needs to exist \
                 and reach {}",
                dir.display()
            )
        })?;
    }
    let data = dir.join("data");
    let initdb_args: Vec<OsString> = vec![
        "-D".into(),
        data.clone().into(),
        "-U".into(),
        "postgres".into(),
        "--auth=trust".into(),
        "--no-sync".into(),
        "--no-locale".into(),
        "-E".into(),
        "UTF8".into(),
    ];
    let initdb = bindir.join("initdb");
    run(
        command_as(run_as, &initdb, &initdb_args),
        &format!("{} (as {})", initdb.display(), run_as.unwrap_or("self")),
    )
    .await?;

    let port = free_port();
    let mut args: Vec<OsString> = vec![
        "-D".into(),
        data.into(),
        "-p".into(),
        port.to_string().into(),
        "-k".into(),
        dir.clone().into(),
    ];
    for setting in [
        "listen_addresses=127.0.0.1",
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=200",
    ] {
        args.push("-c".into());
        args.push(setting.into());
    }
    // SIGQUIT is PostgreSQL's immediate shutdown: nothing here is worth a checkpoint.
    let mut server = Guarded::spawn(run_as, &dir, "QUIT", &bindir.join("postgres"), &args)?;
    let admin_url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    wait_ready(&mut server, port, &admin_url).await?;
    // The watchdog deletes the folder once the server stops; the TempDir must not race it.
    let _ = tempdir.keep();
    Ok(TestPostgres {
        admin_url,
        _server: Some(server),
    })
}

/// Polls until the server accepts SQL, failing early with its log if it exits.
async fn wait_ready(server: &mut Guarded, port: u16, admin_url: &str) -> Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last_error = String::from("nothing listening yet");
    while Instant::now() < deadline {
        if let Some(status) = server.exit_status() {
            bail!(
                "postgres exited ({status}) before accepting connections; {}",
                server.log_tail()
            );
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            // The socket opens before recovery ends ("the database system is starting up").
            match connect(admin_url).await {
                Ok(conn) => match conn.execute_unprepared("SELECT 1").await {
                    Ok(_) => {
                        let _ = conn.close().await;
                        return Ok(());
                    }
                    Err(e) => last_error = e.to_string(),
                },
                Err(e) => last_error = format!("{e:#}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!(
        "postgres on port {port} not ready within 60 s (last error: {last_error}); {}",
        server.log_tail()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Statement;

    #[test]
    fn names_and_urls() {
        assert_eq!(sanitize("Sales-Store"), "sales_store");
        assert_eq!(sanitize("1x"), "t1x");
        assert!(sanitize(&"a".repeat(80)).len() <= 30);
        assert_eq!(
            database_url("postgres://u:p@h:5432/postgres?sslmode=disable", "db1"),
            "postgres://u:p@h:5432/db1?sslmode=disable"
        );
        assert_eq!(database_url("postgres://h", "db1"), "postgres://h/db1");
    }

    #[test]
    fn markers_name_their_creator_and_stale_means_exited_or_old() {
        let now = 1_000_000;
        let boot = "b7c0";
        let mine = Marker {
            created: now - 120,
            creator: Some((std::process::id(), boot.into())),
        };
        assert_eq!(Marker::parse(&mine.describe()), Some(mine.clone()));
        // The creator (this process) is alive: kept.
        assert!(!mine.is_stale(now, Some(boot)));
        // An exited creator on this boot: dropped once past the grace period only.
        let exited = Marker {
            creator: Some((u32::MAX, boot.into())),
            ..mine.clone()
        };
        assert!(exited.is_stale(now, Some(boot)));
        assert!(
            !Marker {
                created: now - 5,
                ..exited.clone()
            }
            .is_stale(now, Some(boot))
        );
        // Another machine's database, or one with an older marker: only age counts.
        assert!(!exited.is_stale(now, Some("other-boot")));
        let older = Marker::parse(&format!("{MARKER} {}", now - 120)).unwrap();
        assert_eq!(older.creator, None);
        assert!(!older.is_stale(now, Some(boot)));
        assert!(
            Marker {
                created: now - 7 * 3600,
                ..older
            }
            .is_stale(now, Some(boot))
        );
        assert_eq!(Marker::parse("somebody else's database"), None);
    }

    async fn roundtrip(url: &str, value: &str) {
        let db = Database::connect(url).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (v text NOT NULL)")
            .await
            .unwrap();
        db.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO t VALUES ($1)",
            [value.into()],
        ))
        .await
        .unwrap();
        let rows = db
            .query_all(Statement::from_string(
                DbBackend::Postgres,
                "SELECT v FROM t",
            ))
            .await
            .unwrap();
        let got: Vec<String> = rows.iter().map(|r| r.try_get("", "v").unwrap()).collect();
        assert_eq!(got, vec![value.to_string()]);
        db.close().await.unwrap();
    }

    #[tokio::test]
    async fn fresh_databases_are_distinct_and_usable() {
        let pg = postgres().await;
        let a = pg.fresh_database("kit_a").await.unwrap();
        let b = pg.fresh_database("kit_a").await.unwrap();
        assert_ne!(a, b);
        // Same table name in both: only isolation lets both creations succeed.
        roundtrip(&a, "in a").await;
        roundtrip(&b, "in b").await;
        let name = a.rsplit('/').next().unwrap().to_string();
        pg.drop_database(&name).await.unwrap();
        assert!(Database::connect(&a).await.is_err());
    }

    // A second test on its own runtime proves the shared server outlives the first runtime.
    #[tokio::test]
    async fn server_is_shared_across_runtimes() {
        let pg = postgres().await;
        let url = pg.fresh_database("kit_b").await.unwrap();
        roundtrip(&url, "b").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parallel_fresh_databases() {
        let pg = postgres().await;
        let handles: Vec<_> = (0..8)
            .map(|i| {
                tokio::spawn(
                    async move { pg.fresh_database(&format!("kit_par{i}")).await.unwrap() },
                )
            })
            .collect();
        let mut urls = Vec::new();
        for h in handles {
            urls.push(h.await.unwrap());
        }
        urls.sort();
        urls.dedup();
        assert_eq!(urls.len(), 8);
    }
}
