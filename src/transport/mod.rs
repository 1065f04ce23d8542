//! Transports (placeholder until tcp/ipc land).
use crate::ctx::mailbox::Mailbox;
use crate::ctx::{Ctx, Endpoint};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::pipe::Pipe;
use std::sync::Arc;

pub fn bind(_ctx: &Arc<Ctx>, _proto: &str, _addr: &str, _o: &Options, _mb: Arc<Mailbox>) -> Result<(Endpoint, String)> {
    Err(Error::PROTONOSUPPORT)
}

pub fn connect(_ctx: &Arc<Ctx>, _proto: &str, _addr: &str, _o: &Options, _mb: Arc<Mailbox>) -> Result<(Endpoint, Option<Pipe>)> {
    Err(Error::PROTONOSUPPORT)
}
