//! tcp connects through a SOCKS5 proxy (ZMQ_SOCKS_PROXY, ZMQ_SOCKS_USERNAME/PASSWORD):
//! a minimal proxy in a thread checks what the client asks for and relays the bytes.

use zmq::constants::*;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use zmq::ctx::Ctx;
use zmq::msg::Msg;

use zmq::socket::Socket;

/// What the proxy saw of the handshake.
#[derive(Debug, PartialEq)]
struct Seen {
    methods: Vec<u8>,
    credentials: Option<(String, String)>,
    /// The CONNECT target as (address type, host, port).
    target: (u8, String, u16),
}

fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    s.read_exact(&mut b).unwrap();
    b
}

fn read_string(s: &mut TcpStream) -> String {
    let n = read_n(s, 1)[0] as usize;
    String::from_utf8(read_n(s, n)).unwrap()
}

/// Serve one client: answer its greeting with `method`, connect it to 127.0.0.1 at the
/// port it asks for (whatever the host), then relay until either side closes.
fn proxy(method: u8) -> (SocketAddr, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut client, _) = listener.accept().unwrap();
        let head = read_n(&mut client, 2);
        assert_eq!(head[0], 5);
        let methods = read_n(&mut client, head[1] as usize);
        client.write_all(&[5, method]).unwrap();
        let credentials = (method == 2).then(|| {
            assert_eq!(read_n(&mut client, 1), [1]);
            let user = read_string(&mut client);
            let pass = read_string(&mut client);
            client.write_all(&[1, 0]).unwrap();
            (user, pass)
        });
        let req = read_n(&mut client, 4);
        assert_eq!(&req[..3], &[5, 1, 0]);
        let host = match req[3] {
            1 => Ipv4Addr::from(<[u8; 4]>::try_from(read_n(&mut client, 4)).unwrap()).to_string(),
            3 => read_string(&mut client),
            t => panic!("address type {t}"),
        };
        let port = u16::from_be_bytes(read_n(&mut client, 2).try_into().unwrap());
        let remote = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let bound = remote.local_addr().unwrap();
        let mut reply = vec![5, 0, 0, 1, 127, 0, 0, 1];
        reply.extend_from_slice(&bound.port().to_be_bytes());
        client.write_all(&reply).unwrap();
        tx.send(Seen { methods, credentials, target: (req[3], host, port) }).unwrap();
        let (mut c2, mut r2) = (client.try_clone().unwrap(), remote.try_clone().unwrap());
        let (mut c, mut r) = (client, remote);
        thread::spawn(move || {
            let _ = std::io::copy(&mut r2, &mut c2);
        });
        let _ = std::io::copy(&mut c, &mut r);
    });
    (addr, rx)
}

fn set_int(s: &mut Socket, option: i32, v: i32) {
    s.set_option(option, Some(&v.to_ne_bytes())).unwrap();
}

fn push_server(ctx: &std::sync::Arc<Ctx>) -> (Socket, u16) {
    let mut push = ctx.socket(ZMQ_PUSH).unwrap();
    set_int(&mut push, ZMQ_LINGER, 0);
    push.bind("tcp://127.0.0.1:*").unwrap();
    let mut buf = [0u8; 256];
    let n = push.get_option(32, &mut buf).unwrap();
    let ep = String::from_utf8(buf[..n - 1].to_vec()).unwrap();
    let port = ep.rsplit(':').next().unwrap().parse().unwrap();
    (push, port)
}

fn pull_through(ctx: &std::sync::Arc<Ctx>, proxy: SocketAddr, target: &str, auth: Option<(&str, &str)>) -> Socket {
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    set_int(&mut pull, ZMQ_LINGER, 0);
    set_int(&mut pull, ZMQ_RCVTIMEO, 5000);
    pull.set_option(ZMQ_SOCKS_PROXY, Some(proxy.to_string().as_bytes())).unwrap();
    if let Some((user, pass)) = auth {
        pull.set_option(ZMQ_SOCKS_USERNAME, Some(user.as_bytes())).unwrap();
        pull.set_option(ZMQ_SOCKS_PASSWORD, Some(pass.as_bytes())).unwrap();
    }
    pull.connect(target).unwrap();
    pull
}

fn exchange(push: &mut Socket, pull: &mut Socket) {
    push.send(&mut Msg::from_slice(b"ABC"), 0).unwrap();
    push.send(&mut Msg::from_slice(b"DEF"), 0).unwrap();
    assert_eq!(pull.recv(0).unwrap().data(), b"ABC");
    assert_eq!(pull.recv(0).unwrap().data(), b"DEF");
}

#[test]
fn ip_target_without_auth() {
    let ctx = Ctx::new();
    let (mut push, port) = push_server(&ctx);
    let (proxy_addr, seen) = proxy(0);
    let mut pull = pull_through(&ctx, proxy_addr, &format!("tcp://127.0.0.1:{port}"), None);
    exchange(&mut push, &mut pull);
    let seen = seen.recv().unwrap();
    assert_eq!(seen, Seen { methods: vec![0], credentials: None, target: (1, "127.0.0.1".into(), port) });
}

#[test]
fn host_name_is_left_to_the_proxy_and_credentials_are_sent() {
    let ctx = Ctx::new();
    let (mut push, port) = push_server(&ctx);
    let (proxy_addr, seen) = proxy(2);
    let target = format!("tcp://only-the-proxy-knows.invalid:{port}");
    let mut pull = pull_through(&ctx, proxy_addr, &target, Some(("someuser", "somepass")));
    exchange(&mut push, &mut pull);
    let seen = seen.recv().unwrap();
    assert_eq!(seen.methods, vec![2]);
    assert_eq!(seen.credentials, Some(("someuser".into(), "somepass".into())));
    assert_eq!(seen.target, (3, "only-the-proxy-knows.invalid".into(), port));
}
