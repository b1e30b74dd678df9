//! A size-rotated log file that several processes append to at once.
//!
//! Every process of a service (`http_manage_sys`, `service_manage_sys`,
//! three instances behind nginx) writes the same `logs/<service>/info.log`.
//! Rotating each on its own counter — what log4rs' rolling appender does —
//! made every process rename the file on its own schedule, keep writing into
//! a file another had already rolled, and eventually delete a file still
//! being written. Here the processes agree through an advisory lock on
//! `logs/<service>/.rotate.lock`: a writer takes it for each batch, checks
//! that the path still names the file it holds (reopening after another
//! process rotated), rotates when the file on disk — not its own count — is
//! past the limit, and appends the batch whole. A batch therefore lands in
//! one file, uncut, and no process writes into a rolled file.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a writer waits for the lock before appending without it (and
/// without rotating): a stopped process holding it must not stall the
/// others' logs.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// The file's identity, to notice a rename or a new file at the path.
#[cfg(unix)]
fn identity(meta: &Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn identity(_meta: &Metadata) -> u64 {
    0
}

/// One log file (`<dir>/<name>.log`, rolled to `<name>.1.log` … `<name>.<keep>.log`).
#[derive(Debug)]
pub(crate) struct SharedFile {
    path: PathBuf,
    dir: PathBuf,
    name: String,
    /// Rotate once the file would pass this many bytes.
    max_bytes: u64,
    /// Rolled files kept.
    keep: u32,
    /// The folder's lock file and its identity.
    lock: (File, u64),
    /// The open file and its identity (to notice a rotation by another process).
    file: Option<(File, u64)>,
}

impl SharedFile {
    /// Opens (creating) `<dir>/<name>.log` and the folder's lock file.
    pub(crate) fn open(dir: &Path, name: &str, max_bytes: u64, keep: u32) -> std::io::Result<SharedFile> {
        let mut file = SharedFile {
            path: dir.join(format!("{name}.log")),
            dir: dir.to_owned(),
            name: name.to_owned(),
            max_bytes: max_bytes.max(1),
            keep: keep.max(1),
            lock: open_lock(dir)?,
            file: None,
        };
        file.reopen()?;
        Ok(file)
    }

    /// Appends `text` (whole lines) under the folder's lock; without it
    /// (and without rotating) if another process holds it past [`LOCK_WAIT`].
    pub(crate) fn append(&mut self, text: &[u8]) -> std::io::Result<()> {
        let locked = self.lock()?;
        let written = self.append_locked(text, locked);
        let unlocked = if locked { self.lock.0.unlock() } else { Ok(()) };
        written.and(unlocked)
    }

    /// Takes the lock on the folder's current lock file (reopened when it
    /// was deleted or replaced: two lock files would let two processes
    /// rotate at once). `false` when it stayed taken for [`LOCK_WAIT`].
    fn lock(&mut self) -> std::io::Result<bool> {
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match self.lock.0.try_lock() {
                Ok(()) => {
                    let current = std::fs::metadata(self.dir.join(LOCK_FILE)).ok().map(|m| identity(&m));
                    if current == Some(self.lock.1) {
                        return Ok(true);
                    }
                    self.lock.0.unlock()?;
                    self.lock = open_lock(&self.dir)?;
                }
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(false),
                Err(std::fs::TryLockError::Error(err)) => return Err(err),
            }
        }
    }

    fn append_locked(&mut self, text: &[u8], may_rotate: bool) -> std::io::Result<()> {
        let on_disk = std::fs::metadata(&self.path).ok();
        let ours = self.file.as_ref().map(|(_, id)| *id);
        if on_disk.as_ref().map(identity) != ours {
            // Rotated (or removed) by another process: follow the path.
            self.reopen()?;
        }
        let Some((file, _)) = &self.file else {
            return Err(std::io::Error::other(format!("{} is not open", self.path.display())));
        };
        let mut before = file.metadata()?.len();
        if may_rotate && before > 0 && before + text.len() as u64 > self.max_bytes {
            match self.rotate() {
                Ok(()) => before = 0,
                // The lines still go to the file at hand.
                Err(err) => eprintln!("keel: cannot rotate {}: {err}", self.path.display()),
            }
        }
        let Some((file, _)) = &mut self.file else {
            return Err(std::io::Error::other(format!("{} is not open", self.path.display())));
        };
        let written = file.write_all(text);
        if written.is_err() && may_rotate {
            // No cut line left for the next batch to be glued to (only
            // under the lock is the end of the file ours to cut).
            let _ = file.set_len(before);
        }
        written
    }

    /// `<name>.log` → `<name>.1.log` → … → `<name>.<keep>.log` (the oldest
    /// dropped), then a fresh `<name>.log`. Runs under the lock.
    fn rotate(&mut self) -> std::io::Result<()> {
        let rolled = |n: u32| self.dir.join(format!("{}.{n}.log", self.name));
        match std::fs::remove_file(rolled(self.keep)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
        for n in (1..self.keep).rev() {
            match std::fs::rename(rolled(n), rolled(n + 1)) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
                _ => {}
            }
        }
        std::fs::rename(&self.path, rolled(1))?;
        self.reopen()
    }

    fn reopen(&mut self) -> std::io::Result<()> {
        // The folder itself may have been removed.
        std::fs::create_dir_all(&self.dir)?;
        let file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        let id = identity(&file.metadata()?);
        self.file = Some((file, id));
        Ok(())
    }
}

/// The lock file every process of the service locks before writing.
const LOCK_FILE: &str = ".rotate.lock";

fn open_lock(dir: &Path) -> std::io::Result<(File, u64)> {
    std::fs::create_dir_all(dir)?;
    let file = OpenOptions::new().create(true).append(true).open(dir.join(LOCK_FILE))?;
    let id = identity(&file.metadata()?);
    Ok((file, id))
}

#[cfg(test)]
mod tests {
    use super::SharedFile;
    use std::collections::BTreeMap;

    const CHILD: &str = "KEEL_SHARED_LOG_CHILD";
    const LINES: usize = 20_000;
    const WRITERS: usize = 3;

    /// Run as a child process: appends `LINES` numbered lines in batches of
    /// a few, rotating at 32 KiB like a busy service past its limit.
    fn write_as_child(dir: &std::path::Path, writer: &str) {
        // Start together, so the writers overlap and rotate under each other.
        while !dir.join("go").exists() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let mut file = SharedFile::open(dir, "info", 32 * 1024, 1000).expect("opens");
        let mut batch = String::new();
        for n in 0..LINES {
            if writer == "w0" && n == LINES / 2 {
                // An operator cleaning up: the lock file goes mid-run.
                let _ = std::fs::remove_file(dir.join(super::LOCK_FILE));
            }
            batch.push_str(&format!("{writer} {n:06} {}\n", "x".repeat(40)));
            if n % 7 == 6 {
                file.append(batch.as_bytes()).expect("appends");
                batch.clear();
            }
        }
        file.append(batch.as_bytes()).expect("appends");
    }

    #[test]
    fn processes_writing_and_rotating_one_file_lose_and_split_no_line() {
        if let Ok(spec) = std::env::var(CHILD) {
            let (dir, writer) = spec.split_once('|').expect("dir|writer");
            write_as_child(std::path::Path::new(dir), writer);
            return;
        }
        let dir = std::env::temp_dir().join(format!("keel-shared-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let exe = std::env::current_exe().expect("test binary");
        let children: Vec<_> = (0..WRITERS)
            .map(|w| {
                std::process::Command::new(&exe)
                    .args(["--exact", "logging::shared_file::tests::processes_writing_and_rotating_one_file_lose_and_split_no_line"])
                    .env(CHILD, format!("{}|w{w}", dir.display()))
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .expect("spawns")
            })
            .collect();
        std::fs::write(dir.join("go"), b"").expect("go");
        for mut child in children {
            assert!(child.wait().expect("waits").success());
        }
        let mut seen: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).expect("reads").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with("info") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(entry.path()).expect("utf-8");
            assert!(text.len() <= 32 * 1024, "{name} passed the limit: {} bytes", text.len());
            for line in text.lines() {
                let parts: Vec<&str> = line.split(' ').collect();
                assert!(parts.len() == 3 && parts[2].len() == 40, "split or merged line in {name}: {line:?}");
                seen.entry(parts[0].to_owned()).or_default().push(parts[1].parse().expect("number"));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(files > 10, "expected many rotations, found {files} files");
        assert_eq!(seen.len(), WRITERS);
        for (writer, mut numbers) in seen {
            // Each writer's lines in order within a file; all of them, once.
            numbers.sort_unstable();
            assert_eq!(numbers, (0..LINES).collect::<Vec<_>>(), "lines of {writer}");
        }
    }
}
