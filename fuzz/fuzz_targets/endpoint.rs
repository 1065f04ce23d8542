//! Endpoint strings as zmq_bind/zmq_connect/zmq_unbind take them: "proto://address",
//! tcp addresses (bind side and source addresses only: the connect side would ask DNS,
//! and fuzzing stays off the network), ZMQ_TCP_ACCEPT_FILTER masks, ipc paths, and the
//! keys zmq_unbind/zmq_disconnect look endpoints up by.
//! Input: byte 0 options (ipv6, socket type); the rest is the endpoint (lossy UTF-8).
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use fuzz_support::{zmtp_socket_type, Input};
use libfuzzer_sys::fuzz_target;
use zmq::transport::endpoint::{self, Protocol, TcpAddressMask};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let opts = input.u8();
    let ipv6 = opts & 1 != 0;
    let uri = String::from_utf8_lossy(input.rest()).into_owned();

    let _ = endpoint::parse_for_socket(&uri, zmtp_socket_type(opts >> 1));
    let _ = endpoint::term_endpoint_key(&uri, ipv6, |k| k.len() % 2 == 0);
    if let Ok((protocol, address)) = endpoint::parse(&uri) {
        assert!(!address.is_empty());
        match protocol {
            Protocol::Tcp => {
                let _ = endpoint::check_tcp_connect_address(address);
                if let Ok(ep) = endpoint::resolve_tcp(address, true, ipv6) {
                    let printed = endpoint::tcp_endpoint_string(&ep.addr);
                    assert!(printed.starts_with("tcp://"));
                    let _ = endpoint::format_sockaddr(&socket2::SockAddr::from(ep.addr));
                }
            }
            Protocol::Ipc => {
                if let Ok(ep) = endpoint::resolve_ipc(address) {
                    assert!(ep.path().len() < endpoint::IPC_PATH_MAX);
                    let _ = ep.sock_addr();
                    let _ = ep.last_endpoint();
                }
            }
            _ => {}
        }
    }
    if let Ok(mask) = TcpAddressMask::resolve(&uri, ipv6) {
        assert!(mask.bits <= 128);
        let _ = mask.matches(&SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1));
        let _ = mask.matches(&SocketAddr::new(mask.network, 1));
    }
});
