//! How answers travel (issue 13, part 1): compressed as the client accepts, the client's
//! files sent as written compressed at build time, and what caches may keep.
mod common;
use common::*;
use reqwest::header;
use reqwest::StatusCode;
use sqlx::PgPool;

const HASHED: &str = "gatehouse.0123456789abcdef.wasm";

/// A site root with client files (one with a content-hashed name, as `xtask site` writes
/// them, one without) and their build-time brotli and gzip companions (marked so the test
/// can tell which one was sent).
fn site() -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("gatehouse-site-{}", uuid::Uuid::new_v4()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for name in ["gatehouse.wasm", HASHED] {
        std::fs::write(pkg.join(name), vec![b'w'; 64 * 1024]).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), b"brotli-version").unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), b"gzip-version").unwrap();
    }
    root
}

fn config_with_site(root: &std::path::Path) -> app::server::config::Config {
    let root = root.to_string_lossy().to_string();
    app::server::config::Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some("postgres://unused".into()),
        "SECRET_KEYS" => Some(KEYS.into()),
        "MAIL_WORKER" => Some("0".into()),
        "LEPTOS_SITE_ROOT" => Some(root.clone()),
        _ => None,
    })
    .unwrap()
}

fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn client_files_go_precompressed_and_hashed_names_are_kept_for_good(pool: PgPool) {
    let root = site();
    let app = TestApp::start_with(pool, config_with_site(&root)).await;
    let c = raw_client();
    for (name, cache) in [
        (HASHED, "public, max-age=31536000, immutable"),
        ("gatehouse.wasm", "public, no-cache"),
    ] {
        sends_each_encoding(&c, &format!("{}/pkg/{name}", app.base), cache).await;
    }
    // A name that only looks hashed is revalidated like any other.
    for lookalike in [
        "gatehouse.0123456789abcdeg.wasm",
        "gatehouse.0123456789abcde.wasm",
        "other.0123456789abcdef.wasm",
    ] {
        std::fs::write(root.join("pkg").join(lookalike), b"x").unwrap();
        let res = c
            .get(format!("{}/pkg/{lookalike}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{lookalike}");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "public, no-cache");
    }
    let missing = c
        .get(format!("{}/pkg/gatehouse.fedcba9876543210.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        !missing.headers().contains_key(header::CACHE_CONTROL),
        "a missing file is not cached for good"
    );
    let _ = std::fs::remove_dir_all(root);
}

async fn sends_each_encoding(c: &reqwest::Client, url: &str, cache: &str) {
    for (accept, encoding, body) in [
        ("br, gzip", Some("br"), b"brotli-version".to_vec()),
        ("gzip", Some("gzip"), b"gzip-version".to_vec()),
        ("identity", None, vec![b'w'; 64 * 1024]),
    ] {
        let res = c
            .get(url)
            .header(header::ACCEPT_ENCODING, accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{accept}");
        assert_eq!(
            res.headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap().to_string())
                .as_deref(),
            encoding,
            "{accept}"
        );
        assert_eq!(res.headers()[header::CACHE_CONTROL], cache, "{url}");
        assert!(res.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let modified = res.headers()[header::LAST_MODIFIED].clone();
        assert_eq!(res.bytes().await.unwrap().to_vec(), body, "{accept}");
        // Checked again, unchanged: a 304 with no body.
        let again = c
            .get(url)
            .header(header::ACCEPT_ENCODING, accept)
            .header(header::IF_MODIFIED_SINCE, modified)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{accept}");
        assert_eq!(again.headers()[header::CACHE_CONTROL], cache, "{url}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_and_json_are_compressed_as_accepted_and_never_kept_by_caches(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = raw_client();
    for path in ["/signin", "/api/v1/openapi.json"] {
        let plain = c.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(plain.status(), StatusCode::OK, "{path}");
        assert!(
            !plain.headers().contains_key(header::CONTENT_ENCODING),
            "{path}"
        );
        // Nothing lets a cache keep them: no caching header and no validator.
        for kept in [header::CACHE_CONTROL, header::LAST_MODIFIED, header::ETAG] {
            assert!(!plain.headers().contains_key(&kept), "{path}: {kept}");
        }
        let plain_len = plain.bytes().await.unwrap().len();
        for enc in ["br", "gzip"] {
            let res = c
                .get(format!("{}{path}", app.base))
                .header(header::ACCEPT_ENCODING, enc)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_eq!(res.headers()[header::CONTENT_ENCODING], enc, "{path}");
            assert!(res.headers()[header::VARY]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding"));
            let sent = res.bytes().await.unwrap().len();
            assert!(
                sent * 10 < plain_len * 7,
                "{path} {enc}: {sent} of {plain_len}"
            );
        }
    }
}
