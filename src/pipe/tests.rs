//! Pipes between two threads' ends: atomic multipart, HWM counts, wake-ups, conflation.

use super::*;
use std::sync::Mutex;

#[derive(Default)]
struct Log(Mutex<Vec<PipeEvent>>);
impl Notify for Log {
    fn notify(&self, ev: PipeEvent) {
        self.0.lock().unwrap().push(ev);
    }
}

fn frame(data: &[u8], more: bool) -> Msg {
    let mut m = Msg::from_slice(data);
    m.set_more(more);
    m
}

#[test]
fn multipart_is_atomic_and_hwm_counts_messages() {
    let (mut a, mut b) = pair(2, 2);
    let log = Arc::new(Log::default());
    b.set_owner(log.clone());
    assert!(b.read().is_none()); // reader now asleep
    assert!(a.check_write());
    a.write(frame(b"1", true)).unwrap();
    assert!(b.read().is_none(), "half a message must not be visible");
    a.write(frame(b"2", false)).unwrap();
    assert_eq!(log.0.lock().unwrap().len(), 1);
    assert!(a.check_write());
    a.write(frame(b"3", false)).unwrap();
    assert!(!a.check_write(), "HWM of 2 whole messages reached");
    let alog = Arc::new(Log::default());
    a.set_owner(alog.clone());
    assert_eq!(b.read().unwrap().data(), b"1");
    assert_eq!(b.read().unwrap().data(), b"2");
    assert_eq!(alog.0.lock().unwrap().as_slice(), &[PipeEvent::Writable(a.id())]);
    assert!(a.check_write());
}

/// Whether the writer `a` gets to write: `check_write` says yes, or says no and leaves
/// a `Writable` event to come back on. A "no" with no event is a writer asleep for good.
fn writer_proceeds(a: &mut Pipe, log: &Log) -> bool {
    for _ in 0..4 {
        if a.check_write() {
            return true;
        }
        let woken = std::mem::take(&mut *log.0.lock().unwrap()).contains(&PipeEvent::Writable(a.id()));
        if !woken {
            return false;
        }
    }
    false
}

#[test]
fn lowering_the_hwm_under_an_idle_reader_does_not_strand_the_writer() {
    // The reader took in 7 messages under a HWM of 10, so it published its count
    // only at 5 (the low-water mark). A HWM of 2 now must still let the writer go on:
    // the pipe is empty.
    let (mut a, mut b) = pair(10, 10);
    let alog = Arc::new(Log::default());
    a.set_owner(alog.clone());
    for i in 0..7u8 {
        assert!(a.check_write());
        a.write(frame(&[i], false)).unwrap();
    }
    for i in 0..7u8 {
        assert_eq!(b.read().unwrap().data(), &[i]);
    }
    assert!(b.read().is_none());
    a.set_hwms(2, 10);
    assert!(writer_proceeds(&mut a, &alog), "writer stalled on an empty pipe");
}

#[test]
fn a_limit_set_on_a_pipe_without_one_holds_and_reopens_as_the_reader_reads() {
    // Without a HWM the reader tells its count rarely (every UNLIMITED_MARK reads). A
    // limit set later counts from the count last told: the writer may find it reached
    // early, and the reader's next reads must then wake it, not leave it asleep.
    let (mut a, mut b) = pair(0, 0);
    let alog = Arc::new(Log::default());
    a.set_owner(alog.clone());
    for i in 0..600u32 {
        assert!(a.check_write(), "no limit yet");
        a.write(frame(&i.to_le_bytes(), false)).unwrap();
    }
    for i in 0..500u32 {
        assert_eq!(b.read().unwrap().data(), &i.to_le_bytes());
    }
    a.set_hwms(10, 0);
    // 100 are unread, over the new limit of 10: the writer waits...
    assert!(!a.check_write());
    let mut next = 500u32;
    let mut reopened_at = None;
    while let Some(m) = b.read() {
        assert_eq!(m.data(), &next.to_le_bytes());
        next += 1;
        if reopened_at.is_none() && writer_proceeds(&mut a, &alog) {
            reopened_at = Some(next);
        }
    }
    // ...until fewer than 10 are left unread (give or take the reader's mark of 5).
    let at = reopened_at.expect("the writer was never woken");
    assert!((590..=600).contains(&at), "writer reopened after {at} reads");
    assert!(writer_proceeds(&mut a, &alog));
}

#[test]
fn hwm_changes_never_strand_a_writer_over_a_drained_pipe() {
    // Random writes, reads and HWM changes (a small LCG keeps it reproducible). Each
    // time the reader has drained the pipe, the writer must be able to go on.
    let (mut a, mut b) = pair(4, 4);
    let alog = Arc::new(Log::default());
    a.set_owner(alog.clone());
    b.set_owner(Arc::new(Log::default()));
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut rand = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let (mut sent, mut got) = (0u64, 0u64);
    for step in 0..20_000 {
        match rand(3) {
            0 => a.set_hwms(rand(13), 4),
            1 => {
                for _ in 0..rand(16) {
                    if !a.check_write() {
                        break;
                    }
                    a.write(frame(&sent.to_le_bytes(), false)).unwrap();
                    sent += 1;
                }
            }
            _ => {
                let drain = rand(2) == 0;
                let mut n = if drain { u64::MAX } else { rand(8) };
                while n > 0 {
                    match b.read() {
                        Some(m) => {
                            assert_eq!(m.data(), &got.to_le_bytes());
                            got += 1;
                        }
                        None => break,
                    }
                    n -= 1;
                }
                if drain {
                    assert_eq!(got, sent);
                    assert!(writer_proceeds(&mut a, &alog), "writer stalled on an empty pipe at step {step}");
                }
            }
        }
    }
}

#[test]
fn close_delivers_pending_then_gone() {
    let (mut a, mut b) = pair(0, 0);
    a.write(frame(b"x", false)).unwrap();
    a.close();
    assert!(!b.peer_gone());
    assert_eq!(b.read().unwrap().data(), b"x");
    assert!(b.peer_gone());
    assert!(b.write(frame(b"y", false)).is_err());
}

#[test]
fn a_closing_writer_drops_its_unfinished_message_and_leaves_the_farewell() {
    let (mut a, mut b) = pair(0, 0);
    b.set_peer_farewell(b"bye".to_vec());
    a.write(frame(b"whole", false)).unwrap();
    a.write(frame(b"half", true)).unwrap();
    a.close();
    assert_eq!(b.read().unwrap().data(), b"whole");
    let last = b.read().unwrap();
    assert_eq!((last.data(), last.more()), (&b"bye"[..], false));
    assert!(b.read().is_none());
    assert!(b.peer_gone());
    // The other direction has no farewell, and one written to a closed reader is lost.
    b.close();
    drop(a);
}

#[test]
fn read_counts_reach_the_writer_at_multiples_of_the_mark() {
    // HWM 10: the mark is 5. A reader that runs dry after 3 reads does not publish 3
    // (the writer still has room); it tells 5, 10, ... as libzmq's does (not 8, 13).
    let (mut a, mut b) = pair(10, 10);
    for i in 0..10u8 {
        assert!(a.check_write());
        a.write(frame(&[i], false)).unwrap();
        if i == 2 {
            for _ in 0..3 {
                b.read().unwrap();
            }
            assert!(b.read().is_none());
            assert_eq!((a.unread(), b.queued_in()), (3, 3), "less than a mark stays untold");
        }
    }
    let mut read_more = |n: usize| {
        for _ in 0..n {
            b.read().unwrap();
        }
        (a.unread(), b.queued_in())
    };
    assert_eq!(read_more(1), (10, 10), "4 read: nothing told yet");
    assert_eq!(read_more(1), (5, 5), "5 read: told 5");
    assert_eq!(read_more(3), (5, 5), "8 read: still 5");
    assert_eq!(read_more(2), (0, 0), "10 read: told 10");
}

#[test]
fn unarmed_reads_do_not_ask_for_wake_ups() {
    let (mut a, mut b) = pair(0, 0);
    let log = Arc::new(Log::default());
    b.set_owner(log.clone());
    // A new pipe's reader counts as asleep: the first message wakes it.
    a.write(frame(b"1", false)).unwrap();
    assert_eq!(std::mem::take(&mut *log.0.lock().unwrap()), vec![PipeEvent::Readable(b.id())]);
    // Multipart messages come frame by frame, unarmed as armed.
    a.write(frame(b"2", true)).unwrap();
    a.write(frame(b"3", false)).unwrap();
    let got: Vec<_> = std::iter::from_fn(|| b.read_unarmed()).map(|m| m.data().to_vec()).collect();
    assert_eq!(got, vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
    // Found empty without arming: later writes wake no one (the reader comes back).
    a.write(frame(b"4", false)).unwrap();
    assert!(log.0.lock().unwrap().is_empty(), "no wake-up after an unarmed read");
    assert_eq!(b.read_unarmed().unwrap().data(), b"4");
    // An armed read that finds nothing asks for the next write's wake-up.
    assert!(b.read().is_none());
    a.write(frame(b"5", false)).unwrap();
    assert_eq!(std::mem::take(&mut *log.0.lock().unwrap()), vec![PipeEvent::Readable(b.id())]);
    assert_eq!(b.read_unarmed().unwrap().data(), b"5");
}
