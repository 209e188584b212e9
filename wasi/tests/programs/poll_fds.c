/* poll_oneoff on descriptors: stdin (a buffer holding "ping"), stdout, a
   file under "/rw" (fd 3), a closed descriptor, and a clock beside them. */
#include "common.h"

static __wasi_subscription_t fd_sub(uint64_t userdata, __wasi_eventtype_t type, __wasi_fd_t fd) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.u.tag = type;
    s.u.u.fd_read.file_descriptor = fd;
    return s;
}

static void show(const char *what, int err, __wasi_size_t n, __wasi_event_t *ev) {
    printf("%s: %d, %u events\n", what, err, (unsigned)n);
    for (__wasi_size_t i = 0; i < n; i++)
        printf("  userdata %llu type %d error %d nbytes %llu flags %d\n",
               (unsigned long long)ev[i].userdata, ev[i].type, ev[i].error,
               (unsigned long long)ev[i].fd_readwrite.nbytes, ev[i].fd_readwrite.flags);
}

int main(void) {
    __wasi_subscription_t subs[4];
    __wasi_event_t ev[4];
    __wasi_size_t n = 0;
    int err;

    subs[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, 0);
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    show("stdin readable", err, n, ev);

    subs[0] = fd_sub(2, __WASI_EVENTTYPE_FD_WRITE, 1);
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    show("stdout writable", err, n, ev);

    __wasi_fd_t fd;
    open_at(3, "data", 0, __WASI_OFLAGS_CREAT, WRITE_RIGHTS | __WASI_RIGHTS_POLL_FD_READWRITE, 0, &fd);
    write_str(fd, "0123456789");
    __wasi_filesize_t pos;
    __wasi_fd_seek(fd, 4, __WASI_WHENCE_SET, &pos);
    subs[0] = fd_sub(3, __WASI_EVENTTYPE_FD_READ, fd);
    subs[1] = fd_sub(4, __WASI_EVENTTYPE_FD_WRITE, fd);
    err = __wasi_poll_oneoff(subs, ev, 2, &n);
    show("file", err, n, ev);

    subs[0] = fd_sub(5, __WASI_EVENTTYPE_FD_READ, 99);
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    show("closed fd", err, n, ev);

    /* A ready descriptor does not wait for the clock beside it. */
    __wasi_timestamp_t t0, t1;
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
    subs[0] = fd_sub(6, __WASI_EVENTTYPE_FD_READ, 0);
    memset(&subs[1], 0, sizeof subs[1]);
    subs[1].userdata = 7;
    subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[1].u.u.clock.timeout = 10000000000ull;
    err = __wasi_poll_oneoff(subs, ev, 2, &n);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
    show("stdin and a 10s clock", err, n, ev);
    printf("returned at once: %d\n", t1 - t0 < 1000000000ull);

    /* Drain stdin: then reads are at end of file, which is still "ready". */
    char buf[16];
    read_str(0, buf, sizeof buf);
    subs[0] = fd_sub(8, __WASI_EVENTTYPE_FD_READ, 0);
    err = __wasi_poll_oneoff(subs, ev, 1, &n);
    show("stdin at eof", err, n, ev);

    report("poll in out of bounds", raw_poll_oneoff(BAD, PTR(ev), 1, PTR(&n)));
    return 0;
}
