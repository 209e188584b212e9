/* The fd family on a read-write preopen "/rw" (fd 3) and on stdio (stdin
   holds "line one\nline two\n"). */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static __wasi_filesize_t size_of(__wasi_fd_t fd) {
    __wasi_filestat_t st;
    return __wasi_fd_filestat_get(fd, &st) ? (__wasi_filesize_t)-1 : st.size;
}

int main(void) {
    char buf[128];
    int err;

    /* Preopens. */
    __wasi_prestat_t pre;
    err = __wasi_fd_prestat_get(3, &pre);
    printf("prestat 3: %d tag %d len %u\n", err, pre.tag, (unsigned)pre.u.dir.pr_name_len);
    memset(buf, 0, sizeof buf);
    report("prestat_dir_name", __wasi_fd_prestat_dir_name(3, (uint8_t *)buf, pre.u.dir.pr_name_len));
    printf("name: %s\n", buf);
    report("prestat_dir_name short", __wasi_fd_prestat_dir_name(3, (uint8_t *)buf, 1));
    report("prestat_dir_name bad pointer", raw_fd_prestat_dir_name(3, BAD, 3));
    report("prestat 4", __wasi_fd_prestat_get(4, &pre));
    report("prestat stdout", __wasi_fd_prestat_get(1, &pre));
    __wasi_fdstat_t fst;
    err = __wasi_fd_fdstat_get(3, &fst);
    printf("fdstat 3: %d type %d path_open %d\n", err, fst.fs_filetype,
           (fst.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) != 0);

    /* Write, seek, tell, read. */
    __wasi_fd_t fd, fd2;
    report("open data.txt", open_at(3, "data.txt", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                                    __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
                                        __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET |
                                        __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES |
                                        __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_ADVISE |
                                        __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_SYNC |
                                        __WASI_RIGHTS_FD_DATASYNC,
                                    0, &fd));
    report("write", write_str(fd, "hello world\n"));
    __wasi_filesize_t pos = 0;
    err = __wasi_fd_tell(fd, &pos);
    printf("tell: %d %llu\n", err, (unsigned long long)pos);
    err = __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
    printf("seek set: %d %llu\n", err, (unsigned long long)pos);
    __wasi_iovec_t iov[2] = {{(uint8_t *)buf, 5}, {(uint8_t *)buf + 5, 1}};
    __wasi_size_t n = 0;
    err = __wasi_fd_read(fd, iov, 2, &n);
    buf[n] = 0;
    printf("read two iovecs: %d %u '%s'\n", err, (unsigned)n, buf);
    err = __wasi_fd_seek(fd, -6, __WASI_WHENCE_END, &pos);
    printf("seek end: %d %llu\n", err, (unsigned long long)pos);
    report("read", read_str(fd, buf, sizeof buf));
    printf("rest: '%s'", buf);
    err = __wasi_fd_seek(fd, -3, __WASI_WHENCE_CUR, &pos);
    printf("seek cur: %d %llu\n", err, (unsigned long long)pos);
    report("seek before start", __wasi_fd_seek(fd, -100, __WASI_WHENCE_CUR, &pos));
    report("seek bad whence", __wasi_fd_seek(fd, 0, 7, &pos));

    /* pread and pwrite leave the offset alone. */
    __wasi_ciovec_t civ = {(const uint8_t *)"HELLO", 5};
    err = __wasi_fd_pwrite(fd, &civ, 1, 0, &n);
    printf("pwrite: %d %u\n", err, (unsigned)n);
    __wasi_iovec_t piov = {(uint8_t *)buf, 11};
    err = __wasi_fd_pread(fd, &piov, 1, 0, &n);
    buf[n] = 0;
    printf("pread: %d %u '%s'\n", err, (unsigned)n, buf);
    err = __wasi_fd_pread(fd, &piov, 1, 100, &n);
    printf("pread past end: %d %u\n", err, (unsigned)n);
    __wasi_fd_tell(fd, &pos);
    printf("offset still: %llu\n", (unsigned long long)pos);

    /* filestat and its setters. */
    __wasi_filestat_t st;
    err = __wasi_fd_filestat_get(fd, &st);
    printf("filestat: %d type %d size %llu nlink %llu\n", err, st.filetype,
           (unsigned long long)st.size, (unsigned long long)st.nlink);
    report("set_size 5", __wasi_fd_filestat_set_size(fd, 5));
    printf("size: %llu\n", (unsigned long long)size_of(fd));
    report("set_size 100", __wasi_fd_filestat_set_size(fd, 100));
    printf("size: %llu\n", (unsigned long long)size_of(fd));
    report("set_times", __wasi_fd_filestat_set_times(fd, 1000000000123ull, 2000000000456ull,
                                                     __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    __wasi_fd_filestat_get(fd, &st);
    printf("times: %llu %llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
    report("set_times now", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_fd_filestat_get(fd, &st);
    printf("mtime moved: %d\n", st.mtim > 2000000000456ull);
    report("set_times both", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    report("filestat bad pointer", raw_fd_filestat_get(fd, BAD));

    /* advise, allocate, sync. */
    report("advise", __wasi_fd_advise(fd, 0, 100, __WASI_ADVICE_SEQUENTIAL));
    report("advise bad", __wasi_fd_advise(fd, 0, 100, 9));
    report("allocate", __wasi_fd_allocate(fd, 0, 4096));
    printf("size after allocate: %llu\n", (unsigned long long)size_of(fd));
    report("datasync", __wasi_fd_datasync(fd));
    report("sync", __wasi_fd_sync(fd));

    /* fdstat flags and rights. */
    report("set_flags append", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
    __wasi_fd_fdstat_get(fd, &fst);
    printf("flags: %d type %d\n", fst.fs_flags, fst.fs_filetype);
    __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
    write_str(fd, "tail");
    printf("size after append: %llu\n", (unsigned long long)size_of(fd));
    report("set_flags sync", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC));
    report("drop write right", __wasi_fd_fdstat_set_rights(fd, fst.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE, 0));
    report("write without right", write_str(fd, "x"));
    report("regain write right", __wasi_fd_fdstat_set_rights(fd, fst.fs_rights_base, 0));

    /* renumber and close. */
    report("open other.txt", open_at(3, "other.txt", 0, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, &fd2));
    report("renumber", __wasi_fd_renumber(fd, fd2));
    report("old number gone", __wasi_fd_fdstat_get(fd, &fst));
    __wasi_fd_seek(fd2, 0, __WASI_WHENCE_SET, &pos);
    __wasi_iovec_t riov = {(uint8_t *)buf, 5};
    __wasi_fd_read(fd2, &riov, 1, &n);
    buf[n] = 0;
    printf("through new number: '%s'\n", buf);
    report("renumber to closed", __wasi_fd_renumber(fd2, 77));
    report("close", __wasi_fd_close(fd2));
    report("close again", __wasi_fd_close(fd2));

    /* readdir, through libc and raw with a small buffer. */
    mkdir("/rw/list", 0755);
    close(open("/rw/list/b", O_CREAT | O_WRONLY, 0644));
    close(open("/rw/list/a", O_CREAT | O_WRONLY, 0644));
    mkdir("/rw/list/c", 0755);
    DIR *d = opendir("/rw/list");
    char *names[16];
    int count = 0;
    struct dirent *ent;
    while (d && (ent = readdir(d)) && count < 16) {
        char *s = malloc(strlen(ent->d_name) + 3);
        sprintf(s, "%s:%c", ent->d_name, ent->d_type == DT_DIR ? 'd' : ent->d_type == DT_REG ? 'f' : '?');
        names[count++] = s;
    }
    if (d) closedir(d);
    qsort(names, count, sizeof names[0], cmp);
    printf("readdir:");
    for (int i = 0; i < count; i++) printf(" %s", names[i]);
    printf("\n");
    __wasi_fd_t dfd;
    report("open list", open_at(3, "list", 0, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS, 0, &dfd));
    uint8_t dbuf[30];
    __wasi_dircookie_t cookie = 0;
    int entries = 0, calls = 0;
    for (;;) {
        __wasi_size_t used = 0;
        err = __wasi_fd_readdir(dfd, dbuf, sizeof dbuf, cookie, &used);
        calls++;
        if (err || used < sizeof(__wasi_dirent_t)) break;
        __wasi_dirent_t de;
        memcpy(&de, dbuf, sizeof de);
        entries++;
        cookie = de.d_next;
        if (calls > 20) break;
    }
    printf("raw readdir: %d entries in %d calls, last err %d\n", entries, calls, err);
    report("readdir bad buffer", raw_fd_readdir(dfd, BAD, 64, 0, PTR(&n)));
    report("readdir on a file", __wasi_fd_readdir(0, dbuf, sizeof dbuf, 0, &n));
    report("read a directory", __wasi_fd_read(dfd, &riov, 1, &n));
    report("seek a directory", __wasi_fd_seek(dfd, 0, __WASI_WHENCE_SET, &pos));
    __wasi_fd_close(dfd);

    /* stdio. */
    report("read stdin", read_str(0, buf, 10));
    printf("stdin: '%s'\n", buf);
    report("read stdin", read_str(0, buf, sizeof buf));
    printf("stdin: '%s'", buf);
    report("read stdin at eof", read_str(0, buf, sizeof buf));
    printf("eof: %d\n", buf[0] == 0);
    report("write stdin", write_str(0, "x"));
    report("seek stdout", __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos));
    report("pread stdin", __wasi_fd_pread(0, &riov, 1, 0, &n));
    __wasi_fd_fdstat_get(1, &fst);
    printf("stdout type %d seekable %d\n", fst.fs_filetype, (fst.fs_rights_base & __WASI_RIGHTS_FD_SEEK) != 0);
    report("write stderr", write_str(2, "to stderr\n"));
    report("write bad iovec", raw_fd_write(1, BAD, 1, PTR(&n)));
    __wasi_ciovec_t bad = {(const uint8_t *)0xffff0000, 0x20000};
    report("write iovec past end", __wasi_fd_write(1, &bad, 1, &n));
    report("write bad nwritten", raw_fd_write(1, PTR(&civ), 1, BAD));
    report("write closed fd", write_str(99, "x"));
    report("read bad nread", raw_fd_read(0, PTR(&riov), 1, BAD));
    fflush(stdout);
    return 0;
}
