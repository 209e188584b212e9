/* imgfilter: a 3x3 Gaussian blur over an 8-bit grayscale image, repeated.
 *
 * Each pass replaces every interior pixel by its neighbourhood weighted
 * 1 2 1 / 2 4 2 / 1 2 1, divided by 16 with rounding, into a second image;
 * the two images then swap, and one pixel gets fresh noise so that no two
 * pass counts end alike. The WebAssembly build computes 16 pixels at a time
 * with the wasm_simd128.h intrinsics (widen to 16 bits, add, shift, narrow);
 * the native build runs the same arithmetic one pixel at a time, so both
 * print the same checksum: an FNV-1a hash of the last image.
 *
 * Size argument: passes over a 512 x 256 image.
 * Output: "checksum: <u64>" (decimal).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define W 512
#define H 256
#define DEFAULT_SIZE 1

static uint32_t state = 0x2545F491u;

static uint32_t next(void) {
    state = state * 1664525u + 1013904223u;
    return state;
}

/* The horizontal 1 2 1 sum at (x, y). */
static unsigned row_sum(const uint8_t *src, size_t x, size_t y) {
    const uint8_t *p = src + y * W + x;
    return p[-1] + 2u * p[0] + p[1];
}

/* One output pixel: the rounded sixteenth of its weighted neighbourhood. */
static uint8_t pixel(const uint8_t *src, size_t x, size_t y) {
    unsigned sum = row_sum(src, x, y - 1) + 2 * row_sum(src, x, y) + row_sum(src, x, y + 1);
    return (uint8_t)((sum + 8) >> 4);
}

#ifdef __wasm_simd128__
/* The horizontal 1 2 1 sums of 16 pixels from `p`, as two halves of 16 bits. */
static void row_sums(const uint8_t *p, v128_t *lo, v128_t *hi) {
    v128_t l = wasm_v128_load(p - 1), c = wasm_v128_load(p), r = wasm_v128_load(p + 1);
    v128_t cl = wasm_u16x8_extend_low_u8x16(c), ch = wasm_u16x8_extend_high_u8x16(c);
    *lo = wasm_i16x8_add(wasm_i16x8_add(wasm_u16x8_extend_low_u8x16(l), wasm_u16x8_extend_low_u8x16(r)),
                         wasm_i16x8_add(cl, cl));
    *hi = wasm_i16x8_add(wasm_i16x8_add(wasm_u16x8_extend_high_u8x16(l), wasm_u16x8_extend_high_u8x16(r)),
                         wasm_i16x8_add(ch, ch));
}
#endif

static void pass(uint8_t *restrict dst, const uint8_t *restrict src) {
    for (size_t y = 1; y < H - 1; y++) {
        size_t x = 1;
#ifdef __wasm_simd128__
        for (; x + 16 <= W - 1; x += 16) {
            v128_t alo, ahi, blo, bhi, clo, chi;
            row_sums(src + (y - 1) * W + x, &alo, &ahi);
            row_sums(src + y * W + x, &blo, &bhi);
            row_sums(src + (y + 1) * W + x, &clo, &chi);
            v128_t eight = wasm_i16x8_splat(8);
            v128_t lo = wasm_i16x8_add(wasm_i16x8_add(alo, clo), wasm_i16x8_add(wasm_i16x8_add(blo, blo), eight));
            v128_t hi = wasm_i16x8_add(wasm_i16x8_add(ahi, chi), wasm_i16x8_add(wasm_i16x8_add(bhi, bhi), eight));
            lo = wasm_u16x8_shr(lo, 4);
            hi = wasm_u16x8_shr(hi, 4);
            wasm_v128_store(dst + y * W + x, wasm_u8x16_narrow_i16x8(lo, hi));
        }
#endif
        for (; x < W - 1; x++)
            dst[y * W + x] = pixel(src, x, y);
    }
}

int main(int argc, char **argv) {
    long passes = DEFAULT_SIZE;
    if (argc > 1)
        passes = strtol(argv[1], NULL, 10);
    if (passes < 1 || passes > 1000000)
        passes = DEFAULT_SIZE;

    uint8_t *a = malloc(W * H), *b = malloc(W * H);
    for (size_t i = 0; i < W * H; i++)
        a[i] = (uint8_t)(next() >> 24);
    memcpy(b, a, W * H);
    for (long p = 0; p < passes; p++) {
        pass(b, a);
        uint8_t *t = a;
        a = b;
        b = t;
        a[(size_t)(p * 7919) % (W * H)] = (uint8_t)(next() >> 24);
    }
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < W * H; i++) {
        h ^= a[i];
        h *= 0x100000001b3u;
    }
    printf("checksum: %" PRIu64 "\n", h);
    free(a);
    free(b);
    return 0;
}
