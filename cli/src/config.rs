//! Where the server and the token are kept: `GATEHOUSE_URL` / `GATEHOUSE_TOKEN` win;
//! else the config file (mode 0600) that `login` writes.
use crate::client::{refused, Failure, Outcome};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    pub url: Option<String>,
    pub token: Option<String>,
}

/// `$GATEHOUSE_CONFIG`, else `$XDG_CONFIG_HOME/gatehouse/config.json`, else
/// `~/.config/gatehouse/config.json`.
pub fn path() -> Outcome<PathBuf> {
    if let Some(p) = std::env::var_os("GATEHOUSE_CONFIG") {
        return Ok(PathBuf::from(p));
    }
    let dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or_else(|| refused("Set HOME or GATEHOUSE_CONFIG to say where to keep the token."))?;
    Ok(dir.join("gatehouse").join("config.json"))
}

pub fn load() -> Outcome<Saved> {
    let p = path()?;
    match std::fs::read_to_string(&p) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            refused(format!(
                "{} is not a config this client wrote: {e}",
                p.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
        Err(e) => Err(refused(format!("Could not read {}: {e}", p.display()))),
    }
}

/// Write the file readable by its owner only (it holds a token).
pub fn save(saved: &Saved) -> Outcome<PathBuf> {
    use std::io::Write;
    let p = path()?;
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| refused(format!("Could not make {}: {e}", dir.display())))?;
    }
    let text = serde_json::to_string_pretty(saved).unwrap_or_default();
    let tmp = p.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(&tmp)
        .map_err(|e| refused(format!("Could not write {}: {e}", tmp.display())))?;
    f.write_all(text.as_bytes())
        .map_err(|e| refused(format!("Could not write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, &p)
        .map_err(|e| refused(format!("Could not write {}: {e}", p.display())))?;
    Ok(p)
}

/// The server and token to use now.
pub fn current() -> Outcome<(String, String)> {
    let saved = load()?;
    let url = std::env::var("GATEHOUSE_URL").ok().or(saved.url);
    let token = std::env::var("GATEHOUSE_TOKEN").ok().or(saved.token);
    match (url, token) {
        (Some(u), Some(t)) if !t.trim().is_empty() => Ok((u, t)),
        _ => Err(Failure::NotSignedIn(
            "Not signed in: run gatehousectl login --url URL (or set GATEHOUSE_URL and GATEHOUSE_TOKEN).".into(),
        )),
    }
}
