/* sha256: 32-bit integer hashing (rotates, shifts, xors, adds, big-endian
 * byte loads) over a buffer in linear memory.
 *
 * A 4 KiB buffer is filled from a fixed generator. Each round hashes the
 * whole buffer with SHA-256 (FIPS 180-4) and folds the digest back into the
 * buffer at a moving offset, so every round depends on the previous one.
 *
 * Size argument: number of rounds (each round hashes 4 KiB).
 * Output: "checksum: <u64>" (decimal) = first 8 bytes of the final digest,
 * read big-endian.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SIZE 2
#define BUF_LEN (4 * 1024)

typedef struct {
    uint32_t h[8];
    uint64_t total;     /* bytes absorbed so far */
    uint32_t fill;      /* bytes waiting in block */
    uint8_t block[64];
} Sha256;

static const uint32_t round_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t st[8], const uint8_t *p) {
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
    for (int t = 0; t < 64; t++) {
        uint32_t big1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t choose = (e & f) ^ (~e & g);
        uint32_t t1 = h + big1 + choose + round_k[t] + w[t];
        uint32_t big0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = big0 + majority;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d;
    st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

static void sha_init(Sha256 *s) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->total = 0;
    s->fill = 0;
}

static void sha_update(Sha256 *s, const uint8_t *data, size_t len) {
    s->total += len;
    if (s->fill) {
        while (len && s->fill < 64) {
            s->block[s->fill++] = *data++;
            len--;
        }
        if (s->fill < 64)
            return;
        compress(s->h, s->block);
        s->fill = 0;
    }
    while (len >= 64) {
        compress(s->h, data);
        data += 64;
        len -= 64;
    }
    memcpy(s->block, data, len);
    s->fill = (uint32_t)len;
}

static void sha_final(Sha256 *s, uint8_t out[32]) {
    uint64_t bit_len = s->total * 8;
    uint8_t pad[72];
    size_t pad_len = (s->fill < 56) ? 56 - s->fill : 120 - s->fill;
    memset(pad, 0, sizeof pad);
    pad[0] = 0x80;
    for (int i = 0; i < 8; i++)
        pad[pad_len + i] = (uint8_t)(bit_len >> (56 - 8 * i));
    sha_update(s, pad, pad_len + 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

int main(int argc, char **argv) {
    long n = DEFAULT_SIZE;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    if (n < 1)
        n = DEFAULT_SIZE;

    uint8_t *buf = malloc(BUF_LEN);
    if (!buf)
        return 1;
    uint32_t x = 0x2F6B1D37u;
    for (size_t i = 0; i < BUF_LEN; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }

    uint8_t digest[32] = {0};
    for (long r = 0; r < n; r++) {
        Sha256 s;
        sha_init(&s);
        /* Feed in uneven pieces so the partial-block path runs too. */
        size_t first = 1 + (size_t)(r % 97);
        sha_update(&s, buf, first);
        sha_update(&s, buf + first, BUF_LEN - first);
        sha_final(&s, digest);
        size_t at = ((size_t)r * 4099u) % (BUF_LEN - 32);
        for (int i = 0; i < 32; i++)
            buf[at + i] ^= digest[i];
    }

    uint64_t top = 0;
    for (int i = 0; i < 8; i++)
        top = top << 8 | digest[i];
    printf("checksum: %" PRIu64 "\n", top);
    free(buf);
    return 0;
}
