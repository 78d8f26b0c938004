//! Secrets at rest (IN-1): XChaCha20-Poly1305 under a key named by id, so keys can rotate.
//!
//! `Secret` holds plaintext and deliberately implements neither `Serialize` nor
//! `Debug` output of its bytes, so it cannot end up in a response or a log by accident.
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::fmt;

pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One stored secret: which key sealed it, the nonce and the ciphertext with its tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

#[derive(Clone)]
pub struct Keyring {
    /// The first key seals; every key opens what it sealed.
    keys: Vec<(String, [u8; 32])>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "Keyring({ids:?})")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("no key with id {0:?} is configured")]
    UnknownKey(String),
    #[error("the stored secret failed its integrity check")]
    Tampered,
}

impl Keyring {
    /// `SECRET_KEYS` = `id:base64key[,id:base64key...]`, the first being current.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, b64) = part
                .split_once(':')
                .ok_or_else(|| "each key is id:base64 (32 bytes)".to_string())?;
            let bytes = STANDARD
                .decode(b64)
                .map_err(|_| format!("key {id:?} is not base64"))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| format!("key {id:?} must be 32 bytes (44 base64 characters)"))?;
            if id.is_empty() || keys.iter().any(|(k, _)| k == id) {
                return Err(format!("key id {id:?} is empty or repeated"));
            }
            keys.push((id.to_string(), key));
        }
        if keys.is_empty() {
            return Err("no key given".into());
        }
        Ok(Self { keys })
    }

    pub fn current_id(&self) -> &str {
        &self.keys[0].0
    }

    pub fn seal(&self, secret: &Secret) -> Sealed {
        let (id, key) = &self.keys[0];
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).expect("the OS random source failed");
        let cipher = XChaCha20Poly1305::new(key.into());
        let ciphertext = cipher
            .encrypt(XNonce::from_slice(&nonce), secret.0.as_bytes())
            .expect("encryption of a short secret cannot fail");
        Sealed {
            key_id: id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        }
    }

    pub fn open(&self, sealed: &Sealed) -> Result<Secret, CryptoError> {
        let (_, key) = self
            .keys
            .iter()
            .find(|(id, _)| *id == sealed.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.nonce.len() != 24 {
            return Err(CryptoError::Tampered);
        }
        let cipher = XChaCha20Poly1305::new(key.into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                sealed.ciphertext.as_ref(),
            )
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plain)
            .map(Secret)
            .map_err(|_| CryptoError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(spec: &str) -> Keyring {
        Keyring::parse(spec).unwrap()
    }
    const K1: &str = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    const K2: &str = "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

    // covers: IN-1
    #[test]
    fn seals_opens_and_refuses_tampering() {
        let r = ring(K1);
        let s = r.seal(&Secret::new("hunter2-secret"));
        assert_eq!(s.key_id, "k1");
        assert!(!s.ciphertext.windows(6).any(|w| w == b"hunter"));
        assert_eq!(r.open(&s).unwrap().expose(), "hunter2-secret");
        let mut bad = s.clone();
        bad.ciphertext[0] ^= 1;
        assert_eq!(r.open(&bad).unwrap_err(), CryptoError::Tampered);
        assert_eq!(format!("{:?}", Secret::new("x")), "Secret(<redacted>)");
    }

    #[test]
    fn old_keys_still_open_after_rotation() {
        let old = ring(K1).seal(&Secret::new("s"));
        let rotated = ring(&format!("{K2},{K1}"));
        assert_eq!(rotated.current_id(), "k2");
        assert_eq!(rotated.open(&old).unwrap().expose(), "s");
        assert!(matches!(
            ring(K2).open(&old),
            Err(CryptoError::UnknownKey(_))
        ));
    }
}
