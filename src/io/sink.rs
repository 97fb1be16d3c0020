//! Byte sinks written at explicit offsets, from many threads at once: a
//! temporary file renamed into place when finished, or memory.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Where a writer's bytes go.
pub trait Sink: Send + Sync {
    /// Writes `bytes` at `offset`, growing the output as needed. Threads
    /// may call it at once for ranges that do not overlap.
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()>;

    /// Completes the output; nothing is visible at the destination before.
    fn finish(&mut self) -> Result<()>;

    /// The bytes written, for sinks that keep them in memory.
    fn bytes(&self) -> Option<&[u8]> {
        None
    }
}

/// A file written under a temporary name beside its target and renamed
/// over it by [`Sink::finish`]; dropped unfinished, it removes the
/// temporary file and leaves the target as it was.
#[derive(Debug)]
pub struct FileSink {
    file: File,
    temporary: PathBuf,
    target: PathBuf,
    finished: bool,
}

impl FileSink {
    /// Creates the temporary file for `target`.
    pub fn create(target: &Path) -> Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = target.file_name().ok_or_else(|| {
            Error::InvalidArgument(format!("'{}' names no file", target.display()))
        })?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(
            ".{}-{}.exrkit-tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let temporary = target.with_file_name(temporary_name);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .map_err(|e| Error::from(e).context(format_args!("{}", temporary.display())))?;
        Ok(Self {
            file,
            temporary,
            target: target.to_path_buf(),
            finished: false,
        })
    }
}

impl Sink for FileSink {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        use std::os::unix::fs::FileExt;
        self.file
            .write_all_at(bytes, offset)
            .map_err(|e| Error::from(e).context(format_args!("{}", self.temporary.display())))
    }

    fn finish(&mut self) -> Result<()> {
        std::fs::rename(&self.temporary, &self.target)
            .map_err(|e| Error::from(e).context(format_args!("{}", self.target.display())))?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// Bytes kept in memory: behind a lock while written, then as they are.
#[derive(Debug, Default)]
pub struct MemorySink {
    writing: Mutex<Vec<u8>>,
    finished: Vec<u8>,
}

impl Sink for MemorySink {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        let start = usize::try_from(offset)
            .map_err(|_| Error::OutOfMemory("output larger than memory".into()))?;
        let end = start
            .checked_add(bytes.len())
            .ok_or_else(|| Error::OutOfMemory("output larger than memory".into()))?;
        let mut output = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        if end > output.len() {
            let growth = end - output.len();
            output.try_reserve(growth)?;
            output.resize(end, 0);
        }
        output[start..end].copy_from_slice(bytes);
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        let writing = self.writing.get_mut().unwrap_or_else(|e| e.into_inner());
        self.finished = std::mem::take(writing);
        Ok(())
    }

    fn bytes(&self) -> Option<&[u8]> {
        Some(&self.finished)
    }
}
