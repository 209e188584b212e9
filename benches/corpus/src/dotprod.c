/* dotprod: dot products of 16-bit integer and 32-bit float vectors.
 *
 * Two 4096-element i16 vectors and two f32 vectors (small dyadic values,
 * so every product and partial sum is exact) are regenerated from a fixed
 * generator each round, then dotted: the integers with
 * wasm_i32x4_dot_i16x8 into four 32-bit lanes, the floats with four lane
 * accumulators. The native build keeps the same four accumulators in the
 * same order, so both print the same checksum of every round's results.
 *
 * Size argument: rounds.
 * Output: "checksum: <u64>" (decimal).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 4096
#define DEFAULT_SIZE 20

static uint32_t state = 0x9E3779B9u;

static uint32_t next(void) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

static int64_t dot_i16(const int16_t *a, const int16_t *b) {
    int32_t acc[4] = {0, 0, 0, 0};
#ifdef __wasm_simd128__
    v128_t v = wasm_i32x4_splat(0);
    for (size_t i = 0; i < N; i += 8)
        v = wasm_i32x4_add(v, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    acc[0] = wasm_i32x4_extract_lane(v, 0);
    acc[1] = wasm_i32x4_extract_lane(v, 1);
    acc[2] = wasm_i32x4_extract_lane(v, 2);
    acc[3] = wasm_i32x4_extract_lane(v, 3);
#else
    for (size_t i = 0; i < N; i += 8)
        for (int k = 0; k < 4; k++)
            acc[k] += (int32_t)a[i + 2 * k] * b[i + 2 * k] + (int32_t)a[i + 2 * k + 1] * b[i + 2 * k + 1];
#endif
    return (int64_t)acc[0] + acc[1] + acc[2] + acc[3];
}

static float dot_f32(const float *a, const float *b) {
    float acc[4] = {0, 0, 0, 0};
#ifdef __wasm_simd128__
    v128_t v = wasm_f32x4_splat(0);
    for (size_t i = 0; i < N; i += 4)
        v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    acc[0] = wasm_f32x4_extract_lane(v, 0);
    acc[1] = wasm_f32x4_extract_lane(v, 1);
    acc[2] = wasm_f32x4_extract_lane(v, 2);
    acc[3] = wasm_f32x4_extract_lane(v, 3);
#else
    for (size_t i = 0; i < N; i += 4)
        for (int k = 0; k < 4; k++)
            acc[k] = acc[k] + a[i + k] * b[i + k];
#endif
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

int main(int argc, char **argv) {
    long rounds = DEFAULT_SIZE;
    if (argc > 1)
        rounds = strtol(argv[1], NULL, 10);
    if (rounds < 1 || rounds > 100000000)
        rounds = DEFAULT_SIZE;

    int16_t *ia = malloc(N * sizeof *ia), *ib = malloc(N * sizeof *ib);
    float *fa = malloc(N * sizeof *fa), *fb = malloc(N * sizeof *fb);
    uint64_t h = 0;
    for (long r = 0; r < rounds; r++) {
        if (r % 64 == 0) {
            for (size_t i = 0; i < N; i++) {
                uint32_t x = next();
                ia[i] = (int16_t)(x & 0xffff);
                ib[i] = (int16_t)(x >> 16);
                fa[i] = (float)((int32_t)(x >> 24) - 128) / 16.0f;
                fb[i] = (float)((int32_t)((x >> 8) & 0xff) - 128) / 16.0f;
            }
        }
        /* Each round shifts one vector by a lane, so no two rounds repeat. */
        ia[r % N] ^= (int16_t)r;
        int64_t di = dot_i16(ia, ib);
        float df = dot_f32(fa, fb);
        uint32_t fbits;
        memcpy(&fbits, &df, sizeof fbits);
        h = (h ^ (uint64_t)di) * 0x100000001b3u;
        h = (h ^ fbits) * 0x100000001b3u;
        fa[r % N] += 0.0625f;
    }
    printf("checksum: %" PRIu64 "\n", h);
    free(ia);
    free(ib);
    free(fa);
    free(fb);
    return 0;
}
