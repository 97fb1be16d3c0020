//! Whole-image decodes against OpenEXR: every flat part of every sample
//! image outside Damaged/ and of a generated matrix of codecs, types, tiling,
//! odd windows and line orders decodes to exactly the samples OpenEXR gives.

mod common;

use std::path::PathBuf;

use exrkit::pixels::ChannelBuffers;
use exrkit::{ReadOptions, Reader};

/// Compressions with decoders; every other one must say it is unsupported.
const DECODED: [&str; 9] = [
    "none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "zstd",
];

/// Decodes every channel of `part` at its own type and sampling (buffers
/// start as 0xa5 bytes, so samples left unwritten show).
fn decode_part(reader: &Reader, part: usize) -> exrkit::Result<Vec<(String, Vec<u8>)>> {
    let header = &reader.headers()[part];
    let mut buffers = ChannelBuffers::new(header.channels(), header.data_window())?;
    for buffer in &mut buffers.buffers {
        buffer.fill(0xa5);
    }
    reader.decode_image(part, 0, 0, &mut buffers.frame_buffer()?)?;
    let names = header.channels().iter().map(|c| c.name.to_string());
    Ok(names.zip(buffers.buffers).collect())
}

fn compare(files: &[PathBuf], scratch: &str) {
    let Some(reference) = common::openexr_decode(&common::scratch_dir(scratch), files) else {
        return;
    };
    let (mut parts, mut channels, mut unsupported) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for file in files {
        let expected: Vec<&common::ReferenceChannel> =
            reference.iter().filter(|r| r.file == *file).collect();
        if expected.iter().any(|r| r.pixel_type == "error") {
            println!("OpenEXR cannot read {}; skipped", file.display());
            continue;
        }
        let reader = Reader::open(file, ReadOptions::default()).expect("open");
        for (part, header) in reader.headers().iter().enumerate() {
            if header.storage().is_deep() {
                continue;
            }
            let name = header.compression().name();
            let decoded = match decode_part(&reader, part) {
                Ok(d) => d,
                Err(exrkit::Error::Unsupported(_)) if !DECODED.contains(&name) => {
                    unsupported += 1;
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{} part {part}: {e}", file.display()));
                    continue;
                }
            };
            parts += 1;
            for (channel, bytes) in decoded {
                let Some(r) = expected
                    .iter()
                    .find(|r| r.part == part && r.name == channel)
                else {
                    failures.push(format!(
                        "{} part {part}: OpenEXR lacks channel {channel}",
                        file.display()
                    ));
                    continue;
                };
                channels += 1;
                if r.bytes != bytes {
                    let first = r.bytes.iter().zip(&bytes).position(|(a, b)| a != b);
                    failures.push(format!(
                        "{} part {part} channel {channel} ({}): first difference at byte {first:?}",
                        r.pixel_type,
                        file.display()
                    ));
                }
            }
        }
    }
    println!("compared {parts} parts, {channels} channels; {unsupported} parts use codecs still unsupported");
    assert!(parts > 0);
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
}

#[test]
fn sample_images_decode_as_openexr_decodes_them() {
    let Some(files) = common::sample_images() else {
        return;
    };
    compare(&files, "decoding-samples");
}

#[test]
fn generated_matrix_decodes_as_openexr_decodes_it() {
    let dir = common::scratch_dir("decoding-matrix");
    let args = [std::ffi::OsStr::new("matrix"), dir.as_os_str()];
    if !common::openexr_ref(&args) {
        return;
    }
    let files = common::files_in(&dir, None);
    compare(&files, "decoding-matrix-ref");
}

#[test]
fn codecs_without_decoders_say_so_even_for_tiny_chunks() {
    let dir = common::scratch_dir("decoding-unsupported");
    let script = r#"
import os, sys, OpenEXR, numpy as np
header = {"compression": OpenEXR.LJ2K_COMPRESSION, "type": OpenEXR.scanlineimage}
flat = np.full((256, 512), 0.25, np.float16)
with OpenEXR.File(header, {"R": flat, "G": flat, "B": flat}) as f:
    f.write(os.path.join(sys.argv[1], "lossy_htj2k.exr"))
"#;
    if !common::python(&["-c".as_ref(), script.as_ref(), dir.as_os_str()]) {
        return;
    }
    let reader = Reader::open(dir.join("lossy_htj2k.exr"), ReadOptions::default()).expect("open");
    let error = decode_part(&reader, 0).expect_err("no decoder");
    assert!(
        matches!(&error, exrkit::Error::Unsupported(m) if m.contains("lossy-htj2k")),
        "{error}"
    );
}
