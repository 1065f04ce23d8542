//! Helpers shared by the integration tests that drive C compilers and the built cdylib.
#![allow(dead_code)]

pub mod sockets;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a command; panics with its output if it fails. Returns stdout.
pub fn run(cmd: &mut Command) -> String {
    try_run(cmd).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a command; Err describes the failure with its output.
pub fn try_run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8(out.stdout).expect("UTF-8 output"))
}

pub fn have_tools(tools: &[&str]) -> bool {
    tools.iter().all(|t| Command::new(t).arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// A fresh scratch directory under the target dir.
pub fn tmp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The cdylib cargo built for this test run: next to the test binary in target/<profile>/deps
/// (cargo only copies it up to target/<profile> on `cargo build`).
pub fn cdylib() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().expect("test binary in target/<profile>/deps");
    let lib = deps.join("libzmq.so");
    assert!(lib.exists(), "{} not built", lib.display());
    lib
}

/// A directory holding `libzmq.so.5` -> our cdylib, for LD_LIBRARY_PATH.
pub fn soname_dir(dir: &Path) -> PathBuf {
    let libdir = dir.join("lib");
    std::fs::create_dir_all(&libdir).unwrap();
    let link = libdir.join("libzmq.so.5");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(cdylib(), &link).unwrap();
    libdir
}

/// The real libzmq (Debian's libzmq5), for tests that compare with it.
pub const REFERENCE: &str = "/usr/lib/x86_64-linux-gnu/libzmq.so.5";

/// Compiles tests/c/NAME.c with `compiler` against our header and cdylib, or against the
/// reference library when `reference` is set.
pub fn build_c(dir: &Path, name: &str, compiler: &str, reference: bool) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (lang, std) = if compiler == "g++" { ("c++", "-std=c++11") } else { ("c", "-std=gnu99") };
    let exe = dir.join(format!("{name}_{compiler}{}", if reference { "_reference" } else { "" }));
    let mut cmd = Command::new(compiler);
    cmd.args([std, "-Wall", "-Wextra", "-Werror", "-pthread", "-g", "-x", lang]).arg("-I").arg(root.join("tests/c"));
    if reference {
        cmd.args(["-DREFERENCE_LIBZMQ", "-I/usr/include"]);
    } else {
        cmd.arg("-I").arg(root.join("include"));
    }
    cmd.arg(root.join(format!("tests/c/{name}.c"))).args(["-x", "none"]);
    cmd.arg(if reference { PathBuf::from(REFERENCE) } else { cdylib() });
    run(cmd.args(["-ldl", "-o"]).arg(&exe));
    exe
}

/// Whether the real libzmq (library and header) is installed to compare with.
pub fn have_reference() -> bool {
    Path::new(REFERENCE).exists() && Path::new("/usr/include/zmq.h").exists()
}
