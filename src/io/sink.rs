//! Byte sinks written at explicit offsets: a temporary file renamed into
//! place when finished, or memory.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Where a writer's bytes go.
pub trait Sink: Send + Sync {
    /// Writes `bytes` at `offset`, growing the output as needed.
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<()>;

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
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<()> {
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

/// Bytes kept in memory.
#[derive(Debug, Default)]
pub struct MemorySink {
    bytes: Vec<u8>,
}

impl Sink for MemorySink {
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<()> {
        let start = usize::try_from(offset)
            .map_err(|_| Error::OutOfMemory("output larger than memory".into()))?;
        let end = start
            .checked_add(bytes.len())
            .ok_or_else(|| Error::OutOfMemory("output larger than memory".into()))?;
        if end > self.bytes.len() {
            self.bytes.try_reserve(end - self.bytes.len())?;
            self.bytes.resize(end, 0);
        }
        self.bytes[start..end].copy_from_slice(bytes);
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        Ok(())
    }

    fn bytes(&self) -> Option<&[u8]> {
        Some(&self.bytes)
    }
}
