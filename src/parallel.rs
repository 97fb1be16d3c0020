//! The threads a handle decodes or encodes with: the global rayon pool
//! (0), the calling thread (1), or a pool of its own built once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use rayon::prelude::*;

/// A handle's choice of threads.
#[derive(Debug)]
pub(crate) struct Workers {
    threads: u32,
    pool: OnceLock<Option<rayon::ThreadPool>>,
}

impl Workers {
    /// Workers for a `threads` setting: 0 = global pool, 1 = calling thread.
    pub fn new(threads: u32) -> Self {
        Self {
            threads,
            pool: OnceLock::new(),
        }
    }

    /// How many threads run work at once.
    pub fn count(&self) -> usize {
        match self.threads {
            0 => rayon::current_num_threads(),
            n => n as usize,
        }
    }

    /// The handle's own pool for `threads` > 1, or `None` if it could not
    /// be built (the global pool then serves).
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.pool
            .get_or_init(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(self.threads as usize)
                    .thread_name(|i| format!("exrkit-{i}"))
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// Calls `f` for every index in `range`.
    pub fn for_each_index(&self, range: std::ops::Range<u64>, f: impl Fn(u64) + Sync + Send) {
        match self.threads {
            1 => range.for_each(f),
            0 => range.into_par_iter().for_each(f),
            _ => match self.pool() {
                Some(pool) => pool.install(|| range.into_par_iter().for_each(f)),
                None => range.into_par_iter().for_each(f),
            },
        }
    }

    /// Calls `f` for every index in `0..count`, handing the indices out in
    /// increasing order to whichever thread is free, so that the work
    /// finishes close to index order (the writer places chunks in file
    /// order and must hold those that finish early).
    pub fn for_each_in_order(&self, count: u64, f: impl Fn(u64) + Sync + Send) {
        let threads = (self.count() as u64).min(count);
        if self.threads == 1 || threads <= 1 {
            (0..count).for_each(f);
            return;
        }
        let next = AtomicU64::new(0);
        let work = || loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                break;
            }
            f(i);
        };
        let spawn_all = || {
            rayon::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|_| work());
                }
            })
        };
        match (self.threads, self.pool()) {
            (0, _) | (_, None) => spawn_all(),
            (_, Some(pool)) => pool.install(spawn_all),
        }
    }

    /// Calls `f` with the index and contents of every `size`-long chunk of
    /// `data` (the last may be shorter).
    pub fn for_each_chunk_mut<T: Send>(
        &self,
        data: &mut [T],
        size: usize,
        f: impl Fn(usize, &mut [T]) + Sync + Send,
    ) {
        let size = size.max(1);
        let each = |(i, chunk): (usize, &mut [T])| f(i, chunk);
        match self.threads {
            1 => data.chunks_mut(size).enumerate().for_each(each),
            0 => data.par_chunks_mut(size).enumerate().for_each(each),
            _ => match self.pool() {
                Some(pool) => pool.install(|| data.par_chunks_mut(size).enumerate().for_each(each)),
                None => data.par_chunks_mut(size).enumerate().for_each(each),
            },
        }
    }
}

/// A slice that parallel workers write through, each to ranges no other
/// worker touches while it holds them.
pub(crate) struct DisjointSlice<'a, T> {
    start: *mut T,
    len: usize,
    _borrow: std::marker::PhantomData<&'a mut [T]>,
}

// SAFETY: the slice is borrowed mutably for 'a, and `range` hands out
// ranges its callers promise are disjoint, so moving the handle to or
// sharing it with other threads is sound for sendable elements.
unsafe impl<T: Send> Send for DisjointSlice<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for DisjointSlice<'_, T> {}

impl<'a, T> DisjointSlice<'a, T> {
    /// Shares `slice` among workers.
    pub fn new(slice: &'a mut [T]) -> Self {
        Self {
            start: slice.as_mut_ptr(),
            len: slice.len(),
            _borrow: std::marker::PhantomData,
        }
    }

    /// The elements `start..start + len`, or `None` past the end.
    ///
    /// # Safety
    /// No other range handed out and still in use may overlap this one.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn range(&self, start: usize, len: usize) -> Option<&mut [T]> {
        let end = start.checked_add(len)?;
        if end > self.len {
            return None;
        }
        // SAFETY: start..end lies inside the borrowed slice, and the caller
        // guarantees no overlapping range is in use.
        Some(unsafe { std::slice::from_raw_parts_mut(self.start.add(start), len) })
    }
}
