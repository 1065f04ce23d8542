//! include/zmq.h must be source-compatible with libzmq 4.3.4's zmq.h. Checked against the
//! installed reference header (/usr/include/zmq.h, or $ZMQ_REFERENCE_HEADER), with and
//! without ZMQ_BUILD_DRAFT_API, in C (gcc) and C++ (g++):
//! 1. both headers define the same macros (names from `gcc -dM -E`, minus the system ones);
//! 2. every macro has the same value and size: a program built against each header prints
//!    them, and a generated file of static_asserts (values from the reference) must compile
//!    against ours;
//! 3. sizeof/alignof/offsetof of the public structs match;
//! 4. every reference prototype (and function typedef), redeclared after including ours,
//!    compiles: C rejects conflicting types, C++ conflicting `extern "C"` declarations;
//!    and both headers declare the same set of functions.
//!
//! Skipped (with a note) when the reference header or gcc/g++ is missing.

mod common;

use common::{have_tools, run, tmp_dir, try_run};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn reference_header() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var("ZMQ_REFERENCE_HEADER").unwrap_or("/usr/include/zmq.h".into()));
    path.exists().then_some(path)
}

fn our_header() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include/zmq.h")
}

/// The headers zmq.h includes, so their macros can be told apart from zmq.h's own.
const SYSTEM_INCLUDES: &str = "#include <errno.h>\n#include <stddef.h>\n#include <stdio.h>\n#include <stdint.h>\n";

#[derive(Clone, Copy, Debug)]
enum Mode {
    Stable,
    Draft,
}

impl Mode {
    fn flags(self) -> &'static [&'static str] {
        match self {
            Mode::Stable => &[],
            Mode::Draft => &["-DZMQ_BUILD_DRAFT_API"],
        }
    }
}

/// Macro name -> (parameter list if function-like, body) from `gcc -dM -E`.
type Macros = BTreeMap<String, (Option<String>, String)>;

fn macros(dir: &Path, name: &str, source: &str, mode: Mode) -> Macros {
    let file = dir.join(name);
    std::fs::write(&file, source).unwrap();
    let out = run(Command::new("gcc").args(["-dM", "-E", "-x", "c"]).args(mode.flags()).arg(&file));
    let mut map = Macros::new();
    for line in out.lines() {
        let rest = line.strip_prefix("#define ").expect("gcc -dM prints only #defines");
        let name_end = rest.find([' ', '(']).unwrap_or(rest.len());
        let (name, rest) = rest.split_at(name_end);
        let (params, body) = match rest.strip_prefix('(') {
            Some(r) => {
                let close = r.find(')').unwrap();
                (Some(r[..close].to_string()), r[close + 1..].trim().to_string())
            }
            None => (None, rest.trim().to_string()),
        };
        map.insert(name.to_string(), (params, body));
    }
    map
}

/// zmq.h's own macros: those of a file including it, minus those of its system includes.
fn header_macros(dir: &Path, tag: &str, header: &Path, mode: Mode) -> Macros {
    let system = macros(dir, &format!("sys_{tag}.c"), SYSTEM_INCLUDES, mode);
    let all = macros(dir, &format!("all_{tag}.c"), &format!("#include \"{}\"\n", header.display()), mode);
    all.into_iter().filter(|(name, _)| !system.contains_key(name)).collect()
}

/// A program printing every valued macro's value and size, plus the structs' layouts.
fn dump_program(header: &Path, names: &Macros, mode: Mode) -> String {
    let mut c = format!("#include \"{}\"\n#include <stdio.h>\n#include <stddef.h>\nint main(void) {{\n", header.display());
    for (name, (params, body)) in names {
        if body.is_empty() {
            continue;
        }
        match params {
            Some(p) => {
                let args: Vec<String> = (1..=p.split(',').count()).map(|i| i.to_string()).collect();
                let call = format!("{name}({})", args.join(", "));
                writeln!(c, "  printf(\"{call} = %lld\\n\", (long long)({call}));").unwrap();
            }
            None if body.starts_with('"') => {
                writeln!(c, "  printf(\"{name} = \\\"%s\\\"\\n\", {name});").unwrap();
            }
            None => {
                writeln!(c, "  printf(\"{name} = %lld size %d\\n\", (long long)({name}), (int)sizeof({name}));").unwrap();
            }
        }
    }
    let mut layouts = vec![
        "sizeof(zmq_msg_t)",
        "_Alignof(zmq_msg_t)",
        "sizeof(zmq_pollitem_t)",
        "_Alignof(zmq_pollitem_t)",
        "offsetof(zmq_pollitem_t, socket)",
        "offsetof(zmq_pollitem_t, fd)",
        "offsetof(zmq_pollitem_t, events)",
        "offsetof(zmq_pollitem_t, revents)",
        "sizeof(((zmq_pollitem_t *)0)->events)",
        "sizeof(zmq_fd_t)",
        "(zmq_fd_t)-1 < 0",
    ];
    if let Mode::Draft = mode {
        layouts.extend([
            "sizeof(zmq_poller_event_t)",
            "_Alignof(zmq_poller_event_t)",
            "offsetof(zmq_poller_event_t, socket)",
            "offsetof(zmq_poller_event_t, fd)",
            "offsetof(zmq_poller_event_t, user_data)",
            "offsetof(zmq_poller_event_t, events)",
        ]);
    }
    for expr in layouts {
        writeln!(c, "  printf(\"{expr} = %lld\\n\", (long long)({expr}));").unwrap();
    }
    c.push_str("  return 0;\n}\n");
    c
}

fn compile_and_run(dir: &Path, name: &str, source: &str, mode: Mode) -> String {
    let src = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    std::fs::write(&src, source).unwrap();
    run(Command::new("gcc").args(["-std=c11", "-Wall", "-Werror", "-o"]).arg(&exe).args(mode.flags()).arg(&src));
    run(&mut Command::new(&exe))
}

/// static_asserts of the reference's values, for C11 and C++11 alike.
fn static_asserts(header: &Path, reference_dump: &str) -> String {
    let mut s = format!(
        "#include \"{}\"\n#include <stddef.h>\n#ifdef __cplusplus\n#define SA(e, m) static_assert(e, m)\n#define Alignof(t) alignof(t)\n#else\n#define SA(e, m) _Static_assert(e, m)\n#define Alignof(t) _Alignof(t)\n#endif\n",
        header.display()
    );
    for line in reference_dump.lines() {
        let (lhs, rhs) = line.split_once(" = ").unwrap();
        if rhs.starts_with('"') {
            continue; // strings: compared through the dumps
        }
        let lhs = lhs.replace("_Alignof", "Alignof");
        let (value, size) = match rhs.split_once(" size ") {
            Some((v, sz)) => (v, Some(sz)),
            None => (rhs, None),
        };
        let msg = lhs.replace('"', "'");
        writeln!(s, "SA((long long)({lhs}) == {value}LL, \"{msg}\");").unwrap();
        if let Some(size) = size {
            writeln!(s, "SA(sizeof({lhs}) == {size}, \"size of {msg}\");").unwrap();
        }
    }
    s
}

/// Top-level declarations of `header` that mention a zmq_ function or typedef, from the
/// preprocessed header (line markers tell which lines come from it). Struct definitions are
/// left out (they cannot be repeated); typedefs of function and scalar types can.
fn declarations(dir: &Path, header: &Path, mode: Mode, lang: &str) -> Vec<String> {
    let file = dir.join(format!("decl.{}", if lang == "c" { "c" } else { "cpp" }));
    std::fs::write(&file, format!("#include \"{}\"\n", header.display())).unwrap();
    let compiler = if lang == "c" { "gcc" } else { "g++" };
    let out = run(Command::new(compiler).arg("-E").args(mode.flags()).arg(&file));
    let header_name = header.to_str().unwrap();
    let mut text = String::new();
    let mut inside = false;
    for line in out.lines() {
        if let Some(marker) = line.strip_prefix("# ") {
            inside = marker.split('"').nth(1) == Some(header_name);
        } else if inside {
            text.push_str(line);
            text.push(' ');
        }
    }
    let mut decls = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for ch in text.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        current.push(ch);
        if ch == ';' && depth == 0 {
            let decl = current.split_whitespace().collect::<Vec<_>>().join(" ");
            current.clear();
            if !decl.contains('{') && decl.contains("zmq_") {
                decls.push(decl);
            }
        }
        // extern "C" { ... } wraps everything in C++: do not treat it as a definition.
        if depth == 1 && current.trim_start().starts_with("extern \"C\" {") {
            current.clear();
            depth = 0;
        }
    }
    decls
}

/// The declared function's name: the first `zmq_*` identifier followed by `(`.
fn function_name(decl: &str) -> Option<String> {
    if decl.starts_with("typedef") {
        return None;
    }
    let mut rest = decl;
    while let Some(at) = rest.find("zmq_") {
        let ident_len = rest[at..].find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len() - at);
        let ident = &rest[at..at + ident_len];
        rest = &rest[at + ident_len..];
        if rest.trim_start().starts_with('(') {
            return Some(ident.to_string());
        }
    }
    None
}

#[test]
fn header_matches_libzmq_4_3_4() {
    let Some(reference) = reference_header() else {
        eprintln!("skipped: no reference zmq.h (set ZMQ_REFERENCE_HEADER or install libzmq3-dev)");
        return;
    };
    if !have_tools(&["gcc", "g++"]) {
        eprintln!("skipped: gcc/g++ not found");
        return;
    }
    let ours = our_header();
    let dir = tmp_dir("header_compat");
    let mut failures = Vec::new();

    for mode in [Mode::Stable, Mode::Draft] {
        // 1. Same macro names.
        let theirs = header_macros(&dir, "ref", &reference, mode);
        let mine = header_macros(&dir, "ours", &ours, mode);
        let theirs_names: BTreeSet<_> = theirs.keys().collect();
        let mine_names: BTreeSet<_> = mine.keys().collect();
        for missing in theirs_names.difference(&mine_names) {
            failures.push(format!("{mode:?}: macro {missing} missing"));
        }
        for extra in mine_names.difference(&theirs_names) {
            failures.push(format!("{mode:?}: extra macro {extra}"));
        }
        for (name, (params, _)) in &theirs {
            if let Some((my_params, _)) = mine.get(name) {
                if params.as_ref().map(|p| p.split(',').count()) != my_params.as_ref().map(|p| p.split(',').count()) {
                    failures.push(format!("{mode:?}: macro {name} has different parameters"));
                }
            }
        }

        // 2 and 3. Same values, sizes and layouts (dumped at run time by both headers).
        let reference_dump = compile_and_run(&dir, "dump_ref", &dump_program(&reference, &theirs, mode), mode);
        // Only the names both define, so a missing macro (reported above) does not stop the build.
        let shared: Macros = theirs.iter().filter(|(n, _)| mine.contains_key(*n)).map(|(n, v)| (n.clone(), v.clone())).collect();
        let our_dump = compile_and_run(&dir, "dump_ours", &dump_program(&ours, &shared, mode), mode);
        let ours_by_line: BTreeSet<&str> = our_dump.lines().collect();
        for line in reference_dump.lines() {
            if !ours_by_line.contains(line) {
                let name = line.split(" = ").next().unwrap();
                let mine = our_dump.lines().find(|l| l.split(" = ").next() == Some(name)).unwrap_or("(absent)");
                failures.push(format!("{mode:?}: reference `{line}`, ours `{mine}`"));
            }
        }
        // The same check as compile-time assertions, in C and C++.
        let asserts = dir.join("asserts.c");
        std::fs::write(&asserts, static_asserts(&ours, &reference_dump)).unwrap();
        for (compiler, std) in [("gcc", "-std=c11"), ("g++", "-std=c++11")] {
            let mut cmd = Command::new(compiler);
            cmd.args([std, "-Wall", "-Werror", "-fsyntax-only"]).args(mode.flags());
            if compiler == "g++" {
                cmd.args(["-x", "c++"]);
            }
            if let Err(e) = try_run(cmd.arg(&asserts)) {
                failures.push(format!("{mode:?}: static_asserts fail with {compiler}: {e}"));
            }
        }
        if let Mode::Draft = mode {
            // String macros, which cbindgen cannot emit, must agree with the Rust constants.
            use zmq::constants::*;
            for (name, value) in [
                ("ZMQ_MSG_PROPERTY_ROUTING_ID", ZMQ_MSG_PROPERTY_ROUTING_ID),
                ("ZMQ_MSG_PROPERTY_SOCKET_TYPE", ZMQ_MSG_PROPERTY_SOCKET_TYPE),
                ("ZMQ_MSG_PROPERTY_USER_ID", ZMQ_MSG_PROPERTY_USER_ID),
                ("ZMQ_MSG_PROPERTY_PEER_ADDRESS", ZMQ_MSG_PROPERTY_PEER_ADDRESS),
            ] {
                let line = format!("{name} = \"{value}\"");
                if !ours_by_line.contains(line.as_str()) {
                    failures.push(format!("Rust constant differs from header: {line}"));
                }
            }
        }

        // 4. Prototypes and typedefs.
        for lang in ["c", "c++"] {
            let their_decls = declarations(&dir, &reference, mode, lang);
            let our_decls = declarations(&dir, &ours, mode, lang);
            let names = |decls: &[String]| decls.iter().filter_map(|d| function_name(d)).collect::<BTreeSet<_>>();
            let (theirs_fns, ours_fns) = (names(&their_decls), names(&our_decls));
            assert!(theirs_fns.len() >= 70, "parsed too few reference prototypes: {theirs_fns:?}");
            for f in theirs_fns.difference(&ours_fns) {
                failures.push(format!("{mode:?} {lang}: function {f} not declared"));
            }
            for f in ours_fns.difference(&theirs_fns) {
                failures.push(format!("{mode:?} {lang}: extra function {f} declared"));
            }
            let mut src = format!("#include \"{}\"\n", ours.display());
            if lang == "c++" {
                src.push_str("extern \"C\" {\n");
            }
            for d in &their_decls {
                src.push_str(d);
                src.push('\n');
            }
            if lang == "c++" {
                src.push_str("}\n");
            }
            let file = dir.join(if lang == "c" { "redecl.c" } else { "redecl.cpp" });
            std::fs::write(&file, src).unwrap();
            let compiler = if lang == "c" { "gcc" } else { "g++" };
            let std = if lang == "c" { "-std=c11" } else { "-std=c++11" };
            let mut cmd = Command::new(compiler);
            if let Err(e) = try_run(cmd.args([std, "-Wall", "-Werror", "-fsyntax-only"]).args(mode.flags()).arg(&file)) {
                failures.push(format!("{mode:?}: reference prototypes conflict with ours in {lang}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "zmq.h differs from libzmq's:\n{}", failures.join("\n"));
}

#[test]
fn headers_compile_cleanly() {
    if !have_tools(&["gcc", "g++"]) {
        eprintln!("skipped: gcc/g++ not found");
        return;
    }
    let dir = tmp_dir("header_clean");
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let src = dir.join("use.c");
    // Twice, to check the include guard; zmq_utils.h too.
    std::fs::write(&src, "#include <zmq.h>\n#include <zmq.h>\n#include <zmq_utils.h>\nint main(void) { return ZMQ_VERSION == ZMQ_MAKE_VERSION(4, 3, 4) ? 0 : 1; }\n").unwrap();
    for draft in [false, true] {
        for (compiler, std, x) in [("gcc", "-std=c99", "c"), ("gcc", "-std=c11", "c"), ("g++", "-std=c++98", "c++"), ("g++", "-std=c++17", "c++")] {
            let mut cmd = Command::new(compiler);
            cmd.args([std, "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-x", x]).arg("-I").arg(&include);
            if compiler == "gcc" {
                cmd.arg("-Wstrict-prototypes");
            }
            if draft {
                cmd.arg("-DZMQ_BUILD_DRAFT_API");
            }
            run(cmd.arg(&src));
        }
    }
}
