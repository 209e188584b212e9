/* loops: tight integer loops.
 *
 * Phase 1: sieve of Eratosthenes over a byte array (loads, stores, strided
 *          inner loop), then a count and weighted sum of the primes.
 * Phase 2: Collatz trajectory lengths for every start value below the limit,
 *          done in 64-bit arithmetic (values pass 2^32 for some starts).
 * Phase 3: a 32-bit xorshift/multiply mixing loop with a data-dependent
 *          branch, to exercise i32 ALU ops and branch prediction.
 *
 * Size argument: limit (the sieve and Collatz upper bound).
 * Output: "checksum: <u64>" (decimal).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_SIZE 500

static uint64_t sieve(uint32_t limit) {
    unsigned char *composite = malloc(limit + 1);
    if (!composite)
        return 0;
    for (uint32_t i = 0; i <= limit; i++)
        composite[i] = 0;
    for (uint32_t i = 2; (uint64_t)i * i <= limit; i++) {
        if (composite[i])
            continue;
        for (uint32_t j = i * i; j <= limit; j += i)
            composite[j] = 1;
    }
    uint64_t count = 0, weighted = 0;
    for (uint32_t i = 2; i <= limit; i++) {
        if (!composite[i]) {
            count++;
            weighted += (uint64_t)i * count;
        }
    }
    free(composite);
    return count * 0x9E3779B97F4A7C15ull ^ weighted;
}

static uint64_t collatz(uint32_t limit) {
    uint64_t total_steps = 0;
    uint32_t longest_start = 1, longest = 0;
    for (uint32_t start = 1; start < limit; start++) {
        uint64_t x = start;
        uint32_t steps = 0;
        while (x != 1) {
            if (x & 1)
                x = 3 * x + 1;
            else
                x >>= 1;
            steps++;
        }
        total_steps += steps;
        if (steps > longest) {
            longest = steps;
            longest_start = start;
        }
    }
    return total_steps ^ ((uint64_t)longest_start << 32) ^ longest;
}

static uint32_t mix32(uint32_t rounds) {
    uint32_t x = 0x12345678u, acc = 0;
    for (uint32_t i = 0; i < rounds; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if ((x & 3) == 0)
            acc += x >> 3;
        else if ((x & 3) == 1)
            acc ^= x * 0x2545F491u;
        else
            acc = (acc << 1 | acc >> 31) + i;
    }
    return acc;
}

int main(int argc, char **argv) {
    long n = DEFAULT_SIZE;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    if (n < 2 || n > 100000000)
        n = DEFAULT_SIZE;
    uint32_t limit = (uint32_t)n;

    uint64_t a = sieve(limit * 4);
    uint64_t b = collatz(limit);
    uint32_t c = mix32(limit * 40);

    printf("checksum: %" PRIu64 "\n", a ^ (b * 31) ^ ((uint64_t)c << 17));
    return 0;
}
