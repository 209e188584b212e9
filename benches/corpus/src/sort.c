/* sort: comparison sorting of pseudo-random 32-bit integers.
 *
 * The same LCG-generated array is sorted twice: by an introspective-style
 * quicksort (median of three, insertion sort for short ranges, recursion on
 * the smaller side only) and by a bottom-up merge sort with a scratch
 * buffer. The results must agree; the checksum is a position-weighted hash
 * of the sorted data. Measures data-dependent branches, i32 loads/stores
 * and memory bandwidth.
 *
 * Size argument: number of elements.
 * Output: "checksum: <u64>" (decimal); "checksum: mismatch" on a bug.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SIZE 1500

static void insertion(int32_t *a, long lo, long hi) {
    for (long i = lo + 1; i <= hi; i++) {
        int32_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static inline void swap(int32_t *a, long i, long j) {
    int32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quick(int32_t *a, long lo, long hi) {
    while (hi - lo > 16) {
        long mid = lo + (hi - lo) / 2;
        /* order a[lo] <= a[mid] <= a[hi] */
        if (a[mid] < a[lo]) swap(a, mid, lo);
        if (a[hi] < a[lo]) swap(a, hi, lo);
        if (a[hi] < a[mid]) swap(a, hi, mid);
        int32_t pivot = a[mid];
        long i = lo, j = hi;
        /* Hoare partition */
        for (;;) {
            do i++; while (a[i] < pivot);
            do j--; while (a[j] > pivot);
            if (i >= j)
                break;
            swap(a, i, j);
        }
        /* a[lo..j] <= pivot <= a[j+1..hi]; recurse into the smaller part. */
        if (j - lo < hi - j) {
            quick(a, lo, j);
            lo = j + 1;
        } else {
            quick(a, j + 1, hi);
            hi = j;
        }
    }
    insertion(a, lo, hi);
}

static void merge_sort(int32_t *a, int32_t *tmp, long n) {
    int32_t *src = a, *dst = tmp;
    for (long width = 1; width < n; width *= 2) {
        for (long lo = 0; lo < n; lo += 2 * width) {
            long mid = lo + width < n ? lo + width : n;
            long hi = lo + 2 * width < n ? lo + 2 * width : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[j] < src[i] ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        int32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, (size_t)n * sizeof(int32_t));
}

int main(int argc, char **argv) {
    long n = DEFAULT_SIZE;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    if (n < 1 || n > 50000000)
        n = DEFAULT_SIZE;

    int32_t *a = malloc((size_t)n * sizeof(int32_t));
    int32_t *b = malloc((size_t)n * sizeof(int32_t));
    int32_t *tmp = malloc((size_t)n * sizeof(int32_t));
    if (!a || !b || !tmp)
        return 1;

    uint64_t x = 0x853C49E6748FEA9Bull;
    for (long i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        /* Keep duplicates likely for large n: values in a range of ~n*4. */
        a[i] = (int32_t)((x >> 33) % (uint64_t)(4 * n + 1)) - (int32_t)(2 * n);
        b[i] = a[i];
    }

    quick(a, 0, n - 1);
    merge_sort(b, tmp, n);

    uint64_t h = 0;
    for (long i = 0; i < n; i++) {
        if (a[i] != b[i] || (i > 0 && a[i - 1] > a[i])) {
            printf("checksum: mismatch\n");
            return 1;
        }
        h = h * 0x100000001B3ull + (uint64_t)(uint32_t)a[i] * (uint64_t)(i + 1);
    }
    printf("checksum: %" PRIu64 "\n", h);
    free(a);
    free(b);
    free(tmp);
    return 0;
}
