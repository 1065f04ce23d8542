//! Raw mode (STREAM, ROUTER_RAW): the raw engine instead of ZMTP.

// Imports: `use super::*` takes the session's own (session/mod.rs), so they are listed once.
use super::*;

impl Session {
    /// The connection is up: there is no handshake, the socket hears of it at once.
    pub(super) fn start_raw(&mut self) {
        let o = &self.setup.options;
        let stream = self.stream.as_ref();
        let properties = [
            ("Peer-Address".to_string(), stream.map(|s| s.peer_address()).unwrap_or_default().into_bytes()),
            // "__fd" is what ZMQ_SRCFD reads.
            ("__fd".to_string(), stream.map_or(-1, |s| s.raw_fd()).to_string().into_bytes()),
        ];
        let engine = RawEngine::new(o.raw_notify, &properties);
        self.meta = Some(engine.metadata().clone());
        if self.pipe.is_none() {
            self.attach_pending = Some((-1, Vec::new()));
        }
        self.stalled.extend(engine.notification());
        self.raw = Some(engine);
    }

    /// The connection is gone: what was read, then the disconnect notification, go to
    /// the socket regardless of its HWM (as libzmq's engine does on error).
    pub(super) fn end_raw(&mut self) {
        let Some(engine) = self.raw.take() else { return };
        if let Some(pipe) = self.pipe.as_mut() {
            for m in self.stalled.drain(..).chain(engine.notification()) {
                let _ = pipe.write(m);
            }
        }
    }

    pub(super) fn read_raw(&mut self) -> Result<bool, ()> {
        let (Some(stream), Some(engine)) = (self.stream.as_mut(), self.raw.as_ref()) else { return Ok(false) };
        let mut progress = false;
        for _ in 0..16 {
            match stream.read(&mut self.readbuf.writable()[..self.raw_read_size]) {
                Ok(0) => return Err(()),
                Ok(n) => {
                    progress = true;
                    self.stalled.push_back(engine.message(&self.readbuf.bytes()[..n]));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Err(()),
            }
        }
        Ok(progress)
    }

    pub(super) fn write_raw(&mut self) -> Result<bool, ()> {
        let (Some(stream), Some(engine)) = (self.stream.as_mut(), self.raw.as_mut()) else { return Ok(false) };
        if let Some(pipe) = self.pipe.as_mut() {
            while raw::Output::out_len(engine) < self.out_batch {
                // As in `write_stream`: arm the pipe's wake-up only with nothing to write.
                let next = if raw::Output::out_len(engine) > 0 { pipe.read_unarmed() } else { pipe.read() };
                let Some(msg) = next else { break };
                engine.send(&msg);
            }
        }
        raw::write_out(stream, engine).map_err(|_| ())
    }
}
