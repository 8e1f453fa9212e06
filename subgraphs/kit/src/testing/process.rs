//! Throwaway server processes that cannot outlive the test process.
//!
//! Statics are never dropped, so the server cannot be stopped from Rust at
//! exit. Instead each server runs under a tiny `sh` watchdog whose stdin is a
//! pipe from the test process: the kernel closes that pipe whenever the test
//! process ends, however it ends, and the watchdog then stops the server and
//! deletes its folder.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

/// The watchdog. Arguments: cleanup dir, stop signal, then the server command.
///
/// The reader of fd 3 sees end-of-file once the test process is gone (or
/// drops the pipe on purpose); it leaves a marker so the main shell knows the
/// server was stopped by us and may delete its folder. A server that dies on
/// its own keeps its folder so the test process can still read the log.
const WATCHDOG: &str = r#"
dir=$1; sig=$2; shift 2
exec 3<&0 </dev/null
"$@" 3<&- >>"$dir/server.log" 2>&1 &
server=$!
{ read _ignored <&3; : >"$dir/.stopping"; kill -"$sig" "$server" 2>/dev/null; } &
watcher=$!
exec 3<&-
wait "$server"
status=$?
if [ -e "$dir/.stopping" ]; then
    rm -rf "$dir"
else
    kill "$watcher" 2>/dev/null
fi
exit "$status"
"#;

/// A server process tied to the lifetime of this value and of the test process.
pub(crate) struct Guarded {
    child: Option<Child>,
    /// Dropping this closes the watchdog's pipe, which stops the server.
    pipe: Option<ChildStdin>,
    dir: PathBuf,
}

impl Guarded {
    /// Starts `program args` under the watchdog, logging to `dir/server.log`;
    /// `dir` is deleted once the server has been stopped through the pipe.
    pub(crate) fn spawn(
        run_as: Option<&str>,
        dir: &Path,
        stop_signal: &str,
        program: &Path,
        args: &[OsString],
    ) -> Result<Self> {
        let mut argv: Vec<OsString> = vec![
            "-c".into(),
            WATCHDOG.into(),
            "promptsales-watchdog".into(),
            dir.into(),
            stop_signal.into(),
            program.into(),
        ];
        argv.extend(args.iter().cloned());
        let mut cmd = command_as(run_as, Path::new("/bin/sh"), &argv);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Keeps a terminal's Ctrl-C away from the watchdog: the test process
            // dies, the pipe closes, and the watchdog still cleans up.
            .process_group(0);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot spawn {} under a watchdog", program.display()))?;
        let pipe = child.stdin.take();
        Ok(Self {
            child: Some(child),
            pipe,
            dir: dir.to_path_buf(),
        })
    }

    /// Returns how the server ended, if it already has.
    pub(crate) fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// The last lines the server wrote, for error messages.
    pub(crate) fn log_tail(&self) -> String {
        log_tail(&self.dir.join("server.log"))
    }

    /// Stops the server and waits (bounded) until it and its watchdog are gone.
    pub(crate) async fn stop(mut self) -> Result<()> {
        self.pipe = None;
        for _ in 0..1000 {
            if self.exit_status().is_some() {
                self.child = None;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bail!(
            "server in {} did not stop within 10 s of being asked",
            self.dir.display()
        )
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.pipe = None;
        if let Some(mut child) = self.child.take() {
            // Reaps the watchdog so it does not linger as a zombie.
            std::thread::spawn(move || child.wait());
        }
    }
}

/// The last 30 lines of a log file, or a note that it is unreadable.
pub(crate) fn log_tail(path: &Path) -> String {
    let mut text = String::new();
    if let Err(e) = fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text)) {
        return format!("(no log at {}: {e})", path.display());
    }
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(30);
    format!(
        "last lines of {}:\n{}",
        path.display(),
        lines[start..].join("\n")
    )
}

/// Whether this process runs as root (PostgreSQL refuses to).
pub(crate) fn running_as_root() -> bool {
    // Effective uid is the second field of the Uid line; falls back to `id -u`.
    if let Ok(status) = fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("Uid:"))
        && let Some(euid) = line.split_whitespace().nth(2)
    {
        return euid == "0";
    }
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command that runs `program args` as `run_as` (via `runuser`, else `su`) or as ourselves.
pub(crate) fn command_as(run_as: Option<&str>, program: &Path, args: &[OsString]) -> Command {
    let Some(user) = run_as else {
        let mut cmd = Command::new(program);
        cmd.args(args);
        return cmd;
    };
    if let Some(runuser) = find_on_path("runuser", &["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) {
        let mut cmd = Command::new(runuser);
        cmd.args(["-u", user, "--"]).arg(program).args(args);
        return cmd;
    }
    // `su -c` takes one shell string, so every word is quoted.
    let mut line = shell_quote(program.as_os_str());
    for arg in args {
        line.push(' ');
        line.push_str(&shell_quote(arg));
    }
    let mut cmd = Command::new("su");
    cmd.args(["-s", "/bin/sh", user, "-c"]).arg(line);
    cmd
}

fn shell_quote(word: &OsStr) -> String {
    format!("'{}'", word.to_string_lossy().replace('\'', r"'\''"))
}

/// Finds an executable by name on PATH, then in `extra_dirs`.
pub(crate) fn find_on_path(name: &str, extra_dirs: &[&str]) -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    path_dirs
        .into_iter()
        .chain(extra_dirs.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Runs a short command to completion, turning failure into an error with its output.
pub(crate) async fn run(mut cmd: Command, what: &str) -> Result<()> {
    cmd.stdin(Stdio::null());
    let output = tokio::process::Command::from(cmd)
        .output()
        .await
        .with_context(|| format!("cannot run {what}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(anyhow!(
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// A non-empty environment variable, trimmed.
pub(crate) fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}
