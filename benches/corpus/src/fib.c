/* fib: call-heavy workload.
 *
 * Naive doubly-recursive Fibonacci plus a small mutually recursive pair
 * (is_even/is_odd style, but carrying an accumulator) so that the call path,
 * the stack-limit check and function prologues/epilogues dominate.
 *
 * Size argument: n, the Fibonacci index (time grows about 1.618^n).
 * Output: "checksum: <u64>" (decimal).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_SIZE 22

/* noinline keeps every level a real call in both the wasm and native builds. */
__attribute__((noinline)) static uint64_t fib(uint32_t n) {
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}

/* Two functions calling each other down to zero; each step mixes the value so
 * the compiler cannot close the recursion into a formula. */
__attribute__((noinline)) static uint64_t walk_b(uint32_t n, uint64_t acc);

__attribute__((noinline)) static uint64_t walk_a(uint32_t n, uint64_t acc) {
    if (n == 0)
        return acc;
    return walk_b(n - 1, acc * 3 + n) ^ (acc >> 7);
}

__attribute__((noinline)) static uint64_t walk_b(uint32_t n, uint64_t acc) {
    if (n == 0)
        return acc + 1;
    return walk_a(n - 1, acc ^ (acc << 5) ^ n) + 1;
}

int main(int argc, char **argv) {
    long n = DEFAULT_SIZE;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    if (n < 1 || n > 90)
        n = DEFAULT_SIZE;

    uint64_t sum = fib((uint32_t)n);
    /* A cheaper second phase with a shallow-but-long call chain: depth 200,
     * repeated proportionally to fib(n) / 64 so both phases scale together. */
    uint64_t reps = sum / 4096 + 1;
    uint64_t acc = 0;
    for (uint64_t r = 0; r < reps; r++)
        acc = walk_a(200, acc + r);

    printf("checksum: %" PRIu64 "\n", sum * 1000003u ^ acc);
    return 0;
}
