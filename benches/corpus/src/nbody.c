/* nbody: double-precision floating point.
 *
 * A softened gravitational system: one heavy central body and a ring of
 * lighter bodies on near-circular orbits, all placed by a fixed integer
 * generator, advanced with a symplectic Euler step. The pair loop is all
 * f64 mul/add/sub/div/sqrt; the checksum is built from the exact bit
 * patterns of the final energy and positions, so every float operation
 * must be IEEE-exact (no fused multiply-add, no reassociation).
 *
 * Size argument: number of time steps.
 * Output: "checksum: <u64>" (decimal).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SIZE 150
#define NBODIES 12

typedef struct {
    double x, y, z;
    double vx, vy, vz;
    double mass;
} Body;

static uint32_t seed = 20240601u;

/* A value in [-1, 1) with 20 significant bits; exact in binary floating point. */
static double next_unit(void) {
    seed = seed * 1664525u + 1013904223u;
    int32_t v = (int32_t)(seed >> 12) - (1 << 19);
    return (double)v / (double)(1 << 19);
}

static void init(Body *b) {
    b[0] = (Body){0, 0, 0, 0, 0, 0, 1000.0};
    for (int i = 1; i < NBODIES; i++) {
        double r = 4.0 + 2.0 * i + next_unit();
        /* A point on a slightly tilted ring, angle stepped through a rotation
         * by a fixed rational-ish matrix so no trig functions are needed. */
        double c = 1.0, s = 0.0;
        for (int k = 0; k < i; k++) {
            double nc = c * 0.6 - s * 0.8;
            double ns = c * 0.8 + s * 0.6;
            c = nc;
            s = ns;
        }
        double speed = __builtin_sqrt(1000.0 / r);
        b[i].x = r * c;
        b[i].y = r * s;
        b[i].z = 0.05 * r * next_unit();
        b[i].vx = -speed * s;
        b[i].vy = speed * c;
        b[i].vz = 0.01 * next_unit();
        b[i].mass = 1.0 + 0.5 * next_unit();
    }
    /* Zero the total momentum by adjusting the central body. */
    double px = 0, py = 0, pz = 0;
    for (int i = 1; i < NBODIES; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
    }
    b[0].vx = -px / b[0].mass;
    b[0].vy = -py / b[0].mass;
    b[0].vz = -pz / b[0].mass;
}

#define SOFTENING 0.01

static void advance(Body *b, double dt) {
    for (int i = 0; i < NBODIES; i++) {
        Body *bi = &b[i];
        for (int j = i + 1; j < NBODIES; j++) {
            Body *bj = &b[j];
            double dx = bi->x - bj->x;
            double dy = bi->y - bj->y;
            double dz = bi->z - bj->z;
            double d2 = dx * dx + dy * dy + dz * dz + SOFTENING;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            double mi = bi->mass * mag, mj = bj->mass * mag;
            bi->vx -= dx * mj;
            bi->vy -= dy * mj;
            bi->vz -= dz * mj;
            bj->vx += dx * mi;
            bj->vy += dy * mi;
            bj->vz += dz * mi;
        }
    }
    for (int i = 0; i < NBODIES; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

static double energy(const Body *b) {
    double e = 0.0;
    for (int i = 0; i < NBODIES; i++) {
        const Body *bi = &b[i];
        e += 0.5 * bi->mass * (bi->vx * bi->vx + bi->vy * bi->vy + bi->vz * bi->vz);
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = bi->x - b[j].x;
            double dy = bi->y - b[j].y;
            double dz = bi->z - b[j].z;
            e -= bi->mass * b[j].mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz + SOFTENING);
        }
    }
    return e;
}

static uint64_t bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

int main(int argc, char **argv) {
    long n = DEFAULT_SIZE;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    if (n < 1)
        n = DEFAULT_SIZE;

    Body *b = malloc(sizeof(Body) * NBODIES);
    if (!b)
        return 1;
    init(b);
    double e0 = energy(b);
    for (long step = 0; step < n; step++)
        advance(b, 0.001);
    double e1 = energy(b);

    uint64_t h = bits(e0) * 3 ^ bits(e1);
    for (int i = 0; i < NBODIES; i++) {
        h = (h << 7 | h >> 57) ^ bits(b[i].x);
        h = (h << 7 | h >> 57) ^ bits(b[i].y);
        h = (h << 7 | h >> 57) ^ bits(b[i].z);
    }
    printf("checksum: %" PRIu64 "\n", h);
    free(b);
    return 0;
}
