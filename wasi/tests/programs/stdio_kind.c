/* What the standard streams look like to the guest, and how libc buffers
   stdout accordingly. Reports on stderr. With an argument PATH, stdout is
   expected to be the host file that the guest also sees as PATH (under a
   preopen): the program prints two lines to stdout and reads PATH back
   without flushing, which shows whether libc buffers stdout by line or in
   full. (wasi-libc asks isatty when it first writes stdout out, so the
   first line is always written at once; the second tells.) */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int fd = 0; fd < 3; fd++) {
        __wasi_fdstat_t st;
        memset(&st, 0, sizeof st);
        int err = __wasi_fd_fdstat_get(fd, &st);
        __wasi_filestat_t fs;
        memset(&fs, 0, sizeof fs);
        int ferr = __wasi_fd_filestat_get(fd, &fs);
        fprintf(stderr, "fd %d: fdstat %d type %d seek/tell %d; filestat %d type %d size %llu; isatty %d\n", fd,
                err, st.fs_filetype,
                (st.fs_rights_base & (__WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL)) != 0, ferr, fs.filetype,
                (unsigned long long)fs.size, isatty(fd));
    }
    if (argc > 1) {
        printf("first\n");
        printf("second\n");
        int fd = open(argv[1], O_RDONLY);
        char buf[64];
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
        fprintf(stderr, "after two lines, %s holds %d bytes\n", argv[1], (int)n);
        fflush(stdout);
        n = fd < 0 ? -1 : pread(fd, buf, sizeof buf, 0);
        fprintf(stderr, "after fflush, %s holds %d bytes\n", argv[1], (int)n);
    }
    return 0;
}
