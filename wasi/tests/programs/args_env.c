/* Arguments and environment: what the host granted, and nothing else. */
#include "common.h"

extern char **environ;

int main(int argc, char **argv) {
    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]: %s\n", i, argv[i]);
    for (char **e = environ; e && *e; e++) printf("env: %s\n", *e);
    const char *greeting = getenv("GREETING");
    printf("GREETING: %s\n", greeting ? greeting : "(unset)");

    __wasi_size_t count, size;
    report("args_sizes_get", __wasi_args_sizes_get(&count, &size));
    printf("args sizes: %u %u\n", (unsigned)count, (unsigned)size);
    report("environ_sizes_get", __wasi_environ_sizes_get(&count, &size));
    printf("environ sizes: %u %u\n", (unsigned)count, (unsigned)size);

    /* Pointers outside memory are refused, not followed. */
    report("args_sizes_get bad pointer", raw_args_sizes_get(BAD, PTR(&size)));
    report("args_get bad pointer", raw_args_get(BAD, BAD));
    report("environ_get bad pointer", raw_environ_get(PTR(&count), BAD));
    return 0;
}
