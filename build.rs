use std::path::Path;

fn main() {
    // The library replaces libzmq: same soname, so binaries linked against libzmq.so.5 load us.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzmq.so.5");

    // Always on: it only tells cbindgen to put the DRAFT constants and types under
    // `#ifdef ZMQ_BUILD_DRAFT_API` (see cbindgen.toml); Rust code can always use them.
    println!("cargo:rustc-check-cfg=cfg(zmq_draft_api)");
    println!("cargo:rustc-cfg=zmq_draft_api");

    generate_header();
}

/// Writes include/zmq.h from src/ffi with cbindgen. The file is committed so that C users
/// and CI can read it without building; it is only rewritten when its content changes.
fn generate_header() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for input in ["cbindgen.toml", "src/constants.rs", "src/ffi", "include/zmq.h"] {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/constants.rs"))
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen could not generate include/zmq.h from src/ffi");
    let mut raw = Vec::new();
    bindings.write(&mut raw);
    let text = tidy(&String::from_utf8(raw).expect("cbindgen writes UTF-8"));

    let path = root.join("include/zmq.h");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::create_dir_all(path.parent().unwrap()).expect("create include/");
        std::fs::write(&path, text).expect("write include/zmq.h");
    }
}

/// cbindgen wraps each DRAFT item in its own `#if` and puts a blank line between all items.
/// Merge adjacent DRAFT blocks and keep runs of `#define`s together, so the header reads in
/// groups, each under the comment of its first constant.
fn tidy(text: &str) -> String {
    let merged = text.replace("#endif\n\n#if defined(ZMQ_BUILD_DRAFT_API)\n", "\n");
    let lines: Vec<&str> = merged.lines().collect();
    let mut out = String::with_capacity(merged.len());
    for (i, line) in lines.iter().enumerate() {
        let between_defines = line.is_empty()
            && i > 0
            && lines[i - 1].starts_with("#define ")
            && lines.get(i + 1).is_some_and(|next| next.starts_with("#define "));
        if !between_defines {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
