//! Random tokens for sessions, links and invites: 128 bits, sent once, stored as a SHA-256 hash.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A fresh token: (the text to send, the hash to store).
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    let text = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&text);
    (text, hash)
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bit_and_distinct() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 16);
        assert_eq!(ha, hash(&a));
        assert_ne!(ha, a.as_bytes());
    }
}
