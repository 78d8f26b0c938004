//! The release client's files, as `xtask site` names them: `hash.txt` beside the server
//! binary (`js:`, `split:`, `manifest:`, `wasm:`, `css:` hashes) and the split manifest
//! in the site's `pkg` directory. Read by the bench (sizes) and the secret-leak test.
use std::collections::BTreeMap;
use std::path::Path;

/// What the first page loads, and the modules split off the main one.
#[derive(Debug, Default)]
pub struct ClientFiles {
    /// The main WASM, its JS, the split loader and the stylesheet, as present.
    pub first: Vec<String>,
    /// The split modules the manifest names, each once, sorted.
    pub split: Vec<String>,
}

/// Reads `hash_txt` and the manifest it names under `pkg`. A client built without the
/// split has no loader and no manifest: those are then left out, not an error.
pub fn read(hash_txt: &Path, pkg: &Path) -> Result<ClientFiles, String> {
    let hashes =
        std::fs::read_to_string(hash_txt).map_err(|e| format!("{}: {e}", hash_txt.display()))?;
    let hash = |kind: &str| {
        hashes
            .lines()
            .find_map(|l| l.strip_prefix(kind)?.strip_prefix(": "))
            .map(|h| h.trim().to_owned())
    };
    let first = [
        ("wasm", "gatehouse.", ".wasm"),
        ("js", "gatehouse.", ".js"),
        ("split", "__wasm_split.", ".js"),
        ("css", "gatehouse.", ".css"),
    ]
    .into_iter()
    .filter_map(|(kind, stem, ext)| hash(kind).map(|h| format!("{stem}{h}{ext}")))
    .collect();
    let mut split = Vec::new();
    if let Some(h) = hash("manifest") {
        let path = pkg.join(format!("__wasm_split_manifest.{h}.json"));
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let manifest: BTreeMap<String, Vec<String>> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        split = manifest
            .into_values()
            .flatten()
            .map(|f| format!("{f}.wasm"))
            .collect();
        split.sort();
        split.dedup();
    }
    Ok(ClientFiles { first, split })
}
