//! Byte strings as the file holds them, kept with a trailing NUL so C callers
//! can read them in place.

use std::ffi::c_char;
use std::fmt;

/// A byte string from a file (names, string attributes). Not necessarily
/// UTF-8; a NUL is stored after the bytes and is not part of them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(Box<[u8]>);

impl Text {
    /// Copies `bytes` and appends the NUL.
    pub fn new(bytes: &[u8]) -> Self {
        let mut owned = Vec::with_capacity(bytes.len() + 1);
        owned.extend_from_slice(bytes);
        Self::from_vec(owned)
    }

    /// Takes `bytes` and appends the NUL.
    pub fn from_vec(mut bytes: Vec<u8>) -> Self {
        bytes.push(0);
        Self(bytes.into_boxed_slice())
    }

    /// The bytes without the trailing NUL.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.split_last().map_or(&[], |(_, bytes)| bytes)
    }

    /// A pointer to the NUL-terminated bytes, valid as long as `self`.
    pub fn as_c_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }

    /// The number of bytes, not counting the NUL.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self::new(s.as_bytes())
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
