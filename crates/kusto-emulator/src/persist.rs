//! `--state`: keeping the store on disk without making every write wait for the disk.
//!
//! Writing and syncing the whole store under the store lock on every change made a
//! 200-connection apply six times slower. Instead a write only marks the store changed
//! (under the lock, so the marks follow the order of the changes), and a background thread
//! writes the latest store: it takes a copy under the lock, then serialises, writes a
//! temporary file, syncs it and renames it over the state file without the lock. Changes
//! that arrive while a write is in progress, or in the short pause the writer takes after
//! each write ([`WRITE_INTERVAL`], so that a burst of requests costs a few writes, not one
//! serialisation of the whole store per request), are coalesced into the next one.
//!
//! Durability: [`Persister::flush`] waits until everything marked so far is on disk; the
//! binary calls it after the server has stopped (SIGTERM, SIGINT), so no change that was
//! answered is lost on a clean stop. A crash or `kill -9` loses the changes made since the
//! last completed write: at most those of the last [`WRITE_INTERVAL`] plus one
//! serialise-and-sync. A failed write is logged at ERROR and reported to the clients
//! of later writes as a 500 until a write succeeds again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::error::Error;
use super::store::Store;

/// The writer's pause after each write, during which changes only accumulate.
pub const WRITE_INTERVAL: Duration = Duration::from_millis(100);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct Progress {
    /// Number of changes marked so far.
    marked: u64,
    /// `marked` as it was when the last completed write took its copy.
    written: u64,
    /// `marked` of the last write and why it failed, until a write succeeds.
    failure: Option<(u64, String)>,
    /// Callers of `flush` waiting: the writer skips its pause for them.
    flushing: usize,
    stopping: bool,
}

#[derive(Default)]
struct Shared {
    progress: Mutex<Progress>,
    /// Wakes the writer: something was marked, or it should stop.
    marked: Condvar,
    /// Wakes flushers: a write completed or failed.
    written: Condvar,
}

/// The background writer of one state file.
pub struct Persister {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Persister {
    /// Starts the writer of `path` for `store`.
    pub fn start(path: PathBuf, store: Arc<Mutex<Store>>) -> Result<Persister, Error> {
        let shared = Arc::new(Shared::default());
        let writer = shared.clone();
        let thread = std::thread::Builder::new()
            .name("state-writer".to_owned())
            .spawn(move || write_loop(&path, &store, &writer))
            .map_err(|e| Error::io("starting the state writer", e))?;
        Ok(Persister {
            shared,
            thread: Some(thread),
        })
    }

    /// Records that the store changed; call it while holding the store lock.
    pub fn mark(&self) {
        let mut progress = lock(&self.shared.progress);
        progress.marked = progress.marked.saturating_add(1);
        self.shared.marked.notify_one();
    }

    /// Why the last write failed, if it did and none succeeded since.
    pub fn failure(&self) -> Option<String> {
        lock(&self.shared.progress)
            .failure
            .as_ref()
            .map(|(_, why)| why.clone())
    }

    /// Waits until every change marked before the call is on disk, or a write failed.
    pub fn flush(&self) -> Result<(), String> {
        let mut progress = lock(&self.shared.progress);
        let target = progress.marked;
        progress.flushing += 1;
        self.shared.marked.notify_one();
        let outcome = loop {
            if progress.written >= target {
                break Ok(());
            }
            if let Some((at, why)) = &progress.failure
                && *at >= target
            {
                break Err(why.clone());
            }
            progress = self
                .shared
                .written
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
        };
        progress.flushing -= 1;
        outcome
    }
}

impl Drop for Persister {
    fn drop(&mut self) {
        lock(&self.shared.progress).stopping = true;
        self.shared.marked.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_loop(path: &Path, store: &Mutex<Store>, shared: &Shared) {
    loop {
        let target = {
            let mut progress = lock(&shared.progress);
            loop {
                let failed_at = progress.failure.as_ref().map(|(at, _)| *at);
                // A failed write is retried at the next change, not in a loop.
                if progress.marked != progress.written && failed_at != Some(progress.marked) {
                    break progress.marked;
                }
                if progress.stopping {
                    return;
                }
                progress = shared
                    .marked
                    .wait(progress)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        // Every change marked up to `target` was made under the store lock before it was
        // marked, so this copy holds them all.
        let snapshot = lock(store).clone();
        let result = save_state(path, &snapshot);
        let mut progress = lock(&shared.progress);
        match result {
            Ok(()) => {
                progress.written = target;
                progress.failure = None;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not persist the emulator state");
                progress.failure = Some((target, e.to_string()));
            }
        }
        shared.written.notify_all();
        let _pause = shared
            .marked
            .wait_timeout_while(progress, WRITE_INTERVAL, |p| !p.stopping && p.flushing == 0)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// Reads a state file written by an earlier run, if there is one.
pub fn load_state(path: &Path) -> Result<Option<Store>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::json(format!("state file {}", path.display()), e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(
            format!("reading state file {}", path.display()),
            e,
        )),
    }
}

/// Writes the state atomically and readable by its owner only (it holds the client
/// secrets and the token-signing key): a temporary file beside the target, mode 0600,
/// synced, then renamed over it.
pub fn save_state(path: &Path, store: &Store) -> Result<(), Error> {
    use std::io::Write as _;
    let bytes = serde_json::to_vec(store).map_err(|e| Error::json("serialising the state", e))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let context = || format!("writing state file {}", path.display());
    let mut file = owner_only_file(&tmp).map_err(|e| Error::io(context(), e))?;
    file.write_all(&bytes)
        .map_err(|e| Error::io(context(), e))?;
    file.sync_all().map_err(|e| Error::io(context(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(context(), e))
}

/// Creates (or truncates) `path` with mode 0600, also when it existed with another mode.
pub fn owner_only_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

    #[test]
    fn state_files_are_written_atomically_owner_only_and_read_back() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(load_state(&path).unwrap().is_none());
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = Store::new(World::default());
        save_state(&path, &store).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let loaded = load_state(&path).unwrap().unwrap();
        assert_eq!(loaded.world, store.world);
        assert_eq!(loaded.signing_key, store.signing_key);
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(load_state(&path), Err(Error::Json { .. })));
    }

    #[test]
    fn the_writer_coalesces_changes_and_flush_waits_for_the_latest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let store = Arc::new(Mutex::new(Store::new(World::default())));
        let persister = Persister::start(path.clone(), store.clone()).unwrap();
        for i in 0..50 {
            let mut guard = lock(&store);
            guard.world.tenant_id = format!("tenant-{i}");
            persister.mark();
        }
        persister.flush().unwrap();
        let on_disk = load_state(&path).unwrap().unwrap();
        assert_eq!(on_disk.world.tenant_id, "tenant-49");
        assert!(persister.failure().is_none());
    }

    #[test]
    fn a_failed_write_is_reported_until_one_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("state.json");
        let store = Arc::new(Mutex::new(Store::new(World::default())));
        let persister = Persister::start(path.clone(), store.clone()).unwrap();
        persister.mark();
        let failure = persister.flush().unwrap_err();
        assert!(failure.contains("state.json"), "{failure}");
        assert!(persister.failure().is_some());
        std::fs::create_dir(path.parent().unwrap()).unwrap();
        persister.mark();
        persister.flush().unwrap();
        assert!(persister.failure().is_none());
        assert!(load_state(&path).unwrap().is_some());
    }
}
