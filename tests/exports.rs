//! The cdylib must export exactly libzmq.so.5's entry points (the 70 zmq_* functions of
//! libzmq 4.3.4 built without DRAFT API; with the `draft` feature, the DRAFT ones too), and
//! carry its soname.

mod common;

use common::{cdylib, have_tools, run};
use std::collections::BTreeSet;
use std::process::Command;

const STABLE: &[&str] = &[
    "zmq_atomic_counter_dec", "zmq_atomic_counter_destroy", "zmq_atomic_counter_inc",
    "zmq_atomic_counter_new", "zmq_atomic_counter_set", "zmq_atomic_counter_value", "zmq_bind",
    "zmq_close", "zmq_connect", "zmq_ctx_destroy", "zmq_ctx_get", "zmq_ctx_new", "zmq_ctx_set",
    "zmq_ctx_shutdown", "zmq_ctx_term", "zmq_curve_keypair", "zmq_curve_public", "zmq_device",
    "zmq_disconnect", "zmq_errno", "zmq_getsockopt", "zmq_has", "zmq_init", "zmq_msg_close",
    "zmq_msg_copy", "zmq_msg_data", "zmq_msg_get", "zmq_msg_gets", "zmq_msg_init",
    "zmq_msg_init_data", "zmq_msg_init_size", "zmq_msg_more", "zmq_msg_move", "zmq_msg_recv",
    "zmq_msg_send", "zmq_msg_set", "zmq_msg_size", "zmq_poll", "zmq_proxy",
    "zmq_proxy_steerable", "zmq_recv", "zmq_recviov", "zmq_recvmsg", "zmq_send",
    "zmq_send_const", "zmq_sendiov", "zmq_sendmsg", "zmq_setsockopt", "zmq_sleep", "zmq_socket",
    "zmq_socket_monitor", "zmq_stopwatch_intermediate", "zmq_stopwatch_start",
    "zmq_stopwatch_stop", "zmq_strerror", "zmq_term", "zmq_threadclose", "zmq_threadstart",
    "zmq_timers_add", "zmq_timers_cancel", "zmq_timers_destroy", "zmq_timers_execute",
    "zmq_timers_new", "zmq_timers_reset", "zmq_timers_set_interval", "zmq_timers_timeout",
    "zmq_unbind", "zmq_version", "zmq_z85_decode", "zmq_z85_encode",
];

#[cfg(feature = "draft")]
const DRAFT: &[&str] = &[
    "zmq_connect_peer", "zmq_ctx_get_ext", "zmq_ctx_set_ext", "zmq_join", "zmq_leave",
    "zmq_msg_group", "zmq_msg_init_buffer", "zmq_msg_routing_id", "zmq_msg_set_group",
    "zmq_msg_set_routing_id", "zmq_poller_add", "zmq_poller_add_fd", "zmq_poller_destroy",
    "zmq_poller_fd", "zmq_poller_modify", "zmq_poller_modify_fd", "zmq_poller_new",
    "zmq_poller_remove", "zmq_poller_remove_fd", "zmq_poller_size", "zmq_poller_wait",
    "zmq_poller_wait_all", "zmq_socket_get_peer_state", "zmq_socket_monitor_pipes_stats",
    "zmq_socket_monitor_versioned",
];
#[cfg(not(feature = "draft"))]
const DRAFT: &[&str] = &[];

fn exported(lib: &std::path::Path) -> BTreeSet<String> {
    run(Command::new("nm").args(["-D", "--defined-only", "--format=posix"]).arg(lib))
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn exports_exactly_the_libzmq_api() {
    if !have_tools(&["nm", "readelf"]) {
        eprintln!("skipped: binutils not found");
        return;
    }
    let lib = cdylib();
    let ours = exported(&lib);
    let expected: BTreeSet<String> = STABLE.iter().chain(DRAFT).map(|s| s.to_string()).collect();
    assert_eq!(STABLE.len(), 70);
    assert_eq!(ours, expected, "exported symbols of {}", lib.display());

    // The installed libzmq, when there is one, is the reference for the stable list.
    let reference = std::path::Path::new("/usr/lib/x86_64-linux-gnu/libzmq.so.5");
    if reference.exists() {
        let theirs: BTreeSet<String> = exported(reference).into_iter().filter(|s| !s.starts_with("_Z")).collect();
        let stable: BTreeSet<String> = STABLE.iter().map(|s| s.to_string()).collect();
        assert_eq!(theirs, stable, "libzmq's own C exports");
    }

    let dynamic = run(Command::new("readelf").arg("-d").arg(&lib));
    assert!(dynamic.contains("Library soname: [libzmq.so.5]"), "{dynamic}");
}
