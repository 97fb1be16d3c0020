//! Locating ../shared/testdata: missing data fails in CI and skips elsewhere.

use std::path::PathBuf;

/// The folder `sub` of the OpenEXR sample images, or `None` (after printing
/// why) when the test data is absent outside CI. Panics in CI.
pub fn openexr_images(sub: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/testdata/openexr-images")
        .join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    let reason = format!("test data not found at {}", dir.display());
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "missing in CI: {reason}"
    );
    eprintln!("skipping: {reason}");
    None
}
