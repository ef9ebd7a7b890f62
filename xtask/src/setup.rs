//! `cargo xtask setup`: installs everything the build and the tests need, idempotently.
//!
//! 1. Debian packages (lld, chromium, chromium-driver, wrk; plus Debian's Rust with its std
//!    source when rustup cannot provide the wasm32 target).
//! 2. A wasm32-unknown-unknown std: rustup's if `rustup target add` works, else one built once
//!    from Debian's std source into Debian rustc's sysroot.
//! 3. wasm-bindgen-cli at exactly the version in Cargo.lock.
//! 4. wasm-opt from binaryen 132 (npm), not Debian's binaryen 108.
//! 5. Python's aiosmtpd (for the email tests).
//! 6. Python's schemathesis 4 (for the API contract stage of `cargo xtask test`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::util::{self, note, on_path, output, privileged, probe, run, step, Paths, TempDir};

/// The wasm target triple.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Debian's Rust (package rustc-web), which ships its std source (rust-web-src).
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
/// The binaryen release whose wasm-opt we use.
pub const BINARYEN_VERSION: u32 = 132;
/// Set to `rustup` or `debian` to force the toolchain for the wasm build.
const TOOLCHAIN_ENV: &str = "EMPORIUM_WASM_TOOLCHAIN";

/// Debian packages the tests and benchmarks need.
const TEST_PACKAGES: &[&str] = &["lld", "chromium", "chromium-driver", "wrk"];
/// Debian's Rust with its std source, and wasm-ld, for building the wasm32 std ourselves.
const DEBIAN_RUST_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolchainKind {
    /// rustup's toolchain with its `wasm32-unknown-unknown` target component.
    Rustup,
    /// Debian's rustc with a wasm32 std we built into its sysroot.
    Debian,
}

/// The compiler used for the wasm build (passed as `RUSTC`).
#[derive(Debug, Clone)]
pub struct Toolchain {
    pub kind: ToolchainKind,
    pub rustc: PathBuf,
}

impl Toolchain {
    fn rustup() -> Result<Self> {
        let rustc = output(Command::new("rustup").args(["which", "rustc"]))
            .context("asking rustup for its rustc")?;
        Ok(Self {
            kind: ToolchainKind::Rustup,
            rustc: PathBuf::from(rustc.trim()),
        })
    }

    fn debian() -> Self {
        Self {
            kind: ToolchainKind::Debian,
            rustc: PathBuf::from(DEBIAN_RUSTC),
        }
    }

    /// Finds a toolchain that can already build for wasm32, changing nothing.
    pub fn detect() -> Result<Self> {
        let forced = forced_kind()?;
        if forced != Some(ToolchainKind::Debian) && rustup_has_wasm_target() {
            return Self::rustup();
        }
        if forced != Some(ToolchainKind::Rustup) {
            if let DebianStd::Current = DebianStd::status()? {
                return Ok(Self::debian());
            }
        }
        bail!("no Rust toolchain with the {WASM_TARGET} std is installed: run `cargo xtask setup`")
    }

    pub fn describe(&self) -> String {
        let version = probe(Command::new(&self.rustc).arg("-V")).unwrap_or_default();
        let kind = match self.kind {
            ToolchainKind::Rustup => "rustup",
            ToolchainKind::Debian => "Debian rustc + self-built std",
        };
        format!("{kind}: {} ({version})", self.rustc.display())
    }
}

fn forced_kind() -> Result<Option<ToolchainKind>> {
    match std::env::var(TOOLCHAIN_ENV) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim() {
            "" => Ok(None),
            "rustup" => Ok(Some(ToolchainKind::Rustup)),
            "debian" => Ok(Some(ToolchainKind::Debian)),
            other => bail!("{TOOLCHAIN_ENV}={other}: expected `rustup` or `debian`"),
        },
    }
}

fn rustup_has_wasm_target() -> bool {
    probe(Command::new("rustup").args(["target", "list", "--installed"]))
        .is_some_and(|out| out.lines().any(|l| l.trim() == WASM_TARGET))
}

/// What `setup` should install.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Only what `cargo xtask build` needs (no browser, wrk or Python packages): for the
    /// Docker image.
    pub build_only: bool,
}

/// Installs what is missing and returns the toolchain for the wasm build.
pub fn setup(paths: &Paths, opts: Options) -> Result<Toolchain> {
    step("setup: choosing the toolchain for the wasm32 build");
    let ready = choose_toolchain()?;

    // 1. Debian packages.
    let mut packages: Vec<&str> = Vec::new();
    if !opts.build_only {
        packages.extend(TEST_PACKAGES);
    }
    if ready.is_none() {
        packages.extend(DEBIAN_RUST_PACKAGES);
    }
    if !on_path("npm") {
        packages.extend(["nodejs", "npm"]);
    }
    let mut seen = Vec::new();
    packages.retain(|p| {
        let first = !seen.contains(p);
        seen.push(*p);
        first
    });
    apt_install(&packages)?;

    // 2. The wasm32 std.
    let toolchain = match ready {
        Some(toolchain) => toolchain,
        None => {
            build_debian_std()?;
            Toolchain::debian()
        }
    };
    note(format!("wasm toolchain: {}", toolchain.describe()));

    // 3-5. Tools.
    ensure_wasm_bindgen(&paths.root)?;
    ensure_wasm_opt()?;
    if !opts.build_only {
        ensure_aiosmtpd()?;
        ensure_schemathesis()?;
    }
    step("setup: done");
    Ok(toolchain)
}

/// Returns the toolchain if one is usable without building the std, trying `rustup target add`
/// when nothing is installed yet. `None` means: build the std for Debian's rustc.
fn choose_toolchain() -> Result<Option<Toolchain>> {
    let forced = forced_kind()?;
    if let Some(kind) = forced {
        note(format!("{TOOLCHAIN_ENV} forces {kind:?}"));
    }
    if forced != Some(ToolchainKind::Debian) && rustup_has_wasm_target() {
        note(format!("rustup already has the {WASM_TARGET} target"));
        return Toolchain::rustup().map(Some);
    }
    if forced != Some(ToolchainKind::Rustup) {
        match DebianStd::status()? {
            DebianStd::Current => {
                note(format!(
                    "the {WASM_TARGET} std for {DEBIAN_RUSTC} is installed and current; skipping"
                ));
                return Ok(Some(Toolchain::debian()));
            }
            DebianStd::Missing(why) => note(format!("Debian rustc's wasm32 std: {why}")),
        }
    }
    if forced != Some(ToolchainKind::Debian) && on_path("rustup") {
        note(format!("trying rustup's {WASM_TARGET} target"));
        let added = util::run_with_timeout(
            Command::new("rustup").args(["target", "add", WASM_TARGET]),
            Duration::from_secs(300),
        )?;
        if added && rustup_has_wasm_target() {
            return Toolchain::rustup().map(Some);
        }
        if forced == Some(ToolchainKind::Rustup) {
            bail!("{TOOLCHAIN_ENV}=rustup but `rustup target add {WASM_TARGET}` failed");
        }
        note("rustup cannot provide it; falling back to Debian's rustc with a self-built std");
    } else if forced != Some(ToolchainKind::Debian) {
        note("rustup is not installed; using Debian's rustc with a self-built std");
    }
    Ok(None)
}

/// Installs the Debian packages that are not installed yet.
fn apt_install(packages: &[&str]) -> Result<()> {
    step(format!("setup: Debian packages ({})", packages.join(" ")));
    if packages.is_empty() {
        note("none needed");
        return Ok(());
    }
    if !on_path("dpkg") {
        bail!(
            "dpkg not found: setup supports Debian 12; install these packages yourself: {}",
            packages.join(" ")
        );
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    if missing.is_empty() {
        note("all installed");
        return Ok(());
    }
    note(format!("missing: {}", missing.join(" ")));
    let apt = |args: &[&str]| -> Result<()> {
        let mut cmd = privileged("env");
        cmd.args(["DEBIAN_FRONTEND=noninteractive", "apt-get"])
            .args(args);
        run(&mut cmd)
    };
    apt(&["update"]).context("apt-get update failed")?;
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend(&missing);
    apt(&args).with_context(|| format!("could not install {}", missing.join(" ")))?;
    let still: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    if !still.is_empty() {
        bail!(
            "apt-get reported success but these are still not installed: {}",
            still.join(" ")
        );
    }
    Ok(())
}

fn dpkg_installed(package: &str) -> bool {
    probe(Command::new("dpkg").args(["-s", package])).is_some_and(|out| {
        out.lines()
            .any(|l| l.trim() == "Status: install ok installed")
    })
}

/// The state of the self-built wasm32 std in Debian rustc's sysroot.
enum DebianStd {
    Current,
    Missing(String),
}

/// Where Debian rustc keeps things.
struct DebianSysroot {
    version: String,
    /// `<sysroot>/lib/rustlib/wasm32-unknown-unknown`
    target_dir: PathBuf,
    /// `<sysroot>/lib/rustlib/<host>/bin`
    host_bin: PathBuf,
}

impl DebianSysroot {
    fn read() -> Result<Option<Self>> {
        if !Path::new(DEBIAN_RUSTC).is_file() {
            return Ok(None);
        }
        let version = output(Command::new(DEBIAN_RUSTC).arg("-V"))?
            .trim()
            .to_string();
        let sysroot = output(Command::new(DEBIAN_RUSTC).args(["--print", "sysroot"]))?;
        let verbose = output(Command::new(DEBIAN_RUSTC).arg("-vV"))?;
        let host = verbose
            .lines()
            .find_map(|l| l.strip_prefix("host:"))
            .map(str::trim)
            .context("`rustc -vV` printed no host triple")?;
        let rustlib = Path::new(sysroot.trim()).join("lib").join("rustlib");
        Ok(Some(Self {
            version,
            target_dir: rustlib.join(WASM_TARGET),
            host_bin: rustlib.join(host).join("bin"),
        }))
    }

    fn lib_dir(&self) -> PathBuf {
        self.target_dir.join("lib")
    }

    fn version_file(&self) -> PathBuf {
        self.target_dir.join("rustc-version")
    }

    fn rust_lld(&self) -> PathBuf {
        self.host_bin.join("rust-lld")
    }
}

impl DebianStd {
    fn status() -> Result<Self> {
        let Some(sysroot) = DebianSysroot::read()? else {
            return Ok(Self::Missing(format!("{DEBIAN_RUSTC} is not installed")));
        };
        let recorded = std::fs::read_to_string(sysroot.version_file()).unwrap_or_default();
        if recorded.trim() != sysroot.version {
            return Ok(Self::Missing(if recorded.is_empty() {
                "not built yet".into()
            } else {
                format!(
                    "built for `{}`, rustc is `{}`",
                    recorded.trim(),
                    sysroot.version
                )
            }));
        }
        let has_std = std::fs::read_dir(sysroot.lib_dir())
            .map(|entries| {
                entries.flatten().any(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with("libstd-") && name.ends_with(".rlib")
                })
            })
            .unwrap_or(false);
        if !has_std {
            return Ok(Self::Missing(format!(
                "no libstd rlib in {}",
                sysroot.lib_dir().display()
            )));
        }
        // `exists` follows the link, so a dangling one counts as missing.
        if !sysroot.rust_lld().exists() {
            return Ok(Self::Missing(format!(
                "{} is missing",
                sysroot.rust_lld().display()
            )));
        }
        Ok(Self::Current)
    }
}

const SCRATCH_CRATE: &str = "emporium_wasm_std";

/// Builds the wasm32 std from Debian's std source (`-Zbuild-std`) and installs it into Debian
/// rustc's sysroot, with rust-lld pointing at Debian's lld.
fn build_debian_std() -> Result<()> {
    step(format!(
        "setup: building the {WASM_TARGET} std for {DEBIAN_RUSTC} (about a minute)"
    ));
    let sysroot = DebianSysroot::read()?
        .with_context(|| format!("{DEBIAN_RUSTC} is missing although rustc-web was installed"))?;
    let wasm_ld = Path::new("/usr/bin/wasm-ld");
    let lld = Path::new("/usr/bin/lld");
    for tool in [wasm_ld, lld] {
        if !tool.exists() {
            bail!("{} is missing (Debian package lld)", tool.display());
        }
    }

    let scratch = TempDir::new("emporium-wasm-std")?;
    let dir = scratch.path();
    std::fs::create_dir_all(dir.join("src")).context("creating the scratch crate")?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n\
             [profile.release]\nlto = true\n\n\
             [workspace]\n",
            SCRATCH_CRATE.replace('_', "-")
        ),
    )
    .context("writing the scratch Cargo.toml")?;
    std::fs::write(
        dir.join("src/lib.rs"),
        "pub fn touch(n: u32) -> String {\n    format!(\"{n}\")\n}\n",
    )
    .context("writing the scratch lib.rs")?;

    let target = dir.join("target");
    run(Command::new("cargo")
        .current_dir(dir)
        .env("RUSTC", DEBIAN_RUSTC)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", wasm_ld)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .args(["build", "--release", "--target", WASM_TARGET])
        .arg("--target-dir")
        .arg(&target)
        .arg("-Zbuild-std=std,panic_abort"))
    .context("building the wasm32 std with -Zbuild-std failed")?;

    let deps = target.join(WASM_TARGET).join("release").join("deps");
    let own = format!("lib{SCRATCH_CRATE}-");
    let mut rlibs: Vec<PathBuf> = std::fs::read_dir(&deps)
        .with_context(|| format!("reading {}", deps.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            name.ends_with(".rlib") && !name.starts_with(&own)
        })
        .collect();
    rlibs.sort();
    if !rlibs.iter().any(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("libstd-"))
    }) {
        bail!("the build produced no libstd rlib in {}", deps.display());
    }

    let lib_dir = sysroot.lib_dir();
    note(format!(
        "installing {} rlibs into {}",
        rlibs.len(),
        lib_dir.display()
    ));
    run(privileged("mkdir")
        .arg("-p")
        .arg(&lib_dir)
        .arg(&sysroot.host_bin))?;
    // Old rlibs of another rustc would be ambiguous candidates for `std`.
    let old: Vec<PathBuf> = std::fs::read_dir(&lib_dir)
        .with_context(|| format!("reading {}", lib_dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rlib" || e == "rmeta"))
        .collect();
    if !old.is_empty() {
        note(format!(
            "removing {} old files from {}",
            old.len(),
            lib_dir.display()
        ));
        run(privileged("rm").arg("-f").args(&old))?;
    }
    run(privileged("cp").arg("-f").args(&rlibs).arg(&lib_dir))?;
    run(privileged("ln").arg("-sf").arg(lld).arg(sysroot.rust_lld()))?;
    let version_tmp = dir.join("rustc-version");
    std::fs::write(&version_tmp, format!("{}\n", sysroot.version))
        .context("writing the version stamp")?;
    run(privileged("cp")
        .arg("-f")
        .arg(&version_tmp)
        .arg(sysroot.version_file()))?;

    match DebianStd::status()? {
        DebianStd::Current => {
            note(format!(
                "installed the wasm32 std for `{}`",
                sysroot.version
            ));
            Ok(())
        }
        DebianStd::Missing(why) => {
            bail!("installed the wasm32 std but it is still not usable: {why}")
        }
    }
}

/// The version of `package` pinned in a Cargo.lock (exactly one version expected).
pub fn locked_version(lock: &str, package: &str) -> Result<String> {
    let mut versions: Vec<String> = Vec::new();
    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    let mut flush = |name: &mut Option<String>, version: &mut Option<String>| {
        if name.as_deref() == Some(package) {
            if let Some(v) = version.take() {
                if !versions.contains(&v) {
                    versions.push(v);
                }
            }
        }
        *name = None;
        *version = None;
    };
    for line in lock.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            flush(&mut name, &mut version);
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            let value = value.trim().trim_matches('"').to_string();
            match key.trim() {
                "name" => name = Some(value),
                "version" => version = Some(value),
                _ => {}
            }
        }
    }
    flush(&mut name, &mut version);
    match versions.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("Cargo.lock has no `{package}` package"),
        many => bail!(
            "Cargo.lock has several `{package}` versions ({}); wasm-bindgen-cli must match exactly one",
            many.join(", ")
        ),
    }
}

/// The exact version pinned in the workspace manifest (`wasm-bindgen = "=X.Y.Z"`), used only
/// when there is no Cargo.lock and none can be generated.
pub fn manifest_pin(manifest: &str, package: &str) -> Option<String> {
    manifest.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        if key.trim() != package {
            return None;
        }
        let value = value.trim();
        let version = if let Some(rest) = value.strip_prefix('"') {
            rest.split('"').next()?
        } else {
            let idx = value.find("version")?;
            value[idx..].split('"').nth(1)?
        };
        version.strip_prefix('=').map(|v| v.trim().to_string())
    })
}

fn wanted_wasm_bindgen(root: &Path) -> Result<String> {
    let lock_path = root.join("Cargo.lock");
    if !lock_path.is_file() {
        note("no Cargo.lock yet; generating it");
        if let Err(err) = run(Command::new("cargo")
            .current_dir(root)
            .arg("generate-lockfile"))
        {
            let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
                .context("reading the workspace Cargo.toml")?;
            return manifest_pin(&manifest, "wasm-bindgen").with_context(|| {
                format!("no Cargo.lock ({err:#}) and no exact `wasm-bindgen = \"=X.Y.Z\"` pin in Cargo.toml")
            });
        }
    }
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("reading {}", lock_path.display()))?;
    locked_version(&lock, "wasm-bindgen")
}

/// `wasm-bindgen 0.2.130` → `0.2.130`.
fn installed_wasm_bindgen() -> Option<String> {
    probe(Command::new("wasm-bindgen").arg("--version"))
        .and_then(|out| out.split_whitespace().nth(1).map(str::to_string))
}

fn ensure_wasm_bindgen(root: &Path) -> Result<()> {
    let wanted = wanted_wasm_bindgen(root)?;
    step(format!(
        "setup: wasm-bindgen-cli {wanted} (the version in Cargo.lock)"
    ));
    let installed = installed_wasm_bindgen();
    if installed.as_deref() == Some(wanted.as_str()) {
        note("already installed");
        return Ok(());
    }
    note(match &installed {
        Some(v) => format!("installed: {v}; replacing it (a few minutes)"),
        None => "not installed; building it (a few minutes)".into(),
    });
    // Built with the default (rustup) toolchain, whatever RUSTC the caller had, in cargo's
    // own temp dir rather than the project's target dir.
    run(Command::new("cargo")
        .env_remove("RUSTC")
        .env_remove("CARGO_TARGET_DIR")
        .args(["install", "wasm-bindgen-cli", "--version", &wanted]))
    .context("cargo install wasm-bindgen-cli failed")?;
    match installed_wasm_bindgen() {
        Some(v) if v == wanted => Ok(()),
        other => bail!(
            "installed wasm-bindgen-cli {wanted}, but `wasm-bindgen --version` reports {other:?}: \
             is another wasm-bindgen earlier on PATH ({:?})?",
            util::find_on_path("wasm-bindgen")
        ),
    }
}

/// `wasm-opt version 132 (version_132)` → 132.
pub fn parse_wasm_opt_version(out: &str) -> Option<u32> {
    let rest = &out[out.find("version")? + "version".len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

pub fn installed_wasm_opt() -> Option<u32> {
    probe(Command::new("wasm-opt").arg("--version")).and_then(|out| parse_wasm_opt_version(&out))
}

fn ensure_wasm_opt() -> Result<()> {
    step(format!(
        "setup: wasm-opt from binaryen {BINARYEN_VERSION} (npm)"
    ));
    let installed = installed_wasm_opt();
    if installed == Some(BINARYEN_VERSION) {
        note("already installed");
        return Ok(());
    }
    if dpkg_installed("binaryen") {
        bail!(
            "Debian's binaryen package is installed (wasm-opt {installed:?}); its wasm-opt breaks \
             hydration and would clash with the npm one: remove it with `apt-get remove binaryen`"
        );
    }
    if !on_path("npm") {
        bail!("npm is not installed (Debian package npm)");
    }
    note(match installed {
        Some(v) => format!("installed: version {v}; replacing it"),
        None => "not installed".into(),
    });
    run(privileged("npm").args(["install", "-g", &format!("binaryen@{BINARYEN_VERSION}")]))
        .context("npm install -g binaryen failed")?;
    match installed_wasm_opt() {
        Some(v) if v == BINARYEN_VERSION => Ok(()),
        other => bail!(
            "installed binaryen@{BINARYEN_VERSION}, but `wasm-opt --version` reports {other:?} \
             (found {:?}; npm's global bin dir is `npm prefix -g`/bin: is it on PATH?)",
            util::find_on_path("wasm-opt")
        ),
    }
}

fn ensure_aiosmtpd() -> Result<()> {
    step("setup: Python aiosmtpd (email tests)");
    let importable = || probe(Command::new("python3").args(["-c", "import aiosmtpd"])).is_some();
    if !on_path("python3") {
        bail!("python3 is not installed");
    }
    if importable() {
        note("already installed");
        return Ok(());
    }
    pip_install("aiosmtpd", importable)?;
    if !importable() {
        bail!("pip installed aiosmtpd but `python3 -c \"import aiosmtpd\"` still fails");
    }
    Ok(())
}

/// The schemathesis releases whose CLI the contract stage is written for.
pub const SCHEMATHESIS_SPEC: &str = "schemathesis>=4,<5";
const SCHEMATHESIS_MAJOR: &str = "4.";

/// The contract stage's command: the CLI module, so it works whether or not pip's script
/// directory is on PATH.
pub fn schemathesis_command() -> Command {
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "schemathesis.cli"]);
    cmd
}

/// The installed schemathesis version, if any (`python -m schemathesis.cli, version
/// 4.32.5` → `4.32.5`).
pub fn schemathesis_version() -> Option<String> {
    probe(schemathesis_command().arg("--version")).and_then(|out| parse_schemathesis_version(&out))
}

pub fn parse_schemathesis_version(out: &str) -> Option<String> {
    let version = out.rsplit("version").next()?.trim();
    version
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
        .then(|| version.to_string())
}

/// Whether the installed schemathesis is one the contract stage can drive.
pub fn schemathesis_usable() -> Option<String> {
    schemathesis_version().filter(|v| v.starts_with(SCHEMATHESIS_MAJOR))
}

fn ensure_schemathesis() -> Result<()> {
    step(format!(
        "setup: Python {SCHEMATHESIS_SPEC} (API contract tests)"
    ));
    if !on_path("python3") {
        bail!("python3 is not installed");
    }
    match schemathesis_version() {
        Some(v) if v.starts_with(SCHEMATHESIS_MAJOR) => {
            note(format!("already installed ({v})"));
            return Ok(());
        }
        Some(v) => note(format!("installed: {v}; installing {SCHEMATHESIS_SPEC}")),
        None => note("not installed"),
    }
    pip_install(SCHEMATHESIS_SPEC, || schemathesis_usable().is_some())?;
    match schemathesis_usable() {
        Some(v) => {
            note(format!("installed {v}"));
            Ok(())
        }
        None => bail!(
            "pip installed {SCHEMATHESIS_SPEC} but `python3 -m schemathesis.cli --version` \
             reports {:?}",
            schemathesis_version()
        ),
    }
}

/// `pip install <spec>`, retried with `--break-system-packages` (and `--user` unless root)
/// when Debian's own python3 refuses system-wide installs (PEP 668) and the package is
/// still not `installed()`.
fn pip_install(spec: &str, installed: impl Fn() -> bool) -> Result<()> {
    let plain = run(Command::new("python3").args(["-m", "pip", "install", spec]));
    if plain.is_err() && !installed() {
        note("retrying with --break-system-packages");
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "pip", "install", "--break-system-packages"]);
        if !util::is_root() {
            cmd.arg("--user");
        }
        run(cmd.arg(spec)).with_context(|| format!("pip install {spec} failed"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://example.invalid/index"
checksum = "abc"
dependencies = [
 "cfg-if",
 "wasm-bindgen-macro",
]

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.130"

[[package]]
name = "xtask"
version = "0.1.0"
"#;

    #[test]
    fn finds_the_locked_wasm_bindgen() {
        assert_eq!(
            locked_version(LOCK, "wasm-bindgen").ok().as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(LOCK, "xtask").ok().as_deref(), Some("0.1.0"));
        assert!(locked_version(LOCK, "serde").is_err());
    }

    #[test]
    fn rejects_two_versions() {
        let two = format!("{LOCK}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.99\"\n");
        let err = locked_version(&two, "wasm-bindgen")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("0.2.130, 0.2.99")));
    }

    #[test]
    fn reads_the_manifest_pin() {
        let manifest = "[workspace.dependencies]\nwasm-bindgen-futures = \"0.4\"\n\
                        wasm-bindgen = \"=0.2.130\"\n";
        assert_eq!(
            manifest_pin(manifest, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        let table = "wasm-bindgen = { version = \"=0.2.131\", default-features = false }\n";
        assert_eq!(
            manifest_pin(table, "wasm-bindgen").as_deref(),
            Some("0.2.131")
        );
        assert_eq!(
            manifest_pin("wasm-bindgen = \"0.2\"\n", "wasm-bindgen"),
            None
        );
    }

    /// The workspace's own Cargo.lock agrees with the exact pin in Cargo.toml.
    #[test]
    fn workspace_lock_matches_the_pin() -> Result<()> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("no workspace root")?;
        let lock = std::fs::read_to_string(root.join("Cargo.lock"))?;
        let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
        let locked = locked_version(&lock, "wasm-bindgen")?;
        assert_eq!(manifest_pin(&manifest, "wasm-bindgen"), Some(locked));
        Ok(())
    }

    #[test]
    fn parses_schemathesis_versions() {
        assert_eq!(
            parse_schemathesis_version("python -m schemathesis.cli, version 4.32.5").as_deref(),
            Some("4.32.5")
        );
        assert_eq!(
            parse_schemathesis_version("schemathesis, version 3.39.16").as_deref(),
            Some("3.39.16")
        );
        assert_eq!(parse_schemathesis_version("No module named x"), None);
    }

    #[test]
    fn parses_wasm_opt_versions() {
        assert_eq!(
            parse_wasm_opt_version("wasm-opt version 132 (version_132)"),
            Some(132)
        );
        assert_eq!(parse_wasm_opt_version("wasm-opt version 108"), Some(108));
        assert_eq!(parse_wasm_opt_version("something else"), None);
    }
}
