//! Debian's pyzmq on our library: a signal interrupts a blocked `recv()` the way it does on
//! libzmq (pyzmq sees EINTR and runs the Python handler): SIGALRM's handler raises, and
//! SIGINT from outside raises KeyboardInterrupt. The process has I/O threads (tcp), so a
//! signal that landed on one of them would leave recv blocked. Runs on libzmq too.

mod common;

use common::{have_reference, soname_dir, tmp_dir, REFERENCE};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const PYTHON: &str = "/usr/bin/python3";

const SCRIPT: &str = r#"
import os, signal, sys, time
import zmq

expected = os.path.realpath(sys.argv[1])
maps = open("/proc/self/maps").read()
assert expected in maps, "libzmq.so.5 mapped is not " + expected

class Alarm(Exception):
    pass

def on_alarm(sig, frame):
    raise Alarm()

ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
port = pull.bind_to_random_port("tcp://127.0.0.1")
push = ctx.socket(zmq.PUSH)
push.connect("tcp://127.0.0.1:%d" % port)

signal.signal(signal.SIGALRM, on_alarm)
# A parent that ignored SIGINT (a background job of a non-interactive shell, nohup
# setsid ...) passes that on through exec, and Python then installs no handler: install
# Python's own, so the SIGINT below tests the library, not the launcher.
signal.signal(signal.SIGINT, signal.default_int_handler)
for i in range(3):
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    start = time.time()
    try:
        pull.recv()
        print("FAIL: recv returned", flush=True)
    except Alarm:
        print("alarm raised after %.2f s" % (time.time() - start), flush=True)

# Nothing lost: a message sent now arrives.
push.send(b"after")
assert pull.recv() == b"after"

print("waiting for SIGINT", flush=True)
try:
    pull.recv()
    print("FAIL: recv returned", flush=True)
except KeyboardInterrupt:
    print("KeyboardInterrupt raised", flush=True)
pull.close(0)
push.close(0)
print("closed", flush=True)
ctx.term()
print("done", flush=True)
"#;

fn run(libdir: &Path, lib: &Path) -> String {
    let mut child = Command::new(PYTHON)
        .args(["-c", SCRIPT])
        .arg(lib)
        .env("LD_LIBRARY_PATH", libdir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run python3");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    // A recv that is never interrupted would block the test: kill the child after 20 s.
    // (Every line the script prints is flushed, so the output shows where a killed child
    // was: in recv, in close or in term.)
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let pid = child.id() as i32;
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(20)).is_err() {
            // SAFETY: plain kill(2); the child is not reaped before `done` is sent.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        text.push_str(&line);
        if line.starts_with("waiting for SIGINT") {
            std::thread::sleep(Duration::from_millis(300));
            // SAFETY: plain kill(2) to our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        }
    }
    let _ = done.send(());
    watchdog.join().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "python exited with {status}:\n{text}");
    text
}

fn check(out: &str) {
    assert_eq!(out.matches("alarm raised").count(), 3, "{out}");
    assert!(out.contains("KeyboardInterrupt raised") && out.contains("done") && !out.contains("FAIL"), "{out}");
}

#[test]
fn pyzmq_recv_is_interrupted_by_signals() {
    let has_pyzmq = Command::new(PYTHON).args(["-c", "import zmq"]).output().is_ok_and(|o| o.status.success());
    if !has_pyzmq {
        eprintln!("skipped: Debian's python3-zmq is not installed");
        return;
    }
    let dir = tmp_dir("pyzmq_signals");
    let libdir = soname_dir(&dir);
    check(&run(&libdir, &libdir.join("libzmq.so.5")));
    if have_reference() {
        let reference = Path::new(REFERENCE);
        check(&run(reference.parent().unwrap(), reference));
    }
}
