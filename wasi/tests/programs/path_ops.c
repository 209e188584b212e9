/* The path family on a read-write preopen "/rw" (fd 3), through raw calls
   and through libc. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int stat_at(const char *path, __wasi_lookupflags_t flags, __wasi_filestat_t *st) {
    memset(st, 0, sizeof *st);
    return __wasi_path_filestat_get(3, flags, path, st);
}

static void show(const char *path, __wasi_lookupflags_t flags) {
    __wasi_filestat_t st;
    int err = stat_at(path, flags, &st);
    printf("stat %s%s: %d type %d", path, flags ? " (follow)" : "", err, st.filetype);
    /* Directory sizes and link counts depend on the host's file system. */
    if (st.filetype != __WASI_FILETYPE_DIRECTORY)
        printf(" size %llu nlink %llu", (unsigned long long)st.size, (unsigned long long)st.nlink);
    printf("\n");
}

static void make_file(const char *path, const char *text) {
    __wasi_fd_t fd;
    int err = open_at(3, path, 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, WRITE_RIGHTS, 0, &fd);
    if (err == 0) {
        write_str(fd, text);
        __wasi_fd_close(fd);
    }
    printf("create %s: %d\n", path, err);
}

int main(void) {
    char buf[64];
    __wasi_size_t n;

    report("mkdir d", __wasi_path_create_directory(3, "d"));
    report("mkdir d again", __wasi_path_create_directory(3, "d"));
    report("mkdir with trailing slash", __wasi_path_create_directory(3, "d2/"));
    report("mkdir in missing dir", __wasi_path_create_directory(3, "nope/sub"));
    show("d", 0);
    make_file("d/f", "contents");
    show("d/f", 0);
    show("d/f/", 0);
    show("d/missing", 0);
    show("d/f/x", 0);

    /* Hard links. */
    report("link f to g", __wasi_path_link(3, 0, "d/f", 3, "d/g"));
    show("d/g", 0);
    report("link onto existing", __wasi_path_link(3, 0, "d/f", 3, "d/g"));
    report("link a directory", __wasi_path_link(3, 0, "d", 3, "d3"));

    /* Symbolic links. */
    report("symlink s -> f", __wasi_path_symlink("f", 3, "d/s"));
    show("d/s", 0);
    show("d/s", FOLLOW);
    memset(buf, 0, sizeof buf);
    report("readlink s", __wasi_path_readlink(3, "d/s", (uint8_t *)buf, sizeof buf, &n));
    printf("target: '%s' (%u)\n", buf, (unsigned)n);
    memset(buf, 0, sizeof buf);
    report("readlink short", __wasi_path_readlink(3, "d/s", (uint8_t *)buf, 0, &n));
    printf("bufused: %u\n", (unsigned)n);
    report("readlink a file", __wasi_path_readlink(3, "d/f", (uint8_t *)buf, sizeof buf, &n));
    report("symlink onto existing", __wasi_path_symlink("f", 3, "d/g"));
    report("symlink dangling", __wasi_path_symlink("nothing-here", 3, "d/dangling"));
    show("d/dangling", FOLLOW);
    __wasi_fd_t fd;
    report("open through dangling (creat)", open_at(3, "d/dangling", FOLLOW, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, NULL));
    show("d/nothing-here", 0);
    report("open symlink nofollow", open_at(3, "d/s", 0, 0, READ_RIGHTS, 0, NULL));
    report("open symlink follow", open_at(3, "d/s", FOLLOW, 0, READ_RIGHTS, 0, &fd));
    report("read through symlink", read_str(fd, buf, sizeof buf));
    printf("content: '%s'\n", buf);
    __wasi_fd_close(fd);
    report("symlink to dir", __wasi_path_symlink("..", 3, "d/up"));
    show("d/up/d/f", 0);

    /* Times on a path. */
    report("set_times", __wasi_path_filestat_set_times(3, 0, "d/f", 5000000000ull, 6000000000ull,
                                                       __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    __wasi_filestat_t st;
    stat_at("d/f", 0, &st);
    printf("times: %llu %llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
    report("set_times through link", __wasi_path_filestat_set_times(3, FOLLOW, "d/s", 0, 7000000000ull, __WASI_FSTFLAGS_MTIM));
    stat_at("d/f", 0, &st);
    printf("mtim: %llu\n", (unsigned long long)st.mtim);
    report("set_times bad flags", __wasi_path_filestat_set_times(3, 0, "d/f", 0, 0, 0x30));

    /* Open flags. */
    report("open excl existing", open_at(3, "d/f", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, WRITE_RIGHTS, 0, NULL));
    report("open directory flag on file", open_at(3, "d/f", 0, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS, 0, NULL));
    report("open missing", open_at(3, "d/none", 0, 0, READ_RIGHTS, 0, NULL));
    report("open bad oflags", open_at(3, "d/f", 0, 0x40, READ_RIGHTS, 0, NULL));
    report("open with NUL in path", raw_path_open(3, 0, PTR("d/f\0x"), 5, 0, READ_RIGHTS, READ_RIGHTS, 0, PTR(&fd)));
    report("open path out of bounds", raw_path_open(3, 0, BAD, 10, 0, READ_RIGHTS, READ_RIGHTS, 0, PTR(&fd)));
    report("open empty path", open_at(3, "", 0, 0, READ_RIGHTS, 0, NULL));
    report("open under a file", open_at(3, "d/f/x", 0, 0, READ_RIGHTS, 0, NULL));
    report("path call on a file fd", open_at(1, "x", 0, 0, READ_RIGHTS, 0, NULL));
    report("path call on closed fd", open_at(42, "x", 0, 0, READ_RIGHTS, 0, NULL));
    report("open dir for writing", open_at(3, "d", 0, 0, WRITE_RIGHTS, 0, NULL));
    report("open with trailing slash on file", open_at(3, "d/f/", 0, 0, READ_RIGHTS, 0, NULL));
    report("open . as dir", open_at(3, ".", 0, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS, 0, NULL));
    report("open nested fd", open_at(3, "d", 0, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS | __WASI_RIGHTS_PATH_OPEN, 0, &fd));
    report("open relative to nested fd", open_at(fd, "f", 0, 0, READ_RIGHTS, 0, NULL));
    __wasi_fd_close(fd);

    /* Rename. */
    report("rename g to h", __wasi_path_rename(3, "d/g", 3, "d/h"));
    show("d/g", 0);
    show("d/h", 0);
    report("rename missing", __wasi_path_rename(3, "d/g", 3, "d/i"));
    report("rename file with trailing slash", __wasi_path_rename(3, "d/h", 3, "d/i/"));
    report("rename dir d to e", __wasi_path_rename(3, "d", 3, "e/"));
    show("e/h", 0);
    report("rename onto non-empty dir", __wasi_path_rename(3, "d2", 3, "e"));

    /* Unlink and rmdir. */
    report("unlink h", __wasi_path_unlink_file(3, "e/h"));
    report("unlink h again", __wasi_path_unlink_file(3, "e/h"));
    report("unlink a dir", __wasi_path_unlink_file(3, "e"));
    report("unlink file with slash", __wasi_path_unlink_file(3, "e/f/"));
    report("unlink symlink", __wasi_path_unlink_file(3, "e/s"));
    show("e/f", 0);
    report("rmdir non-empty", __wasi_path_remove_directory(3, "e"));
    report("rmdir a file", __wasi_path_remove_directory(3, "e/f"));
    report("rmdir the preopen", __wasi_path_remove_directory(3, "."));
    __wasi_path_unlink_file(3, "e/f");
    __wasi_path_unlink_file(3, "e/dangling");
    __wasi_path_unlink_file(3, "e/nothing-here");
    __wasi_path_unlink_file(3, "e/up");
    report("rmdir emptied", __wasi_path_remove_directory(3, "e/"));
    show("e", 0);
    report("rmdir d2", __wasi_path_remove_directory(3, "d2"));

    /* The same through libc. */
    printf("libc mkdir: %d\n", mkdir("/rw/lib", 0755));
    FILE *f = fopen("/rw/lib/notes.txt", "w");
    fputs("first line\n", f);
    fclose(f);
    f = fopen("/rw/lib/notes.txt", "a");
    fputs("second line\n", f);
    fclose(f);
    f = fopen("/rw/lib/notes.txt", "r");
    while (fgets(buf, sizeof buf, f)) printf("libc read: %s", buf);
    fclose(f);
    struct stat sb;
    printf("libc stat: %d size %lld\n", stat("/rw/lib/notes.txt", &sb), (long long)sb.st_size);
    printf("libc rename: %d\n", rename("/rw/lib/notes.txt", "/rw/lib/moved.txt"));
    printf("libc symlink: %d\n", symlink("moved.txt", "/rw/lib/link"));
    memset(buf, 0, sizeof buf);
    printf("libc readlink: %zd %s\n", readlink("/rw/lib/link", buf, sizeof buf), buf);
    printf("libc link: %d\n", link("/rw/lib/moved.txt", "/rw/lib/hard"));
    printf("libc access: %d\n", access("/rw/lib/hard", R_OK));
    errno = 0;
    printf("libc open missing: %d errno %d\n", open("/rw/lib/none", O_RDONLY), errno);
    printf("libc unlink: %d %d %d\n", unlink("/rw/lib/moved.txt"), unlink("/rw/lib/link"), unlink("/rw/lib/hard"));
    printf("libc rmdir: %d\n", rmdir("/rw/lib"));
    return 0;
}
