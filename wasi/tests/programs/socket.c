/* Sockets the host handed over: fd 3 is a listening TCP socket. Accept a
   connection, read "ping", answer "pong", shut down. */
#include "common.h"

int main(void) {
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(3, &st);
    printf("fd 3 type %d\n", st.fs_filetype);
    __wasi_prestat_t pre;
    report("prestat of a socket", __wasi_fd_prestat_get(3, &pre));
    __wasi_fd_t conn;
    report("accept bad flags", __wasi_sock_accept(3, __WASI_FDFLAGS_APPEND, &conn));
    report("accept on stdout", __wasi_sock_accept(1, 0, &conn));
    report("accept", __wasi_sock_accept(3, 0, &conn));
    __wasi_subscription_t sub[2];
    memset(sub, 0, sizeof sub);
    sub[0].userdata = 9;
    sub[0].u.tag = __WASI_EVENTTYPE_FD_READ;
    sub[0].u.u.fd_read.file_descriptor = conn;
    __wasi_event_t ev[2];
    __wasi_size_t nev = 0;
    report("poll socket readable", __wasi_poll_oneoff(sub, ev, 1, &nev));
    printf("events %u userdata %llu type %d error %d has bytes %d\n", (unsigned)nev,
           (unsigned long long)ev[0].userdata, ev[0].type, ev[0].error, ev[0].fd_readwrite.nbytes > 0);
    sub[0].u.tag = __WASI_EVENTTYPE_FD_WRITE;
    report("poll socket writable", __wasi_poll_oneoff(sub, ev, 1, &nev));
    printf("events %u type %d error %d\n", (unsigned)nev, ev[0].type, ev[0].error);
    char buf[16];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n = 0;
    __wasi_roflags_t ro = 0;
    report("recv peek", __wasi_sock_recv(conn, &iov, 1, __WASI_RIFLAGS_RECV_PEEK | __WASI_RIFLAGS_RECV_WAITALL, &n, &ro));
    report("recv", __wasi_sock_recv(conn, &iov, 1, 0, &n, &ro));
    buf[n] = 0;
    printf("got: %s (%u) flags %d\n", buf, (unsigned)n, ro);
    report("recv bad flags", __wasi_sock_recv(conn, &iov, 1, 0x10, &n, &ro));
    report("recv on a non-socket", __wasi_sock_recv(1, &iov, 1, 0, &n, &ro));
    __wasi_ciovec_t civ = {(const uint8_t *)"pong", 4};
    report("send", __wasi_sock_send(conn, &civ, 1, 0, &n));
    printf("sent: %u\n", (unsigned)n);
    report("write on socket", write_str(conn, "!"));
    report("seek on socket", __wasi_fd_seek(conn, 0, __WASI_WHENCE_SET, (__wasi_filesize_t *)&n));
    report("shutdown bad how", __wasi_sock_shutdown(conn, 0));
    report("shutdown write", __wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR));
    report("shutdown on a non-socket", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR));
    report("shutdown on a closed fd", __wasi_sock_shutdown(99, __WASI_SDFLAGS_WR));
    report("send on a non-socket", __wasi_sock_send(1, &civ, 1, 0, &n));
    report("read after peer closed", read_str(conn, buf, sizeof buf));
    printf("eof: %d\n", buf[0] == 0);
    __wasi_fd_fdstat_get(conn, &st);
    report("drop the shutdown right",
           __wasi_fd_fdstat_set_rights(conn, st.fs_rights_base & ~__WASI_RIGHTS_SOCK_SHUTDOWN, 0));
    report("shutdown without the right", __wasi_sock_shutdown(conn, __WASI_SDFLAGS_RD));
    report("close", __wasi_fd_close(conn));
    return 0;
}
