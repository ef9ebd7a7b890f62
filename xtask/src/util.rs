//! Small helpers shared by the commands: paths, running processes, temp dirs.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};

/// Where everything lives. All paths are absolute.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The workspace root (the parent of `xtask/`).
    pub root: PathBuf,
    /// The server's target dir: `$CARGO_TARGET_DIR`, else `<root>/target`.
    pub target: PathBuf,
    /// The browser bundle's target dir (`<target>/front`): the wasm build may use another
    /// rustc than the server build, so it must not share the server's target dir.
    pub front_target: PathBuf,
    /// The site root served by the binary (`<target>/site`, bundle in `<site>/pkg`).
    pub site: PathBuf,
}

impl Paths {
    pub fn discover() -> Result<Self> {
        let root = workspace_root()?;
        let cwd = std::env::current_dir().context("reading the current directory")?;
        let target = target_dir(&root, &cwd, std::env::var_os("CARGO_TARGET_DIR").as_deref());
        Ok(Self::with_target(root, target))
    }

    pub fn with_target(root: PathBuf, target: PathBuf) -> Self {
        Self {
            front_target: target.join("front"),
            site: target.join("site"),
            root,
            target,
        }
    }

    /// `<site>/pkg`: the wasm bundle, its JS glue and the CSS.
    pub fn pkg(&self) -> PathBuf {
        self.site.join("pkg")
    }

    /// The server binary built by `cargo xtask build [--release]`.
    pub fn server_bin(&self, release: bool) -> PathBuf {
        self.target
            .join(if release { "release" } else { "debug" })
            .join("emporium")
    }
}

/// The workspace root: the parent of this crate's manifest dir. Read at run time first
/// (`cargo run`, which `cargo xtask` is, sets `CARGO_MANIFEST_DIR` for the program): two
/// checkouts that share one target dir share one xtask binary, because cargo hashes path
/// packages relative to the workspace, and a path fixed at compile time would then point
/// at the other checkout. The compile-time path is the fallback for running the binary
/// directly.
fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let manifest_dir = manifest_dir.as_path();
    let root = manifest_dir
        .parent()
        .with_context(|| format!("{} has no parent directory", manifest_dir.display()))?;
    if !root.join("Cargo.toml").is_file() {
        bail!(
            "expected the workspace manifest at {}",
            root.join("Cargo.toml").display()
        );
    }
    Ok(root.to_path_buf())
}

/// `CARGO_TARGET_DIR` if set and non-empty (relative to the current dir, as cargo reads it),
/// else `<root>/target`.
pub fn target_dir(root: &Path, cwd: &Path, env: Option<&OsStr>) -> PathBuf {
    match env {
        Some(dir) if !dir.is_empty() => {
            let dir = Path::new(dir);
            if dir.is_absolute() {
                dir.to_path_buf()
            } else {
                cwd.join(dir)
            }
        }
        _ => root.join("target"),
    }
}

/// A shell-like rendering of a command, for logs.
pub fn display(cmd: &Command) -> String {
    let mut out = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            let _ = write!(
                out,
                "{}={} ",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            );
        }
    }
    out.push_str(&quote(&cmd.get_program().to_string_lossy()));
    for arg in cmd.get_args() {
        out.push(' ');
        out.push_str(&quote(&arg.to_string_lossy()));
    }
    out
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | '=' | ':' | ',' | '+' | '@' | '%')
        });
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Prints a step heading.
pub fn step(msg: impl AsRef<str>) {
    println!("==> {}", msg.as_ref());
}

/// Prints a detail line under a step.
pub fn note(msg: impl AsRef<str>) {
    println!("    {}", msg.as_ref());
}

/// Runs a command with inherited stdio, failing unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    println!("$ {}", display(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    check(cmd, status)
}

fn check(cmd: &Command, status: ExitStatus) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        bail!("`{}` failed ({status})", display(cmd))
    }
}

/// Runs a command quietly and returns its stdout (trimmed) if it exits 0; `None` if it cannot
/// be started or fails. For probes such as `tool --version`.
pub fn probe(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs a command (inherited stdio) with a time limit, killing it when the limit passes.
/// Returns `Ok(true)` if it exited 0, `Ok(false)` if it failed or timed out.
pub fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Result<bool> {
    println!("$ {}", display(cmd));
    let mut child = cmd
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("waiting for a child process")? {
            return Ok(status.success());
        }
        if start.elapsed() > limit {
            note(format!("no answer after {}s; stopping it", limit.as_secs()));
            let _ = child.kill();
            let _ = child.wait();
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs a command with inherited stdio; if it has not finished within `limit`, kills it with
/// all its descendants (e.g. a hung test binary under `cargo test`) and fails.
pub fn run_limited(cmd: &mut Command, limit: Duration) -> Result<()> {
    println!("$ {}", display(cmd));
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("waiting for a child process")? {
            return check(cmd, status);
        }
        if start.elapsed() > limit {
            eprintln!(
                "==> `{}` still running after {} min: killing it and its child processes",
                display(cmd),
                limit.as_secs() / 60
            );
            kill_tree(child.id());
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "`{}` timed out after {} min",
                display(cmd),
                limit.as_secs() / 60
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// SIGKILLs a process and every descendant (found through /proc).
pub fn kill_tree(root: u32) {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            if let Some(ppid) = parent_pid(&stat) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    let pids: Vec<String> = tree.iter().map(u32::to_string).collect();
    let _ = Command::new("kill")
        .arg("-KILL")
        .args(&pids)
        .stderr(Stdio::null())
        .status();
}

/// The parent pid from a `/proc/<pid>/stat` line (`pid (comm) state ppid ...`; comm may hold
/// spaces and parentheses, so read after the last `)`).
pub fn parent_pid(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Runs a command, capturing stdout; fails with its stderr unless it exits 0.
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    if !out.status.success() {
        bail!(
            "`{}` failed ({}): {}",
            display(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// Whether an executable of that name is on `PATH`.
pub fn on_path(name: &str) -> bool {
    find_on_path(name).is_some()
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Whether this process runs as root (then no `sudo` is needed for system changes).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// A command that changes the system: run through `sudo` unless we are root.
pub fn privileged(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut cmd = Command::new("sudo");
        cmd.arg(program);
        cmd
    }
}

/// Whether the environment says we run in CI (`CI=true`, as `.ci/run` sets it).
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
        .unwrap_or(false)
}

/// A directory under the system temp dir, removed (best effort) when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating temp dir {}", dir.display()))?;
        Ok(Self(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Size of a file in bytes.
pub fn file_size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading metadata of {}", path.display()))?
        .len())
}

/// Size of a file after `gzip -9`.
pub fn gzip_size(path: &Path) -> Result<u64> {
    let mut child = Command::new("gzip")
        .arg("-9")
        .arg("-c")
        .arg(path)
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start `gzip` (is it installed?)")?;
    let mut buf = Vec::new();
    child
        .stdout
        .take()
        .context("gzip has no stdout")?
        .read_to_end(&mut buf)
        .context("reading gzip output")?;
    let status = child.wait().context("waiting for gzip")?;
    if !status.success() {
        bail!("gzip -9 -c {} failed ({status})", path.display());
    }
    Ok(buf.len() as u64)
}

/// Human-readable byte count.
pub fn human_bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f >= KIB * KIB {
        format!("{:.2} MiB", f / KIB / KIB)
    } else if f >= KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_dir_defaults_and_env() {
        let root = Path::new("/repo");
        let cwd = Path::new("/elsewhere");
        assert_eq!(target_dir(root, cwd, None), Path::new("/repo/target"));
        assert_eq!(
            target_dir(root, cwd, Some(OsStr::new(""))),
            Path::new("/repo/target")
        );
        assert_eq!(
            target_dir(root, cwd, Some(OsStr::new("/cache/t"))),
            Path::new("/cache/t")
        );
        assert_eq!(
            target_dir(root, cwd, Some(OsStr::new("rel"))),
            Path::new("/elsewhere/rel")
        );
        let paths = Paths::with_target(root.into(), "/cache/t".into());
        assert_eq!(paths.front_target, Path::new("/cache/t/front"));
        assert_eq!(paths.site, Path::new("/cache/t/site"));
        assert_eq!(paths.pkg(), Path::new("/cache/t/site/pkg"));
        assert_eq!(
            paths.server_bin(true),
            Path::new("/cache/t/release/emporium")
        );
    }

    #[test]
    fn reads_parent_pids() {
        assert_eq!(parent_pid("123 (cargo) S 45 123 45 0 -1"), Some(45));
        assert_eq!(parent_pid("9 (a (b) c) R 1 9 9 0"), Some(1));
        assert_eq!(parent_pid("garbage"), None);
    }

    #[test]
    fn run_limited_kills_the_whole_tree() -> Result<()> {
        let marker = TempDir::new("xtask-test-kill")?;
        let flag = marker.path().join("survived");
        // A grandchild that would write the file after 3 s unless killed with its parent.
        let script = format!("(sleep 3; touch {}) & wait", flag.display());
        let start = Instant::now();
        let result = run_limited(
            Command::new("sh").arg("-c").arg(script),
            Duration::from_millis(500),
        );
        assert!(result.is_err());
        assert!(start.elapsed() < Duration::from_secs(3));
        std::thread::sleep(Duration::from_secs(4));
        assert!(!flag.exists(), "the grandchild outlived the timeout");
        assert!(run_limited(&mut Command::new("true"), Duration::from_secs(10)).is_ok());
        assert!(run_limited(&mut Command::new("false"), Duration::from_secs(10)).is_err());
        Ok(())
    }

    #[test]
    fn display_quotes() {
        let mut cmd = Command::new("echo");
        cmd.arg("a b").arg("plain").env("X", "1");
        assert_eq!(display(&cmd), "X=1 echo 'a b' plain");
    }
}
