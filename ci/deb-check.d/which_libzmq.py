"""Run by ci/deb-check with /usr/bin/python3 and no environment: one PUSH/PULL round
trip through Debian's python3-zmq (`pyzmq`) or Debian's libczmq4 (`czmq`, via ctypes),
then print the libzmq.so.5 file /proc/self/maps shows: "libzmq: /path". Exit 1 on failure.
"""
import ctypes
import sys


def pyzmq_round_trip():
    import zmq

    ctx = zmq.Context()
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    pull.rcvtimeo = 5000
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push.connect("tcp://127.0.0.1:%d" % port)
    push.send(b"hello")
    got = pull.recv()
    ctx.destroy(linger=0)
    print("pyzmq %s on zmq_version %s: %r" % (zmq.__version__, zmq.zmq_version(), got))
    return got == b"hello"


def czmq_round_trip():
    czmq = ctypes.CDLL("libczmq.so.4")
    czmq.zsock_new_pull.restype = czmq.zsock_new_push.restype = ctypes.c_void_p
    czmq.zsock_new_pull.argtypes = czmq.zsock_new_push.argtypes = [ctypes.c_char_p]
    czmq.zstr_send.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    czmq.zstr_recv.argtypes = [ctypes.c_void_p]
    czmq.zstr_recv.restype = ctypes.POINTER(ctypes.c_char)
    czmq.zstr_free.argtypes = [ctypes.POINTER(ctypes.POINTER(ctypes.c_char))]
    czmq.zsock_destroy.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    pull = ctypes.c_void_p(czmq.zsock_new_pull(b"@inproc://deb-check"))
    push = ctypes.c_void_p(czmq.zsock_new_push(b">inproc://deb-check"))
    if not pull or not push or czmq.zstr_send(push, b"hello") != 0:
        return False
    reply = czmq.zstr_recv(pull)
    got = ctypes.string_at(reply) if reply else None
    czmq.zstr_free(ctypes.byref(reply))
    czmq.zsock_destroy(ctypes.byref(push))
    czmq.zsock_destroy(ctypes.byref(pull))
    print("czmq (libczmq.so.4): %r" % got)
    return got == b"hello"


def loaded_libzmq():
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split(None, 5)[-1].strip()
            if "/libzmq.so" in path:
                return path
    return None


ok = {"pyzmq": pyzmq_round_trip, "czmq": czmq_round_trip}[sys.argv[1]]()
print("libzmq: %s" % loaded_libzmq())
sys.exit(0 if ok else 1)
