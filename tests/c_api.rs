//! Builds tests/c/test_msg.c against include/zmq.h and the cdylib (as C and as C++) and runs
//! it with LD_LIBRARY_PATH pointing at our libzmq.so.5; the program checks via dladdr that
//! it really loaded ours. When the real libzmq is installed, the same program also runs
//! against it, to keep the test's expectations honest. Skipped (with a note) without gcc/g++.

mod common;

use common::{cdylib, have_tools, run, soname_dir, tmp_dir};
use std::path::Path;
use std::process::Command;

#[test]
fn c_message_api() {
    if !have_tools(&["gcc", "g++"]) {
        eprintln!("skipped: gcc/g++ not found");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tmp_dir("c_api");
    let libdir = soname_dir(&dir);
    let source = root.join("tests/c/test_msg.c");
    for (compiler, lang, std) in [("gcc", "c", "-std=c99"), ("g++", "c++", "-std=c++11")] {
        let exe = dir.join(format!("test_msg_{compiler}"));
        run(Command::new(compiler)
            .args([std, "-Wall", "-Wextra", "-Werror", "-pthread", "-x", lang])
            .arg("-I")
            .arg(root.join("include"))
            .arg(&source)
            .args(["-x", "none"])
            .arg(cdylib())
            .arg("-ldl")
            .arg("-o")
            .arg(&exe));
        let out = run(Command::new(&exe).arg(libdir.join("libzmq.so.5")).env("LD_LIBRARY_PATH", &libdir));
        assert!(out.contains(" passed, 0 failed"), "{out}");
    }

    let reference = Path::new("/usr/lib/x86_64-linux-gnu/libzmq.so.5");
    if reference.exists() && Path::new("/usr/include/zmq.h").exists() {
        let exe = dir.join("test_msg_reference");
        run(Command::new("gcc")
            .args(["-std=c99", "-Wall", "-Werror", "-pthread", "-DREFERENCE_LIBZMQ", "-I/usr/include"])
            .arg(&source)
            .arg(reference)
            .arg("-ldl")
            .arg("-o")
            .arg(&exe));
        let out = run(Command::new(&exe).arg(reference).env_remove("LD_LIBRARY_PATH"));
        assert!(out.contains(" passed, 0 failed"), "against libzmq: {out}");
    }
}
