//! Socket types as they appear on the wire: the numbers in zmq.h (sent as one byte in the
//! ZMTP 1.0/2.0 greeting) and the names in the ZMTP 3.x "Socket-Type" property.

use crate::constants::*;

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
        ZMQ_PAIR => &[ZMQ_PAIR],
        ZMQ_PUB | ZMQ_XPUB => &[ZMQ_SUB, ZMQ_XSUB],
        ZMQ_SUB | ZMQ_XSUB => &[ZMQ_PUB, ZMQ_XPUB],
        ZMQ_REQ => &[ZMQ_REP, ZMQ_ROUTER],
        ZMQ_REP => &[ZMQ_REQ, ZMQ_DEALER],
        ZMQ_DEALER => &[ZMQ_REP, ZMQ_DEALER, ZMQ_ROUTER],
        ZMQ_ROUTER => &[ZMQ_REQ, ZMQ_DEALER, ZMQ_ROUTER],
        ZMQ_PUSH => &[ZMQ_PULL],
        ZMQ_PULL => &[ZMQ_PUSH],
        ZMQ_SERVER => &[ZMQ_CLIENT],
        ZMQ_CLIENT => &[ZMQ_SERVER],
        ZMQ_RADIO => &[ZMQ_DISH],
        ZMQ_DISH => &[ZMQ_RADIO],
        ZMQ_GATHER => &[ZMQ_SCATTER],
        ZMQ_SCATTER => &[ZMQ_GATHER],
        ZMQ_DGRAM => &[ZMQ_DGRAM],
        ZMQ_PEER => &[ZMQ_PEER],
        ZMQ_CHANNEL => &[ZMQ_CHANNEL],
        _ => &[],
    };
    allowed.contains(&peer)
}

/// libzmq 4.3 puts an "Identity" property in READY only for these types (even when the
/// routing id is empty); other types never announce one.
pub fn announces_identity(socket_type: i32) -> bool {
    matches!(socket_type, ZMQ_REQ | ZMQ_DEALER | ZMQ_ROUTER)
}

/// PUB/XPUB peers of an unversioned (ZMTP 1.0) peer get a phantom subscribe-to-all,
/// because such peers never send subscriptions upstream.
pub fn wants_phantom_subscription(socket_type: i32) -> bool {
    matches!(socket_type, ZMQ_PUB | ZMQ_XPUB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in ZMQ_PAIR..=ZMQ_CHANNEL {
            assert_eq!(from_name(name(t).unwrap().as_bytes()), Some(t));
        }
        assert_eq!(name(21), None);
        assert_eq!(name(-1), None);
        assert_eq!(from_name(b"dealer"), None, "names are case-sensitive");
    }

    #[test]
    fn table_is_symmetric() {
        for a in ZMQ_PAIR..=ZMQ_CHANNEL {
            for b in ZMQ_PAIR..=ZMQ_CHANNEL {
                assert_eq!(compatible(a, b), compatible(b, a), "{a} vs {b}");
            }
        }
        assert!(!compatible(ZMQ_STREAM, ZMQ_STREAM));
        assert!(!compatible(ZMQ_REQ, ZMQ_REQ));
    }
}
