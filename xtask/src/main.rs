//! `cargo run -p xtask -- site`: builds the client `make run` serves. `make build` starts
//! the server's release compile first and runs this beside it (the two in their own
//! target directories, so neither waits on the other's lock); this step is compiled in
//! the dev profile, which takes a third of the release profile's time (brotli and its
//! gzip twin are optimised anyway: they are most of its own work).
//!
//! 1. The WASM client (`frontend`, profile `wasm-release`) is compiled in its own target
//!    directory.
//! 2. wasm-split cuts the screens behind `app::screens` out of the main module (the
//!    client is built with the `split` feature); wasm-bindgen (its library, pinned to the
//!    workspace's version) writes the JS glue of the main module; `wasm-opt -Oz` (npm's
//!    binaryen, on `PATH`) shrinks every module.
//! 3. The client's files get content-hashed names (`gatehouse.<hash>.wasm`), so the
//!    server can let browsers keep them for good, and a brotli and a gzip copy each,
//!    which the server sends as they are. `public/` is copied to the site root.
//! 4. `hash.txt` beside the server binary tells Leptos the hashed names (the server reads
//!    it when it starts, so it may be written before or after the server compiles).
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
            eprintln!("usage: cargo run -p xtask -- site");
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
    let started = *START.get_or_init(Instant::now);
    fs::create_dir_all(p.target.join("release"))?;
    let client = cargo(&p.root)
        .args([
            "build",
            "--package=frontend",
            "--lib",
            "--target=wasm32-unknown-unknown",
            "--profile=wasm-release",
            "--features=split",
        ])
        .arg(format!("--target-dir={}", p.front().display()))
        .status()
        .map_err(|e| format!("cargo (client): {e}"))?;
    if !client.success() {
        return Err("the WASM client did not compile".into());
    }
    say(&format!("client compiled in {:.0?}", started.elapsed()));
    let (hashes, wasm_len, br_len) = client_site(&p)?;
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

/// The client's files in the site directory; returns the hash file's text and the main
/// WASM's size, raw and as brotli.
fn client_site(p: &Paths) -> Result<(String, u64, u64)> {
    let raw = p
        .front()
        .join("wasm32-unknown-unknown/wasm-release/frontend.wasm");
    let staging = p.target.join("xtask/bindgen");
    let _ = fs::remove_dir_all(&staging);
    let split_dir = staging.join("split");
    fs::create_dir_all(&split_dir)?;

    // 1. Cut the screens behind `app::screens` out of the main module (wasm-split reads
    //    the relocations `--emit-relocs` kept, see .cargo/config.toml). It writes the main
    //    module, one module per split point (and chunks shared between them), and a JS
    //    "link" module the main JS imports, which fetches and instantiates them on demand.
    //    The two JS modules name each other; their names are placeholders until both are
    //    hashed together (step 4).
    let main_split = split_dir.join("main.wasm");
    let split = {
        let input = fs::read(&raw)?;
        let mut opts = wasm_split_cli_support::Options::new(&input);
        opts.output_dir = &split_dir;
        opts.main_out_path = &main_split;
        opts.link_name = LINK_PLACEHOLDER;
        opts.main_module = MAIN_PLACEHOLDER;
        wasm_split_cli_support::transform(opts).map_err(|e| format!("wasm-split: {e:#}"))?
    };
    say("client split (wasm-split)");

    // The screens are what makes the first page small (issue 13): a client that lost
    // its split point would still work, one module again, so say so rather than ship it.
    if split.split_modules.is_empty() {
        return Err(
            "wasm-split found no split point (app::screens::view_of is no longer lazy?)".into(),
        );
    }

    // 2. wasm-bindgen writes the JS glue for the main module.
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&main_split)
        .out_name(OUTPUT_NAME)
        .typescript(false)
        .keep_lld_exports(true)
        .demangle(false)
        .web(true)?
        .generate(&staging)
        .map_err(|e| format!("wasm-bindgen: {e:#}"))?;
    let bg = staging.join(format!("{OUTPUT_NAME}_bg.wasm"));
    say("JS glue written (wasm-bindgen)");

    // 3. wasm-opt shrinks each module, two at a time.
    let mut modules = vec![bg.clone()];
    modules.extend(split.split_modules.iter().cloned());
    optimise(&modules)?;
    say("modules optimised (wasm-opt)");

    // Earlier builds' files stay a while: a page opened before a new build fetches its
    // split module only when it first shows such a screen, and must still find it. Their
    // names are hashes of their content, so keeping them never serves a changed file.
    let pkg = p.site.join("pkg");
    fs::create_dir_all(&pkg)?;
    let written_from = std::time::SystemTime::now();

    // 4. Hashed names. A split module's name is its content's hash; the link module refers
    //    to them, so it is rewritten first; then the main JS and the link JS get one hash
    //    of both (each names the other).
    let mut link = fs::read_to_string(split_dir.join(LINK_PLACEHOLDER))?;
    let mut renamed = std::collections::HashMap::new();
    for module in &split.split_modules {
        let body = fs::read(module)?;
        let stem = module
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or("a split module without a name")?
            .to_owned();
        let name = format!("{OUTPUT_NAME}.{}", short_hash(&body));
        let quoted = format!("\"./{stem}.wasm\"");
        if !link.contains(&quoted) {
            return Err(format!("the link module does not name {stem}.wasm").into());
        }
        link = link.replace(&quoted, &format!("\"./{name}.wasm\""));
        write_with_compressed(&pkg.join(format!("{name}.wasm")), &body)?;
        renamed.insert(stem, name);
    }
    let main_js = fs::read_to_string(staging.join(format!("{OUTPUT_NAME}.js")))?;
    // Only the JS import names the file: the WASM's own import keeps the placeholder as
    // its module name, which is also the key the glue passes that import under.
    let import = format!("from \"{LINK_PLACEHOLDER}\"");
    if main_js.matches(&import).count() != 1 || !link.contains(MAIN_PLACEHOLDER) {
        return Err("the main JS and the link module do not name each other".into());
    }
    let js_hash = short_hash(format!("{main_js}\n{link}").as_bytes());
    let main_js = main_js.replace(&import, &format!("from \"./__wasm_split.{js_hash}.js\""));
    let link = link.replace(MAIN_PLACEHOLDER, &format!("./{OUTPUT_NAME}.{js_hash}.js"));
    write_with_compressed(
        &pkg.join(format!("__wasm_split.{js_hash}.js")),
        link.as_bytes(),
    )?;
    write_with_compressed(
        &pkg.join(format!("{OUTPUT_NAME}.{js_hash}.js")),
        main_js.as_bytes(),
    )?;

    // What the server's pages preload for a screen: its modules' new names. Leptos reads
    // it from the site (`__wasm_split_manifest.<hash>.json`, named in hash.txt).
    let mut manifest: Vec<(String, Vec<String>)> = split
        .prefetch_map
        .into_iter()
        .map(|(split, files)| {
            let files = files
                .into_iter()
                .map(|f| renamed.get(&f).cloned().ok_or(f))
                .collect::<std::result::Result<Vec<_>, _>>();
            files.map(|files| (split, files))
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(|f| format!("the split manifest names an unknown module {f}"))?;
    manifest.sort();
    let manifest = json_object(&manifest);
    let manifest_hash = short_hash(manifest.as_bytes());
    fs::write(
        pkg.join(format!("__wasm_split_manifest.{manifest_hash}.json")),
        &manifest,
    )?;

    let wasm = fs::read(&bg)?;
    let css = fs::read(p.root.join(STYLE))?;
    let mut hashes = format!("js: {js_hash}\nsplit: {js_hash}\nmanifest: {manifest_hash}\n");
    for (kind, body) in [("wasm", &wasm), ("css", &css)] {
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
    let pruned = prune(&pkg, written_from)?;
    let br = fs::metadata(pkg.join(format!("{OUTPUT_NAME}.{}.wasm.br", short_hash(&wasm))))?;
    if pruned > 0 {
        say(&format!(
            "removed {pruned} client files of builds over a week old"
        ));
    }
    say(&format!(
        "client split into the main module and {} more",
        split.split_modules.len()
    ));
    Ok((hashes, wasm.len() as u64, br.len()))
}

/// How long the files of an earlier build are kept beside the current one's.
const KEEP_EARLIER: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Removes the files under `pkg` that this build did not write (they are older than
/// `written_from`) and that were last written over [`KEEP_EARLIER`] ago.
fn prune(pkg: &Path, written_from: std::time::SystemTime) -> Result<usize> {
    let mut removed = 0;
    for file in files_under(pkg)? {
        let modified = fs::metadata(&file)?.modified()?;
        let stale = modified < written_from
            && written_from
                .duration_since(modified)
                .is_ok_and(|age| age > KEEP_EARLIER);
        if stale {
            fs::remove_file(&file)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The names the split step writes in place of the two JS modules' hashed names; each has
/// the length of the name that replaces it.
const LINK_PLACEHOLDER: &str = "./__wasm_split.________________.js";
const MAIN_PLACEHOLDER: &str = "./gatehouse.________________.js";

/// `wasm-opt -Oz` on each file in place, two processes at a time (the machine's cores).
fn optimise(files: &[PathBuf]) -> Result<()> {
    for pair in files.chunks(2) {
        let running = pair
            .iter()
            .map(|file| {
                Command::new("wasm-opt")
                    .args(["-Oz", "--enable-bulk-memory"])
                    .arg(file)
                    .arg("-o")
                    .arg(file)
                    .spawn()
                    .map_err(|e| {
                        format!(
                            "wasm-opt (npm's binaryen; `scripts/tools.sh build` installs it): {e}"
                        )
                    })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        // Both finish before any failure is reported: none is left writing its file.
        let mut ok = true;
        for mut child in running {
            ok &= child.wait()?.success();
        }
        if !ok {
            return Err("wasm-opt failed".into());
        }
    }
    Ok(())
}

/// `{"name": ["file", ...], ...}`: names and files are identifiers and hex digits, which
/// JSON takes as they are.
fn json_object(entries: &[(String, Vec<String>)]) -> String {
    let body = entries
        .iter()
        .map(|(k, files)| {
            let files = files
                .iter()
                .map(|f| format!("\"{f}\""))
                .collect::<Vec<_>>()
                .join(", ");
            format!("  \"{k}\": [{files}]")
        })
        .collect::<Vec<_>>()
        .join(",\n");
    format!("{{\n{body}\n}}\n")
}

fn cargo(root: &Path) -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root);
    c
}

/// A line of progress, with the seconds since this build began.
fn say(what: &str) {
    println!(
        "==> [{:>3}s] {what}",
        START.get_or_init(Instant::now).elapsed().as_secs()
    );
}

static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

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
