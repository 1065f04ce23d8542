//! Builds the C programs in tests/c against include/zmq.h and the cdylib and runs them with
//! LD_LIBRARY_PATH pointing at our libzmq.so.5; each program checks via dladdr that it really
//! loaded ours. When the real libzmq is installed, the same program also runs against it
//! (built with -DREFERENCE_LIBZMQ), to keep the test's expectations honest. Skipped (with a
//! note) without gcc/g++.

mod common;

use common::{build_c, have_reference, have_tools, run, soname_dir, tmp_dir, REFERENCE};
use std::process::Command;

/// Runs tests/c/NAME.c on our library (compiled by each of `compilers`) and on the
/// reference; each run must report "N passed, 0 failed".
fn check_c_program(name: &str, compilers: &[&str]) {
    if !have_tools(compilers) {
        eprintln!("skipped: {compilers:?} not found");
        return;
    }
    let dir = tmp_dir(&format!("c_api_{name}"));
    let libdir = soname_dir(&dir);
    for compiler in compilers {
        let exe = build_c(&dir, name, compiler, false);
        let out = run(Command::new(&exe).arg(libdir.join("libzmq.so.5")).env("LD_LIBRARY_PATH", &libdir));
        assert!(out.contains(" passed, 0 failed"), "{out}");
    }
    if have_reference() {
        let exe = build_c(&dir, name, "gcc", true);
        let out = run(Command::new(&exe).arg(REFERENCE).env_remove("LD_LIBRARY_PATH"));
        assert!(out.contains(" passed, 0 failed"), "against libzmq: {out}");
    }
}

#[test]
fn c_message_api() {
    check_c_program("test_msg", &["gcc", "g++"]);
}

/// Which errno wins when a call has several faults (libzmq's order of checks).
/// ZMQ_SHARED through copies, sizes and transports, as libzmq reports it.
#[test]
fn c_message_shared_flag() {
    check_c_program("test_msg_shared", &["gcc"]);
}

#[test]
fn c_errno_order() {
    check_c_program("test_errno_order", &["gcc"]);
}

/// A signal handler interrupts blocking calls (EINTR) without losing a message, and our
/// background threads block signals.
#[test]
fn c_signals_interrupt_blocking_calls() {
    check_c_program("test_signals", &["gcc"]);
}

/// Threads sharing one socket (send/send, send/recv, setsockopt/send, poll/recv, close
/// racing a send, with 2 and 4 threads): ours only (libzmq corrupts its heap), then again
/// under valgrind's memcheck when it is installed, which must report no error.
#[test]
fn c_threads_share_a_socket() {
    if !have_tools(&["gcc"]) {
        eprintln!("skipped: gcc not found");
        return;
    }
    let dir = tmp_dir("c_api_test_threads");
    let libdir = soname_dir(&dir);
    let exe = build_c(&dir, "test_threads", "gcc", false);
    let lib = libdir.join("libzmq.so.5");
    let out = run(Command::new(&exe).arg(&lib).arg("20000").env("LD_LIBRARY_PATH", &libdir));
    assert!(out.contains(" passed, 0 failed"), "{out}");
    if have_tools(&["valgrind"]) {
        // Fair scheduling: valgrind runs one thread at a time, and by default a thread
        // spinning on setsockopt can keep the others (the I/O threads) off the CPU for
        // longer than the test's send/recv timeouts on a loaded machine.
        let out = run(Command::new("valgrind")
            .args(["-q", "--error-exitcode=99", "--fair-sched=yes"])
            .arg(&exe)
            .arg(&lib)
            .arg("2000")
            .env("LD_LIBRARY_PATH", &libdir));
        assert!(out.contains(" passed, 0 failed"), "{out}");
    } else {
        eprintln!("valgrind not installed: ran without it");
    }
}

/// Blocks valgrind says are still allocated when the program exits ("in use at exit").
fn valgrind_in_use_at_exit(cmd: &mut Command) -> (u64, u64, String) {
    let out = cmd.output().expect("run valgrind");
    let report = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && report.contains(" passed, 0 failed"), "{report}");
    let line = report.lines().find(|l| l.contains("in use at exit:")).unwrap_or_else(|| panic!("{report}"));
    let nums: Vec<u64> = line
        .split("in use at exit:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .filter_map(|w| w.replace(',', "").parse().ok())
        .collect();
    (nums[0], nums[1], report)
}

/// A program that creates a context and sockets, sends messages of every kind over tcp,
/// ipc and inproc (PUSH/PULL, PUB/SUB), closes them and terminates the context leaves
/// nothing allocated (as with libzmq), also when it does all that twice, one context after
/// the other, and when it closes a message after the last zmq_ctx_term. Valgrind treats
/// anything still allocated at exit, even reachable, as an error (exit code 3).
#[test]
fn c_clean_exit_under_valgrind() {
    if !have_tools(&["gcc", "valgrind"]) {
        eprintln!("skipped: gcc or valgrind not found");
        return;
    }
    let dir = tmp_dir("c_api_test_clean_exit");
    let libdir = soname_dir(&dir);
    let exe = build_c(&dir, "test_clean_exit", "gcc", false);
    let lib = libdir.join("libzmq.so.5");
    let valgrind = |exe: &std::path::Path, lib: &std::path::Path, mode: &str, libdir: Option<&std::path::Path>| {
        let mut cmd = Command::new("valgrind");
        cmd.args(["--leak-check=full", "--show-reachable=yes", "--errors-for-leak-kinds=all", "--error-exitcode=3"]);
        cmd.arg(exe).arg(lib).arg(mode).current_dir(&dir); // ipc endpoints are relative paths
        match libdir {
            Some(d) => cmd.env("LD_LIBRARY_PATH", d),
            None => cmd.env_remove("LD_LIBRARY_PATH"),
        };
        valgrind_in_use_at_exit(&mut cmd)
    };
    for mode in ["plain", "traffic", "twice"] {
        let (bytes, blocks, report) = valgrind(&exe, &lib, mode, Some(&libdir));
        assert_eq!((bytes, blocks), (0, 0), "{mode}: {report}");
    }
    if have_reference() {
        let exe = build_c(&dir, "test_clean_exit", "gcc", true);
        for mode in ["plain", "traffic", "twice"] {
            let (bytes, blocks, report) = valgrind(&exe, std::path::Path::new(REFERENCE), mode, None);
            assert_eq!((bytes, blocks), (0, 0), "libzmq, {mode}: {report}");
        }
    }
}
