//! Signed fleet policies (issue 17, item 7): what an administrator's key signs, the key files
//! `gate policy keygen` writes, and the cache a host keeps of the newest policy it fetched.
//!
//! What is signed is not the body but a short statement naming the version and the body's
//! SHA-256 (`gate-policy-signature/1\nversion: N\nsha256: HEX\n`): the version is inside the
//! signature, so a host that refuses versions older than the one it has cannot be handed an
//! old policy relabelled as new. No I/O here but [`read_cache`]; the loader calls
//! [`verify`] on every load.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sha2::{Digest, Sha256};

/// How a pinned public key is written: `ed25519:` and the 32 raw bytes in base64.
pub const KEY_PREFIX: &str = "ed25519:";
const CACHE_MAGIC: &str = "gate-fleet-policy/1";
const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// The bytes an administrator's key signs for version `version` of a policy whose text has
/// the SHA-256 `sha256_hex`.
pub fn signed_bytes(version: i64, sha256_hex: &str) -> String {
    format!("gate-policy-signature/1\nversion: {version}\nsha256: {sha256_hex}\n")
}

/// The SHA-256 of a policy's exact text, hex.
pub fn sha256_hex(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// A pinned Ed25519 public key (`[fleet] policy_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(b64) = text.trim().strip_prefix(KEY_PREFIX) else {
            return Err(format!(
                "a policy key is `{KEY_PREFIX}` and 32 bytes in base64 (as `gate policy keygen` prints it), not `{text}`"
            ));
        };
        let raw = STANDARD
            .decode(b64)
            .map_err(|e| format!("the policy key is not valid base64: {e}"))?;
        let raw: [u8; 32] = raw.try_into().map_err(|v: Vec<u8>| {
            format!(
                "an Ed25519 public key has 32 bytes; this one has {}",
                v.len()
            )
        })?;
        Ok(PublicKey(raw))
    }

    /// `ed25519:BASE64`, as the policy pins it.
    pub fn text(&self) -> String {
        format!("{KEY_PREFIX}{}", STANDARD.encode(self.0))
    }

    /// `SHA256:…` of the raw key (as ssh-keygen -l shows keys).
    pub fn fingerprint(&self) -> String {
        format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(self.0)))
    }

    /// Whether `signature` is this key's over version `version` of `body`.
    pub fn verify(&self, version: i64, body: &str, signature: &[u8]) -> Result<(), String> {
        let statement = signed_bytes(version, &sha256_hex(body));
        UnparsedPublicKey::new(&ED25519, self.0)
            .verify(statement.as_bytes(), signature)
            .map_err(|_| {
                format!(
                    "the signature of fleet policy version {version} is not one of the pinned key {}",
                    self.fingerprint()
                )
            })
    }
}

/// An administrator's signing key (`gate policy keygen`): PKCS#8 in PEM, as `openssl genpkey
/// -algorithm ed25519` writes it too.
pub struct SigningKey(Ed25519KeyPair);

impl SigningKey {
    /// A new key, and its PKCS#8 PEM text.
    pub fn generate() -> Result<(SigningKey, String), String> {
        let rng = ring::rand::SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| "cannot generate an Ed25519 key (no randomness?)".to_string())?;
        let pem = pem(doc.as_ref());
        let key = Self::from_pem(&pem)?;
        Ok((key, pem))
    }

    pub fn from_pem(text: &str) -> Result<SigningKey, String> {
        let body: String = text
            .lines()
            .map(str::trim)
            .skip_while(|l| *l != PEM_BEGIN)
            .skip(1)
            .take_while(|l| *l != PEM_END)
            .collect();
        if body.is_empty() {
            return Err(format!("not a PEM private key (no `{PEM_BEGIN}` block)"));
        }
        let der = STANDARD
            .decode(body)
            .map_err(|e| format!("the PEM block is not valid base64: {e}"))?;
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map(SigningKey)
            .map_err(|e| format!("not an Ed25519 PKCS#8 private key: {e}"))
    }

    pub fn public(&self) -> PublicKey {
        let mut raw = [0u8; 32];
        raw.copy_from_slice(self.0.public_key().as_ref());
        PublicKey(raw)
    }

    /// The signature of version `version` of `body`.
    pub fn sign(&self, version: i64, body: &str) -> Vec<u8> {
        let statement = signed_bytes(version, &sha256_hex(body));
        self.0.sign(statement.as_bytes()).as_ref().to_vec()
    }
}

fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::from(PEM_BEGIN);
    out.push('\n');
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(PEM_END);
    out.push('\n');
    out
}

/// One version of a fleet policy, as stored in `gate.policies` and in a host's cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub version: i64,
    pub sha256: String,
    pub body: String,
    pub signature: Vec<u8>,
    pub pushed_by: String,
    pub pushed_at: String,
}

impl Signed {
    /// Whether the pinned `key` signed exactly this body as this version.
    pub fn verify(&self, key: &PublicKey) -> Result<(), String> {
        let actual = sha256_hex(&self.body);
        if actual != self.sha256 {
            return Err(format!(
                "fleet policy version {} was altered: its text has SHA-256 {actual}, not the {} it was pushed with",
                self.version, self.sha256
            ));
        }
        key.verify(self.version, &self.body, &self.signature)
    }

    /// The cache file's text: a header, an empty line, the policy's exact text.
    pub fn cache_text(&self) -> String {
        format!(
            "{CACHE_MAGIC}\nversion: {}\nsha256: {}\nsignature: {}\npushed_by: {}\npushed_at: {}\n\n{}",
            self.version,
            self.sha256,
            STANDARD.encode(&self.signature),
            self.pushed_by.replace('\n', " "),
            self.pushed_at.replace('\n', " "),
            self.body
        )
    }

    /// The cache file's text read back (`None` for an empty file: nothing fetched yet).
    pub fn parse_cache(text: &str) -> Result<Option<Signed>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        let Some((head, body)) = text.split_once("\n\n") else {
            return Err("it has no header (not written by `gate policy fetch`)".into());
        };
        let mut lines = head.lines();
        if lines.next() != Some(CACHE_MAGIC) {
            return Err(format!("it does not start with `{CACHE_MAGIC}`"));
        }
        let mut field = |name: &str| -> Result<String, String> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(": "))
                .map(str::to_string)
                .ok_or_else(|| format!("its header has no `{name}` where it should"))
        };
        let version = field("version")?
            .parse()
            .map_err(|e| format!("its version is not a number: {e}"))?;
        let sha256 = field("sha256")?;
        let signature = STANDARD
            .decode(field("signature")?)
            .map_err(|e| format!("its signature is not valid base64: {e}"))?;
        let pushed_by = field("pushed_by")?;
        let pushed_at = field("pushed_at")?;
        Ok(Some(Signed {
            version,
            sha256,
            body: body.to_string(),
            signature,
            pushed_by,
            pushed_at,
        }))
    }
}

/// The key a system policy pins (`[fleet] policy_key`), read cheaply before the layers are
/// built (the walker checks it properly: a malformed one is reported there, with its position).
pub fn pinned_key(system_text: &str) -> Option<String> {
    // Most system policies pin nothing: no second parse for them.
    if !system_text.contains("policy_key") {
        return None;
    }
    let table: toml::Table = system_text.parse().ok()?;
    table
        .get("fleet")?
        .get("policy_key")?
        .as_str()
        .map(str::to_string)
}

/// Where a host caches its fleet policy: beside the ledger (in the protected install, a file
/// the installer made, root:gate 0660).
pub fn cache_path() -> Option<std::path::PathBuf> {
    crate::env_vars::ledger_path().map(|l| crate::ledger::sibling(&l, CACHE_SUFFIX))
}

/// The cache's name after the ledger's (`ledger.db.fleet-policy`).
pub const CACHE_SUFFIX: &str = ".fleet-policy";

/// The cached policy, verified against `key`: `Ok(None)` when nothing was fetched yet, an error
/// saying what is wrong otherwise.
pub fn read_cache(path: &Path, key: &PublicKey) -> Result<Option<Signed>, String> {
    // A shared lock: `gate policy fetch` rewrites the protected install's cache in place
    // under an exclusive one.
    let read = || -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        let mut file = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockShared)
            .map_err(|(_, e)| std::io::Error::from(e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    let text = match crate::protected::with_group(read) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_string())?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    let Some(signed) = Signed::parse_cache(&text)? else {
        return Ok(None);
    };
    signed.verify(key)?;
    Ok(Some(signed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_the_version_and_the_exact_text() {
        let (key, pem) = SigningKey::generate().unwrap();
        let again = SigningKey::from_pem(&pem).unwrap();
        assert_eq!(key.public(), again.public());
        let public = PublicKey::parse(&key.public().text()).unwrap();
        let body = "[defaults]\ndecision = \"allow\"\n";
        let sig = key.sign(3, body);
        public.verify(3, body, &sig).unwrap();
        assert!(public.verify(4, body, &sig).is_err(), "relabelled version");
        assert!(
            public.verify(3, "[defaults]\n", &sig).is_err(),
            "altered text"
        );
        let other = SigningKey::generate().unwrap().0;
        assert!(other.public().verify(3, body, &sig).is_err(), "other key");
        assert_eq!(
            signed_bytes(3, "ab"),
            "gate-policy-signature/1\nversion: 3\nsha256: ab\n"
        );
    }

    #[test]
    fn the_cache_reads_back_and_an_edit_is_caught() {
        let (key, _) = SigningKey::generate().unwrap();
        let body = "[[rule]]\nid = \"x\"\ncommand = \"x\"\ndecision = \"deny\"\n\n# tail\n";
        let signed = Signed {
            version: 7,
            sha256: sha256_hex(body),
            body: body.into(),
            signature: key.sign(7, body),
            pushed_by: "admin".into(),
            pushed_at: "2026-12-02T00:00:00.000Z".into(),
        };
        let back = Signed::parse_cache(&signed.cache_text()).unwrap().unwrap();
        assert_eq!(back, signed);
        back.verify(&key.public()).unwrap();
        let edited = signed.cache_text().replace("deny", "allow");
        let e = Signed::parse_cache(&edited)
            .unwrap()
            .unwrap()
            .verify(&key.public())
            .unwrap_err();
        assert!(e.contains("version 7 was altered"), "{e}");
        assert_eq!(Signed::parse_cache("").unwrap(), None);
        assert!(Signed::parse_cache("junk").is_err());
        assert!(PublicKey::parse("ssh-ed25519 AAAA").is_err());
    }
}
