//! The option table against libzmq's documented defaults, sizes and errnos.

use super::*;
use crate::z85;

fn int(v: i32) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

fn set(o: &mut Options, opt: i32, v: &[u8]) -> Result<Applied> {
    o.set(opt, Some(v))
}

fn get_i32(o: &Options, opt: i32) -> Result<i32> {
    let mut b = [0u8; 4];
    o.get(opt, &mut b)?;
    Ok(i32::from_ne_bytes(b))
}

fn get_vec(o: &Options, opt: i32, cap: usize) -> Result<Vec<u8>> {
    let mut b = vec![0xAA; cap];
    let n = o.get(opt, &mut b)?;
    b.truncate(n);
    Ok(b)
}

/// (option, default, a valid new value, an invalid value) for every plain int option.
const INTS: &[(i32, i32, i32, Option<i32>)] = &[
    (ZMQ_SNDHWM, 1000, 0, Some(-1)),
    (ZMQ_RCVHWM, 1000, 5, Some(-1)),
    (ZMQ_RATE, 100, 1, Some(0)),
    (ZMQ_RECOVERY_IVL, 10000, 0, Some(-1)),
    (ZMQ_SNDBUF, -1, 16384, Some(-2)),
    (ZMQ_RCVBUF, -1, 16384, Some(-2)),
    (ZMQ_TOS, 0, 0x28, Some(-1)),
    (ZMQ_LINGER, -1, 0, Some(-2)),
    (ZMQ_CONNECT_TIMEOUT, 0, 10, Some(-1)),
    (ZMQ_TCP_MAXRT, 0, 10, Some(-1)),
    (ZMQ_RECONNECT_STOP, 0, -5, None),
    (ZMQ_RECONNECT_IVL, 100, -1, Some(-2)),
    (ZMQ_RECONNECT_IVL_MAX, 0, 500, Some(-1)),
    (ZMQ_BACKLOG, 100, 0, Some(-1)),
    (ZMQ_MULTICAST_HOPS, 1, 2, Some(0)),
    (ZMQ_MULTICAST_MAXTPDU, 1500, 9000, Some(0)),
    (ZMQ_RCVTIMEO, -1, 0, Some(-2)),
    (ZMQ_SNDTIMEO, -1, 250, Some(-2)),
    (ZMQ_IPV6, 0, 1, Some(2)),
    (ZMQ_TCP_KEEPALIVE, -1, 1, Some(2)),
    (ZMQ_TCP_KEEPALIVE_CNT, -1, 3, Some(-2)),
    (ZMQ_TCP_KEEPALIVE_IDLE, -1, 3, Some(-2)),
    (ZMQ_TCP_KEEPALIVE_INTVL, -1, 3, Some(-2)),
    (ZMQ_IMMEDIATE, 0, 1, Some(2)),
    (ZMQ_CONFLATE, 0, 1, Some(-1)),
    (ZMQ_HANDSHAKE_IVL, 30000, 0, Some(-1)),
    (ZMQ_INVERT_MATCHING, 0, 1, None),
    (ZMQ_HEARTBEAT_IVL, 0, 100, Some(-1)),
    (ZMQ_HEARTBEAT_TTL, 0, 1200, Some(-100)),
    (ZMQ_HEARTBEAT_TIMEOUT, -1, 0, Some(-1)),
    (ZMQ_USE_FD, -1, 3, Some(-2)),
    (ZMQ_GSSAPI_PLAINTEXT, 0, 1, Some(2)),
    (ZMQ_GSSAPI_PRINCIPAL_NAMETYPE, 0, 2, Some(3)),
    (ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE, 0, 1, Some(-1)),
    (ZMQ_ZAP_ENFORCE_DOMAIN, 0, 1, None),
    (ZMQ_LOOPBACK_FASTPATH, 0, 1, None),
    (ZMQ_MULTICAST_LOOP, 1, 0, None),
];

#[test]
fn int_options_default_size_and_round_trip() {
    for &(opt, default, new, bad) in INTS {
        let mut o = Options::new(ZMQ_DEALER);
        assert_eq!(get_i32(&o, opt), Ok(default), "default of {opt}");
        // Ints need exactly 4 bytes, both ways.
        for len in [0, 1, 3, 5, 8] {
            assert_eq!(set(&mut o, opt, &vec![0; len]), Err(Error::INVAL), "set {opt} len {len}");
            assert_eq!(o.get(opt, &mut vec![0; len]), Err(Error::INVAL), "get {opt} len {len}");
        }
        assert_eq!(o.set(opt, None), Err(Error::INVAL));
        assert_eq!(set(&mut o, opt, &int(new)), Ok(Applied::Stored), "set {opt}");
        assert_eq!(get_i32(&o, opt), Ok(new), "round trip {opt}");
        if let Some(bad) = bad {
            assert_eq!(set(&mut o, opt, &int(bad)), Err(Error::INVAL), "bad value for {opt}");
            assert_eq!(get_i32(&o, opt), Ok(new), "failed set leaves {opt} alone");
        }
    }
}

#[test]
fn read_only_and_derived_ints() {
    for t in 0..=20 {
        let o = Options::new(t);
        assert_eq!(get_i32(&o, ZMQ_TYPE), Ok(t));
        assert_eq!(get_i32(&o, ZMQ_THREAD_SAFE), Ok(st::is_thread_safe(t) as i32));
        let expected_linger = if matches!(t, ZMQ_SUB | ZMQ_XSUB | ZMQ_DISH) { 0 } else { -1 };
        assert_eq!(get_i32(&o, ZMQ_LINGER), Ok(expected_linger), "type {t}");
    }
    let mut o = Options::new(ZMQ_PAIR);
    for ro in [ZMQ_TYPE, ZMQ_MECHANISM, ZMQ_THREAD_SAFE, ZMQ_LAST_ENDPOINT, ZMQ_RCVMORE, ZMQ_FD, ZMQ_EVENTS] {
        assert_eq!(set(&mut o, ro, &int(1)), Err(Error::INVAL), "{ro} is read-only");
    }
    // THREAD_SAFE takes any buffer of at least 4 bytes, zeroes the rest.
    let mut b = [0xAA; 8];
    assert_eq!(o.get(ZMQ_THREAD_SAFE, &mut b), Ok(4));
    assert_eq!(b, [0; 8]);
    assert_eq!(o.get(ZMQ_THREAD_SAFE, &mut b[..3]), Err(Error::INVAL));
    assert_eq!(get_i32(&o, ZMQ_IPV4ONLY), Ok(1));
    set(&mut o, ZMQ_IPV4ONLY, &int(0)).unwrap();
    assert_eq!(get_i32(&o, ZMQ_IPV6), Ok(1));
    assert_eq!(get_i32(&o, ZMQ_IPV4ONLY), Ok(0));
}

#[test]
fn ctx_options_shape_new_sockets() {
    let mut ctx = CtxOptions::new();
    ctx.set_int(crate::constants::ZMQ_IPV6, 1).unwrap();
    ctx.set_int(crate::constants::ZMQ_BLOCKY, 0).unwrap();
    let o = Options::with_ctx(ZMQ_PUSH, &ctx);
    assert!(o.ipv6);
    assert_eq!(o.linger, 0);
}

#[test]
fn sixty_four_bit_options() {
    let mut o = Options::new(ZMQ_PAIR);
    let mut b = [0u8; 8];
    assert_eq!(o.get(ZMQ_MAXMSGSIZE, &mut b), Ok(8));
    assert_eq!(i64::from_ne_bytes(b), -1);
    assert_eq!(o.get(ZMQ_AFFINITY, &mut b), Ok(8));
    assert_eq!(u64::from_ne_bytes(b), 0);
    assert_eq!(o.get(ZMQ_AFFINITY, &mut [0; 4]), Err(Error::INVAL));
    assert_eq!(o.get(ZMQ_MAXMSGSIZE, &mut [0; 16]), Err(Error::INVAL));
    assert_eq!(set(&mut o, ZMQ_MAXMSGSIZE, &int(5)), Err(Error::INVAL));
    assert_eq!(set(&mut o, ZMQ_MAXMSGSIZE, &(-7i64).to_ne_bytes()), Ok(Applied::Stored)); // no range check
    assert_eq!(set(&mut o, ZMQ_AFFINITY, &3u64.to_ne_bytes()), Ok(Applied::Stored));
    o.get(ZMQ_AFFINITY, &mut b).unwrap();
    assert_eq!(u64::from_ne_bytes(b), 3);
    o.get(ZMQ_MAXMSGSIZE, &mut b).unwrap();
    assert_eq!(i64::from_ne_bytes(b), -7);
}

#[test]
fn heartbeat_ttl_is_kept_in_deciseconds() {
    let mut o = Options::new(ZMQ_PAIR);
    set(&mut o, ZMQ_HEARTBEAT_TTL, &int(1299)).unwrap();
    assert_eq!(get_i32(&o, ZMQ_HEARTBEAT_TTL), Ok(1200));
    set(&mut o, ZMQ_HEARTBEAT_TTL, &int(-99)).unwrap(); // -99 / 100 == 0 in C
    assert_eq!(get_i32(&o, ZMQ_HEARTBEAT_TTL), Ok(0));
    set(&mut o, ZMQ_HEARTBEAT_TTL, &int(6_553_599)).unwrap();
    assert_eq!(get_i32(&o, ZMQ_HEARTBEAT_TTL), Ok(6_553_500));
    assert_eq!(set(&mut o, ZMQ_HEARTBEAT_TTL, &int(6_553_600)), Err(Error::INVAL));
}

#[test]
fn routing_id() {
    let mut o = Options::new(ZMQ_DEALER);
    assert_eq!(get_vec(&o, ZMQ_ROUTING_ID, 0), Ok(vec![]));
    assert_eq!(set(&mut o, ZMQ_ROUTING_ID, b""), Err(Error::INVAL));
    assert_eq!(o.set(ZMQ_ROUTING_ID, None), Err(Error::INVAL));
    assert_eq!(set(&mut o, ZMQ_ROUTING_ID, &[0u8; 256]), Err(Error::INVAL));
    assert_eq!(set(&mut o, ZMQ_ROUTING_ID, &[0u8; 255]), Ok(Applied::Stored)); // leading zero is fine here
    assert_eq!(set(&mut o, ZMQ_ROUTING_ID, b"\0abc"), Ok(Applied::Stored));
    assert_eq!(get_vec(&o, ZMQ_ROUTING_ID, 3), Err(Error::INVAL));
    let mut b = [0xAA; 6];
    assert_eq!(o.get(ZMQ_ROUTING_ID, &mut b), Ok(4));
    assert_eq!(&b, b"\0abc\0\0"); // binary, rest zeroed
}

#[test]
fn string_options() {
    // (option, max length, whether (NULL, 0) is accepted, whether an empty non-NULL is)
    let cases = [
        (ZMQ_SOCKS_PROXY, 100_000, true, false),
        (ZMQ_SOCKS_USERNAME, 255, true, true),
        (ZMQ_SOCKS_PASSWORD, 255, true, true),
        (ZMQ_PLAIN_USERNAME, 255, true, false),
        (ZMQ_PLAIN_PASSWORD, 255, true, false),
        (ZMQ_ZAP_DOMAIN, 255, false, false),
        (ZMQ_BINDTODEVICE, 16, true, false),
        (ZMQ_GSSAPI_PRINCIPAL, 255, false, false),
        (ZMQ_GSSAPI_SERVICE_PRINCIPAL, 255, false, false),
    ];
    for (opt, max, null_ok, empty_ok) in cases {
        let mut o = Options::new(ZMQ_DEALER);
        assert_eq!(get_vec(&o, opt, 10), Ok(vec![0]), "default of {opt}");
        assert_eq!(o.get(opt, &mut []), Err(Error::INVAL), "{opt} needs room for the NUL");
        assert_eq!(o.set(opt, None).is_ok(), null_ok, "{opt} (NULL, 0)");
        assert_eq!(set(&mut o, opt, b"").is_ok(), empty_ok, "{opt} empty");
        assert_eq!(set(&mut o, opt, &vec![b'a'; max]), Ok(Applied::Stored), "{opt} max");
        if max < 100_000 {
            assert_eq!(set(&mut o, opt, &vec![b'a'; max + 1]), Err(Error::INVAL), "{opt} max + 1");
        }
        assert_eq!(set(&mut o, opt, b"abcd"), Ok(Applied::Stored));
        assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL));
        let mut b = [0xAA; 8];
        assert_eq!(o.get(opt, &mut b), Ok(5));
        assert_eq!(&b, b"abcd\0\0\0\0");
    }
    let mut o = Options::new(ZMQ_DEALER);
    o.last_endpoint = "tcp://127.0.0.1:5555".into();
    assert_eq!(get_vec(&o, ZMQ_LAST_ENDPOINT, 64), Ok(b"tcp://127.0.0.1:5555\0".to_vec()));
}

#[test]
fn mechanism_follows_security_options() {
    let mut o = Options::new(ZMQ_DEALER);
    assert_eq!(get_i32(&o, ZMQ_MECHANISM), Ok(ZMQ_NULL));
    set(&mut o, ZMQ_PLAIN_SERVER, &int(1)).unwrap();
    assert_eq!((get_i32(&o, ZMQ_MECHANISM), get_i32(&o, ZMQ_PLAIN_SERVER)), (Ok(1), Ok(1)));
    set(&mut o, ZMQ_PLAIN_USERNAME, b"admin").unwrap(); // a client now
    assert_eq!((get_i32(&o, ZMQ_MECHANISM), get_i32(&o, ZMQ_PLAIN_SERVER)), (Ok(1), Ok(0)));
    o.set(ZMQ_PLAIN_PASSWORD, None).unwrap(); // back to NULL, username kept
    assert_eq!(get_i32(&o, ZMQ_MECHANISM), Ok(ZMQ_NULL));
    assert_eq!(get_vec(&o, ZMQ_PLAIN_USERNAME, 10), Ok(b"admin\0".to_vec()));
    set(&mut o, ZMQ_CURVE_SERVER, &int(1)).unwrap();
    assert_eq!((get_i32(&o, ZMQ_MECHANISM), get_i32(&o, ZMQ_CURVE_SERVER)), (Ok(2), Ok(1)));
    set(&mut o, ZMQ_CURVE_SERVER, &int(0)).unwrap();
    assert_eq!(get_i32(&o, ZMQ_MECHANISM), Ok(ZMQ_NULL));
    set(&mut o, ZMQ_GSSAPI_SERVER, &int(0)).unwrap();
    assert_eq!((get_i32(&o, ZMQ_MECHANISM), get_i32(&o, ZMQ_GSSAPI_SERVER)), (Ok(3), Ok(0)));
    assert_eq!(set(&mut o, ZMQ_PLAIN_SERVER, &int(2)), Err(Error::INVAL));
}

#[test]
fn curve_keys() {
    let key: Vec<u8> = (1..=32).collect();
    let text = z85::encode(&key).unwrap();
    for opt in [ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY, ZMQ_CURVE_SERVERKEY] {
        let mut o = Options::new(ZMQ_DEALER);
        assert_eq!(get_vec(&o, opt, 32), Ok(vec![0; 32]));
        assert_eq!(get_vec(&o, opt, 41), Ok([b"0".repeat(40), vec![0]].concat()));
        for bad_len in [0, 31, 33, 40, 42, 64] {
            assert_eq!(o.get(opt, &mut vec![0; bad_len]), Err(Error::INVAL), "get len {bad_len}");
        }
        assert_eq!(set(&mut o, opt, &key), Ok(Applied::Stored));
        assert_eq!(get_i32(&o, ZMQ_MECHANISM), Ok(ZMQ_CURVE));
        assert_eq!(get_vec(&o, opt, 32), Ok(key.clone()));
        assert_eq!(get_vec(&o, opt, 41), Ok([text.as_bytes(), b"\0"].concat()));
        let mut o = Options::new(ZMQ_DEALER);
        assert_eq!(set(&mut o, opt, text.as_bytes()), Ok(Applied::Stored)); // 40 chars
        assert_eq!(get_vec(&o, opt, 32), Ok(key.clone()));
        let mut o = Options::new(ZMQ_DEALER);
        assert_eq!(set(&mut o, opt, &[text.as_bytes(), b"\0"].concat()), Ok(Applied::Stored)); // 41
        assert_eq!(get_vec(&o, opt, 32), Ok(key.clone()));
        assert_eq!(set(&mut o, opt, &[text.as_bytes(), b"x"].concat()), Err(Error::INVAL)); // 41, no NUL
        assert_eq!(set(&mut o, opt, &"\"".repeat(40).into_bytes()), Err(Error::INVAL));
        assert_eq!(set(&mut o, opt, &key[..31]), Err(Error::INVAL));
        assert_eq!(o.set(opt, None), Err(Error::INVAL));
    }
    // A server key makes a client.
    let mut o = Options::new(ZMQ_DEALER);
    set(&mut o, ZMQ_CURVE_SERVER, &int(1)).unwrap();
    set(&mut o, ZMQ_CURVE_SERVERKEY, &key).unwrap();
    assert_eq!(get_i32(&o, ZMQ_CURVE_SERVER), Ok(0));
    // 41 bytes whose text ends early: decoded in place into the start of the key.
    let mut o = Options::new(ZMQ_DEALER);
    set(&mut o, ZMQ_CURVE_PUBLICKEY, &key).unwrap();
    let short = [&text.as_bytes()[..5], &[0u8; 36]].concat();
    assert_eq!(set(&mut o, ZMQ_CURVE_PUBLICKEY, &short), Ok(Applied::Stored));
    assert_eq!(get_vec(&o, ZMQ_CURVE_PUBLICKEY, 32), Ok(key.clone()));
}

#[test]
fn accept_and_ipc_filters() {
    let mut o = Options::new(ZMQ_ROUTER);
    assert_eq!(set(&mut o, ZMQ_TCP_ACCEPT_FILTER, b"127.0.0.1"), Ok(Applied::Stored));
    assert_eq!(set(&mut o, ZMQ_TCP_ACCEPT_FILTER, b"10.0.0.0/8"), Ok(Applied::Stored));
    assert_eq!(set(&mut o, ZMQ_TCP_ACCEPT_FILTER, b"::1"), Err(Error::INVAL)); // needs ZMQ_IPV6
    assert_eq!(set(&mut o, ZMQ_TCP_ACCEPT_FILTER, b""), Err(Error::INVAL));
    assert_eq!(o.tcp_accept_filters.len(), 2);
    set(&mut o, ZMQ_IPV6, &int(1)).unwrap();
    assert_eq!(set(&mut o, ZMQ_TCP_ACCEPT_FILTER, b"::1"), Ok(Applied::Stored));
    assert_eq!(o.get(ZMQ_TCP_ACCEPT_FILTER, &mut [0; 64]), Err(Error::INVAL)); // write-only
    assert_eq!(o.set(ZMQ_TCP_ACCEPT_FILTER, None), Ok(Applied::Stored));
    assert!(o.tcp_accept_filters.is_empty());

    for opt in [ZMQ_IPC_FILTER_UID, ZMQ_IPC_FILTER_GID, ZMQ_IPC_FILTER_PID] {
        assert_eq!(set(&mut o, opt, &int(1000)), Ok(Applied::Stored));
        assert_eq!(set(&mut o, opt, &[0; 8]), Err(Error::INVAL));
        assert_eq!(set(&mut o, opt, b""), Err(Error::INVAL));
        assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL));
    }
    assert!(o.ipc_uid_accept_filters.contains(&1000));
    o.set(ZMQ_IPC_FILTER_UID, None).unwrap();
    assert!(o.ipc_uid_accept_filters.is_empty());
}

#[test]
fn metadata() {
    let mut o = Options::new(ZMQ_DEALER);
    assert_eq!(set(&mut o, ZMQ_METADATA, b"X-key:value"), Ok(Applied::Stored));
    assert_eq!(set(&mut o, ZMQ_METADATA, b"X-key:other"), Ok(Applied::Stored));
    assert_eq!(o.metadata.get(&b"X-key"[..]), Some(&b"value".to_vec())); // first one kept
    for bad in [&b"key:value"[..], b"X-key", b"X-key:", b":X-key", b"X-:v", b"", b"x-a:b"] {
        assert_eq!(set(&mut o, ZMQ_METADATA, bad), Err(Error::INVAL), "{:?}", String::from_utf8_lossy(bad));
    }
    assert_eq!(set(&mut o, ZMQ_METADATA, b"X-a:b"), Ok(Applied::Stored));
    assert_eq!(o.get(ZMQ_METADATA, &mut [0; 64]), Err(Error::INVAL));
}

#[test]
fn pattern_options_by_socket_type() {
    let one = int(1);
    // Which types take each pattern option (everyone else: EINVAL).
    let table: &[(i32, &[i32])] = &[
        (ZMQ_ROUTER_MANDATORY, &[ZMQ_ROUTER, ZMQ_REP]),
        (ZMQ_ROUTER_RAW, &[ZMQ_ROUTER, ZMQ_REP]),
        (ZMQ_ROUTER_HANDOVER, &[ZMQ_ROUTER, ZMQ_REP]),
        (ZMQ_PROBE_ROUTER, &[ZMQ_ROUTER, ZMQ_REP, ZMQ_DEALER, ZMQ_REQ]),
        (ZMQ_REQ_CORRELATE, &[ZMQ_REQ]),
        (ZMQ_REQ_RELAXED, &[ZMQ_REQ]),
        (ZMQ_XPUB_VERBOSE, &[ZMQ_XPUB, ZMQ_PUB]),
        (ZMQ_XPUB_VERBOSER, &[ZMQ_XPUB, ZMQ_PUB]),
        (ZMQ_XPUB_MANUAL, &[ZMQ_XPUB, ZMQ_PUB]),
        (ZMQ_XPUB_MANUAL_LAST_VALUE, &[ZMQ_XPUB, ZMQ_PUB]),
        (ZMQ_XPUB_NODROP, &[ZMQ_XPUB, ZMQ_PUB, ZMQ_RADIO]),
        (ZMQ_XPUB_WELCOME_MSG, &[ZMQ_XPUB, ZMQ_PUB]),
        (ZMQ_ONLY_FIRST_SUBSCRIBE, &[ZMQ_XPUB, ZMQ_PUB, ZMQ_XSUB]),
        (ZMQ_STREAM_NOTIFY, &[ZMQ_STREAM]),
        (ZMQ_CONNECT_ROUTING_ID, &[ZMQ_ROUTER, ZMQ_REP, ZMQ_STREAM]),
        (ZMQ_SUBSCRIBE, &[ZMQ_SUB]),
        (ZMQ_UNSUBSCRIBE, &[ZMQ_SUB]),
        // Draft only: refused and unreadable here in the default build; the draft
        // build's rules are checked in tests/draft_options.rs.
        (ZMQ_ROUTER_NOTIFY, &[]),
    ];
    for &(opt, types) in table.iter().filter(|(opt, _)| !(DRAFT_API && *opt == ZMQ_ROUTER_NOTIFY)) {
        for t in 0..=20 {
            let mut o = Options::new(t);
            let r = set(&mut o, opt, &one);
            assert_eq!(r.is_ok(), types.contains(&t), "option {opt} on type {t}: {r:?}");
            // Never readable.
            assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL));
        }
    }
}

#[test]
fn pattern_option_values() {
    let mut o = Options::new(ZMQ_ROUTER);
    assert_eq!(set(&mut o, ZMQ_ROUTER_MANDATORY, &int(-1)), Err(Error::INVAL));
    assert_eq!(set(&mut o, ZMQ_ROUTER_MANDATORY, &int(7)), Ok(Applied::Stored));
    assert!(o.router_mandatory);
    assert!(o.recv_routing_id && !o.raw_socket);
    set(&mut o, ZMQ_ROUTER_RAW, &int(1)).unwrap();
    assert!(!o.recv_routing_id && o.raw_socket);
    set(&mut o, ZMQ_ROUTER_RAW, &int(0)).unwrap();
    assert!(!o.router_raw && o.raw_socket); // not undone, as libzmq
    assert_eq!(set(&mut o, ZMQ_CONNECT_ROUTING_ID, b""), Err(Error::INVAL));
    assert_eq!(o.set(ZMQ_CONNECT_ROUTING_ID, None), Err(Error::INVAL));
    assert_eq!(set(&mut o, ZMQ_CONNECT_ROUTING_ID, b"peer"), Ok(Applied::Stored));
    assert_eq!(std::mem::take(&mut o.connect_routing_id), b"peer");

    let mut o = Options::new(ZMQ_STREAM);
    assert_eq!(set(&mut o, ZMQ_STREAM_NOTIFY, &int(2)), Err(Error::INVAL)); // strict bool
    assert_eq!(set(&mut o, ZMQ_STREAM_NOTIFY, &int(0)), Ok(Applied::Stored));
    assert!(!o.raw_notify);

    let mut o = Options::new(ZMQ_REQ);
    set(&mut o, ZMQ_REQ_RELAXED, &int(1)).unwrap();
    set(&mut o, ZMQ_REQ_CORRELATE, &int(1)).unwrap();
    assert!(o.req_relaxed && o.req_correlate);

    let mut o = Options::new(ZMQ_XPUB);
    set(&mut o, ZMQ_XPUB_VERBOSER, &int(1)).unwrap();
    assert!(o.xpub_verbose_subs && o.xpub_verbose_unsubs);
    set(&mut o, ZMQ_XPUB_VERBOSE, &int(1)).unwrap();
    assert!(o.xpub_verbose_subs && !o.xpub_verbose_unsubs);
    set(&mut o, ZMQ_XPUB_NODROP, &int(1)).unwrap();
    assert!(o.xpub_nodrop);
    assert_eq!(o.set(ZMQ_XPUB_WELCOME_MSG, None), Ok(Applied::Stored));
    assert_eq!(set(&mut o, ZMQ_XPUB_WELCOME_MSG, b"hi"), Ok(Applied::Stored));
    assert_eq!(o.xpub_welcome_msg, b"hi");
    // Subscriptions reach XPUB only in manual mode.
    assert_eq!(set(&mut o, ZMQ_SUBSCRIBE, b"a"), Err(Error::INVAL));
    set(&mut o, ZMQ_XPUB_MANUAL_LAST_VALUE, &int(1)).unwrap();
    assert!(o.xpub_manual && o.xpub_send_last_pipe);
    assert_eq!(set(&mut o, ZMQ_SUBSCRIBE, b"a"), Ok(Applied::Subscribe));
    assert_eq!(o.set(ZMQ_UNSUBSCRIBE, None), Ok(Applied::Unsubscribe));

    let mut o = Options::new(ZMQ_SUB);
    assert_eq!(o.set(ZMQ_SUBSCRIBE, None), Ok(Applied::Subscribe)); // subscribe to all
    assert_eq!(set(&mut o, ZMQ_UNSUBSCRIBE, &[0; 300]), Ok(Applied::Unsubscribe));
    assert_eq!(set(&mut o, ZMQ_ONLY_FIRST_SUBSCRIBE, &int(1)), Err(Error::INVAL));
    assert_eq!(set(&mut Options::new(ZMQ_XSUB), ZMQ_SUBSCRIBE, b"a"), Err(Error::INVAL));
}

#[test]
fn unknown_and_unbuilt_options_are_einval() {
    let mut o = Options::new(ZMQ_DEALER);
    for opt in [-1, 0, 1, 2, 3, 10, 20, 26, 29, 30, 67, 82, 83, ZMQ_BLOCKY, 113, 1000] {
        assert_eq!(set(&mut o, opt, &int(1)), Err(Error::INVAL), "{opt}");
        assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL), "{opt}");
    }
    // Draft-only options in the default build (the draft build takes them: see
    // tests/draft_options.rs), and VMCI/WSS options in this build flavour. The draft build
    // has wss://: its options can be set there (never read: libzmq's getsockopt has none).
    let wss_hostname = if HAVE_WSS {
        assert_eq!(set(&mut o, ZMQ_WSS_HOSTNAME, b"example.org"), Ok(Applied::Stored));
        assert_eq!(o.wss_hostname, b"example.org");
        assert_eq!(o.get(ZMQ_WSS_HOSTNAME, &mut [0; 64]), Err(Error::INVAL));
        None
    } else {
        Some(ZMQ_WSS_HOSTNAME)
    };
    let draft_only: &[i32] = if DRAFT_API { &[] } else { &[ZMQ_IN_BATCH_SIZE, ZMQ_OUT_BATCH_SIZE, ZMQ_HELLO_MSG, ZMQ_DISCONNECT_MSG, ZMQ_PRIORITY] };
    for opt in draft_only.iter().copied().chain([ZMQ_VMCI_BUFFER_SIZE, ZMQ_VMCI_CONNECT_TIMEOUT]).chain(wss_hostname) {
        assert_eq!(set(&mut o, opt, &int(1)), Err(Error::INVAL), "{opt}");
        assert_eq!(set(&mut o, opt, &1u64.to_ne_bytes()), Err(Error::INVAL), "{opt}");
        assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL), "{opt}");
    }
    // Socket-level options are not answered here.
    for opt in SOCKET_LEVEL {
        assert_eq!(o.get(opt, &mut [0; 4]), Err(Error::INVAL));
    }
}

#[test]
fn write_int_for_socket_level_options() {
    let mut b = [0xFF; 8];
    assert_eq!(write_int(&mut b, 1), Ok(4));
    assert_eq!(b, [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(write_int(&mut b[..3], 1), Err(Error::INVAL));
}
