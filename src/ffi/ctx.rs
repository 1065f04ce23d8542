//! zmq_ctx_* and the old zmq_init/zmq_term.

use super::{guard, guard_ptr};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Contexts created and not yet terminated: when the last one ends, the library's global
/// state goes too (see `release_global_state`).
static LIVE_CONTEXTS: AtomicUsize = AtomicUsize::new(0);

const CTX_TAG: u32 = 0xabad_cafe;
const DEAD_TAG: u32 = 0xdead_cafe;

/// What a `void *context` points to.
#[repr(C)]
pub(crate) struct CtxHandle {
    tag: u32,
    pub ctx: Arc<Ctx>,
}

pub(crate) unsafe fn ctx_ref<'a>(p: *mut c_void) -> Result<&'a CtxHandle> {
    if p.is_null() || (p as usize) % std::mem::align_of::<CtxHandle>() != 0 {
        return Err(Error::FAULT);
    }
    let h = p as *const CtxHandle;
    if std::ptr::read(h as *const u32) != CTX_TAG {
        return Err(Error::FAULT);
    }
    Ok(&*h)
}

#[no_mangle]
pub extern "C" fn zmq_ctx_new() -> *mut c_void {
    guard_ptr(|| {
        let h = Box::into_raw(Box::new(CtxHandle { tag: CTX_TAG, ctx: Ctx::new() }));
        LIVE_CONTEXTS.fetch_add(1, Ordering::SeqCst);
        crate::msg::recycling_context_started();
        Ok(h as *mut c_void)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_term(context: *mut c_void) -> c_int {
    guard(|| {
        let h = ctx_ref(context)?;
        h.ctx.terminate();
        let h = context as *mut CtxHandle;
        (*h).tag = DEAD_TAG;
        drop(Box::from_raw(h));
        crate::msg::recycling_context_ended();
        if LIVE_CONTEXTS.fetch_sub(1, Ordering::SeqCst) == 1 {
            release_global_state();
        }
        Ok(0)
    })
}

/// The last context is gone, so is every socket: free what the library keeps between
/// calls, so a program that terminates its contexts leaves nothing allocated behind
/// (valgrind's "still reachable", as with libzmq). The message recycling pool counts the
/// contexts itself (`recycling_context_started`/`_ended` above) and empties with the last.
fn release_global_state() {
    super::socket::free_closed_handles();
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_shutdown(context: *mut c_void) -> c_int {
    guard(|| {
        ctx_ref(context)?.ctx.shutdown();
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_set(context: *mut c_void, option: c_int, optval: c_int) -> c_int {
    guard(|| {
        ctx_ref(context)?.ctx.set(option, optval)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_get(context: *mut c_void, option: c_int) -> c_int {
    guard(|| ctx_ref(context)?.ctx.get(option))
}

/// Sets a context option of any type (e.g. ZMQ_THREAD_NAME_PREFIX as a string). DRAFT.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_set_ext(
    context: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: usize,
) -> c_int {
    guard(|| {
        let ctx = ctx_ref(context)?;
        let value = super::option_value(optval, optvallen)?;
        ctx.ctx.set_ext(option, value.unwrap_or(&[]))?;
        Ok(0)
    })
}

/// Reads a context option of any type into `optval` (`*optvallen` bytes). DRAFT.
#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_get_ext(
    context: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut usize,
) -> c_int {
    guard(|| {
        let ctx = ctx_ref(context)?;
        let out = super::option_buffer(optval, optvallen)?;
        *optvallen = ctx.ctx.get_ext(option, out)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_init(io_threads: c_int) -> *mut c_void {
    if io_threads < 0 {
        super::set_errno(libc::EINVAL);
        return std::ptr::null_mut();
    }
    let ctx = zmq_ctx_new();
    if !ctx.is_null() {
        // SAFETY: ctx was just created by zmq_ctx_new.
        unsafe { zmq_ctx_set(ctx, 1 /* ZMQ_IO_THREADS */, io_threads) };
    }
    ctx
}

#[no_mangle]
pub unsafe extern "C" fn zmq_term(context: *mut c_void) -> c_int {
    zmq_ctx_term(context)
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_destroy(context: *mut c_void) -> c_int {
    zmq_ctx_term(context)
}
