/* Opening directories with path_open: rights are ceilings, a directory is
   never opened for writing on the host, and FD_WRITE on one is EISDIR.
   "/rw" is fd 3 (read-write), "/ro" is fd 4 (read-only); "/rw" holds a
   directory "sub" and a file "file", "/ro" a directory "sub". */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define DIR_FLAG __WASI_OFLAGS_DIRECTORY

static __wasi_fdstat_t stat_of(__wasi_fd_t fd) {
    __wasi_fdstat_t st;
    memset(&st, 0, sizeof st);
    __wasi_fd_fdstat_get(fd, &st);
    return st;
}

/* Opens `path` under `dir` with separate base and inheriting rights; prints
   the errno and, on success, the new descriptor's file type and whether it
   kept FD_WRITE. */
static void try_open(const char *what, __wasi_fd_t dir, const char *path, __wasi_lookupflags_t follow,
                     __wasi_oflags_t oflags, __wasi_rights_t base, __wasi_rights_t inheriting) {
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    int err = raw_path_open(dir, follow, PTR(path), strlen(path), oflags, base, inheriting, 0, PTR(&fd));
    printf("%s: %d", what, err);
    if (err == 0) {
        __wasi_fdstat_t st = stat_of(fd);
        printf(" type %d write %d", st.fs_filetype, (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
        __wasi_fd_close(fd);
    }
    printf("\n");
}

int main(void) {
    __wasi_fdstat_t rw = stat_of(3), ro = stat_of(4);
    /* What the suite's programs do first: open "." with the preopen's own rights. */
    try_open("rw . with its own rights", 3, ".", 0, DIR_FLAG, rw.fs_rights_base, rw.fs_rights_inheriting);
    try_open("rw . with its inheriting rights", 3, ".", 0, DIR_FLAG, rw.fs_rights_inheriting,
             rw.fs_rights_inheriting);
    try_open("rw . with every right", 3, ".", 0, DIR_FLAG, ~0ull & ~__WASI_RIGHTS_FD_WRITE, ~0ull);
    try_open("rw . with no rights", 3, ".", 0, DIR_FLAG, 0, 0);
    try_open("rw . read", 3, ".", 0, DIR_FLAG, __WASI_RIGHTS_FD_READ, 0);
    try_open("rw . read+write", 3, ".", 0, DIR_FLAG, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0);
    try_open("rw sub without the flag, set-size right", 3, "sub", 0, 0,
             __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_DATASYNC, 0);
    try_open("rw sub without the flag, write", 3, "sub", 0, 0, __WASI_RIGHTS_FD_WRITE, 0);
    try_open("rw sub/ trailing slash, set-size right", 3, "sub/", 0, 0, __WASI_RIGHTS_FD_FILESTAT_SET_SIZE, 0);
    try_open("rw directory|creat", 3, "newdir", 0, DIR_FLAG | __WASI_OFLAGS_CREAT, 0, 0);
    try_open("rw directory|trunc", 3, "sub", 0, DIR_FLAG | __WASI_OFLAGS_TRUNC, 0, 0);
    try_open("rw directory|excl", 3, "sub", 0, DIR_FLAG | __WASI_OFLAGS_EXCL, 0, 0);
    try_open("rw directory flag on a file", 3, "file", 0, DIR_FLAG, __WASI_RIGHTS_FD_READ, 0);
    try_open("rw file with every right", 3, "file", 0, 0, ~0ull, ~0ull);

    /* A symbolic link to a directory: O_DIRECTORY alone does not follow it. */
    report("symlink link -> sub", __wasi_path_symlink("sub", 3, "link"));
    try_open("rw link, directory flag, nofollow", 3, "link", 0, DIR_FLAG, 0, 0);
    try_open("rw link, directory flag, follow", 3, "link", FOLLOW, DIR_FLAG, 0, 0);
    try_open("rw link/ (a trailing slash follows)", 3, "link/", 0, 0, 0, 0);
    report("unlink link", __wasi_path_unlink_file(3, "link"));

    /* The opened directory keeps what its parent passes on, no more. */
    __wasi_fd_t sub = (__wasi_fd_t)-1;
    int err = raw_path_open(3, 0, PTR("sub"), 3, DIR_FLAG, ~0ull & ~__WASI_RIGHTS_FD_WRITE, ~0ull, 0, PTR(&sub));
    __wasi_fdstat_t st = stat_of(sub);
    printf("rw sub: %d rights within the parent's: %d\n", err,
           (st.fs_rights_base & ~rw.fs_rights_inheriting) == 0 &&
               (st.fs_rights_inheriting & ~rw.fs_rights_inheriting) == 0);
    report("mkdir under the opened sub", __wasi_path_create_directory(sub, "made"));
    report("rmdir it", __wasi_path_remove_directory(sub, "made"));
    __wasi_fd_close(sub);

    /* A read-only preopen: opening a directory changes nothing and is allowed;
       the directory opened can change nothing either. */
    try_open("ro . with its own rights", 4, ".", 0, DIR_FLAG, ro.fs_rights_base, ro.fs_rights_inheriting);
    try_open("ro sub with every right but FD_WRITE", 4, "sub", 0, DIR_FLAG, ~0ull & ~__WASI_RIGHTS_FD_WRITE,
             ~0ull);
    try_open("ro . read+write", 4, ".", 0, DIR_FLAG, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0);
    err = raw_path_open(4, 0, PTR("sub"), 3, DIR_FLAG, ~0ull & ~__WASI_RIGHTS_FD_WRITE, ~0ull, 0, PTR(&sub));
    report("ro sub", err);
    report("mkdir under ro sub", __wasi_path_create_directory(sub, "made"));
    report("create under ro sub",
           open_at(sub, "new", 0, __WASI_OFLAGS_CREAT, READ_RIGHTS, 0, NULL));
    __wasi_fd_close(sub);

    /* libc's directory calls. */
    DIR *d = opendir("/rw/sub");
    printf("libc opendir: %d\n", d != NULL);
    if (d) closedir(d);
    int fd = open("/rw/sub", O_RDONLY | O_DIRECTORY);
    printf("libc open O_DIRECTORY: %d\n", fd >= 0);
    if (fd >= 0) close(fd);
    fd = open("/rw/sub", O_RDWR);
    printf("libc open dir O_RDWR: %d errno %d\n", fd, errno);
    d = opendir("/ro/sub");
    printf("libc opendir ro: %d\n", d != NULL);
    if (d) closedir(d);
    return 0;
}
