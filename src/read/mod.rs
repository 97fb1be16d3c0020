//! The reader: opens a file, memory or stream, parses and checks its headers
//! and offset tables, and hands out chunks. Immutable once open, so any number
//! of threads may use one reader at once.

mod decode;
mod deep;
mod qoi;
mod rgba;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::chunk::table::OffsetTables;
use crate::chunk::{self, ChunkInfo};
use crate::error::{Error, Result};
use crate::io::{FileSource, MemorySource, ReadAt};
use crate::meta::header::Header;
use crate::meta::version::VersionFlags;
use crate::meta::{self, FileHeaders};
use crate::parallel::Workers;

pub use crate::progress::ProgressFn;

/// How a reader treats files.
#[derive(Clone)]
pub struct ReadOptions {
    /// Worker threads for decoding: 0 uses the global pool, 1 runs on the
    /// calling thread.
    pub threads: u32,
    /// Reject what OpenEXR's strict header parsing rejects.
    pub strict: bool,
    /// Rebuild damaged offset tables from the chunk leaders.
    pub reconstruct: bool,
    /// Largest data window, in pixels, the reader accepts (0: no limit).
    pub max_image_pixels: u64,
    /// Largest number of deep samples in one part (0: no limit).
    pub max_deep_samples: u64,
    /// Called as work progresses; returning `false` cancels it.
    pub progress: Option<ProgressFn>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            strict: false,
            reconstruct: true,
            max_image_pixels: 1 << 31,
            max_deep_samples: 1 << 32,
            progress: None,
        }
    }
}

impl fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOptions")
            .field("threads", &self.threads)
            .field("strict", &self.strict)
            .field("reconstruct", &self.reconstruct)
            .field("max_image_pixels", &self.max_image_pixels)
            .field("max_deep_samples", &self.max_deep_samples)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// An open image file.
pub struct Reader {
    source: Box<dyn ReadAt>,
    flags: VersionFlags,
    headers: Vec<Header>,
    tables: OffsetTables,
    options: ReadOptions,
    /// The threads decodes run on.
    pub(super) workers: Workers,
    /// The path the reader was opened from, if any.
    path: Option<std::path::PathBuf>,
    /// Where a QOI file's bytes are (its one part decodes from them);
    /// `None` for EXR.
    qoi: Option<qoi::QoiBytes>,
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("flags", &self.flags)
            .field("parts", &self.headers.len())
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// Opens the file at `path`.
    pub fn open(path: impl AsRef<Path>, options: ReadOptions) -> Result<Self> {
        let path = path.as_ref();
        let source = FileSource::open(path)?;
        let mut reader = Self::from_source(Box::new(source), options)
            .map_err(|e| e.context(format_args!("{}", path.display())))?;
        reader.path = Some(path.to_path_buf());
        Ok(reader)
    }

    /// Reads from bytes in memory.
    pub fn from_bytes(bytes: impl Into<Arc<[u8]>>, options: ReadOptions) -> Result<Self> {
        Self::from_source(Box::new(MemorySource::new(bytes)), options)
    }

    /// Reads from any positioned source.
    pub fn from_source(source: Box<dyn ReadAt>, options: ReadOptions) -> Result<Self> {
        if qoi::starts_with_magic(source.as_ref()) {
            return Self::from_qoi(source, options);
        }
        let FileHeaders {
            flags,
            headers,
            end,
        } = meta::read_headers(source.as_ref(), options.strict)?;
        for (part, header) in headers.iter().enumerate() {
            let pixels = header.data_window().area();
            if options.max_image_pixels != 0 && pixels > options.max_image_pixels {
                return Err(Error::LimitExceeded(format!(
                    "part {part}: the data window holds {pixels} pixels, more than the limit of {}",
                    options.max_image_pixels
                )));
            }
        }
        let tables = OffsetTables::read(
            source.as_ref(),
            &headers,
            flags.multipart,
            end,
            options.reconstruct,
        )?;
        Ok(Self {
            source,
            flags,
            headers,
            tables,
            workers: Workers::new(options.threads),
            options,
            path: None,
            qoi: None,
        })
    }

    /// Whether this is a QOI file (one part, decoded as a whole).
    pub fn is_qoi(&self) -> bool {
        self.qoi.is_some()
    }

    /// The path the reader was opened from (`None` for memory and streams).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The size in bytes of the file, memory or stream being read.
    pub fn source_len(&self) -> u64 {
        self.source.len()
    }

    /// The file's version flags.
    pub fn version_flags(&self) -> VersionFlags {
        self.flags
    }

    /// The options the reader was opened with.
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }

    /// Every part's header, in file order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The header of `part`.
    pub fn header(&self, part: usize) -> Result<&Header> {
        self.headers.get(part).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "part {part} does not exist; the file has {}",
                self.headers.len()
            ))
        })
    }

    /// Where the attribute called `name` is among the attributes of
    /// `part`; [`Error::NotFound`] if the part has none of that name.
    pub fn attribute_index(&self, part: usize, name: &[u8]) -> Result<usize> {
        self.header(part)?.attribute_index(name).ok_or_else(|| {
            Error::NotFound(format!(
                "part {part} has no attribute '{}'",
                String::from_utf8_lossy(name)
            ))
        })
    }

    /// Width and height in pixels of level (`level_x`, `level_y`) of
    /// `part`; [`Error::InvalidArgument`] if there is no such level.
    pub fn level_size(&self, part: usize, level_x: u32, level_y: u32) -> Result<(u64, u64)> {
        self.header(part)?
            .geometry()
            .existing_level_size(level_x, level_y)
            .map_err(|e| e.context(format_args!("part {part}")))
    }

    /// Where chunk `index` of `part` is, checked against its leader.
    pub fn chunk_info(&self, part: usize, index: u64) -> Result<ChunkInfo> {
        let header = self.header(part)?;
        if self.is_qoi() {
            return Err(Error::InvalidArgument(
                "a QOI file has no chunks to locate; decode it with the decode functions".into(),
            ));
        }
        chunk::locate(
            self.source.as_ref(),
            &self.tables,
            header,
            part,
            self.flags.multipart,
            index,
        )
        .map_err(|e| e.context(format_args!("part {part}")))
    }

    /// Copies the raw bytes after chunk `index`'s leader (the packed sample
    /// count table of deep chunks, then the packed pixel data) into `buf`,
    /// returning how many bytes it wrote.
    pub fn read_chunk(&self, part: usize, index: u64, buf: &mut [u8]) -> Result<usize> {
        let info = self.chunk_info(part, index)?;
        self.read_located_chunk(part, &info, buf)
    }

    /// Like [`Reader::read_chunk`] for a chunk already located with
    /// [`Reader::chunk_info`], without reading its leader again.
    pub fn read_located_chunk(
        &self,
        part: usize,
        info: &ChunkInfo,
        buf: &mut [u8],
    ) -> Result<usize> {
        let index = info.index;
        let size = info.payload_size();
        let Some(dest) = usize::try_from(size).ok().and_then(|n| buf.get_mut(..n)) else {
            return Err(Error::BufferTooSmall(format!(
                "part {part} chunk {index} holds {size} bytes; the buffer has room for {}",
                buf.len()
            )));
        };
        self.source
            .read_exact_at(info.data_offset, dest)
            .map_err(|e| e.context(format_args!("part {part} chunk {index}")))?;
        Ok(dest.len())
    }
}
