/* memcopy: bulk memory operations.
 *
 * Built with -mbulk-memory, so memcpy/memmove lower to memory.copy and
 * memset to memory.fill. Each round copies blocks of pseudo-random offset
 * and length (from a few bytes to hundreds of KiB) between two 1 MiB
 * buffers, moves overlapping ranges forward and backward within one
 * buffer, and fills ranges with a round-dependent byte. A few bytes are
 * folded into the checksum each round, and the whole of both buffers at
 * the end (sampled: 8 bytes of every 256).
 *
 * Size argument: number of rounds.
 * Output: "checksum: <u64>" (decimal).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SIZE 10
#define BUF_LEN (1u << 20)

static uint32_t rng = 0x6D2B79F5u;

static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* A length with a wide spread: mostly small and medium, sometimes huge. */
static uint32_t pick_len(void) {
    uint32_t r = next();
    switch (r & 7) {
    case 0: case 1: case 2: return (r >> 8) % 64 + 1;
    case 3: case 4: return (r >> 8) % 4096 + 1;
    case 5: case 6: return (r >> 8) % 65536 + 1;
    default: return (r >> 8) % (BUF_LEN / 2) + 1;
    }
}

/* Hash 8 bytes out of every 256 (4096 samples per MiB): cheap enough for
 * the small test size, dense enough that a wrong copy shows. */
static uint64_t fold(const uint8_t *p, size_t len) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i + 8 <= len; i += 256) {
        uint64_t w;
        memcpy(&w, p + i + (i >> 8) % 248, 8);
        h = (h ^ w) * 0x100000001B3ull;
    }
    return h;
}

int main(int argc, char **argv) {
    long n = DEFAULT_SIZE;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    if (n < 1)
        n = DEFAULT_SIZE;

    uint8_t *a = malloc(BUF_LEN);
    uint8_t *b = malloc(BUF_LEN);
    if (!a || !b)
        return 1;
    /* Seed 4 KiB of a from the generator, then replicate it across the
     * buffer with block copies, perturbing one word per block. */
    for (uint32_t i = 0; i < 4096; i += 4) {
        uint32_t v = next();
        memcpy(a + i, &v, 4);
    }
    for (uint32_t off = 4096; off < BUF_LEN; off += 4096) {
        memcpy(a + off, a + off - 4096, 4096);
        uint32_t v = next();
        memcpy(a + off + (v & 4092), &v, 4);
    }
    memset(b, 0x5A, BUF_LEN);

    uint64_t h = 0;
    for (long r = 0; r < n; r++) {
        for (int k = 0; k < 16; k++) {
            uint32_t len = pick_len();
            uint32_t src = next() % (BUF_LEN - len + 1);
            uint32_t dst = next() % (BUF_LEN - len + 1);
            switch (k & 3) {
            case 0: /* a -> b */
                memcpy(b + dst, a + src, len);
                break;
            case 1: /* b -> a */
                memcpy(a + dst, b + src, len);
                break;
            case 2: /* overlapping move inside a (either direction) */
                memmove(a + dst, a + src, len);
                break;
            default: /* fill */
                memset(b + dst, (int)(r * 31 + k) & 0xFF, len);
                break;
            }
            h = (h << 5 | h >> 59) ^ a[dst] ^ ((uint64_t)b[src] << 8) ^ len;
        }
        /* Every round also shifts a whole half-buffer by a small stride,
         * so the large-copy path dominates the time. */
        uint32_t shift = 1 + (uint32_t)(r % 61);
        memmove(a + shift, a, BUF_LEN / 2);
        memmove(b, b + shift, BUF_LEN / 2);
    }

    h ^= fold(a, BUF_LEN) * 3;
    h ^= fold(b, BUF_LEN);
    printf("checksum: %" PRIu64 "\n", h);
    free(a);
    free(b);
    return 0;
}
