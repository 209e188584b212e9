/* Exit codes: argv[1] is "exit N" (exit(N)), "return N" (main returns N),
   "trap" (an unreachable instruction) or "raw N" (proc_exit without libc's
   cleanup). */
#include "common.h"

int main(int argc, char **argv) {
    printf("running %s\n", argc > 1 ? argv[1] : "(none)");
    if (argc < 3 && !(argc == 2 && strcmp(argv[1], "trap") == 0)) return 0;
    if (strcmp(argv[1], "trap") == 0) __builtin_trap();
    int code = atoi(argv[2]);
    if (strcmp(argv[1], "exit") == 0) exit(code);
    if (strcmp(argv[1], "raw") == 0) {
        fflush(stdout);
        __wasi_proc_exit(code);
    }
    return code;
}
