/* Helpers shared by Skiff's WASI test programs. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

/* Raw imports, for calls whose arguments libc's wrappers would not pass
   through as given (pointers outside memory, paths with NUL bytes). */
#define RAW(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
RAW(path_open) int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                                     int32_t oflags, int64_t base, int64_t inheriting,
                                     int32_t fdflags, int32_t out);
RAW(fd_write) int32_t raw_fd_write(int32_t fd, int32_t iovs, int32_t n, int32_t out);
RAW(fd_read) int32_t raw_fd_read(int32_t fd, int32_t iovs, int32_t n, int32_t out);
RAW(args_sizes_get) int32_t raw_args_sizes_get(int32_t argc, int32_t size);
RAW(args_get) int32_t raw_args_get(int32_t argv, int32_t buf);
RAW(environ_get) int32_t raw_environ_get(int32_t env, int32_t buf);
RAW(random_get) int32_t raw_random_get(int32_t buf, int32_t len);
RAW(clock_time_get) int32_t raw_clock_time_get(int32_t id, int64_t precision, int32_t out);
RAW(poll_oneoff) int32_t raw_poll_oneoff(int32_t in, int32_t out, int32_t n, int32_t nevents);
RAW(fd_prestat_dir_name) int32_t raw_fd_prestat_dir_name(int32_t fd, int32_t buf, int32_t len);
RAW(fd_filestat_get) int32_t raw_fd_filestat_get(int32_t fd, int32_t out);
RAW(path_create_directory) int32_t raw_path_create_directory(int32_t fd, int32_t path, int32_t len);
RAW(fd_readdir) int32_t raw_fd_readdir(int32_t fd, int32_t buf, int32_t len, int64_t cookie, int32_t out);
RAW(proc_raise) int32_t raw_proc_raise(int32_t sig);

#define PTR(p) ((int32_t)(uintptr_t)(p))
/* An address far past the end of any memory these programs have. */
#define BAD 0xfffffff0

static void report(const char *what, int err) { printf("%s: %d\n", what, err); }

/* Opens `path` under `dir` with raw rights; returns the errno, the fd in *fd. */
static int open_at(__wasi_fd_t dir, const char *path, __wasi_lookupflags_t follow,
                   __wasi_oflags_t oflags, __wasi_rights_t rights, __wasi_fdflags_t fdflags,
                   __wasi_fd_t *fd) {
    __wasi_fd_t tmp = (__wasi_fd_t)-1;
    int err = raw_path_open(dir, follow, PTR(path), strlen(path), oflags, rights, rights, fdflags,
                            PTR(&tmp));
    if (fd) *fd = tmp;
    else if (err == 0) __wasi_fd_close(tmp);
    return err;
}

#define READ_RIGHTS (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | \
                     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN)
#define WRITE_RIGHTS (READ_RIGHTS | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE)

static int write_str(__wasi_fd_t fd, const char *s) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n;
    return __wasi_fd_write(fd, &iov, 1, &n);
}

static int read_str(__wasi_fd_t fd, char *buf, size_t cap) {
    __wasi_iovec_t iov = {(uint8_t *)buf, cap - 1};
    __wasi_size_t n = 0;
    int err = __wasi_fd_read(fd, &iov, 1, &n);
    buf[err ? 0 : n] = 0;
    return err;
}
