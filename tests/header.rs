//! The committed C header must be exactly what cbindgen generates from the
//! current source. Regenerate with `EXRKIT_BLESS=1 cargo test --test header`.

use std::path::Path;

#[test]
fn committed_header_matches_the_source() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bindings = cbindgen::generate(root).expect("cbindgen could not parse the crate");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = root.join("include/exrkit.h");
    if std::env::var_os("EXRKIT_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("cannot write include/exrkit.h");
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/exrkit.h is stale; regenerate it with EXRKIT_BLESS=1 cargo test --test header"
    );
}
