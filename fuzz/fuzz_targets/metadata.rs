//! Command bodies and metadata property lists: commands::parse, parse_properties (checked
//! by re-encoding: a list that parses must be exactly its properties written back),
//! apply_peer_metadata (Socket-Type compatibility, Identity) and Metadata itself.
//! Input: byte 0 our socket type; the rest is a command body and also a property list.
#![no_main]

use fuzz_support::{zmtp_socket_type, Input};
use libfuzzer_sys::fuzz_target;
use zmq::msg::Metadata;
use zmq::zmtp::commands::{self, Command};
use zmq::zmtp::mechanism::{apply_peer_metadata, PeerInfo};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let our_type = zmtp_socket_type(input.u8());
    let body = input.rest();

    match commands::parse(body) {
        Ok(Command::Ready(props)) => {
            let _ = commands::parse_properties(props);
        }
        Ok(Command::Error(reason)) => assert!(reason.len() < body.len()),
        Ok(Command::Ping { context, .. }) => assert!(commands::pong(context).len() <= 5 + 16),
        Ok(_) | Err(_) => {}
    }

    if let Some(props) = commands::parse_properties(body) {
        let mut again = Vec::new();
        for (name, value) in &props {
            commands::write_property(&mut again, name, value);
        }
        assert_eq!(again, body, "a property list is its properties written back");
        let mut md = Metadata::new();
        for (name, value) in &props {
            let name = String::from_utf8_lossy(name);
            md.set(&name, value);
            let got = md.get(&name).expect("set then get");
            assert!(value.starts_with(got.to_bytes()), "value cut at its first NUL");
        }
        assert!(md.iter().count() <= props.len());
    }

    let mut peer = PeerInfo::default();
    if apply_peer_metadata(our_type, body, &mut peer).is_ok() {
        let props = commands::parse_properties(body).expect("accepted metadata parses");
        assert_eq!(peer.properties.len(), props.len());
        if let Some(t) = peer.socket_type {
            assert!(zmq::zmtp::socket_type::compatible(our_type, t));
        }
    }
});
