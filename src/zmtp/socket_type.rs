//! Socket types as they appear on the wire: the numbers in zmq.h (sent as one byte in the
//! ZMTP 1.0/2.0 greeting) and the names in the ZMTP 3.x "Socket-Type" property.

pub use crate::socket::kind::*;

/// Indexed by the zmq.h value.
const NAMES: [&str; 21] = [
    "PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM",
    "SERVER", "CLIENT", "RADIO", "DISH", "GATHER", "SCATTER", "DGRAM", "PEER", "CHANNEL",
];

/// The wire name of a socket type, None for a value zmq.h does not define.
pub fn name(socket_type: i32) -> Option<&'static str> {
    usize::try_from(socket_type).ok().and_then(|i| NAMES.get(i).copied())
}

/// The socket type a wire name stands for. Exact, case-sensitive match, as libzmq.
pub fn from_name(name: &[u8]) -> Option<i32> {
    NAMES.iter().position(|n| n.as_bytes() == name).map(|i| i as i32)
}

/// Whether a socket of type `ours` may talk to a peer announcing `peer` (libzmq 4.3's
/// table; STREAM never speaks ZMTP, so nothing is compatible with it).
pub fn compatible(ours: i32, peer: i32) -> bool {
    let allowed: &[i32] = match ours {
        PAIR => &[PAIR],
        PUB | XPUB => &[SUB, XSUB],
        SUB | XSUB => &[PUB, XPUB],
        REQ => &[REP, ROUTER],
        REP => &[REQ, DEALER],
        DEALER => &[REP, DEALER, ROUTER],
        ROUTER => &[REQ, DEALER, ROUTER],
        PUSH => &[PULL],
        PULL => &[PUSH],
        SERVER => &[CLIENT],
        CLIENT => &[SERVER],
        RADIO => &[DISH],
        DISH => &[RADIO],
        GATHER => &[SCATTER],
        SCATTER => &[GATHER],
        DGRAM => &[DGRAM],
        PEER => &[PEER],
        CHANNEL => &[CHANNEL],
        _ => &[],
    };
    allowed.contains(&peer)
}

/// libzmq 4.3 puts an "Identity" property in READY only for these types (even when the
/// routing id is empty); other types never announce one.
pub fn announces_identity(socket_type: i32) -> bool {
    matches!(socket_type, REQ | DEALER | ROUTER)
}

/// PUB/XPUB peers of an unversioned (ZMTP 1.0) peer get a phantom subscribe-to-all,
/// because such peers never send subscriptions upstream.
pub fn wants_phantom_subscription(socket_type: i32) -> bool {
    matches!(socket_type, PUB | XPUB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in PAIR..=CHANNEL {
            assert_eq!(from_name(name(t).unwrap().as_bytes()), Some(t));
        }
        assert_eq!(name(21), None);
        assert_eq!(name(-1), None);
        assert_eq!(from_name(b"dealer"), None, "names are case-sensitive");
    }

    #[test]
    fn table_is_symmetric() {
        for a in PAIR..=CHANNEL {
            for b in PAIR..=CHANNEL {
                assert_eq!(compatible(a, b), compatible(b, a), "{a} vs {b}");
            }
        }
        assert!(!compatible(STREAM, STREAM));
        assert!(!compatible(REQ, REQ));
    }
}
