/* Collatz chains: init builds a table of every chain length below LIMIT,
 * following each chain all the way to 1, and main answers from the table.
 * `skiff snapshot --init init collatz.wasm -o snap.wasm` runs init ahead of
 * time: a run of the snapshot starts with the table built. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LIMIT 2000000

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(name)))
#else
#define EXPORT(name)
#endif

static uint16_t steps[LIMIT];
/* longest[k]: the number below 10^(k+1) with the longest chain, for k
 * below BOUNDS; longest[BOUNDS]: the one below LIMIT. */
#define BOUNDS 6
static uint32_t longest[BOUNDS + 1];
static uint64_t checksum;
static int ready;

EXPORT("init") void init(void) {
    for (uint32_t n = 1; n < LIMIT; n++) {
        uint64_t x = n;
        uint16_t k = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x / 2;
            k++;
        }
        steps[n] = k;
    }
    uint32_t best = 1, bound = 10, k = 0;
    for (uint32_t n = 1; n < LIMIT; n++) {
        if (steps[n] > steps[best])
            best = n;
        if (n + 1 == bound && k < BOUNDS) {
            longest[k++] = best;
            bound *= 10;
        }
        checksum = checksum * 31 + steps[n];
    }
    longest[BOUNDS] = best;
    ready = 1;
}

int main(int argc, char **argv) {
    if (!ready)
        init();
    printf("checksum %llu\n", (unsigned long long)checksum);
    uint32_t bound = 10;
    for (int k = 0; k < BOUNDS; k++, bound *= 10)
        printf("below %u: %u takes %u steps\n", bound, longest[k], steps[longest[k]]);
    printf("below %u: %u takes %u steps\n", LIMIT, longest[BOUNDS], steps[longest[BOUNDS]]);
    for (int i = 1; i < argc; i++) {
        long n = atol(argv[i]);
        if (n > 0 && n < LIMIT)
            printf("%ld takes %u steps\n", n, steps[n]);
        else
            printf("%s: not below %d\n", argv[i], LIMIT);
    }
    return 0;
}
