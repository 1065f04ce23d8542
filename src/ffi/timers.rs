//! zmq_timers_*: repeating callback timers driven by the application's own loop
//! (zmq_timers_timeout tells how long to sleep, zmq_timers_execute runs what is due).
//! Not thread-safe, as documented: a handle is used from one thread at a time.

use super::types::TimerFnPtr;
use super::{guard, guard_or, guard_ptr};
use crate::error::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::ffi::{c_int, c_long, c_void};
use std::time::Instant;

const LIVE: u32 = 0x7469_6d72; // "timr"
const DEAD: u32 = 0xdead_7469;

type Handler = unsafe extern "C" fn(c_int, *mut c_void);

struct Timer {
    interval_ms: u64,
    handler: Handler,
    arg: *mut c_void,
    /// This timer's key in `Timers::queue`.
    due: (u64, u64),
}

/// A timer set. `tag` comes first so a handle can be checked by reading 4 bytes, as libzmq
/// does (its tests pass the address of a `void *` variable and expect EFAULT).
#[repr(C)]
pub struct Timers {
    tag: u32,
    last_id: c_int,
    seq: u64,
    epoch: Instant,
    /// (due time in ns since `epoch`, insertion sequence) -> timer id; ordered by expiry,
    /// ties in insertion order.
    queue: BTreeMap<(u64, u64), c_int>,
    timers: HashMap<c_int, Timer>,
}

impl Default for Timers {
    fn default() -> Self {
        Timers::new()
    }
}

impl Timers {
    pub fn new() -> Timers {
        Timers {
            tag: LIVE,
            last_id: 0,
            seq: 0,
            epoch: Instant::now(),
            queue: BTreeMap::new(),
            timers: HashMap::new(),
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// Queues timer `id` to fire `interval_ms` after `now`; returns its queue key.
    fn schedule(&mut self, id: c_int, now: u64, interval_ms: u64) -> (u64, u64) {
        self.seq += 1;
        let key = (now.saturating_add(interval_ms.saturating_mul(1_000_000)), self.seq);
        self.queue.insert(key, id);
        key
    }

    /// Registers a timer; returns its id (ids start at 1).
    pub fn add(&mut self, interval_ms: usize, handler: TimerFnPtr, arg: *mut c_void) -> Result<c_int> {
        let handler = handler.ok_or(Error::FAULT)?;
        let mut id = self.last_id;
        loop {
            id = id.checked_add(1).unwrap_or(1);
            if !self.timers.contains_key(&id) {
                break;
            }
        }
        self.last_id = id;
        let interval_ms = interval_ms as u64;
        let due = self.schedule(id, self.now(), interval_ms);
        self.timers.insert(id, Timer { interval_ms, handler, arg, due });
        Ok(id)
    }

    pub fn cancel(&mut self, id: c_int) -> Result<()> {
        let timer = self.timers.remove(&id).ok_or(Error::INVAL)?;
        self.queue.remove(&timer.due);
        Ok(())
    }

    /// Changes the interval and restarts the timer from now.
    pub fn set_interval(&mut self, id: c_int, interval_ms: usize) -> Result<()> {
        self.timers.get_mut(&id).ok_or(Error::INVAL)?.interval_ms = interval_ms as u64;
        self.reset(id)
    }

    /// Restarts the timer: next expiry is one interval from now.
    pub fn reset(&mut self, id: c_int) -> Result<()> {
        let now = self.now();
        let (old_due, interval) = match self.timers.get(&id) {
            Some(t) => (t.due, t.interval_ms),
            None => return Err(Error::INVAL),
        };
        self.queue.remove(&old_due);
        let due = self.schedule(id, now, interval);
        self.timers.get_mut(&id).expect("checked above").due = due;
        Ok(())
    }

    /// Milliseconds until the next expiry (rounded up, so sleeping that long is enough), 0 if
    /// one is overdue; None without timers.
    pub fn timeout_ms(&self) -> Option<u64> {
        let (&(due, _), _) = self.queue.first_key_value()?;
        Some(due.saturating_sub(self.now()).div_ceil(1_000_000))
    }

    /// The ids due at `now`, in expiry order.
    fn due_at(&self, now: u64) -> Vec<c_int> {
        self.queue.range(..=(now, u64::MAX)).map(|(_, &id)| id).collect()
    }

    /// If timer `id` still exists and is due, reschedules it one interval after `now` and
    /// returns its callback.
    fn fire(&mut self, id: c_int, now: u64) -> Option<(Handler, *mut c_void)> {
        let t = self.timers.get(&id)?;
        if t.due.0 > now {
            return None;
        }
        let (old_due, interval, handler, arg) = (t.due, t.interval_ms, t.handler, t.arg);
        self.queue.remove(&old_due);
        let due = self.schedule(id, now, interval);
        self.timers.get_mut(&id).expect("checked above").due = due;
        Some((handler, arg))
    }

    /// Runs the callbacks of all timers due now, each at most once per call (so a 0 ms
    /// timer cannot spin forever). Callbacks may use this timer set (add, cancel, reset...),
    /// so no Rust reference to it is held while one runs.
    ///
    /// # Safety
    /// `this` must point to a live `Timers`; callbacks must not destroy it.
    pub unsafe fn execute(this: *mut Timers) {
        let now = (*this).now();
        let due = (*this).due_at(now);
        for id in due {
            // Re-check: an earlier callback may have cancelled or reset this timer.
            let fire = (*this).fire(id, now);
            if let Some((handler, arg)) = fire {
                handler(id, arg);
            }
        }
    }
}

/// Checks a handle from C: non-null and tagged live (EFAULT otherwise).
unsafe fn check(timers: *mut c_void) -> Result<*mut Timers> {
    if timers.is_null() || std::ptr::read_unaligned(timers as *const u32) != LIVE {
        return Err(Error::FAULT);
    }
    Ok(timers as *mut Timers)
}

/// Creates a timer set.
#[no_mangle]
pub extern "C" fn zmq_timers_new() -> *mut c_void {
    guard_ptr(|| Ok(Box::into_raw(Box::new(Timers::new())) as *mut c_void))
}

/// Destroys a timer set and sets `*timers_p` to NULL.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_destroy(timers_p: *mut *mut c_void) -> c_int {
    guard(|| {
        let slot = super::non_null_mut(timers_p)?;
        let timers = check(*slot)?;
        (*timers).tag = DEAD;
        drop(Box::from_raw(timers));
        *slot = std::ptr::null_mut();
        Ok(0)
    })
}

/// Adds a timer firing every `interval` ms; returns its id.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_add(
    timers: *mut c_void,
    interval: usize,
    handler: TimerFnPtr,
    arg: *mut c_void,
) -> c_int {
    guard(|| (*check(timers)?).add(interval, handler, arg))
}

/// Cancels a timer (EINVAL if unknown or already cancelled).
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_cancel(timers: *mut c_void, timer_id: c_int) -> c_int {
    guard(|| (*check(timers)?).cancel(timer_id).map(|_| 0))
}

/// Changes a timer's interval; the next expiry is `interval` ms from now.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_set_interval(timers: *mut c_void, timer_id: c_int, interval: usize) -> c_int {
    guard(|| (*check(timers)?).set_interval(timer_id, interval).map(|_| 0))
}

/// Restarts a timer's current interval from now.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_reset(timers: *mut c_void, timer_id: c_int) -> c_int {
    guard(|| (*check(timers)?).reset(timer_id).map(|_| 0))
}

/// Milliseconds until the next timer fires; -1 (errno EINVAL) when there is none.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_timeout(timers: *mut c_void) -> c_long {
    guard_or(-1, || {
        let ms = (*check(timers)?).timeout_ms().ok_or(Error::INVAL)?;
        Ok(c_long::try_from(ms).unwrap_or(c_long::MAX))
    })
}

/// Runs the callbacks of the timers that are due.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_execute(timers: *mut c_void) -> c_int {
    guard(|| {
        Timers::execute(check(timers)?);
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::super::errno;
    use super::*;
    use std::ptr::null_mut;
    use std::time::Duration;

    unsafe extern "C" fn count(_id: c_int, arg: *mut c_void) {
        *(arg as *mut c_int) += 1;
    }

    #[test]
    fn invalid_handles() {
        let mut none: *mut c_void = null_mut();
        unsafe {
            assert_eq!(zmq_timers_destroy(&mut none), -1);
            assert_eq!(errno(), libc::EFAULT);
            assert_eq!(zmq_timers_destroy(null_mut()), -1);
            // The address of a variable is not a timer set either.
            let not_timers = &mut none as *mut *mut c_void as *mut c_void;
            assert_eq!(zmq_timers_add(not_timers, 10, Some(count), null_mut()), -1);
            assert_eq!(errno(), libc::EFAULT);
            assert_eq!(zmq_timers_cancel(null_mut(), 1), -1);
            assert_eq!(zmq_timers_set_interval(not_timers, 1, 5), -1);
            assert_eq!(zmq_timers_reset(null_mut(), 1), -1);
            assert_eq!(zmq_timers_timeout(not_timers), -1);
            assert_eq!(zmq_timers_execute(null_mut()), -1);
            assert_eq!(errno(), libc::EFAULT);
        }
    }

    #[test]
    fn corner_cases() {
        unsafe {
            let mut t = zmq_timers_new();
            assert_eq!(zmq_timers_cancel(t, 1), -1);
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(zmq_timers_set_interval(t, 1, usize::MAX), -1);
            assert_eq!(zmq_timers_reset(t, 1), -1);
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(zmq_timers_add(t, usize::MAX, None, null_mut()), -1);
            assert_eq!(errno(), libc::EFAULT);
            let id = zmq_timers_add(t, usize::MAX, Some(count), null_mut());
            assert_eq!(id, 1);
            assert!(zmq_timers_timeout(t) > 1_000_000_000, "a huge interval saturates");
            assert_eq!(zmq_timers_execute(t), 0);
            assert_eq!(zmq_timers_cancel(t, id), 0);
            assert_eq!(zmq_timers_cancel(t, id), -1);
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(zmq_timers_timeout(t), -1);
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(zmq_timers_destroy(&mut t), 0);
            assert!(t.is_null());
        }
    }

    #[test]
    fn fire_reset_reschedule_cancel() {
        let mut fired: c_int = 0;
        let arg = &mut fired as *mut c_int as *mut c_void;
        unsafe {
            let mut t = zmq_timers_new();
            let start = Instant::now();
            let id = zmq_timers_add(t, 30, Some(count), arg);
            assert_eq!(zmq_timers_execute(t), 0);
            assert_eq!(fired, 0);
            let timeout = zmq_timers_timeout(t);
            assert!((0..=30).contains(&timeout), "{timeout}");
            // Sleep exactly the advertised timeout: the timer must then be due.
            loop {
                let ms = zmq_timers_timeout(t);
                if ms == 0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(ms as u64));
            }
            assert!(start.elapsed() >= Duration::from_millis(30), "never early");
            assert_eq!(zmq_timers_execute(t), 0);
            assert_eq!(fired, 1);
            // Repeats: next expiry one interval after that execute.
            assert!((1..=30).contains(&zmq_timers_timeout(t)) || start.elapsed() > Duration::from_millis(55));
            assert_eq!(zmq_timers_set_interval(t, id, 0), 0);
            assert_eq!(zmq_timers_timeout(t), 0);
            assert_eq!(zmq_timers_execute(t), 0);
            assert_eq!(fired, 2, "a 0 ms timer fires once per execute");
            assert_eq!(zmq_timers_set_interval(t, id, 10_000), 0);
            assert_eq!(zmq_timers_reset(t, id), 0);
            assert!(zmq_timers_timeout(t) > 9_000);
            assert_eq!(zmq_timers_cancel(t, id), 0);
            assert_eq!(zmq_timers_execute(t), 0);
            assert_eq!(fired, 2);
            assert_eq!(zmq_timers_destroy(&mut t), 0);
        }
    }

    struct Reentrant {
        timers: *mut c_void,
        victim: c_int,
        calls: c_int,
    }

    unsafe extern "C" fn cancel_other(_id: c_int, arg: *mut c_void) {
        let r = &mut *(arg as *mut Reentrant);
        r.calls += 1;
        assert_eq!(zmq_timers_cancel(r.timers, r.victim), 0);
        assert!(zmq_timers_add(r.timers, 1000, Some(count), null_mut()) > 0);
    }

    #[test]
    fn callbacks_may_use_the_timer_set() {
        unsafe {
            let mut t = zmq_timers_new();
            let mut r = Reentrant { timers: t, victim: 0, calls: 0 };
            let rp = &mut r as *mut Reentrant as *mut c_void;
            zmq_timers_add(t, 0, Some(cancel_other), rp);
            let mut victim_calls: c_int = 0;
            r.victim = zmq_timers_add(t, 0, Some(count), &mut victim_calls as *mut c_int as *mut c_void);
            assert_eq!(zmq_timers_execute(t), 0);
            assert_eq!(r.calls, 1);
            assert_eq!(victim_calls, 0, "cancelled by the first callback before its turn");
            assert_eq!(zmq_timers_destroy(&mut t), 0);
        }
    }
}
