//! Subscriptions: the Subscriptions table against a counting model, and XPUB/XSUB/SUB
//! sockets over inproc driven by the input: raw XSUB subscription messages (1/0 + topic or
//! anything else), ZMQ_SUBSCRIBE/UNSUBSCRIBE on a SUB, XPUB options (verbose, manual) and
//! publishing. Checks: the table matches the model; a SUB only ever receives messages
//! that match what it is subscribed to at that moment.
//! Input: byte 0 XPUB options, then steps (an op byte and a length-prefixed topic).
#![no_main]

use zmq::constants::*;
use std::collections::HashMap;

use fuzz_support::Input;
use libfuzzer_sys::fuzz_target;
use zmq::ctx::Ctx;
use zmq::msg::Msg;

use zmq::socket::subscriptions::Subscriptions;


fn set_int(s: &mut zmq::socket::Socket, opt: i32, v: i32) {
    s.set_option(opt, Some(&v.to_ne_bytes())).unwrap();
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let opts = input.u8();

    let ctx = Ctx::new();
    let mut xpub = ctx.socket(ZMQ_XPUB).unwrap();
    let mut xsub = ctx.socket(ZMQ_XSUB).unwrap();
    let mut sub = ctx.socket(ZMQ_SUB).unwrap();
    for s in [&mut xpub, &mut xsub, &mut sub] {
        set_int(s, ZMQ_LINGER, 0);
    }
    set_int(&mut xpub, ZMQ_XPUB_VERBOSE, (opts & 1) as i32);
    set_int(&mut xpub, ZMQ_XPUB_VERBOSER, (opts >> 1 & 1) as i32);
    set_int(&mut xpub, ZMQ_XPUB_MANUAL, (opts >> 2 & 1) as i32);
    xpub.bind("inproc://fuzz").unwrap();
    xsub.connect("inproc://fuzz").unwrap();
    sub.connect("inproc://fuzz").unwrap();

    let mut table = Subscriptions::default();
    let mut model: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut sub_topics: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut steps = 0;
    while !input.is_empty() && steps < 64 {
        steps += 1;
        let op = input.u8();
        let topic = input.chunk();
        match op % 9 {
            0 => {
                let fresh = table.add(topic);
                let n = model.entry(topic.to_vec()).or_default();
                assert_eq!(fresh, *n == 0);
                *n += 1;
            }
            1 => {
                let gone = table.remove(topic);
                match model.get_mut(topic) {
                    Some(n) => {
                        *n -= 1;
                        assert_eq!(gone, *n == 0);
                        if *n == 0 {
                            model.remove(topic);
                        }
                    }
                    None => assert!(!gone),
                }
            }
            2 => {
                let any = model.keys().any(|t| topic.starts_with(t));
                assert_eq!(table.matches(topic), any);
                assert_eq!(table.contains(topic), model.contains_key(topic));
            }
            3 => {
                let _ = xsub.send(&mut Msg::from_slice(topic), ZMQ_DONTWAIT);
            }
            4 => {
                sub.set_option(ZMQ_SUBSCRIBE, Some(topic)).unwrap();
                *sub_topics.entry(topic.to_vec()).or_default() += 1;
            }
            5 => {
                sub.set_option(ZMQ_UNSUBSCRIBE, Some(topic)).unwrap();
                if let Some(n) = sub_topics.get_mut(topic) {
                    *n -= 1;
                    if *n == 0 {
                        sub_topics.remove(topic);
                    }
                }
            }
            6 => {
                let _ = xpub.send(&mut Msg::from_slice(topic), ZMQ_DONTWAIT);
            }
            7 => {
                // In manual mode the application subscribes pipes itself.
                let _ = xpub.set_option(if op & 0x10 != 0 { ZMQ_SUBSCRIBE } else { ZMQ_UNSUBSCRIBE }, Some(topic));
            }
            _ => {}
        }
        while xpub.recv(ZMQ_DONTWAIT).is_ok() {}
        while xsub.recv(ZMQ_DONTWAIT).is_ok() {}
        while let Ok(m) = sub.recv(ZMQ_DONTWAIT) {
            assert!(sub_topics.keys().any(|t| m.data().starts_with(t)), "SUB got a message it is not subscribed to");
        }
    }
    let mut want: Vec<Vec<u8>> = model.keys().cloned().collect();
    want.sort();
    assert_eq!(table.topics(), want, "the table holds exactly the model's topics, in byte order");
    drop((xpub, xsub, sub));
    ctx.terminate();
});
