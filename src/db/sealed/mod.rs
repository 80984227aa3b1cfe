//! Encryption at rest of the values marked sensitive: a client's medical notes and emergency
//! contact, the notes written on a client, TOTP secrets, the import snapshots that let an import be
//! reverted, and the responses kept for `Idempotency-Key` retries. [`SEALED`] lists every column.
//!
//! Each value is sealed on its own with XChaCha20-Poly1305 under a random 192-bit nonce, and stored
//! as `fcrm1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The associated data names the column
//! and the row (`clients.medical_notes/<id>`), so a sealed value copied into another row or column
//! does not open. The key id is derived from the key itself (the first 6 bytes of a SHA-256 of it),
//! so two different keys never share an id.
//!
//! The keys come from `FITNESSCRM_DATA_KEYS` (or the file named by `FITNESSCRM_DATA_KEYS_FILE`): one
//! or more base64 keys of 32 bytes, separated by commas or new lines, the first sealing and all of
//! them opening. Without that setting a key is kept in `data/fitnesscrm.key`, created (mode 0600)
//! on first start, which suits the embedded default; a production deployment sets the key
//! explicitly and keeps it apart from the database and its backups.
//!
//! `data_keys` in the database lists the id of every key that has sealed something there; a
//! process that lacks one of them refuses to start ([`keys::register`]) rather than write under a
//! key the other instances cannot read. `fitnesscrm keys rotate` ([`keys::rotate`]) re-seals, in
//! small batches while the server runs, every value not sealed under the first key (including
//! values written before encryption at rest existed, which are read as they are until then), and
//! then forgets the retired ids.
//!
//! A process serves one database, so the keyring is one per process: [`Db::connect`](super::Db)
//! installs the configured one, and the repositories seal and open through it.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use arc_swap::ArcSwapOption;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sea_orm::DbErr;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// The prefix of a sealed value (format version 1).
const PREFIX: &str = "fcrm1.";
/// Bytes of a key.
const KEY_BYTES: usize = 32;
/// Bytes of a nonce.
const NONCE_BYTES: usize = 24;
/// Where the key is kept when none is configured, relative to the working directory (beside the
/// default database).
pub const DEFAULT_KEY_FILE: &str = "data/fitnesscrm.key";

pub use columns::{
    CLIENT_NOTES_BODY, CLIENTS_EMERGENCY_NAME, CLIENTS_EMERGENCY_PHONE, CLIENTS_MEDICAL_NOTES,
    IDEMPOTENCY_RESPONSE_BODY, IMPORT_ITEMS_PREVIOUS, OUTBOX_BODY_HTML, OUTBOX_BODY_TEXT, SEALED,
    SealedColumn, USERS_TOTP_PENDING_SECRET, USERS_TOTP_SECRET,
};

/// A value that could not be sealed (longer than XChaCha20-Poly1305 can seal: 256 GiB).
#[derive(Debug, thiserror::Error)]
#[error("{column}: the value could not be sealed")]
pub struct SealError {
    /// `table.column`.
    pub column: String,
}

impl From<SealError> for DbErr {
    fn from(e: SealError) -> Self {
        DbErr::Custom(e.to_string())
    }
}

/// A sealed value that cannot be opened: its key is not configured, or it was altered or moved.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Sealed under a key this process was not given.
    #[error("{column}: sealed under data key {key_id}, which is not configured")]
    UnknownKey {
        /// `table.column`.
        column: String,
        /// The key's id.
        key_id: String,
    },
    /// Not well formed, or the authentication failed.
    #[error(
        "{column}: a sealed value does not open (altered, truncated or moved from another row)"
    )]
    Corrupt {
        /// `table.column`.
        column: String,
    },
}

impl From<OpenError> for DbErr {
    fn from(e: OpenError) -> Self {
        DbErr::Custom(e.to_string())
    }
}

/// One data key.
struct DataKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

/// The data keys of this process: the first seals, every one opens.
pub struct Keyring {
    keys: Vec<DataKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("ids", &self.ids()).finish()
    }
}

/// The id of a key: hex of the first 6 bytes of SHA-256 over a label and the key.
fn key_id(key: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"fitnesscrm data key\0");
    h.update(key);
    hex::encode(&h.finalize()[..6])
}

/// The associated data of a value: the column and the row.
fn aad(column: &SealedColumn, row: &dyn Display) -> Vec<u8> {
    format!("{}.{}/{row}", column.table, column.column).into_bytes()
}

/// A new random key, base64.
pub fn generate_key() -> String {
    let key = Key::generate();
    STANDARD.encode(key.as_slice())
}

impl Keyring {
    /// A keyring of one new random key (for a database that dies with the process).
    pub fn ephemeral() -> Self {
        let key = Key::generate();
        Self {
            keys: vec![DataKey {
                id: key_id(key.as_slice()),
                cipher: XChaCha20Poly1305::new(&key),
            }],
        }
    }

    /// Keys given as base64, separated by commas, spaces or new lines; `#` starts a comment line.
    /// The first seals.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, word) in text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(|l| l.split([',', ' ', '\t']))
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .enumerate()
        {
            let bytes = STANDARD
                .decode(word)
                .ok()
                .filter(|b| b.len() == KEY_BYTES)
                .ok_or_else(|| {
                    format!(
                        "data key {} is not {KEY_BYTES} bytes in base64 (make one with \
                         `fitnesscrm keys new`)",
                        i + 1
                    )
                })?;
            let id = key_id(&bytes);
            if !seen.insert(id.clone()) {
                return Err(format!("data key {} is given twice", i + 1));
            }
            let key = Key::try_from(bytes.as_slice())
                .map_err(|_| format!("data key {} has the wrong length", i + 1))?;
            keys.push(DataKey {
                id,
                cipher: XChaCha20Poly1305::new(&key),
            });
        }
        if keys.is_empty() {
            return Err("no data key given".into());
        }
        Ok(Self { keys })
    }

    /// The configured keys (`data_keys`), or the key file beside the default database, created when
    /// missing. An in-memory SQLite database, which dies with the process, gets a key of its own.
    pub fn load(data_keys: Option<&SecretString>, database_url: &str) -> anyhow::Result<Self> {
        if let Some(text) = data_keys {
            return Self::parse(text.expose_secret())
                .map_err(|e| anyhow::anyhow!("data_keys (FITNESSCRM_DATA_KEYS): {e}"));
        }
        if database_url.starts_with("sqlite::memory:") || database_url.contains("mode=memory") {
            return Ok(Self::ephemeral());
        }
        Self::from_file(Path::new(DEFAULT_KEY_FILE))
    }

    /// The keys in `path`, which is created with a new key (readable by its owner only) when it
    /// does not exist. Two processes starting at once end up with the same key.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            create_key_file(path)?;
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the data key file {}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Every key's id, the sealing one first.
    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// `plaintext`, sealed for `column` of the row `row`.
    pub fn seal(
        &self,
        column: &SealedColumn,
        row: &dyn Display,
        plaintext: &str,
    ) -> Result<String, SealError> {
        let key = &self.keys[0];
        let nonce = XNonce::generate();
        let sealed = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad(column, row),
                },
            )
            .map_err(|_| SealError {
                column: format!("{}.{}", column.table, column.column),
            })?;
        let mut bytes = Vec::with_capacity(NONCE_BYTES + sealed.len());
        bytes.extend_from_slice(nonce.as_slice());
        bytes.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}{}.{}",
            key.id,
            URL_SAFE_NO_PAD.encode(bytes)
        ))
    }

    /// The plaintext of a value read from `column` of the row `row`. A value without the sealed
    /// prefix was written before encryption at rest and is returned as it is.
    pub fn open(
        &self,
        column: &SealedColumn,
        row: &dyn Display,
        stored: String,
    ) -> Result<String, OpenError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored);
        };
        let corrupt = || OpenError::Corrupt {
            column: format!("{}.{}", column.table, column.column),
        };
        let (id, body) = rest.split_once('.').ok_or_else(corrupt)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| OpenError::UnknownKey {
                column: format!("{}.{}", column.table, column.column),
                key_id: id.to_owned(),
            })?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| corrupt())?;
        if bytes.len() < NONCE_BYTES {
            return Err(corrupt());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce = XNonce::try_from(nonce).map_err(|_| corrupt())?;
        let plain = key
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &aad(column, row),
                },
            )
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map_err(|_| corrupt())
    }

    /// Whether `stored` is sealed under the sealing key (else [`keys::rotate`] re-seals it).
    fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(id, _)| id == self.current_id())
    }
}

/// Writes a new key file without ever replacing one: written aside, then linked into place, so
/// that a process starting at the same time reads either no file or a whole one.
fn create_key_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let aside = path.with_extension(format!("key.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&aside)
        .with_context(|| format!("cannot create {}", aside.display()))?;
    writeln!(
        file,
        "# FitnessCRM data key: it opens the sensitive fields of the database. Keep it apart from \
         the database's backups and do not lose it.\n{}",
        generate_key()
    )?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&aside, path);
    std::fs::remove_file(&aside).ok();
    match linked {
        Ok(()) => {
            // The new name must survive a crash as surely as the values sealed under the key.
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .with_context(|| format!("cannot sync {}", dir.display()))?;
            tracing::warn!(
                file = %path.display(),
                "no data key configured: created one; set FITNESSCRM_DATA_KEYS in production"
            );
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// The keyring of this process; read on every sealed value, so lock-free ([`arc_swap`]).
static KEYRING: LazyLock<ArcSwapOption<Keyring>> = LazyLock::new(ArcSwapOption::empty);

/// Makes `keyring` the one this process seals and opens with.
pub fn install(keyring: Keyring) {
    KEYRING.store(Some(Arc::new(keyring)));
}

/// The installed keyring. Before [`install`] (which every connection through configuration does)
/// a key of this process alone is installed, so nothing is ever written in plain text.
pub fn keyring() -> Arc<Keyring> {
    if let Some(k) = KEYRING.load_full() {
        return k;
    }
    tracing::warn!("no data keyring installed: using a key of this process alone");
    let fresh = Arc::new(Keyring::ephemeral());
    // The first to install wins, should two threads get here at once.
    let previous = KEYRING.compare_and_swap(&None::<Arc<Keyring>>, Some(fresh.clone()));
    (*previous).clone().unwrap_or(fresh)
}

/// `f` with the installed keyring, without touching a reference count when one is installed.
fn with_keyring<R>(f: impl FnOnce(&Keyring) -> R) -> R {
    let guard = KEYRING.load();
    match guard.as_ref() {
        Some(k) => f(k),
        None => {
            drop(guard);
            f(&keyring())
        }
    }
}

/// `plaintext` sealed for `column` of `row` with the installed keyring.
pub fn seal(
    column: &SealedColumn,
    row: &dyn Display,
    plaintext: &str,
) -> Result<String, SealError> {
    with_keyring(|k| k.seal(column, row, plaintext))
}

/// An optional value sealed.
pub fn seal_opt(
    column: &SealedColumn,
    row: &dyn Display,
    plaintext: Option<&str>,
) -> Result<Option<String>, SealError> {
    plaintext.map(|p| seal(column, row, p)).transpose()
}

/// A value read from `column` of `row`, opened with the installed keyring.
pub fn open(column: &SealedColumn, row: &dyn Display, stored: String) -> Result<String, OpenError> {
    if !stored.starts_with(PREFIX) {
        return Ok(stored);
    }
    with_keyring(|k| k.open(column, row, stored))
}

/// An optional value opened.
pub fn open_opt(
    column: &SealedColumn,
    row: &dyn Display,
    stored: Option<String>,
) -> Result<Option<String>, OpenError> {
    stored.map(|s| open(column, row, s)).transpose()
}

mod columns;
pub mod keys;

#[cfg(test)]
mod tests;
