/* Writes to a stdout that holds only so much (an in-memory buffer with a
   limit): raw writes get short, then ENOSPC; libc's stdio sees the error.
   Reports on stderr. */
#include "common.h"

int main(void) {
    static char chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    size_t total = 0;
    for (int i = 0; i < 5; i++) {
        __wasi_ciovec_t iov = {(const uint8_t *)chunk, sizeof chunk};
        __wasi_size_t n = 0;
        int err = __wasi_fd_write(1, &iov, 1, &n);
        fprintf(stderr, "write %d: %d, %u bytes\n", i, err, (unsigned)n);
        total += n;
    }
    fprintf(stderr, "raw total: %u\n", (unsigned)total);
    /* Two iovecs, the first empty: nothing fits, so the call fails. */
    __wasi_ciovec_t two[2] = {{(const uint8_t *)chunk, 0}, {(const uint8_t *)chunk, 1}};
    __wasi_size_t n = 0;
    fprintf(stderr, "empty then one byte: %d\n", __wasi_fd_write(1, two, 2, &n));
    /* An empty write always succeeds. */
    fprintf(stderr, "empty write: %d\n", __wasi_fd_write(1, two, 1, &n));
    errno = 0;
    int r = fputs("more\n", stdout);
    int f = fflush(stdout);
    fprintf(stderr, "libc: fputs %d fflush %d ferror %d errno %d\n", r >= 0, f, ferror(stdout) != 0, errno);
    return 0;
}
