//! The integers that code-block samples and the wavelet work in: 32 bits
//! for components of up to 16 bits, 64 bits for deeper ones. Arithmetic
//! wraps, so a damaged codestream gives wrong samples, never a panic.

use std::num::Wrapping;
use std::ops::{Add, Neg, Shr, Sub};

/// A wavelet coefficient or sample.
pub(super) trait Sample:
    Copy
    + Default
    + PartialEq
    + std::fmt::Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Neg<Output = Self>
    + Shr<usize, Output = Self>
{
    /// 2, the rounding term of the 5/3 update step.
    const TWO: Self;

    /// `value`, truncated to the sample's width.
    fn from_i64(value: i64) -> Self;

    /// The sample, sign-extended.
    fn to_i64(self) -> i64;
}

impl Sample for Wrapping<i32> {
    const TWO: Self = Wrapping(2);

    fn from_i64(value: i64) -> Self {
        Wrapping(value as i32)
    }

    fn to_i64(self) -> i64 {
        i64::from(self.0)
    }
}

impl Sample for Wrapping<i64> {
    const TWO: Self = Wrapping(2);

    fn from_i64(value: i64) -> Self {
        Wrapping(value)
    }

    fn to_i64(self) -> i64 {
        self.0
    }
}

/// Samples of components of up to 16 bits.
pub(super) type Narrow = Wrapping<i32>;

/// Samples of deeper components.
pub(super) type Wide = Wrapping<i64>;

/// Sample buffers kept from chunk to chunk, so that decoding allocates
/// only while chunks grow.
pub(super) struct Pool<T> {
    free: Vec<Vec<T>>,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Self { free: Vec::new() }
    }
}

impl<T: Sample> Pool<T> {
    /// A buffer of `len` samples whose contents are whatever it last held
    /// (zero where it grew): for callers that write before they read. It
    /// is the smallest kept buffer that holds `len`, else the largest,
    /// grown; so buffers keep to the sizes asked for.
    pub fn take(&mut self, len: usize) -> Vec<T> {
        let fits = self
            .free
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= len)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i);
        let largest = || {
            self.free
                .iter()
                .enumerate()
                .max_by_key(|(_, b)| b.capacity())
                .map(|(i, _)| i)
        };
        let mut buffer = fits
            .or_else(largest)
            .map(|i| self.free.swap_remove(i))
            .unwrap_or_default();
        buffer.resize(len, T::default());
        buffer
    }

    /// Keeps `buffer` for a later [`Pool::take`].
    pub fn give(&mut self, buffer: Vec<T>) {
        self.free.push(buffer);
    }

    /// Bytes of the buffers kept.
    pub fn bytes(&self) -> usize {
        self.free.iter().map(Vec::capacity).sum::<usize>() * std::mem::size_of::<T>()
    }
}
