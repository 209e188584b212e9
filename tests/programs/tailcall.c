/* tailcall: handlers that hand over to each other with `musttail`, as a
 * threaded interpreter's do, and a mutual recursion ten million calls deep.
 * Built with `-mtail-call`, every such call is a `return_call` or
 * `return_call_indirect`: the stack must not grow.
 *
 * Argument: the recursion depth and loop count (default 10,000,000).
 * Output: one line per part, the same as the native build's. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint64_t (*handler)(const uint8_t *pc, uint64_t acc, uint64_t n);

static uint64_t op_add(const uint8_t *pc, uint64_t acc, uint64_t n);
static uint64_t op_mix(const uint8_t *pc, uint64_t acc, uint64_t n);
static uint64_t op_loop(const uint8_t *pc, uint64_t acc, uint64_t n);
static uint64_t op_halt(const uint8_t *pc, uint64_t acc, uint64_t n);

/* Read through a volatile pointer, so the compiler cannot resolve the
 * dispatch at compile time and must call through the table. */
static handler table[] = {op_add, op_mix, op_loop, op_halt};
static handler *volatile handlers = table;

#define NEXT(pc, acc, n) __attribute__((musttail)) return handlers[*(pc)](pc, acc, n)

enum { ADD, MIX, LOOP, HALT };

/* acc += operand */
static uint64_t op_add(const uint8_t *pc, uint64_t acc, uint64_t n) {
    acc += pc[1];
    pc += 2;
    NEXT(pc, acc, n);
}

/* acc = a xorshift step of acc */
static uint64_t op_mix(const uint8_t *pc, uint64_t acc, uint64_t n) {
    acc ^= acc << 13;
    acc ^= acc >> 7;
    acc ^= acc << 17;
    pc += 1;
    NEXT(pc, acc, n);
}

/* jump back by the operand while n-- > 0 */
static uint64_t op_loop(const uint8_t *pc, uint64_t acc, uint64_t n) {
    if (n == 0) {
        pc += 2;
        NEXT(pc, acc, n);
    }
    n--;
    pc -= pc[1];
    NEXT(pc, acc, n);
}

static uint64_t op_halt(const uint8_t *pc, uint64_t acc, uint64_t n) {
    (void)pc;
    (void)n;
    return acc;
}

static const uint8_t program[] = {ADD, 3, MIX, ADD, 5, LOOP, 5, HALT};

/* Two functions calling each other down to zero. */
__attribute__((noinline)) static uint64_t down_a(uint64_t n, uint64_t acc);

__attribute__((noinline)) static uint64_t down_b(uint64_t n, uint64_t acc) {
    if (n == 0)
        return acc;
    __attribute__((musttail)) return down_a(n - 1, acc * 31 + n);
}

__attribute__((noinline)) static uint64_t down_a(uint64_t n, uint64_t acc) {
    if (n == 0)
        return acc ^ 0x5bd1e995;
    __attribute__((musttail)) return down_b(n - 1, acc ^ (acc >> 3) ^ n);
}

int main(int argc, char **argv) {
    uint64_t n = 10000000;
    if (argc > 1)
        n = strtoull(argv[1], NULL, 10);
    printf("handlers: %" PRIu64 "\n", handlers[program[0]](program, 1, n));
    printf("mutual recursion: %" PRIu64 "\n", down_a(n, 7));
    return 0;
}
