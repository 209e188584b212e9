#!/usr/bin/env python3
"""Generate the C source of Skiff's big compile-speed module (big.wasm).

    python3 gen_big.py [--functions N] [--seed S] > big.c

Writes thousands of varied functions: integer arithmetic chains, counted
loops over global arrays, dense switches (br_table), float math, i64 bit
tricks, byte/half/word/double memory accesses, direct calls and calls
through function-pointer tables (call_indirect). Every function takes a
`depth` argument and calls others only while depth > 0, so running any of
them is short; main() runs a tiny bit of the module through the tables and
prints "checksum: N". All integer arithmetic is unsigned (no undefined
behaviour), shifts are masked, divisors are forced odd, and float-to-int
conversions are range-checked first.

The output is a pure function of the arguments: the generator uses its own
xorshift PRNG, not the `random` module, so the C text (and big.wasm) is
the same on every Python version. Standard library only.
"""
import argparse
import sys

DEFAULT_FUNCTIONS = 18000
DEFAULT_SEED = 0x5EED_B16_C0DE

# Signature kinds: return type, parameter list, argument builder for calls.
SIGS = {
    "I": ("uint32_t", "uint32_t a, uint32_t b, int depth"),
    "L": ("uint64_t", "uint64_t a, uint32_t b, int depth"),
    "D": ("double", "double x, uint32_t n, int depth"),
    "F": ("float", "float x, float y, int depth"),
    "V": ("void", "uint32_t i, int depth"),
}
SIG_ORDER = "ILDFV"


class Rng:
    """xorshift64*; deterministic across Python versions."""

    def __init__(self, seed):
        self.s = (seed & 0xFFFFFFFFFFFFFFFF) or 1

    def next(self):
        s = self.s
        s ^= (s >> 12)
        s ^= (s << 25) & 0xFFFFFFFFFFFFFFFF
        s ^= (s >> 27)
        self.s = s
        return (s * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF

    def below(self, n):
        return (self.next() >> 11) % n

    def range(self, lo, hi):
        """inclusive"""
        return lo + self.below(hi - lo + 1)

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def chance(self, percent):
        return self.below(100) < percent

    def u32(self):
        return self.next() >> 32

    def u64(self):
        return self.next()


class Gen:
    def __init__(self, nfuncs, seed):
        self.r = Rng(seed)
        self.n = nfuncs
        # Assign a signature to every function up front so calls can be typed.
        self.sig = [SIG_ORDER[self.r.below(len(SIG_ORDER))] for _ in range(nfuncs)]
        self.by_sig = {k: [i for i, s in enumerate(self.sig) if s == k] for k in SIG_ORDER}
        self.out = []

    def w(self, line=""):
        self.out.append(line)

    # ---- expressions -----------------------------------------------------

    def u32_expr(self, names, depth=0):
        r = self.r
        if depth > 2 or r.chance(30):
            if r.chance(60):
                return r.pick(names)
            return "%uu" % r.u32()
        a = self.u32_expr(names, depth + 1)
        b = self.u32_expr(names, depth + 1)
        k = r.below(14)
        if k == 0:
            return "(%s + %s)" % (a, b)
        if k == 1:
            return "(%s - %s)" % (a, b)
        if k == 2:
            return "(%s * %s)" % (a, b)
        if k == 3:
            return "(%s ^ %s)" % (a, b)
        if k == 4:
            return "(%s & %s)" % (a, b)
        if k == 5:
            return "(%s | %s)" % (a, b)
        if k == 6:
            return "(%s << (%s & 31u))" % (a, b)
        if k == 7:
            return "(%s >> (%s & 31u))" % (a, b)
        if k == 8:
            return "(%s / (%s | 1u))" % (a, b)
        if k == 9:
            return "(%s %% (%s | 1u))" % (a, b)
        if k == 10:
            return "(%s < %s ? %s : %s)" % (a, b, b, a)
        if k == 11:
            n = r.range(1, 31)
            return "((%s << %d) | (%s >> %d))" % (a, n, a, 32 - n)
        if k == 12:
            return "(uint32_t)__builtin_popcount(%s)" % a
        return "(uint32_t)(g_i32[(%s) & 4095] + %s)" % (a, b)

    def u64_expr(self, names, depth=0):
        r = self.r
        if depth > 2 or r.chance(30):
            if r.chance(60):
                return r.pick(names)
            return "%uull" % r.u64()
        a = self.u64_expr(names, depth + 1)
        b = self.u64_expr(names, depth + 1)
        k = r.below(12)
        if k == 0:
            return "(%s + %s)" % (a, b)
        if k == 1:
            return "(%s * %s)" % (a, b)
        if k == 2:
            return "(%s ^ (%s >> %d))" % (a, b, r.range(1, 63))
        if k == 3:
            n = r.range(1, 63)
            return "((%s << %d) | (%s >> %d))" % (a, n, a, 64 - n)
        if k == 4:
            return "(%s - %s)" % (a, b)
        if k == 5:
            return "(%s / (%s | 1ull))" % (a, b)
        if k == 6:
            return "(uint64_t)__builtin_clzll(%s | 1ull)" % a
        if k == 7:
            return "(uint64_t)__builtin_ctzll(%s | 0x8000000000000000ull)" % a
        if k == 8:
            return "(%s > %s ? %s : %s)" % (a, b, a, b)
        if k == 9:
            return "(uint64_t)g_i64[(%s) & 1023]" % a
        if k == 10:
            return "((%s & 0xFFFFFFFFull) * (%s >> 32))" % (a, b)
        return "(%s | %s)" % (a, b)

    def f64_expr(self, names, depth=0):
        r = self.r
        if depth > 2 or r.chance(30):
            if r.chance(65):
                return r.pick(names)
            return "%d.%03d" % (r.range(-50, 50), r.below(1000))
        a = self.f64_expr(names, depth + 1)
        b = self.f64_expr(names, depth + 1)
        k = r.below(12)
        if k == 0:
            return "(%s + %s)" % (a, b)
        if k == 1:
            return "(%s - %s)" % (a, b)
        if k == 2:
            return "(%s * %s)" % (a, b)
        if k == 3:
            return "(%s / (__builtin_fabs(%s) + 1.0))" % (a, b)
        if k == 4:
            return "__builtin_sqrt(__builtin_fabs(%s))" % a
        if k == 5:
            return "__builtin_floor(%s)" % a
        if k == 6:
            return "__builtin_ceil(%s * 0.5)" % a
        if k == 7:
            return "__builtin_trunc(%s)" % a
        if k == 8:
            return "(%s < %s ? %s : %s)" % (a, b, a, b)
        if k == 9:
            return "__builtin_copysign(%s, %s)" % (a, b)
        if k == 10:
            return "g_f64[(uint32_t)(%s) & 1023]" % r.pick(["n", "n + 1u", "n * 3u"])
        return "(double)(float)(%s)" % a

    def f32_expr(self, names, depth=0):
        r = self.r
        if depth > 2 or r.chance(35):
            if r.chance(65):
                return r.pick(names)
            return "%d.%02df" % (r.range(-20, 20), r.below(100))
        a = self.f32_expr(names, depth + 1)
        b = self.f32_expr(names, depth + 1)
        k = r.below(8)
        if k == 0:
            return "(%s + %s)" % (a, b)
        if k == 1:
            return "(%s - %s)" % (a, b)
        if k == 2:
            return "(%s * %s)" % (a, b)
        if k == 3:
            return "(%s / (__builtin_fabsf(%s) + 1.0f))" % (a, b)
        if k == 4:
            return "__builtin_sqrtf(__builtin_fabsf(%s))" % a
        if k == 5:
            return "__builtin_nearbyintf(%s)" % a
        if k == 6:
            return "(%s > %s ? %s : %s)" % (a, b, a, b)
        return "g_f32[%d]" % r.below(1024)

    # ---- calls -----------------------------------------------------------

    def call(self, me, kind):
        """A call expression returning the type of `kind`, or None: a direct
        call to any function of that signature other than `me` (depth bounds
        recursion anyway), or, one time in four, a call through that
        signature's function-pointer table at a slot computed at run time."""
        r = self.r
        pool = self.by_sig[kind]
        if not pool:
            return None
        callee = r.pick(pool)
        if callee == me:
            return None
        args = {
            "I": "acc ^ %uu, acc + %uu, depth - 1" % (r.u32(), r.below(100)),
            "L": "(uint64_t)acc * %uull, (uint32_t)acc, depth - 1" % r.u64(),
            "D": "(double)(acc & 0xFFFF) * 0.25, (uint32_t)acc, depth - 1",
            "F": "(float)(acc & 0xFF), 1.5f, depth - 1",
            "V": "(uint32_t)acc + %uu, depth - 1" % r.below(4096),
        }[kind]
        if r.chance(25):
            # A slot picked at run time, so this stays a call_indirect.
            return "tab_%s[(acc ^ %uu) %% %du](%s)" % (kind, r.u32(), len(pool), args)
        return "f%d(%s)" % (callee, args)

    def emit_calls(self, me, max_calls):
        """Statements that fold a few calls into the u32 `acc`, under depth > 0."""
        r = self.r
        calls = []
        for _ in range(r.range(0, max_calls)):
            kind = r.pick(SIG_ORDER)
            c = self.call(me, kind)
            if c is None:
                continue
            if kind == "I":
                calls.append("acc += %s;" % c)
            elif kind == "L":
                calls.append("acc ^= (uint32_t)(%s >> %d);" % (c, r.range(0, 32)))
            elif kind == "D":
                calls.append("{ double t = %s; acc += (t > -1e9 && t < 1e9) ? (uint32_t)(int32_t)t : 7u; }" % c)
            elif kind == "F":
                calls.append("{ float t = %s; acc ^= (t > -1e9f && t < 1e9f) ? (uint32_t)(int32_t)t : 3u; }" % c)
            else:
                calls.append("%s; acc += g_i32[%d];" % (c, r.below(4096)))
        if calls:
            self.w("    if (depth > 0) {")
            for c in calls:
                self.w("        " + c)
            self.w("    }")

    # ---- function bodies -------------------------------------------------

    def body_I(self, i):
        r = self.r
        names = ["a", "b", "acc", "t0", "t1"]
        self.w("    uint32_t acc = a * %uu + b;" % (r.u32() | 1))
        self.w("    uint32_t t0 = %s;" % self.u32_expr(["a", "b", "acc"]))
        self.w("    uint32_t t1 = %s;" % self.u32_expr(["a", "b", "acc", "t0"]))
        shape = r.below(4)
        if shape == 0:  # switch -> br_table
            ncases = r.range(6, 28)
            self.w("    switch ((a ^ t0) %% %du) {" % (ncases + r.below(3)))
            for c in range(ncases):
                self.w("    case %d: acc = %s; break;" % (c, self.u32_expr(names)))
            self.w("    default: acc ^= t1; break;")
            self.w("    }")
        elif shape == 1:  # counted loop over memory
            self.w("    for (uint32_t k = 0; k < (b & %du) + %du; k++) {" % (r.pick([7, 15, 31]), r.range(1, 9)))
            self.w("        acc = acc * %uu + g_i32[(k * %du + t0) & 4095];" % (r.u32() | 1, r.range(1, 97)))
            self.w("        if (acc & %du) g_i32[(acc ^ k) & 4095] = %s;" % (1 << r.below(8), self.u32_expr(names + ["k"])))
            self.w("        t1 ^= %s;" % self.u32_expr(names + ["k"]))
            self.w("    }")
        elif shape == 2:  # if/else chains
            for _ in range(r.range(2, 6)):
                self.w("    if (%s > %s) {" % (self.u32_expr(names), self.u32_expr(names)))
                self.w("        t0 = %s;" % self.u32_expr(names))
                self.w("    } else {")
                self.w("        t1 = %s;" % self.u32_expr(names))
                self.w("    }")
        else:  # while loop with data-dependent exit
            self.w("    uint32_t guard = 0;")
            self.w("    while ((t0 & %du) != 0 && guard++ < %du) {" % (r.range(1, 255), r.range(4, 40)))
            self.w("        t0 = %s;" % self.u32_expr(names))
            self.w("        acc += t0 >> %d;" % r.range(1, 9))
            self.w("    }")
        for _ in range(r.range(1, 5)):
            tgt = r.pick(["acc", "t0", "t1"])
            self.w("    %s = %s;" % (tgt, self.u32_expr(names)))
        self.emit_calls(i, 3)
        self.w("    return acc ^ t0 ^ t1;")

    def body_L(self, i):
        r = self.r
        names = ["a", "x", "y", "(uint64_t)b"]
        self.w("    uint64_t x = a ^ %uull;" % r.u64())
        self.w("    uint64_t y = (uint64_t)b * %uull;" % r.u64())
        self.w("    uint32_t acc = b;")
        if r.chance(50):
            self.w("    for (uint32_t k = 0; k < (b & 15u) + %du; k++) {" % r.range(1, 8))
            self.w("        x = %s;" % self.u64_expr(names + ["(uint64_t)k"]))
            self.w("        y += x >> %d;" % r.range(1, 40))
            self.w("        g_i64[(k + (uint32_t)y) & 1023] ^= (int64_t)x;")
            self.w("    }")
        for _ in range(r.range(2, 7)):
            self.w("    %s = %s;" % (r.pick(["x", "y"]), self.u64_expr(names)))
        self.w("    acc ^= (uint32_t)(x >> 32) + (uint32_t)y;")
        self.emit_calls(i, 2)
        self.w("    return x + y + acc;")

    def body_D(self, i):
        r = self.r
        names = ["x", "s", "t", "(double)n"]
        self.w("    double s = x * %d.5 + (double)(n & 255u);" % r.range(1, 9))
        self.w("    double t = g_f64[n & 1023u] - x;")
        self.w("    uint32_t acc = n;")
        if r.chance(60):
            self.w("    for (uint32_t k = 0; k < (n & 7u) + %du; k++) {" % r.range(2, 12))
            self.w("        s = %s;" % self.f64_expr(names + ["(double)k"]))
            self.w("        t = t * 0.5 + s * %d.25;" % r.range(0, 3))
            self.w("        if (t > 1e6 || t < -1e6) t = %d.0;" % r.range(-9, 9))
            self.w("    }")
        for _ in range(r.range(2, 6)):
            self.w("    %s = %s;" % (r.pick(["s", "t"]), self.f64_expr(names)))
            self.w("    if (!(s > -1e12 && s < 1e12)) s = 1.0;")
        self.w("    g_f64[(n * %du) & 1023u] = s;" % r.range(1, 31))
        self.w("    acc += (t > -1e9 && t < 1e9) ? (uint32_t)(int32_t)t : 0u;")
        self.emit_calls(i, 2)
        self.w("    return s - t + (double)acc;")

    def body_F(self, i):
        r = self.r
        names = ["x", "y", "u", "v"]
        self.w("    float u = x * %d.25f - y;" % r.range(1, 5))
        self.w("    float v = y + g_f32[%d];" % r.below(1024))
        self.w("    uint32_t acc = %du;" % r.below(1000))
        for _ in range(r.range(3, 8)):
            self.w("    %s = %s;" % (r.pick(["u", "v"]), self.f32_expr(names)))
        self.w("    if (!(u > -1e6f && u < 1e6f)) u = 0.5f;")
        self.w("    g_f32[%d] = u * 0.125f;" % r.below(1024))
        self.w("    acc += (uint32_t)(int32_t)u;")
        self.emit_calls(i, 2)
        self.w("    return u + v + (float)(acc & 1023u);")

    def body_V(self, i):
        r = self.r
        self.w("    uint32_t acc = i * %uu;" % (r.u32() | 1))
        self.w("    uint32_t p = i & 8191u;")
        for _ in range(r.range(3, 10)):
            k = r.below(8)
            off = r.range(0, 8000)
            if k == 0:
                self.w("    g_u8[(p + %du) & 8191u] = (uint8_t)(acc >> %d);" % (off, r.range(0, 24)))
            elif k == 1:
                self.w("    acc += g_u8[(p * %du + %du) & 8191u];" % (r.range(1, 9), off))
            elif k == 2:
                self.w("    { uint16_t h; memcpy(&h, &g_u8[(p + %du) & 8183u], 2); acc ^= h; h = (uint16_t)(h * %du + acc); memcpy(&g_u8[(acc + %du) & 8183u], &h, 2); }" % (off, r.range(3, 99), r.below(100)))
            elif k == 3:
                self.w("    { uint32_t v; memcpy(&v, &g_u8[(p + %du) & 8183u], 4); acc = acc * %uu + v; }" % (off, r.u32() | 1))
            elif k == 4:
                self.w("    { uint64_t v; memcpy(&v, &g_u8[(acc + %du) & 8183u], 8); v ^= (uint64_t)acc << %d; memcpy(&g_u8[(p + %du) & 8183u], &v, 8); }" % (off, r.range(0, 32), r.below(200)))
            elif k == 5:
                self.w("    g_rec[(p + %du) & 255u].count += acc & %du;" % (off, r.range(1, 255)))
                self.w("    g_rec[(acc >> %d) & 255u].weight = g_rec[p & 255u].weight * 0.5 + %d.0;" % (r.range(0, 20), r.range(1, 9)))
            elif k == 6:
                self.w("    { int8_t sb = (int8_t)g_u8[(p ^ %du) & 8191u]; acc += (uint32_t)(int32_t)sb; }" % off)
            else:
                self.w("    memmove(&g_u8[(p + %du) & 4095u], &g_u8[(acc + %du) & 4095u], %d);" % (off, r.below(500), r.range(8, 64)))
        self.w("    g_i32[acc & 4095u] += acc;")
        self.emit_calls(i, 2)

    # ---- whole file ------------------------------------------------------

    def generate(self):
        w = self.w
        w("/* Generated by benches/corpus/gen_big.py -- do not edit, do not commit. */")
        w("#include <inttypes.h>")
        w("#include <stdint.h>")
        w("#include <stdio.h>")
        w("#include <string.h>")
        w("")
        w("static uint32_t g_i32[4096];")
        w("static int64_t g_i64[1024];")
        w("static double g_f64[1024];")
        w("static float g_f32[1024];")
        w("static uint8_t g_u8[8192];")
        w("static struct { uint32_t count; double weight; } g_rec[256];")
        w("")
        for i, k in enumerate(self.sig):
            ret, params = SIGS[k]
            w("static %s f%d(%s);" % (ret, i, params))
        w("")
        for k in SIG_ORDER:
            ret, params = SIGS[k]
            ptypes = ", ".join(p.rsplit(" ", 1)[0] for p in params.split(", "))
            members = self.by_sig[k]
            w("static %s (*const tab_%s[%d])(%s) = {" % (ret, k, max(1, len(members)), ptypes))
            for j in range(0, len(members), 12):
                w("    " + ", ".join("f%d" % m for m in members[j:j + 12]) + ",")
            w("};")
        w("")
        for i, k in enumerate(self.sig):
            ret, params = SIGS[k]
            attr = "" if self.r.chance(8) else "__attribute__((noinline)) "
            w("%sstatic %s f%d(%s) {" % (attr, ret, i, params))
            getattr(self, "body_" + k)(i)
            w("}")
            w("")
        # main: touch a handful of functions of each kind through the tables,
        # with a small depth so the run is short.
        w("int main(int argc, char **argv) {")
        w("    (void)argv;")
        w("    uint32_t acc = (uint32_t)argc;")
        w("    for (uint32_t i = 0; i < 8u; i++) {")
        w("        uint32_t s = acc * 2654435761u + i;")
        for k in SIG_ORDER:
            n = len(self.by_sig[k])
            if not n:
                continue
            call = "tab_%s[s %% %du]" % (k, n)
            if k == "I":
                w("        acc += %s(s, i, 1);" % call)
            elif k == "L":
                w("        acc ^= (uint32_t)%s((uint64_t)s << 7, i, 1);" % call)
            elif k == "D":
                w("        { double t = %s((double)(s & 1023u), i, 1); acc += (t > -1e9 && t < 1e9) ? (uint32_t)(int32_t)t : 1u; }" % call)
            elif k == "F":
                w("        { float t = %s((float)(s & 255u), 0.75f, 1); acc ^= (t > -1e9f && t < 1e9f) ? (uint32_t)(int32_t)t : 1u; }" % call)
            else:
                w("        %s(s, 1); acc += g_i32[s & 4095u];" % call)
        w("    }")
        w('    printf("checksum: %" PRIu32 "\\n", acc);')
        w("    return 0;")
        w("}")
        return "\n".join(self.out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--functions", type=int, default=DEFAULT_FUNCTIONS)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args()
    sys.stdout.write(Gen(args.functions, args.seed).generate())


if __name__ == "__main__":
    main()
