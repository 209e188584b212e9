/* Escape attempts (EPERM) and a read-only preopen (EPERM for any change).
   fd 3 is the read-write preopen "/rw", fd 4 the read-only preopen "/ro".
   The host put under /rw: "hostlink" -> the absolute path of a directory
   outside, "hostrel" -> "../outside/secret"; under /ro: "readme.txt" and
   the directory "sub". */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static void try_open(const char *what, __wasi_fd_t dir, const char *path, __wasi_lookupflags_t follow) {
    report(what, open_at(dir, path, follow, 0, READ_RIGHTS, 0, NULL));
}

int main(void) {
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    char buf[64];
    __wasi_size_t n;

    printf("-- climbing\n");
    report("mkdir sub", __wasi_path_create_directory(3, "sub"));
    try_open("..", 3, "..", 0);
    try_open("../outside/secret", 3, "../outside/secret", 0);
    try_open("sub/../../outside/secret", 3, "sub/../../outside/secret", 0);
    try_open("sub/../sub/./../..", 3, "sub/../sub/./../..", 0);
    try_open("sub/.. stays inside", 3, "sub/..", 0);
    report("mkdir ../escaped", __wasi_path_create_directory(3, "../escaped"));
    report("stat ../outside", __wasi_path_filestat_get(3, 0, "../outside", &st));
    report("nested fd cannot climb", open_at(3, "sub", 0, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS, 0, &fd));
    try_open("nested ..", fd, "..", 0);
    try_open("nested ../sub", fd, "../sub", 0);
    __wasi_fd_close(fd);

    printf("-- absolute\n");
    try_open("/etc/passwd", 3, "/etc/passwd", 0);
    try_open("/", 3, "/", 0);
    report("stat /etc", __wasi_path_filestat_get(3, FOLLOW, "/etc", &st));
    report("unlink /tmp/x", __wasi_path_unlink_file(3, "/tmp/x"));
    errno = 0;
    printf("libc fopen /etc/passwd: %d errno %d\n", fopen("/etc/passwd", "r") != NULL, errno);
    errno = 0;
    printf("libc open /rw/../outside/secret: %d errno %d\n", open("/rw/../outside/secret", O_RDONLY), errno);

    printf("-- symlinks made by the host\n");
    try_open("hostlink (follow)", 3, "hostlink", FOLLOW);
    try_open("hostlink (nofollow)", 3, "hostlink", 0);
    try_open("hostlink/secret", 3, "hostlink/secret", 0);
    try_open("hostrel (follow)", 3, "hostrel", FOLLOW);
    report("stat hostrel (follow)", __wasi_path_filestat_get(3, FOLLOW, "hostrel", &st));
    report("stat hostrel", __wasi_path_filestat_get(3, 0, "hostrel", &st));
    printf("is a symlink: %d\n", st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    memset(buf, 0, sizeof buf);
    report("readlink hostrel", __wasi_path_readlink(3, "hostrel", (uint8_t *)buf, sizeof buf, &n));
    printf("target: %s\n", buf);
    report("create through hostlink", open_at(3, "hostlink/planted", 0, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, NULL));
    report("mkdir through hostlink", __wasi_path_create_directory(3, "hostlink/planted-dir"));
    report("link into hostlink", __wasi_path_link(3, 0, "sub", 3, "hostlink/linked"));
    report("link from hostrel (follow)", __wasi_path_link(3, FOLLOW, "hostrel", 3, "stolen"));
    report("set_times through hostrel", __wasi_path_filestat_set_times(3, FOLLOW, "hostrel", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    report("rename into hostlink", __wasi_path_rename(3, "sub", 3, "hostlink/moved"));
    errno = 0;
    printf("libc fopen /rw/hostlink/secret: %d errno %d\n", fopen("/rw/hostlink/secret", "r") != NULL, errno);

    printf("-- symlinks made by the guest\n");
    report("symlink up -> ../..", __wasi_path_symlink("../..", 3, "sub/up"));
    try_open("sub/up", 3, "sub/up", FOLLOW);
    try_open("sub/up/outside/secret", 3, "sub/up/outside/secret", 0);
    report("symlink sneaky -> sub/../..", __wasi_path_symlink("sub/../..", 3, "sneaky"));
    try_open("sneaky/outside/secret", 3, "sneaky/outside/secret", 0);
    report("symlink chain -> sneaky/outside", __wasi_path_symlink("sneaky/outside", 3, "chain"));
    try_open("chain/secret", 3, "chain/secret", FOLLOW);
    report("symlink abs -> /etc", __wasi_path_symlink("/etc", 3, "abs"));
    report("symlink inside -> sub", __wasi_path_symlink("sub", 3, "inside"));
    report("create through inside", open_at(3, "inside/made", FOLLOW, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, NULL));
    report("stat sub/made", __wasi_path_filestat_get(3, 0, "sub/made", &st));
    report("symlink loop a -> b", __wasi_path_symlink("loop-b", 3, "loop-a"));
    report("symlink loop b -> a", __wasi_path_symlink("loop-a", 3, "loop-b"));
    try_open("loop-a", 3, "loop-a", FOLLOW);
    try_open("loop-a/x", 3, "loop-a/x", 0);
    report("symlink in ro", __wasi_path_symlink("x", 4, "evil"));
    errno = 0;
    printf("libc symlink ../../.. then open: %d ", symlink("../../..", "/rw/libup"));
    printf("%d errno %d\n", open("/rw/libup/etc/passwd", O_RDONLY), errno);

    printf("-- read-only preopen\n");
    __wasi_fdstat_t fst;
    __wasi_fd_fdstat_get(4, &fst);
    printf("ro may create: %d may open: %d\n", (fst.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE) != 0,
           (fst.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) != 0);
    report("open readme", open_at(4, "readme.txt", 0, 0, READ_RIGHTS, 0, &fd));
    report("read readme", read_str(fd, buf, sizeof buf));
    printf("readme: %s", buf);
    report("write readme fd", write_str(fd, "x"));
    report("truncate readme fd", __wasi_fd_filestat_set_size(fd, 0));
    report("set_times readme fd", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    report("allocate readme fd", __wasi_fd_allocate(fd, 0, 100));
    report("gain write right", __wasi_fd_fdstat_set_rights(fd, WRITE_RIGHTS, 0));
    __wasi_fd_close(fd);
    report("open readme for writing", open_at(4, "readme.txt", 0, 0, WRITE_RIGHTS, 0, NULL));
    report("open readme append", open_at(4, "readme.txt", 0, 0, READ_RIGHTS, __WASI_FDFLAGS_APPEND, NULL));
    report("open readme trunc", open_at(4, "readme.txt", 0, __WASI_OFLAGS_TRUNC, READ_RIGHTS, 0, NULL));
    report("create in ro", open_at(4, "new.txt", 0, __WASI_OFLAGS_CREAT, READ_RIGHTS, 0, NULL));
    report("mkdir in ro", __wasi_path_create_directory(4, "newdir"));
    report("unlink in ro", __wasi_path_unlink_file(4, "readme.txt"));
    report("rmdir in ro", __wasi_path_remove_directory(4, "sub"));
    report("rename in ro", __wasi_path_rename(4, "readme.txt", 4, "renamed.txt"));
    report("rename ro to rw", __wasi_path_rename(4, "readme.txt", 3, "taken.txt"));
    report("rename rw to ro", __wasi_path_rename(3, "sub/made", 4, "planted.txt"));
    report("link ro to rw", __wasi_path_link(4, 0, "readme.txt", 3, "hardlink.txt"));
    report("link rw to ro", __wasi_path_link(3, 0, "sub/made", 4, "planted.txt"));
    report("set_times in ro", __wasi_path_filestat_set_times(4, 0, "readme.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    report("open ro/sub", open_at(4, "sub", 0, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS | __WASI_RIGHTS_PATH_CREATE_FILE, 0, &fd));
    report("create in ro/sub", open_at(fd, "x", 0, __WASI_OFLAGS_CREAT, READ_RIGHTS, 0, NULL));
    report("mkdir in ro/sub", __wasi_path_create_directory(fd, "y"));
    __wasi_fd_close(fd);
    report("stat in ro", __wasi_path_filestat_get(4, 0, "readme.txt", &st));
    printf("size: %llu\n", (unsigned long long)st.size);
    errno = 0;
    printf("libc fopen w: %d errno %d\n", fopen("/ro/readme.txt", "w") != NULL, errno);
    errno = 0;
    printf("libc fopen a: %d errno %d\n", fopen("/ro/readme.txt", "a") != NULL, errno);
    errno = 0;
    printf("libc fopen r+: %d errno %d\n", fopen("/ro/readme.txt", "r+") != NULL, errno);
    errno = 0;
    printf("libc mkdir: %d errno %d\n", mkdir("/ro/d", 0755), errno);
    errno = 0;
    printf("libc unlink: %d errno %d\n", unlink("/ro/readme.txt"), errno);
    FILE *f = fopen("/ro/readme.txt", "r");
    printf("libc fopen r: %d\n", f != NULL);
    if (f) fclose(f);
    return 0;
}
