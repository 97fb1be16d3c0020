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

#[test]
fn every_macro_of_the_header_is_exrkit_prefixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(root.join("include/exrkit.h")).expect("header");
    let strays: Vec<&str> = header
        .lines()
        .filter_map(|line| line.strip_prefix("#define "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|name| !name.starts_with("EXRKIT_"))
        .collect();
    assert!(
        strays.is_empty(),
        "macros that would clash in users' code: {strays:?}; exclude them in cbindgen.toml"
    );
}
