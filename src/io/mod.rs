//! I/O threads (placeholder until the mio engine lands).
use crate::error::Result;
use crate::pipe::PipeId;

pub struct IoPool;

impl IoPool {
    pub fn start(_n: usize) -> Result<IoPool> {
        Ok(IoPool)
    }
    pub fn stop(&self) {}
}

pub struct EndpointHandle;

impl EndpointHandle {
    pub fn is_bind(&self) -> bool {
        false
    }
    pub fn close(self) -> Vec<PipeId> {
        Vec::new()
    }
    pub fn release(self, _linger: i32) {}
}
