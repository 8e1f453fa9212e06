//! The supervisor of `promptsales up`: what the kubelet does in Kubernetes, in miniature.
//!
//! It knows nothing of PromptSales: it runs a list of [`Spec`]s (each a command of this
//! same binary with a readiness URL), starts them in order once the components each one
//! comes `after` are ready, and keeps them running. A component that exits while `up`
//! runs is restarted after a capped exponential backoff; it counts as back only once its
//! readiness URL answers again. More than [`Policy::crash_loop_limit`] exits within
//! [`Policy::crash_loop_window`] is a crash loop: the supervisor gives that component up,
//! says so, and keeps the others running (the router answers partial data without it).
//!
//! Every child is spawned from the thread that drives [`Supervisor`] (the main thread, in
//! `block_on`), because PR_SET_PDEATHSIG fires when the spawning *thread* ends: a child
//! spawned from a tokio worker thread would be signalled when that worker retires.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// `PROMPTSALES_UP_BACKOFF_INITIAL`: the wait before the first restart (doubled for each further exit in the window).
pub const BACKOFF_INITIAL_ENV: &str = "PROMPTSALES_UP_BACKOFF_INITIAL";
/// `PROMPTSALES_UP_BACKOFF_MAX`: the longest wait before a restart.
pub const BACKOFF_MAX_ENV: &str = "PROMPTSALES_UP_BACKOFF_MAX";
/// `PROMPTSALES_UP_CRASH_LOOP_LIMIT`: how many exits within the window are restarted; one more gives the component up (0: never give up).
pub const CRASH_LOOP_LIMIT_ENV: &str = "PROMPTSALES_UP_CRASH_LOOP_LIMIT";
/// `PROMPTSALES_UP_CRASH_LOOP_WINDOW`: how far back exits count.
pub const CRASH_LOOP_WINDOW_ENV: &str = "PROMPTSALES_UP_CRASH_LOOP_WINDOW";
/// `PROMPTSALES_UP_READY_TIMEOUT`: how long a (re)started component may take to become ready.
pub const READY_TIMEOUT_ENV: &str = "PROMPTSALES_UP_READY_TIMEOUT";

/// How often exits are looked for and readiness probed.
const TICK: Duration = Duration::from_millis(100);
/// How long one readiness probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a component may drain after SIGTERM before it is killed.
const DRAIN: Duration = Duration::from_secs(10);

/// One process the supervisor runs.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Its name (`crm`, `router`, ...), in logs and status lines.
    pub name: String,
    /// The arguments of this binary that run it (`["subgraph", "crm"]`).
    pub args: Vec<String>,
    /// Environment on top of `up`'s own.
    pub env: Vec<(String, String)>,
    /// A URL that answers 2xx once it can serve.
    pub ready_url: String,
    /// What it serves, for its status line.
    pub serves: String,
    /// Components that must be ready before it first starts (not on restarts).
    pub after: Vec<String>,
}

/// The restart settings, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The wait before the first restart.
    pub backoff_initial: Duration,
    /// The cap of the doubling wait.
    pub backoff_max: Duration,
    /// Exits within the window that are restarted; 0 restarts for ever.
    pub crash_loop_limit: u32,
    /// How far back exits count, for the backoff and the crash loop.
    pub crash_loop_window: Duration,
    /// How long a start may take to become ready.
    pub ready_timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            crash_loop_limit: 5,
            crash_loop_window: Duration::from_secs(300),
            ready_timeout: Duration::from_secs(90),
        }
    }
}

/// Why the supervisor could not run the platform.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// A restart setting is not usable.
    #[error("environment variable {name} has an invalid value {value:?}: expected {expected}")]
    InvalidSetting {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should look like.
        expected: &'static str,
    },
    /// A component names, in `after`, one that is not in the list.
    #[error("the {name} component waits for {missing}, which is not a component")]
    UnknownDependency {
        /// The component.
        name: String,
        /// The name it waits for.
        missing: String,
    },
    /// The process could not be spawned.
    #[error("starting the {name} component: {source}")]
    Spawn {
        /// The component.
        name: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A component exited before it was ever ready (a bad setting, a port in use...): `up` stops.
    #[error("the {name} component stopped while starting ({status}; see its log above)")]
    DiedStarting {
        /// The component.
        name: String,
        /// How it ended.
        status: String,
    },
    /// A component never became ready on its first start.
    #[error("the {name} component did not become ready at {url} within {timeout:?}")]
    NotReady {
        /// The component.
        name: String,
        /// Its readiness URL.
        url: String,
        /// How long it was given.
        timeout: Duration,
    },
}

impl Policy {
    /// Reads the settings (defaults: 500ms, 30s, 5 exits, 5m, 90s).
    pub fn from_env() -> Result<Self, SupervisorError> {
        let defaults = Self::default();
        let duration = |name: &'static str, default: Duration| match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => {
                promptsales_router::settings::parse_duration(&value)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or(SupervisorError::InvalidSetting {
                        name,
                        value,
                        expected: "a duration such as 500ms, 30s or 5m",
                    })
            }
            _ => Ok(default),
        };
        let crash_loop_limit = match std::env::var(CRASH_LOOP_LIMIT_ENV) {
            Ok(value) if !value.trim().is_empty() => {
                value
                    .trim()
                    .parse()
                    .map_err(|_| SupervisorError::InvalidSetting {
                        name: CRASH_LOOP_LIMIT_ENV,
                        value,
                        expected: "a whole number (0: never give up)",
                    })?
            }
            _ => defaults.crash_loop_limit,
        };
        let policy = Self {
            backoff_initial: duration(BACKOFF_INITIAL_ENV, defaults.backoff_initial)?,
            backoff_max: duration(BACKOFF_MAX_ENV, defaults.backoff_max)?,
            crash_loop_limit,
            crash_loop_window: duration(CRASH_LOOP_WINDOW_ENV, defaults.crash_loop_window)?,
            ready_timeout: duration(READY_TIMEOUT_ENV, defaults.ready_timeout)?,
        };
        Ok(policy)
    }

    /// The wait before restarting after the `exits`-th exit within the window (1 for the first).
    pub fn backoff(&self, exits: u32) -> Duration {
        let doublings = exits.saturating_sub(1).min(31);
        self.backoff_initial
            .saturating_mul(1u32 << doublings)
            .min(self.backoff_max.max(self.backoff_initial))
    }

    /// Whether `exits` within the window is a crash loop.
    pub fn is_crash_loop(&self, exits: u32) -> bool {
        self.crash_loop_limit != 0 && exits > self.crash_loop_limit
    }
}

/// How a process ended, for logs: `exit status 3`, `signal 9 (SIGKILL)`.
pub fn describe_exit(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGHUP => "SIGHUP",
                libc::SIGINT => "SIGINT",
                libc::SIGQUIT => "SIGQUIT",
                libc::SIGILL => "SIGILL",
                libc::SIGABRT => "SIGABRT",
                libc::SIGBUS => "SIGBUS",
                libc::SIGFPE => "SIGFPE",
                libc::SIGKILL => "SIGKILL",
                libc::SIGSEGV => "SIGSEGV",
                libc::SIGPIPE => "SIGPIPE",
                libc::SIGTERM => "SIGTERM",
                _ => "",
            };
            let core = if status.core_dumped() {
                ", core dumped"
            } else {
                ""
            };
            return if name.is_empty() {
                format!("signal {signal}{core}")
            } else {
                format!("signal {signal} ({name}){core}")
            };
        }
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
    }
}

/// Where a component is in its life.
#[derive(Debug)]
enum State {
    /// Waiting for the components it comes after.
    Pending,
    /// Spawned, not ready yet.
    Starting { since: Instant },
    /// Serving.
    Ready,
    /// Exited; restarted at `until`.
    Backoff { until: Instant },
    /// Crash loop: left down.
    GaveUp,
}

struct Supervised {
    spec: Spec,
    state: State,
    child: Option<Child>,
    /// Bumped on every spawn, so a late probe of an earlier process is ignored.
    generation: u64,
    probing: bool,
    last_probe: Option<Instant>,
    ever_ready: bool,
    /// When it last exited unexpectedly (for the downtime in the "back" log).
    down_since: Option<Instant>,
    /// Exits within the crash-loop window.
    exits: Vec<Instant>,
    restarts: u32,
}

/// The outcome of a probe: (component index, generation, ready).
type Probe = (usize, u64, bool);

/// What the main loop stopped for.
enum Outcome {
    AllReady,
    Stopped,
}

/// Runs and restarts the components.
pub struct Supervisor {
    exe: PathBuf,
    policy: Policy,
    components: Vec<Supervised>,
    client: reqwest::Client,
    probes_tx: mpsc::UnboundedSender<Probe>,
    probes_rx: mpsc::UnboundedReceiver<Probe>,
}

impl Supervisor {
    /// A supervisor of `specs` (in start order), each run as `exe <args>`.
    pub fn new(exe: PathBuf, specs: Vec<Spec>, policy: Policy) -> Result<Self, SupervisorError> {
        for spec in &specs {
            if let Some(missing) = spec
                .after
                .iter()
                .find(|name| !specs.iter().any(|s| &s.name == *name))
            {
                return Err(SupervisorError::UnknownDependency {
                    name: spec.name.clone(),
                    missing: missing.clone(),
                });
            }
        }
        let (probes_tx, probes_rx) = mpsc::unbounded_channel();
        Ok(Self {
            exe,
            policy,
            components: specs
                .into_iter()
                .map(|spec| Supervised {
                    spec,
                    state: State::Pending,
                    child: None,
                    generation: 0,
                    probing: false,
                    last_probe: None,
                    ever_ready: false,
                    down_since: None,
                    exits: Vec::new(),
                    restarts: 0,
                })
                .collect(),
            client: reqwest::Client::new(),
            probes_tx,
            probes_rx,
        })
    }

    /// Starts every component in order and returns once all are ready (`Ok(true)`), or
    /// `Ok(false)` if `stop` fired first. A component that dies before it was ever ready
    /// fails the start: that is a configuration problem, not a crash to retry.
    pub async fn start(
        &mut self,
        stop: std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> Result<bool, SupervisorError> {
        Ok(matches!(self.drive(stop, true).await?, Outcome::AllReady))
    }

    /// Keeps the components running until `stop` fires.
    pub async fn supervise(
        &mut self,
        stop: std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> Result<(), SupervisorError> {
        self.drive(stop, false).await.map(|_| ())
    }

    async fn drive(
        &mut self,
        mut stop: std::pin::Pin<&mut impl Future<Output = ()>>,
        until_all_ready: bool,
    ) -> Result<Outcome, SupervisorError> {
        loop {
            self.step()?;
            if until_all_ready
                && self
                    .components
                    .iter()
                    .all(|c| matches!(c.state, State::Ready))
            {
                return Ok(Outcome::AllReady);
            }
            tokio::select! {
                () = stop.as_mut() => return Ok(Outcome::Stopped),
                Some(probe) = self.probes_rx.recv() => self.probed(probe),
                () = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// One pass: reap exits, start what is due, probe what is starting.
    fn step(&mut self) -> Result<(), SupervisorError> {
        let now = Instant::now();
        for index in 0..self.components.len() {
            // An exit first, whatever the state: a process can die while still starting.
            let exited = self.components[index]
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            if let Some(status) = exited {
                self.on_exit(index, status, now)?;
            }
            let due = match self.components[index].state {
                State::Pending => self.dependencies_ready(index),
                State::Backoff { until } => now >= until,
                _ => false,
            };
            if due {
                self.spawn(index, now)?;
            }
            self.check_starting(index, now)?;
        }
        Ok(())
    }

    fn dependencies_ready(&self, index: usize) -> bool {
        self.components[index].spec.after.iter().all(|name| {
            self.components
                .iter()
                .any(|c| &c.spec.name == name && c.ever_ready)
        })
    }

    fn on_exit(
        &mut self,
        index: usize,
        status: ExitStatus,
        now: Instant,
    ) -> Result<(), SupervisorError> {
        let policy = self.policy.clone();
        let component = &mut self.components[index];
        component.child = None;
        let how = describe_exit(status);
        if !component.ever_ready {
            return Err(SupervisorError::DiedStarting {
                name: component.spec.name.clone(),
                status: how,
            });
        }
        component.down_since.get_or_insert(now);
        component
            .exits
            .retain(|at| now.duration_since(*at) < policy.crash_loop_window);
        component.exits.push(now);
        let exits = u32::try_from(component.exits.len()).unwrap_or(u32::MAX);
        if policy.is_crash_loop(exits) {
            component.state = State::GaveUp;
            tracing::error!(
                component = %component.spec.name,
                status = %how,
                exits,
                window = ?policy.crash_loop_window,
                "{}: exited ({how}), {exits} exits within {:?}: crash loop, giving up on it; the other components keep running",
                component.spec.name,
                policy.crash_loop_window,
            );
            return Ok(());
        }
        let delay = policy.backoff(exits);
        component.state = State::Backoff { until: now + delay };
        tracing::warn!(
            component = %component.spec.name,
            status = %how,
            restart = component.restarts + 1,
            delay = ?delay,
            "{}: exited unexpectedly ({how}); restarting in {delay:?} (restart {}, {exits} exit(s) within {:?})",
            component.spec.name,
            component.restarts + 1,
            policy.crash_loop_window,
        );
        Ok(())
    }

    fn spawn(&mut self, index: usize, now: Instant) -> Result<(), SupervisorError> {
        let component = &mut self.components[index];
        let mut command = Command::new(&self.exe);
        command
            .args(&component.spec.args)
            .envs(component.spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let child = with_parent_death_signal(&mut command)
            .spawn()
            .map_err(|source| SupervisorError::Spawn {
                name: component.spec.name.clone(),
                source,
            })?;
        if component.ever_ready {
            component.restarts += 1;
        }
        component.child = Some(child);
        component.generation += 1;
        component.probing = false;
        component.last_probe = None;
        component.state = State::Starting { since: now };
        Ok(())
    }

    /// Probes a starting component, and gives up on one that takes too long.
    fn check_starting(&mut self, index: usize, now: Instant) -> Result<(), SupervisorError> {
        let timeout = self.policy.ready_timeout;
        let component = &mut self.components[index];
        let State::Starting { since } = component.state else {
            return Ok(());
        };
        if now.duration_since(since) > timeout {
            if !component.ever_ready {
                return Err(SupervisorError::NotReady {
                    name: component.spec.name.clone(),
                    url: component.spec.ready_url.clone(),
                    timeout,
                });
            }
            // A restart that hangs counts as an exit: killed here, reaped on the next pass.
            tracing::warn!(component = %component.spec.name, "{}: not ready within {timeout:?} of its restart; killing it", component.spec.name);
            if let Some(child) = component.child.as_mut() {
                let _ = child.start_kill();
            }
            return Ok(());
        }
        if component.probing
            || component
                .last_probe
                .is_some_and(|at| now.duration_since(at) < Duration::from_millis(200))
        {
            return Ok(());
        }
        component.probing = true;
        component.last_probe = Some(now);
        let (tx, client, url, generation) = (
            self.probes_tx.clone(),
            self.client.clone(),
            component.spec.ready_url.clone(),
            component.generation,
        );
        // Probes only make HTTP requests, so they may run on any thread.
        tokio::spawn(async move {
            let ready = client
                .get(&url)
                .timeout(PROBE_TIMEOUT)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            let _ = tx.send((index, generation, ready));
        });
        Ok(())
    }

    fn probed(&mut self, (index, generation, ready): Probe) {
        let Some(component) = self.components.get_mut(index) else {
            return;
        };
        if component.generation != generation {
            return;
        }
        component.probing = false;
        let State::Starting { since } = component.state else {
            return;
        };
        if !ready {
            return;
        }
        component.state = State::Ready;
        let pid = component.child.as_ref().and_then(Child::id).unwrap_or(0);
        let took = since.elapsed();
        if component.ever_ready {
            let down = component
                .down_since
                .take()
                .map(|at| at.elapsed())
                .unwrap_or(took);
            tracing::info!(
                component = %component.spec.name,
                pid,
                down = ?down,
                "{}: back and ready (pid {pid}, down {:.1} s, restart {})",
                component.spec.name,
                down.as_secs_f64(),
                component.restarts,
            );
        } else {
            component.ever_ready = true;
            println!(
                "{}",
                status_line(
                    &component.spec.name,
                    "ready",
                    pid,
                    took,
                    &component.spec.serves
                )
            );
        }
    }

    /// Asks every running child to stop (SIGTERM, so they drain), then kills what is left.
    pub async fn stop_all(&mut self) {
        for component in &self.components {
            if let Some(pid) = component.child.as_ref().and_then(Child::id) {
                // SAFETY: kill(2) on a pid we spawned and have not reaped; no memory is involved.
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGTERM);
                }
            }
        }
        let waits = self.components.iter_mut().filter_map(|component| {
            let child = component.child.as_mut()?;
            Some(async move {
                if tokio::time::timeout(DRAIN, child.wait()).await.is_err() {
                    let _ = child.kill().await;
                }
            })
        });
        futures::future::join_all(waits).await;
    }
}

/// `  crm       ready  pid 4242   1.3 s  http://127.0.0.1:4003/graphql`
pub fn status_line(name: &str, state: &str, pid: u32, took: Duration, serves: &str) -> String {
    format!(
        "  {name:<9} {state:<6} pid {pid:<7} {:>5.1} s  {serves}",
        took.as_secs_f64()
    )
}

/// Makes the child receive SIGTERM when `up` dies, however it dies (even SIGKILL),
/// so no component outlives the command that started it; and puts it in its own
/// process group.
fn with_parent_death_signal(command: &mut Command) -> &mut Command {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getpid(2) has no preconditions.
        let parent = unsafe { libc::getpid() };
        // SAFETY: prctl(2) and getppid(2) are async-signal-safe and touch only the child being set up.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // `up` died between fork and prctl: the signal will never come, so do not start.
                if libc::getppid() != parent {
                    return Err(std::io::Error::other("promptsales up exited"));
                }
                // Its own process group: a Ctrl-C at the terminal reaches `up` alone, which
                // then stops the components itself, instead of racing their exits with
                // its own shutdown (and taking them for crashes).
                if libc::setpgid(0, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        let policy = Policy {
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(3),
            ..Policy::default()
        };
        let waits: Vec<_> = (1..=6).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, vec![500, 1000, 2000, 3000, 3000, 3000]);
        assert_eq!(policy.backoff(1000), Duration::from_secs(3));
    }

    #[test]
    fn a_crash_loop_is_one_exit_past_the_limit_and_zero_never_gives_up() {
        let policy = Policy {
            crash_loop_limit: 2,
            ..Policy::default()
        };
        assert!(!policy.is_crash_loop(2));
        assert!(policy.is_crash_loop(3));
        let forever = Policy {
            crash_loop_limit: 0,
            ..Policy::default()
        };
        assert!(!forever.is_crash_loop(10_000));
    }

    #[cfg(unix)]
    #[test]
    fn exits_are_described_by_status_or_signal() {
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(describe_exit(ExitStatus::from_raw(3 << 8)), "exit status 3");
        assert_eq!(describe_exit(ExitStatus::from_raw(9)), "signal 9 (SIGKILL)");
        assert_eq!(describe_exit(ExitStatus::from_raw(64)), "signal 64");
    }

    #[test]
    fn a_component_waiting_for_an_unknown_one_is_refused() {
        let spec = |name: &str, after: &[&str]| Spec {
            name: name.to_string(),
            args: vec![],
            env: vec![],
            ready_url: String::new(),
            serves: String::new(),
            after: after.iter().map(|s| s.to_string()).collect(),
        };
        let refused = Supervisor::new(
            PathBuf::from("x"),
            vec![spec("router", &["sales", "etl"]), spec("sales", &[])],
            Policy::default(),
        );
        assert!(matches!(
            refused,
            Err(SupervisorError::UnknownDependency { missing, .. }) if missing == "etl"
        ));
    }
}
