//! Library version, as macros and as functions.

use std::ffi::c_char;

/// Major version: changes break the ABI.
pub const EXRKIT_VERSION_MAJOR: u32 = 0;
/// Minor version.
pub const EXRKIT_VERSION_MINOR: u32 = 1;
/// Patch version.
pub const EXRKIT_VERSION_PATCH: u32 = 0;

/// The library's version as `(major << 16) | (minor << 8) | patch`; compare
/// with the EXRKIT_VERSION_* macros to detect a header/library mismatch.
#[no_mangle]
pub extern "C" fn exrkit_version() -> u32 {
    (EXRKIT_VERSION_MAJOR << 16) | (EXRKIT_VERSION_MINOR << 8) | EXRKIT_VERSION_PATCH
}

/// The library's version as static text, e.g. "0.1.0".
#[no_mangle]
pub extern "C" fn exrkit_version_string() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    #[test]
    fn macros_match_the_crate_version() {
        let expected = format!(
            "{}.{}.{}",
            super::EXRKIT_VERSION_MAJOR,
            super::EXRKIT_VERSION_MINOR,
            super::EXRKIT_VERSION_PATCH
        );
        assert_eq!(expected, env!("CARGO_PKG_VERSION"));
    }
}
