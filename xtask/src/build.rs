//! `cargo xtask build [--release]`: the browser bundle (wasm + JS glue + CSS + public files)
//! into `<target>/site`, and the `emporium` server binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::setup::{self, Toolchain, BINARYEN_VERSION, WASM_TARGET};
use crate::util::{file_size, gzip_size, human_bytes, note, run, step, Paths};

pub const HYDRATE_PACKAGE: &str = "emporium-storefront-hydrate";
pub const SERVER_PACKAGE: &str = "emporium-server";
/// The bundle's name: `LEPTOS_OUTPUT_NAME` in `.cargo/config.toml`.
pub const OUTPUT_NAME: &str = "emporium";

/// The wasm features rustc 1.9x (LLVM 20+) enables by default for wasm32-unknown-unknown.
/// wasm-opt also reads them from the module's `target_features` section; passing them keeps
/// it working should that section be stripped. (Checked with binaryen 132 on rustc 1.96
/// output: same bytes as with detection alone, and the module instantiates in Chromium.)
pub const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-call-indirect-overlong",
    "--enable-multivalue",
];

/// What a build produced.
#[derive(Debug, Clone)]
pub struct Built {
    pub server_bin: PathBuf,
    pub site: PathBuf,
}

pub fn build(paths: &Paths, release: bool, toolchain: Option<Toolchain>) -> Result<Built> {
    let toolchain = match toolchain {
        Some(t) => t,
        None => Toolchain::detect()?,
    };
    build_front(paths, release, &toolchain).context("building the browser bundle failed")?;
    let server_bin = build_server(paths, release).context("building the server failed")?;
    step("build: done");
    note(format!("server binary: {}", server_bin.display()));
    note(format!("site root:     {}", paths.site.display()));
    note(format!(
        "run it with: LEPTOS_SITE_ROOT={} LEPTOS_SITE_PKG_DIR=pkg {} serve",
        paths.site.display(),
        server_bin.display()
    ));
    Ok(Built {
        server_bin,
        site: paths.site.clone(),
    })
}

/// The cargo profile for the wasm build, and the directory cargo names after it.
fn wasm_profile(release: bool) -> (&'static str, &'static str) {
    if release {
        ("wasm-release", "wasm-release")
    } else {
        ("dev", "debug")
    }
}

fn build_front(paths: &Paths, release: bool, toolchain: &Toolchain) -> Result<()> {
    let (profile, profile_dir) = wasm_profile(release);
    step(format!(
        "build: browser bundle ({HYDRATE_PACKAGE}, profile {profile}) with {}",
        toolchain.describe()
    ));
    note(format!("target dir: {}", paths.front_target.display()));
    for tool in ["wasm-bindgen"]
        .iter()
        .chain(release.then_some(&"wasm-opt"))
    {
        if !crate::util::on_path(tool) {
            bail!("`{tool}` is not installed: run `cargo xtask setup`");
        }
    }
    if release && setup::installed_wasm_opt() != Some(BINARYEN_VERSION) {
        bail!(
            "wasm-opt is not binaryen {BINARYEN_VERSION} (found {:?}): run `cargo xtask setup`",
            setup::installed_wasm_opt()
        );
    }
    run(Command::new("cargo")
        .current_dir(&paths.root)
        .env("RUSTC", &toolchain.rustc)
        .args([
            "build",
            "-p",
            HYDRATE_PACKAGE,
            "--lib",
            "--target",
            WASM_TARGET,
        ])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(&paths.front_target))?;

    let out_dir = paths.front_target.join(WASM_TARGET).join(profile_dir);
    let raw = find_wasm(&out_dir)?;

    let pkg = paths.pkg();
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg).with_context(|| format!("removing {}", pkg.display()))?;
    }
    std::fs::create_dir_all(&pkg).with_context(|| format!("creating {}", pkg.display()))?;
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--out-dir"])
        .arg(&pkg)
        .args(["--out-name", OUTPUT_NAME, "--no-typescript"])
        .arg(&raw))?;
    let bindgen_out = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
    let wasm = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    std::fs::rename(&bindgen_out, &wasm)
        .with_context(|| format!("renaming {} to {}", bindgen_out.display(), wasm.display()))?;

    let raw_size = file_size(&raw)?;
    let bindgen_size = file_size(&wasm)?;
    if release {
        let tmp = pkg.join(format!("{OUTPUT_NAME}.opt.wasm"));
        run(Command::new("wasm-opt")
            .arg("-Oz")
            .args(WASM_OPT_FEATURES)
            .arg("-o")
            .arg(&tmp)
            .arg(&wasm))?;
        std::fs::rename(&tmp, &wasm)
            .with_context(|| format!("renaming {} to {}", tmp.display(), wasm.display()))?;
        let opt_size = file_size(&wasm)?;
        let gz = gzip_size(&wasm)?;
        step("build: wasm sizes");
        note(format!(
            "raw (cargo):    {:>12}  {}",
            human_bytes(raw_size),
            raw.display()
        ));
        note(format!("wasm-bindgen:   {:>12}", human_bytes(bindgen_size)));
        note(format!("wasm-opt -Oz:   {:>12}", human_bytes(opt_size)));
        note(format!("gzip -9:        {:>12}", human_bytes(gz)));
    } else {
        note(format!(
            "wasm: {} (raw {})",
            human_bytes(bindgen_size),
            human_bytes(raw_size)
        ));
    }

    copy_styles(&paths.root.join("style"), &pkg)?;
    copy_public(&paths.root.join("storefront").join("public"), &paths.site)?;
    note(format!("bundle: {}", pkg.display()));
    Ok(())
}

/// The hydrate crate's `.wasm` in cargo's output dir.
fn find_wasm(out_dir: &Path) -> Result<PathBuf> {
    let expected = out_dir.join(format!("{}.wasm", HYDRATE_PACKAGE.replace('-', "_")));
    if expected.is_file() {
        return Ok(expected);
    }
    // The crate may rename its lib target: accept the only .wasm there.
    let found: Vec<PathBuf> = std::fs::read_dir(out_dir)
        .with_context(|| format!("reading {}", out_dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!(
            "expected {} after the wasm build; found {:?}",
            expected.display(),
            found
        ),
    }
}

/// `style/main.css` becomes `pkg/emporium.css`; other stylesheets keep their names.
fn copy_styles(style_dir: &Path, pkg: &Path) -> Result<()> {
    let mut copied = 0;
    if style_dir.is_dir() {
        for entry in std::fs::read_dir(style_dir)
            .with_context(|| format!("reading {}", style_dir.display()))?
        {
            let path = entry.context("reading style/")?.path();
            if path.extension().is_none_or(|e| e != "css") {
                continue;
            }
            let name = match path.file_name().and_then(|n| n.to_str()) {
                Some("main.css") => format!("{OUTPUT_NAME}.css"),
                Some(other) => other.to_string(),
                None => continue,
            };
            std::fs::copy(&path, pkg.join(&name))
                .with_context(|| format!("copying {} to {}", path.display(), pkg.display()))?;
            copied += 1;
        }
    }
    if !pkg.join(format!("{OUTPUT_NAME}.css")).is_file() {
        note(format!(
            "warning: {} not found; the site has no {OUTPUT_NAME}.css",
            style_dir.join("main.css").display()
        ));
    }
    note(format!(
        "copied {copied} stylesheet(s) into {}",
        pkg.display()
    ));
    Ok(())
}

/// Copies `storefront/public/*` into the site root, if that dir exists.
fn copy_public(public: &Path, site: &Path) -> Result<()> {
    if !public.is_dir() {
        return Ok(());
    }
    let n = copy_dir(public, site)?;
    note(format!(
        "copied {n} public file(s) from {}",
        public.display()
    ));
    Ok(())
}

pub fn copy_dir(from: &Path, to: &Path) -> Result<usize> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut n = 0;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry.with_context(|| format!("reading {}", from.display()))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .with_context(|| format!("reading the type of {}", src.display()))?;
        if kind.is_dir() {
            n += copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)
                .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
            n += 1;
        }
    }
    Ok(n)
}

pub(crate) fn build_server(paths: &Paths, release: bool) -> Result<PathBuf> {
    step(format!(
        "build: server ({SERVER_PACKAGE}, {})",
        if release { "release" } else { "debug" }
    ));
    note(format!("target dir: {}", paths.target.display()));
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&paths.root)
        .env("CARGO_TARGET_DIR", &paths.target)
        .env_remove("RUSTC")
        .args(["build", "-p", SERVER_PACKAGE]);
    if release {
        cmd.arg("--release");
    }
    run(&mut cmd)?;
    let bin = paths.server_bin(release);
    if !bin.is_file() {
        bail!("the build finished but {} is missing", bin.display());
    }
    Ok(bin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::TempDir;

    #[test]
    fn profiles() {
        assert_eq!(wasm_profile(false), ("dev", "debug"));
        assert_eq!(wasm_profile(true), ("wasm-release", "wasm-release"));
    }

    #[test]
    fn copies_styles_and_public_files() -> Result<()> {
        let tmp = TempDir::new("xtask-test-copy")?;
        let style = tmp.path().join("style");
        let public = tmp.path().join("public");
        let site = tmp.path().join("site");
        let pkg = site.join("pkg");
        std::fs::create_dir_all(&style)?;
        std::fs::create_dir_all(public.join("img"))?;
        std::fs::create_dir_all(&pkg)?;
        std::fs::write(style.join("main.css"), "body{}")?;
        std::fs::write(style.join("print.css"), "@media print{}")?;
        std::fs::write(style.join("notes.txt"), "x")?;
        std::fs::write(public.join("favicon.ico"), "ico")?;
        std::fs::write(public.join("img").join("logo.svg"), "<svg/>")?;

        copy_styles(&style, &pkg)?;
        copy_public(&public, &site)?;

        assert_eq!(std::fs::read_to_string(pkg.join("emporium.css"))?, "body{}");
        assert!(pkg.join("print.css").is_file());
        assert!(!pkg.join("notes.txt").exists());
        assert!(site.join("favicon.ico").is_file());
        assert!(site.join("img").join("logo.svg").is_file());
        Ok(())
    }
}
