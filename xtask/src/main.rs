//! `cargo run --release -p xtask -- site`: builds everything `make run` serves.
//!
//! 1. The WASM client (`frontend`, profile `wasm-release`) and the server (`server`,
//!    release) are compiled at the same time, each in its own target directory so the
//!    two cargo runs do not wait on each other's lock (the client's long single-threaded
//!    link overlaps the server's compile).
//! 2. While the server still compiles, wasm-bindgen (its library, pinned to the workspace's version) writes the JS glue;
//!    `wasm-opt -Oz` (npm's binaryen, on `PATH`) shrinks the WASM.
//! 3. The client's files get content-hashed names (`gatehouse.<hash>.wasm`), so the
//!    server can let browsers keep them for good, and a brotli and a gzip copy each,
//!    which the server sends as they are. `public/` is copied to the site root.
//! 4. `hash.txt` beside the server binary tells Leptos the hashed names.
//!
//! This replaces `cargo leptos build --release`, whose own compile took 17 of the 25
//! minutes of a first `make run`.

use sha2::{Digest, Sha256};
use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// The name the pages ask for (`LeptosOptions::output_name`).
const OUTPUT_NAME: &str = "gatehouse";
const STYLE: &str = "style/main.css";
const PUBLIC: &str = "public";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("site") => site(),
        _ => {
            eprintln!("usage: cargo run --release -p xtask -- site");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Paths {
    root: PathBuf,
    target: PathBuf,
    site: PathBuf,
}

impl Paths {
    fn from_env() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let site = std::env::var_os("LEPTOS_SITE_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| target.join("site"));
        Self { root, target, site }
    }

    /// The client's own target directory (as cargo-leptos kept it: `target/front`).
    fn front(&self) -> PathBuf {
        self.target.join("front")
    }
}

fn site() -> Result<()> {
    let p = Paths::from_env();
    let started = Instant::now();
    fs::create_dir_all(p.target.join("release"))?;

    // The server's compile is the longest step: start it first, and finish the client
    // (wasm-bindgen, wasm-opt, compression) while it runs.
    let mut server = cargo(&p.root)
        .args(["build", "--release", "--package=server", "--bin=gatehouse"])
        .spawn()
        .map_err(|e| format!("cargo (server): {e}"))?;
    let client = cargo(&p.root)
        .args([
            "build",
            "--package=frontend",
            "--lib",
            "--target=wasm32-unknown-unknown",
            "--profile=wasm-release",
        ])
        .arg(format!("--target-dir={}", p.front().display()))
        .status()
        .map_err(|e| format!("cargo (client): {e}"))?;
    if !client.success() {
        let _ = server.kill();
        let _ = server.wait();
        return Err("the WASM client did not compile".into());
    }
    say(&format!("client compiled in {:.0?}", started.elapsed()));
    let built = client_site(&p);
    let server = server.wait()?;
    let (hashes, wasm_len, br_len) = built?;
    if !server.success() {
        return Err("the server did not compile".into());
    }
    let hash_file = p.target.join("release/hash.txt");
    fs::write(&hash_file, &hashes)?;
    say(&format!(
        "site in {} (client {} KB, {} KB as brotli), hashes in {}; {:.0?} in all",
        p.site.display(),
        wasm_len / 1000,
        br_len / 1000,
        hash_file.display(),
        started.elapsed()
    ));
    Ok(())
}

/// The client's files in the site directory; returns the hash file's text and the WASM's
/// size, raw and as brotli.
fn client_site(p: &Paths) -> Result<(String, u64, u64)> {
    let wasm = p
        .front()
        .join("wasm32-unknown-unknown/wasm-release/frontend.wasm");
    let staging = p.target.join("xtask/bindgen");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .out_name(OUTPUT_NAME)
        .typescript(false)
        .web(true)?
        .generate(&staging)
        .map_err(|e| format!("wasm-bindgen: {e:#}"))?;
    let bg = staging.join(format!("{OUTPUT_NAME}_bg.wasm"));
    let status = Command::new("wasm-opt")
        .args(["-Oz", "--enable-bulk-memory"])
        .arg(&bg)
        .arg("-o")
        .arg(&bg)
        .status()
        .map_err(|e| {
            format!("wasm-opt (npm's binaryen; `scripts/tools.sh build` installs it): {e}")
        })?;
    if !status.success() {
        return Err("wasm-opt failed".into());
    }

    // The site is written anew, so a name from an earlier build is never served again.
    let pkg = p.site.join("pkg");
    let _ = fs::remove_dir_all(&pkg);
    fs::create_dir_all(&pkg)?;
    let js = fs::read(staging.join(format!("{OUTPUT_NAME}.js")))?;
    let wasm = fs::read(&bg)?;
    let css = fs::read(p.root.join(STYLE))?;
    let mut hashes = String::new();
    for (kind, body) in [("js", &js), ("wasm", &wasm), ("css", &css)] {
        let hash = short_hash(body);
        write_with_compressed(&pkg.join(format!("{OUTPUT_NAME}.{hash}.{kind}")), body)?;
        hashes.push_str(&format!("{kind}: {hash}\n"));
    }
    // wasm-bindgen's inline JS snippets, referred to from the JS by their own path.
    let snippets = staging.join("snippets");
    if snippets.is_dir() {
        for file in files_under(&snippets)? {
            let rel = file.strip_prefix(&staging)?;
            write_with_compressed(&pkg.join(rel), &fs::read(&file)?)?;
        }
    }
    let public = p.root.join(PUBLIC);
    for file in files_under(&public)? {
        let dest = p.site.join(file.strip_prefix(&public)?);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::copy(&file, &dest)?;
    }
    let br = fs::metadata(pkg.join(format!("{OUTPUT_NAME}.{}.wasm.br", short_hash(&wasm))))?;
    Ok((hashes, wasm.len() as u64, br.len()))
}

fn cargo(root: &Path) -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root);
    c
}

fn say(what: &str) {
    println!("==> {what}");
}

/// 16 hex digits of the content's SHA-256: a new name whenever the content changes.
fn short_hash(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file, and beside it `.br` and `.gz` copies at the strongest settings (written once
/// per build, read by every visitor).
fn write_with_compressed(path: &Path, body: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, body)?;
    let mut br = Vec::new();
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 24,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &body[..], &mut br, &params)?;
    }
    fs::write(with_suffix(path, "br"), br)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(body)?;
    fs::write(with_suffix(path, "gz"), gz.finish()?)?;
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
