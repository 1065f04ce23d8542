//! Connection metadata through a pipe without touching one reference count from two
//! threads per message.
//!
//! Every message an I/O session decodes carries its connection's metadata (`Arc`), as in
//! libzmq. Passed as is, the writer's thread increments the count and the reader's
//! decrements it, so the count's cache line crosses cores on every message (measured:
//! 16-byte messages over tcp, the receiving process spent ~20% of its CPU on it).
//! So a pipe writes a metadata once: later messages with the same one travel without it,
//! marked `SAME_META`, and the reader gives them its own copy of the last one it saw,
//! whose count only its thread touches.
//!
//! Not on conflating pipes: the message that carried the metadata may be dropped unread.

use crate::msg::{flags, Metadata, Msg};
use std::sync::Arc;

/// The writer's side: the metadata last written with a message.
#[derive(Default)]
pub(super) struct SentMeta(Option<Arc<Metadata>>);

impl SentMeta {
    #[inline]
    pub(super) fn elide(&mut self, msg: &mut Msg, conflating: bool) {
        let Some(meta) = msg.metadata() else { return };
        if conflating {
            return;
        }
        match &self.0 {
            Some(sent) if Arc::ptr_eq(sent, meta) => {
                drop(msg.take_metadata_as_is());
                msg.set_flags(flags::SAME_META);
            }
            _ => self.0 = Some(meta.clone()),
        }
    }

    /// Give `msg` the metadata `meta` (it has none): attached when it changed, else
    /// only the `SAME_META` mark (no reference count touched).
    pub(super) fn attach(&mut self, msg: &mut Msg, meta: Option<&Arc<Metadata>>, conflating: bool) {
        let Some(meta) = meta else { return };
        match &self.0 {
            Some(sent) if !conflating && Arc::ptr_eq(sent, meta) => msg.set_flags(flags::SAME_META),
            _ => {
                if !conflating {
                    self.0 = Some(meta.clone());
                }
                msg.put_metadata_as_is(Some(meta.clone()));
            }
        }
    }

    /// Frames with the metadata were dropped before the reader could see them (an
    /// unfinished message rolled back): the next message carries it again.
    pub(super) fn forget(&mut self) {
        self.0 = None;
    }
}

/// The reader's side: the last metadata seen, and the reader's own copy of it.
#[derive(Default)]
pub(super) struct SeenMeta {
    theirs: Option<Arc<Metadata>>,
    own: Option<Arc<Metadata>>,
}

impl SeenMeta {
    /// Take `msg`'s metadata if it is our copy (a message about to be replaced gives its
    /// reference to the next one, see `Pipe::read_over`).
    #[inline]
    pub(super) fn take_own(&self, msg: &mut Msg) -> Option<Arc<Metadata>> {
        let own = self.own.as_ref()?;
        msg.metadata().is_some_and(|m| Arc::ptr_eq(m, own)).then(|| msg.take_metadata_as_is()).flatten()
    }

    /// Put the metadata back on a message that came without it (`SAME_META`), unless
    /// `wanted` is false (the caller drops the message's metadata unseen); note a new
    /// metadata either way. `spare`: a reference to our copy to use instead of a new one
    /// (see `take_own`).
    #[inline]
    pub(super) fn restore(&mut self, msg: &mut Msg, wanted: bool, spare: Option<Arc<Metadata>>) {
        if msg.flags() & flags::SAME_META != 0 {
            msg.reset_flags(flags::SAME_META);
            if !wanted {
                return;
            }
            let theirs = &self.theirs;
            let own = self.own.get_or_insert_with(|| Arc::new(theirs.as_deref().cloned().unwrap_or_default()));
            msg.put_metadata_as_is(Some(spare.unwrap_or_else(|| own.clone())));
        } else if let Some(meta) = msg.metadata() {
            if !self.theirs.as_ref().is_some_and(|t| Arc::ptr_eq(t, meta)) {
                self.theirs = Some(meta.clone());
                self.own = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> Arc<Metadata> {
        let mut m = Metadata::default();
        m.set("Socket-Type", name.as_bytes());
        Arc::new(m)
    }

    fn with(meta: &Arc<Metadata>, body: &[u8]) -> Msg {
        let mut m = Msg::from_slice(body);
        m.set_metadata(Some(meta.clone()));
        m
    }

    fn property(m: &Msg) -> Option<Vec<u8>> {
        m.metadata().and_then(|md| md.get("Socket-Type")).map(|v| v.to_bytes().to_vec())
    }

    #[test]
    fn repeated_metadata_is_sent_once_and_restored() {
        let (a, b) = (meta("A"), meta("B"));
        let (mut sent, mut seen) = (SentMeta::default(), SeenMeta::default());
        let mut out = Vec::new();
        for (md, body) in [(&a, "1"), (&a, "2"), (&a, "3"), (&b, "4"), (&b, "5"), (&a, "6")] {
            let mut m = with(md, body.as_bytes());
            sent.elide(&mut m, false);
            out.push(m);
        }
        let carried: Vec<bool> = out.iter().map(|m| m.metadata().is_some()).collect();
        assert_eq!(carried, [true, false, false, true, false, true]);
        let mut plain = Msg::from_slice(b"7");
        sent.elide(&mut plain, false);
        out.push(plain);
        let got: Vec<Option<Vec<u8>>> = out
            .into_iter()
            .map(|mut m| {
                seen.restore(&mut m, true, None);
                assert_eq!(m.flags() & flags::SAME_META, 0);
                property(&m)
            })
            .collect();
        let want = ["A", "A", "A", "B", "B", "A"].map(|s| Some(s.as_bytes().to_vec()));
        assert_eq!(&got[..6], &want[..]);
        // A message written without metadata stays without.
        assert_eq!(got[6], None);
    }

    #[test]
    fn attached_metadata_is_written_once() {
        let a = meta("A");
        let (mut sent, mut seen) = (SentMeta::default(), SeenMeta::default());
        let mut out: Vec<Msg> = (0..3).map(|i| Msg::from_slice(&[i])).collect();
        for m in &mut out {
            sent.attach(m, Some(&a), false);
        }
        assert_eq!(out.iter().map(|m| m.metadata().is_some()).collect::<Vec<_>>(), [true, false, false]);
        for m in &mut out {
            seen.restore(m, true, None);
            assert_eq!(property(m), Some(b"A".to_vec()));
        }
        let mut m = Msg::from_slice(b"c");
        sent.attach(&mut m, Some(&a), true);
        assert!(m.metadata().is_some(), "conflating pipes always carry it");
    }

    #[test]
    fn the_reader_restores_its_own_copy() {
        let a = meta("A");
        let (mut sent, mut seen) = (SentMeta::default(), SeenMeta::default());
        let (mut first, mut second) = (with(&a, b"1"), with(&a, b"2"));
        sent.elide(&mut first, false);
        sent.elide(&mut second, false);
        seen.restore(&mut first, true, None);
        seen.restore(&mut second, true, None);
        let restored = second.metadata().expect("restored").clone();
        assert!(!Arc::ptr_eq(&restored, &a), "the reader's copy, not the writer's Arc");
        assert_eq!(restored.get("Socket-Type").map(|v| v.to_bytes()), Some(&b"A"[..]));
    }

    #[test]
    fn a_message_replaced_by_the_next_hands_its_metadata_over() {
        let (a, b) = (meta("A"), meta("B"));
        let (mut sent, mut seen) = (SentMeta::default(), SeenMeta::default());
        let mut frames = [(&a, "1"), (&a, "2"), (&a, "3"), (&b, "4"), (&b, "5")].map(|(md, body)| {
            let mut m = with(md, body.as_bytes());
            sent.elide(&mut m, false);
            Some(m)
        });
        // One zmq_msg_t received into again and again, as local_thr does (`read_over`).
        let mut out = Msg::new();
        let mut receive = |out: &mut Msg, seen: &mut SeenMeta, i: usize| {
            let spare = seen.take_own(out);
            out.overwrite(frames[i].take().unwrap());
            seen.restore(out, true, spare);
        };
        receive(&mut out, &mut seen, 0);
        assert!(Arc::ptr_eq(out.metadata().unwrap(), &a), "the first frame carries the writer's");
        receive(&mut out, &mut seen, 1);
        let own = out.metadata().expect("restored").clone();
        assert!(!Arc::ptr_eq(&own, &a), "our copy");
        let counted = Arc::strong_count(&own);
        receive(&mut out, &mut seen, 2);
        assert!(Arc::ptr_eq(out.metadata().unwrap(), &own));
        assert_eq!(Arc::strong_count(&own), counted, "the reference moved over: none taken or dropped");
        // A new metadata arrives with its frame: ours is let go, B's is noted.
        receive(&mut out, &mut seen, 3);
        assert_eq!(property(&out), Some(b"B".to_vec()));
        assert_eq!(Arc::strong_count(&own), counted - 2, "neither the message nor the reader holds it");
        receive(&mut out, &mut seen, 4);
        assert_eq!(property(&out), Some(b"B".to_vec()));
        // A message that does not hold our copy gives nothing.
        let mut other = with(&a, b"x");
        assert!(seen.take_own(&mut other).is_none() && other.metadata().is_some());
    }

    #[test]
    fn a_bare_read_skips_the_metadata_but_still_notes_a_new_one() {
        let (a, b) = (meta("A"), meta("B"));
        let (mut sent, mut seen) = (SentMeta::default(), SeenMeta::default());
        let mut out: Vec<Msg> = [(&a, "1"), (&a, "2"), (&b, "3"), (&b, "4"), (&b, "5")]
            .iter()
            .map(|(md, body)| {
                let mut m = with(md, body.as_bytes());
                sent.elide(&mut m, false);
                m
            })
            .collect();
        // 1 and 3 carry theirs; 2 and 4 are read bare; 5 wants it: B's, noted from 3.
        for (i, m) in out.iter_mut().enumerate() {
            seen.restore(m, i == 4, None);
            assert_eq!(m.flags() & flags::SAME_META, 0);
        }
        assert!(out[1].metadata().is_none() && out[3].metadata().is_none());
        assert_eq!(property(&out[4]), Some(b"B".to_vec()));
    }

    #[test]
    fn conflating_and_forgotten_writes_carry_metadata() {
        let a = meta("A");
        let mut sent = SentMeta::default();
        let mut m = with(&a, b"1");
        sent.elide(&mut m, false);
        let mut m = with(&a, b"2");
        sent.elide(&mut m, true);
        assert!(m.metadata().is_some(), "conflating pipes always carry it");
        sent.forget();
        let mut m = with(&a, b"3");
        sent.elide(&mut m, false);
        assert!(m.metadata().is_some(), "after a rollback the next message carries it");
    }
}
