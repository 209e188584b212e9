//! The WASI test programs (C compiled to wasm32-wasi, `tests/programs/`,
//! rebuilt by `tests/programs/build.sh`) on the interpreter tier, with their
//! expected outputs. Errnos print as numbers: 8 badf, 20 exist, 21 fault,
//! 28 inval, 31 isdir, 32 loop, 37 nametoolong, 44 noent, 54 notdir,
//! 55 notempty, 57 notsock, 58 notsup, 63 perm, 70 spipe, 76 notcapable.

mod common;

use common::{TempDir, assert_lines, run};
use skiff_vm::runtime::TrapKind;
use skiff_wasi::{DirPerms, OutputBuffer, Stdio, WasiCtxBuilder};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;

#[test]
fn args_and_environment_as_granted() {
    let r = run(
        "args_env",
        WasiCtxBuilder::new()
            .args(["prog.wasm", "two words", "ünïcode"])
            .env("GREETING", "hello")
            .env("EMPTY", ""),
    );
    assert_eq!(r.code(), 0);
    assert_lines(
        &r.stdout,
        "argc: 3
         argv[0]: prog.wasm
         argv[1]: two words
         argv[2]: ünïcode
         env: GREETING=hello
         env: EMPTY=
         GREETING: hello
         args_sizes_get: 0
         args sizes: 3 30
         environ_sizes_get: 0
         environ sizes: 2 22
         args_sizes_get bad pointer: 21
         args_get bad pointer: 21
         environ_get bad pointer: 21",
    );
}

#[test]
fn a_fresh_builder_grants_no_arguments_and_no_environment() {
    let r = run("args_env", WasiCtxBuilder::new());
    assert_eq!(r.code(), 0);
    assert_lines(
        &r.stdout,
        "argc: 0
         GREETING: (unset)
         args_sizes_get: 0
         args sizes: 0 0
         environ_sizes_get: 0
         environ sizes: 0 0
         args_sizes_get bad pointer: 21
         args_get bad pointer: 21
         environ_get bad pointer: 21",
    );
}

#[test]
fn the_environment_can_be_inherited_whole() {
    let r = run("args_env", WasiCtxBuilder::new().inherit_env());
    assert_eq!(r.code(), 0);
    let mut seen: Vec<String> = r
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("env: ").map(String::from))
        .collect();
    let mut host: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    seen.sort();
    host.sort();
    assert_eq!(seen, host);
}

#[test]
fn clocks_sleeps_and_randomness_when_granted() {
    let r = run(
        "clocks_random",
        WasiCtxBuilder::new()
            .args(["clocks", "granted"])
            .clocks(true)
            .random(true),
    );
    assert_eq!(r.code(), 0);
    assert_lines(
        &r.stdout,
        "clock_res_get monotonic: 0
         resolution positive: 1
         clock_time_get realtime: 0
         after 2020: 1
         clock_time_get process: 0
         clock_time_get bad id: 28
         clock_time_get bad pointer: 21
         poll_oneoff relative: 0
         events: 1 userdata 7 type 0 error 0
         slept at least 20ms: 1
         poll_oneoff two clocks: 0
         events: 1 first userdata 2 error 0
         poll_oneoff bad clock: 0
         events: 1 error 28
         poll_oneoff no subscriptions: 28
         poll_oneoff bad output: 21
         nanosleep: 0 errno 0
         random_get: 0
         random_get again: 0
         random differs: 1 nonzero: 1
         random_get bad pointer: 21
         sched_yield: 0
         proc_raise: 58",
    );
}

#[test]
fn clocks_and_randomness_are_denied_by_default() {
    let r = run(
        "clocks_random",
        WasiCtxBuilder::new().args(["clocks", "denied"]),
    );
    assert_eq!(r.code(), 0);
    // libc's nanosleep reports any failed clock event as ENOTSUP (58).
    assert_lines(
        &r.stdout,
        "clock_res_get monotonic: 76
         clock_time_get realtime: 76
         clock_time_get process: 76
         clock_time_get bad id: 76
         clock_time_get bad pointer: 76
         poll_oneoff relative: 0
         events: 1 userdata 7 type 0 error 76
         poll_oneoff two clocks: 0
         events: 2 first userdata 1 error 76
         poll_oneoff bad clock: 0
         events: 1 error 76
         poll_oneoff no subscriptions: 28
         poll_oneoff bad output: 21
         nanosleep: -1 errno 58
         random_get: 76
         random_get again: 76
         random differs: 0 nonzero: 0
         random_get bad pointer: 76
         sched_yield: 0
         proc_raise: 58",
    );
}

#[test]
fn the_fd_family() {
    let dir = TempDir::new("fd");
    let r = run(
        "fd_ops",
        WasiCtxBuilder::new()
            .preopen_dir(dir.path(), "/rw", DirPerms::ReadWrite)
            .stdin(Stdio::input("line one\nline two\n")),
    );
    assert_eq!(r.code(), 0);
    assert_eq!(r.stderr, "to stderr\n");
    assert_lines(
        &r.stdout,
        "prestat 3: 0 tag 0 len 3
         prestat_dir_name: 0
         name: /rw
         prestat_dir_name short: 37
         prestat_dir_name bad pointer: 21
         prestat 4: 8
         prestat stdout: 8
         fdstat 3: 0 type 3 path_open 1
         open data.txt: 0
         write: 0
         tell: 0 12
         seek set: 0 0
         read two iovecs: 0 6 'hello '
         seek end: 0 6
         read: 0
         rest: 'world
         'seek cur: 0 9
         seek before start: 28
         seek bad whence: 28
         pwrite: 0 5
         pread: 0 11 'HELLO world'
         pread past end: 0 0
         offset still: 9
         filestat: 0 type 4 size 12 nlink 1
         set_size 5: 0
         size: 5
         set_size 100: 0
         size: 100
         set_times: 0
         times: 1000000000123 2000000000456
         set_times now: 0
         mtime moved: 1
         set_times both: 28
         filestat bad pointer: 21
         advise: 0
         advise bad: 28
         allocate: 0
         size after allocate: 4096
         datasync: 0
         sync: 0
         set_flags append: 0
         flags: 1 type 4
         size after append: 4100
         set_flags sync: 28
         drop write right: 0
         write without right: 76
         regain write right: 76
         open other.txt: 0
         renumber: 0
         old number gone: 8
         through new number: 'HELLO'
         renumber to closed: 8
         close: 0
         close again: 8
         readdir: ..:d .:d a:f b:f c:d
         open list: 0
         raw readdir: 5 entries in 6 calls, last err 0
         readdir bad buffer: 21
         readdir on a file: 76
         read a directory: 76
         seek a directory: 76
         read stdin: 0
         stdin: 'line one
         '
         read stdin: 0
         stdin: 'line two
         'read stdin at eof: 0
         eof: 1
         write stdin: 76
         seek stdout: 70
         pread stdin: 70
         stdout type 0 seekable 0
         write stderr: 0
         write bad iovec: 21
         write iovec past end: 21
         write bad nwritten: 21
         write closed fd: 8
         read bad nread: 21",
    );
    assert_eq!(
        std::fs::read(dir.join("data.txt")).unwrap().len(),
        4100,
        "the file the guest wrote is on the host"
    );
}

#[test]
fn the_path_family() {
    let dir = TempDir::new("path");
    let r = run(
        "path_ops",
        WasiCtxBuilder::new().preopen_dir(dir.path(), "/rw", DirPerms::ReadWrite),
    );
    assert_eq!(r.code(), 0);
    assert_lines(
        &r.stdout,
        "mkdir d: 0
         mkdir d again: 20
         mkdir with trailing slash: 0
         mkdir in missing dir: 44
         stat d: 0 type 3
         create d/f: 0
         stat d/f: 0 type 4 size 8 nlink 1
         stat d/f/: 54 type 0 size 0 nlink 0
         stat d/missing: 44 type 0 size 0 nlink 0
         stat d/f/x: 54 type 0 size 0 nlink 0
         link f to g: 0
         stat d/g: 0 type 4 size 8 nlink 2
         link onto existing: 20
         link a directory: 63
         symlink s -> f: 0
         stat d/s: 0 type 7 size 1 nlink 1
         stat d/s (follow): 0 type 4 size 8 nlink 2
         readlink s: 0
         target: 'f' (1)
         readlink short: 0
         bufused: 0
         readlink a file: 28
         symlink onto existing: 20
         symlink dangling: 0
         stat d/dangling (follow): 44 type 0 size 0 nlink 0
         open through dangling (creat): 0
         stat d/nothing-here: 0 type 4 size 0 nlink 1
         open symlink nofollow: 32
         open symlink follow: 0
         read through symlink: 0
         content: 'contents'
         symlink to dir: 0
         stat d/up/d/f: 0 type 4 size 8 nlink 2
         set_times: 0
         times: 5000000000 6000000000
         set_times through link: 0
         mtim: 7000000000
         set_times bad flags: 28
         open excl existing: 20
         open directory flag on file: 54
         open missing: 44
         open bad oflags: 28
         open with NUL in path: 28
         open path out of bounds: 21
         open empty path: 44
         open under a file: 54
         path call on a file fd: 54
         path call on closed fd: 8
         open dir for writing: 31
         open with trailing slash on file: 54
         open . as dir: 0
         open nested fd: 0
         open relative to nested fd: 0
         rename g to h: 0
         stat d/g: 44 type 0 size 0 nlink 0
         stat d/h: 0 type 4 size 8 nlink 2
         rename missing: 44
         rename file with trailing slash: 54
         rename dir d to e: 0
         stat e/h: 0 type 4 size 8 nlink 2
         rename onto non-empty dir: 55
         unlink h: 0
         unlink h again: 44
         unlink a dir: 31
         unlink file with slash: 54
         unlink symlink: 0
         stat e/f: 0 type 4 size 8 nlink 1
         rmdir non-empty: 55
         rmdir a file: 54
         rmdir the preopen: 28
         rmdir emptied: 0
         stat e: 44 type 0 size 0 nlink 0
         rmdir d2: 0
         libc mkdir: 0
         libc read: first line
         libc read: second line
         libc stat: 0 size 23
         libc rename: 0
         libc symlink: 0
         libc readlink: 9 moved.txt
         libc link: 0
         libc access: 0
         libc open missing: -1 errno 44
         libc unlink: 0 0 0
         libc rmdir: 0",
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "the program cleans up after itself: {left:?}"
    );
}

/// Every file under `dir`, with its contents (a symlink as `-> target`).
fn snapshot(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let name = p.strip_prefix(dir).unwrap().display().to_string();
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                out.push((
                    name,
                    format!("-> {}", std::fs::read_link(&p).unwrap().display()),
                ));
            } else if ft.is_dir() {
                out.push((name, "/".into()));
                stack.push(p);
            } else {
                out.push((
                    name,
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn escapes_are_refused() {
    let t = TempDir::new("escape");
    std::fs::create_dir_all(t.join("rw")).unwrap();
    std::fs::create_dir_all(t.join("ro/sub")).unwrap();
    std::fs::create_dir_all(t.join("outside")).unwrap();
    std::fs::write(t.join("outside/secret"), "secret\n").unwrap();
    std::fs::write(t.join("ro/readme.txt"), "read only\n").unwrap();
    std::os::unix::fs::symlink(t.join("outside"), t.join("rw/hostlink")).unwrap();
    std::os::unix::fs::symlink("../outside/secret", t.join("rw/hostrel")).unwrap();
    let outside_before = snapshot(&t.join("outside"));
    let ro_before = snapshot(&t.join("ro"));
    let beside_before: Vec<_> = snapshot(t.path())
        .into_iter()
        .filter(|(n, _)| !n.starts_with("rw"))
        .collect();

    let r = run(
        "escape",
        WasiCtxBuilder::new()
            .preopen_dir(t.join("rw"), "/rw", DirPerms::ReadWrite)
            .preopen_dir(t.join("ro"), "/ro", DirPerms::ReadOnly),
    );
    assert_eq!(r.code(), 0);
    // Leaving a preopen is EPERM; so is changing anything under a read-only
    // one (as wasmtime answers both); a right the descriptor lacks for other
    // reasons is ENOTCAPABLE. wasi-libc answers a path under no preopen with
    // ENOTCAPABLE itself.
    assert_lines(
        &r.stdout,
        "-- climbing
         mkdir sub: 0
         ..: 63
         ../outside/secret: 63
         sub/../../outside/secret: 63
         sub/../sub/./../..: 63
         sub/.. stays inside: 0
         mkdir ../escaped: 63
         stat ../outside: 63
         nested fd cannot climb: 0
         nested ..: 63
         nested ../sub: 63
         -- absolute
         /etc/passwd: 63
         /: 63
         stat /etc: 63
         unlink /tmp/x: 63
         libc fopen /etc/passwd: 0 errno 76
         libc open /rw/../outside/secret: -1 errno 63
         -- symlinks made by the host
         hostlink (follow): 63
         hostlink (nofollow): 32
         hostlink/secret: 63
         hostrel (follow): 63
         stat hostrel (follow): 63
         stat hostrel: 0
         is a symlink: 1
         readlink hostrel: 0
         target: ../outside/secret
         create through hostlink: 63
         mkdir through hostlink: 63
         link into hostlink: 63
         link from hostrel (follow): 63
         set_times through hostrel: 63
         rename into hostlink: 63
         libc fopen /rw/hostlink/secret: 0 errno 63
         -- symlinks made by the guest
         symlink up -> ../..: 0
         sub/up: 63
         sub/up/outside/secret: 63
         symlink sneaky -> sub/../..: 0
         sneaky/outside/secret: 63
         symlink chain -> sneaky/outside: 0
         chain/secret: 63
         symlink abs -> /etc: 63
         symlink inside -> sub: 0
         create through inside: 0
         stat sub/made: 0
         symlink loop a -> b: 0
         symlink loop b -> a: 0
         loop-a: 32
         loop-a/x: 32
         symlink in ro: 63
         libc symlink ../../.. then open: 0 -1 errno 63
         -- read-only preopen
         ro may create: 0 may open: 1
         open readme: 0
         read readme: 0
         readme: read only
         write readme fd: 63
         truncate readme fd: 63
         set_times readme fd: 63
         allocate readme fd: 63
         gain write right: 76
         open readme for writing: 63
         open readme append: 63
         open readme trunc: 63
         create in ro: 63
         mkdir in ro: 63
         unlink in ro: 63
         rmdir in ro: 63
         rename in ro: 63
         rename ro to rw: 63
         rename rw to ro: 63
         link ro to rw: 63
         link rw to ro: 63
         set_times in ro: 63
         open ro/sub: 0
         create in ro/sub: 63
         mkdir in ro/sub: 63
         stat in ro: 0
         size: 10
         libc fopen w: 0 errno 63
         libc fopen a: 0 errno 63
         libc fopen r+: 0 errno 63
         libc mkdir: -1 errno 63
         libc unlink: -1 errno 63
         libc fopen r: 1",
    );
    assert_eq!(
        snapshot(&t.join("outside")),
        outside_before,
        "outside is untouched"
    );
    assert_eq!(
        snapshot(&t.join("ro")),
        ro_before,
        "the read-only preopen is untouched"
    );
    let beside_after: Vec<_> = snapshot(t.path())
        .into_iter()
        .filter(|(n, _)| !n.starts_with("rw"))
        .collect();
    assert_eq!(
        beside_after, beside_before,
        "nothing appeared beside the preopens"
    );
}

#[test]
fn exit_codes_and_traps() {
    let cases: [(&[&str], i32, &str); 5] = [
        (&["exit"], 0, "running (none)\n"),
        (&["exit", "exit", "3"], 3, "running exit\n"),
        (&["exit", "return", "7"], 7, "running return\n"),
        (&["exit", "raw", "300"], 300, "running raw\n"),
        (&["exit", "exit", "0"], 0, "running exit\n"),
    ];
    for (args, code, out) in cases {
        let r = run("exit", WasiCtxBuilder::new().args(args));
        assert_eq!(r.code(), code, "{args:?}");
        assert_eq!(
            r.stdout, out,
            "{args:?}: output written before the exit is kept"
        );
    }
    let r = run("exit", WasiCtxBuilder::new().args(["exit", "trap"]));
    let trap = r.result.expect_err("an unreachable instruction traps");
    assert_eq!(trap.kind(), TrapKind::Unreachable);
    assert_eq!(skiff_wasi::exit_code(&trap), None);
    assert_eq!(trap.backtrace()[0].name.as_deref(), Some("main"));
}

#[test]
fn poll_on_descriptors() {
    let dir = TempDir::new("poll");
    let r = run(
        "poll_fds",
        WasiCtxBuilder::new()
            .preopen_dir(dir.path(), "/rw", DirPerms::ReadWrite)
            .stdin(Stdio::input("ping"))
            .clocks(true),
    );
    assert_eq!(r.code(), 0);
    assert_lines(
        &r.stdout,
        "stdin readable: 0, 1 events
         userdata 1 type 1 error 0 nbytes 4 flags 0
         stdout writable: 0, 1 events
         userdata 2 type 2 error 0 nbytes 0 flags 0
         file: 0, 2 events
         userdata 3 type 1 error 0 nbytes 6 flags 0
         userdata 4 type 2 error 0 nbytes 0 flags 0
         closed fd: 0, 1 events
         userdata 5 type 1 error 8 nbytes 0 flags 0
         stdin and a 10s clock: 0, 1 events
         userdata 6 type 1 error 0 nbytes 4 flags 0
         returned at once: 1
         stdin at eof: 0, 1 events
         userdata 8 type 1 error 0 nbytes 0 flags 1
         poll in out of bounds: 21",
    );
}

#[test]
fn sockets_handed_over_by_the_host() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        s.write_all(b"ping").unwrap();
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).unwrap();
        reply
    });
    let r = run("socket", WasiCtxBuilder::new().preopen_socket(listener));
    assert_eq!(r.code(), 0);
    assert_lines(
        &r.stdout,
        "fd 3 type 6
         prestat of a socket: 8
         accept bad flags: 28
         accept on stdout: 57
         accept: 0
         poll socket readable: 0
         events 1 userdata 9 type 1 error 0 has bytes 1
         poll socket writable: 0
         events 1 type 2 error 0
         recv peek: 0
         recv: 0
         got: ping (4) flags 0
         recv bad flags: 28
         recv on a non-socket: 57
         send: 0
         sent: 4
         write on socket: 0
         seek on socket: 70
         shutdown bad how: 28
         shutdown write: 0
         shutdown on a non-socket: 57
         shutdown on a closed fd: 8
         send on a non-socket: 57
         read after peer closed: 0
         eof: 1
         drop the shutdown right: 0
         shutdown without the right: 76
         close: 0",
    );
    assert_eq!(client.join().unwrap(), b"pong!");
}

#[test]
fn closed_and_null_stdio() {
    // With the streams closed the program's writes fail (EBADF) and it goes on.
    let r = common::run_with_stdio("exit", WasiCtxBuilder::new().args(["exit", "exit", "5"]));
    assert_eq!(r.code(), 5);
    let r = common::run_with_stdio(
        "exit",
        WasiCtxBuilder::new()
            .args(["exit", "exit", "6"])
            .stdin(Stdio::Null)
            .stdout(Stdio::Null)
            .stderr(Stdio::Null),
    );
    assert_eq!(r.code(), 6);
}

#[test]
fn opening_directories() {
    let t = TempDir::new("open-dirs");
    std::fs::create_dir_all(t.join("rw/sub")).unwrap();
    std::fs::write(t.join("rw/file"), "x").unwrap();
    std::fs::create_dir_all(t.join("ro/sub")).unwrap();
    let ro_before = snapshot(&t.join("ro"));
    let r = run(
        "open_dirs",
        WasiCtxBuilder::new()
            .preopen_dir(t.join("rw"), "/rw", DirPerms::ReadWrite)
            .preopen_dir(t.join("ro"), "/ro", DirPerms::ReadOnly),
    );
    assert_eq!(r.code(), 0, "{}", r.stderr);
    // Rights are ceilings: a directory opens with whatever rights are asked
    // (keeping those its parent passes on), and read-only on the host, except
    // that asking to write data to it (FD_WRITE) is EISDIR (31), as POSIX
    // and wasmtime answer. O_DIRECTORY with CREAT, TRUNC or EXCL is EINVAL
    // (28); O_DIRECTORY alone does not follow a symbolic link (ELOOP, 32).
    // Under a read-only preopen, asking FD_WRITE is EPERM (63) first.
    assert_lines(
        &r.stdout,
        "rw . with its own rights: 0 type 3 write 0
         rw . with its inheriting rights: 31
         rw . with every right: 0 type 3 write 0
         rw . with no rights: 0 type 3 write 0
         rw . read: 0 type 3 write 0
         rw . read+write: 31
         rw sub without the flag, set-size right: 0 type 3 write 0
         rw sub without the flag, write: 31
         rw sub/ trailing slash, set-size right: 0 type 3 write 0
         rw directory|creat: 28
         rw directory|trunc: 28
         rw directory|excl: 28
         rw directory flag on a file: 54
         rw file with every right: 0 type 4 write 1
         symlink link -> sub: 0
         rw link, directory flag, nofollow: 32
         rw link, directory flag, follow: 0 type 3 write 0
         rw link/ (a trailing slash follows): 0 type 3 write 0
         unlink link: 0
         rw sub: 0 rights within the parent's: 1
         mkdir under the opened sub: 0
         rmdir it: 0
         ro . with its own rights: 0 type 3 write 0
         ro sub with every right but FD_WRITE: 0 type 3 write 0
         ro . read+write: 63
         ro sub: 0
         mkdir under ro sub: 63
         create under ro sub: 63
         libc opendir: 1
         libc open O_DIRECTORY: 1
         libc open dir O_RDWR: -1 errno 31
         libc opendir ro: 1",
    );
    assert_eq!(
        snapshot(&t.join("ro")),
        ro_before,
        "the read-only preopen is untouched"
    );
}

#[test]
fn standard_streams_look_like_terminals_only_when_they_are() {
    // Stdout a file the guest can also read through a preopen, stdin a pipe,
    // stderr a buffer: none is a terminal, so none is a character device,
    // and libc buffers stdout in full (the second line is not in the file
    // before the flush).
    let t = TempDir::new("stdio-kind");
    let out_path = t.join("stdout.txt");
    let stdout = std::fs::File::create(&out_path).unwrap();
    let (stdin, _stdin_writer) = std::io::pipe().unwrap();
    let err = OutputBuffer::new();
    let r = common::run_with_stdio(
        "stdio_kind",
        WasiCtxBuilder::new()
            .args(["stdio_kind", "/out/stdout.txt"])
            .preopen_dir(t.path(), "/out", DirPerms::ReadOnly)
            .stdin(Stdio::file(stdin))
            .stdout(Stdio::file(stdout))
            .stderr(Stdio::Buffer(err.clone())),
    );
    assert_eq!(r.code(), 0, "{}", err.contents_lossy());
    assert_lines(
        &err.contents_lossy(),
        "fd 0: fdstat 0 type 0 seek/tell 0; filestat 0 type 0 size 0; isatty 0
         fd 1: fdstat 0 type 0 seek/tell 0; filestat 0 type 0 size 0; isatty 0
         fd 2: fdstat 0 type 0 seek/tell 0; filestat 0 type 0 size 0; isatty 0
         after two lines, /out/stdout.txt holds 6 bytes
         after fflush, /out/stdout.txt holds 13 bytes",
    );
    assert_eq!(
        std::fs::read_to_string(&out_path).unwrap(),
        "first\nsecond\n"
    );

    // /dev/null is a character device on the host, but not a terminal.
    let err = OutputBuffer::new();
    let null = || {
        std::fs::File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
            .unwrap()
    };
    let r = common::run_with_stdio(
        "stdio_kind",
        WasiCtxBuilder::new()
            .stdin(Stdio::file(null()))
            .stdout(Stdio::file(null()))
            .stderr(Stdio::Buffer(err.clone())),
    );
    assert_eq!(r.code(), 0);
    assert_lines(
        &err.contents_lossy(),
        "fd 0: fdstat 0 type 0 seek/tell 0; filestat 0 type 0 size 0; isatty 0
         fd 1: fdstat 0 type 0 seek/tell 0; filestat 0 type 0 size 0; isatty 0
         fd 2: fdstat 0 type 0 seek/tell 0; filestat 0 type 0 size 0; isatty 0",
    );
}

/// A pseudo-terminal: its controlling side and the terminal itself.
fn open_pty() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain integer flags; the result is checked.
    let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    assert!(
        master >= 0,
        "posix_openpt: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `master` was just opened and nothing else owns it.
    let master = unsafe { std::fs::File::from_raw_fd(master) };
    let raw = std::os::fd::AsRawFd::as_raw_fd(&master);
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: `raw` is an open pty master; `name` is writable for its length.
    let ok = unsafe {
        libc::grantpt(raw) == 0
            && libc::unlockpt(raw) == 0
            && libc::ptsname_r(raw, name.as_mut_ptr(), name.len()) == 0
    };
    assert!(ok, "pty setup: {}", std::io::Error::last_os_error());
    // SAFETY: `ptsname_r` succeeded, so `name` holds a NUL-terminated path.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path.to_bytes()));
    let terminal = std::fs::File::options()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(path)
        .unwrap();
    (master, terminal)
}

#[test]
fn a_terminal_is_a_character_device() {
    let (_master, terminal) = open_pty();
    let err = OutputBuffer::new();
    let r = common::run_with_stdio(
        "stdio_kind",
        WasiCtxBuilder::new()
            .stdout(Stdio::file(terminal))
            .stderr(Stdio::Buffer(err.clone())),
    );
    assert_eq!(r.code(), 0);
    // fd 0 is closed (EBADF); fd 1 is the terminal; no stream can seek.
    assert_lines(
        &err.contents_lossy(),
        "fd 0: fdstat 8 type 0 seek/tell 0; filestat 8 type 0 size 0; isatty 0
         fd 1: fdstat 0 type 2 seek/tell 0; filestat 0 type 2 size 0; isatty 1
         fd 2: fdstat 0 type 0 seek/tell 0; filestat 0 type 0 size 0; isatty 0",
    );
}

#[test]
fn a_full_output_buffer_answers_enospc() {
    let out = OutputBuffer::with_limit(2500);
    let err = OutputBuffer::new();
    let r = common::run_with_stdio(
        "full_output",
        WasiCtxBuilder::new()
            .stdout(Stdio::Buffer(out.clone()))
            .stderr(Stdio::Buffer(err.clone())),
    );
    assert_eq!(r.code(), 0, "{}", err.contents_lossy());
    // Whole writes while they fit, a short one, then ENOSPC (51); libc's
    // stdio reports the error to the program.
    assert_lines(
        &err.contents_lossy(),
        "write 0: 0, 1000 bytes
         write 1: 0, 1000 bytes
         write 2: 0, 500 bytes
         write 3: 51, 0 bytes
         write 4: 51, 0 bytes
         raw total: 2500
         empty then one byte: 51
         empty write: 0
         libc: fputs 0 fflush 0 ferror 1 errno 51",
    );
    assert_eq!(out.len(), 2500, "the buffer never grows past its limit");
    assert!(out.contents().iter().all(|&b| b == b'x'));
}
