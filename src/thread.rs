//! Threads the library starts (I/O threads, zmq_threadstart's): they block every signal
//! from their first instruction, as libzmq's background threads do, so a process-directed
//! signal (SIGINT, SIGTERM, SIGALRM) always lands on an application thread, where it
//! interrupts a blocking call (EINTR) and its handler runs.

use std::thread::{Builder, JoinHandle};

/// Spawns a thread with every signal blocked: the mask is set in the calling thread around
/// the spawn (a new thread inherits it), so there is no window in which the new thread
/// could take a signal.
pub fn spawn_blocking_signals<F, T>(builder: Builder, f: F) -> std::io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // SAFETY: sigfillset and pthread_sigmask on local, fully initialised signal sets; the
    // previous mask is restored before returning.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let handle = builder.spawn(f);
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        handle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked_signals() -> u64 {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("SigBlk:")).unwrap();
        u64::from_str_radix(line["SigBlk:".len()..].trim(), 16).unwrap()
    }

    #[test]
    fn spawned_threads_block_signals_and_the_caller_keeps_its_mask() {
        let before = blocked_signals();
        let theirs = spawn_blocking_signals(Builder::new(), blocked_signals).unwrap().join().unwrap();
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGALRM, libc::SIGHUP, libc::SIGUSR1] {
            assert_ne!(theirs & (1 << (sig - 1)), 0, "signal {sig} not blocked: {theirs:x}");
        }
        assert_eq!(blocked_signals(), before);
    }
}
