fn main() {
    // The library replaces libzmq: same soname, so binaries linked against libzmq.so.5 load us.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzmq.so.5");
}
