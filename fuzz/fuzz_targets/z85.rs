//! Z85 (RFC 32), as zmq_z85_decode/zmq_z85_encode and the CURVE key options use it.
//! Checks: whatever decodes encodes back to the same text (up to a NUL), whatever encodes
//! decodes back, and decode_into never writes past a short destination.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zmq::z85;

fuzz_target!(|data: &[u8]| {
    if let Some(bytes) = z85::decode(data) {
        let text = match data.iter().position(|&b| b == 0) {
            Some(nul) => &data[..nul],
            None => data,
        };
        assert_eq!(z85::encode(&bytes).expect("multiple of 4").as_bytes(), text);
    }
    // Empty text is refused (libzmq wants at least one group), though empty data encodes.
    if let Some(text) = z85::encode(data).filter(|t| !t.is_empty()) {
        assert_eq!(z85::decode(text.as_bytes()).as_deref(), Some(data));
    }
    // A destination of every size up to the decoded length.
    let mut dest = vec![0u8; (data.len() / 5 * 4).min(64)];
    for len in [0, dest.len() / 2, dest.len()] {
        if let Some(n) = z85::decode_into(&mut dest[..len], data) {
            assert!(n <= len);
        }
    }
});
