/* bytecode: a switch-dispatched stack-machine interpreter.
 *
 * The program assembles its own little bytecode (a tiny assembler with
 * labels and fix-ups), then interprets it: a main loop that calls a gcd
 * routine, a popcount routine and a doubly recursive fib routine written in
 * that bytecode, and reads and writes a small data memory. The host-side
 * work is the dispatch loop itself: a dense switch (br_table in wasm),
 * operand-stack traffic, frame push/pop and unpredictable branches.
 *
 * Size argument: iterations of the bytecode main loop.
 * Output: "checksum: <u64>" (decimal), the value the bytecode returns.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_SIZE 150

enum {
    OP_HALT, OP_PUSH, OP_LOAD, OP_STORE, OP_INC,
    OP_ADD, OP_SUB, OP_MUL, OP_DIVU, OP_REMU,
    OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR,
    OP_LT, OP_EQ, OP_NOT, OP_DUP, OP_DROP, OP_SWAP,
    OP_JMP, OP_JZ, OP_JNZ, OP_CALL, OP_RET,
    OP_MLOAD, OP_MSTORE,
};

#define LOCALS_PER_FRAME 8
#define MAX_FRAMES 64
#define STACK_SLOTS 256
#define MEM_WORDS 256

/* ---- assembler ---------------------------------------------------------- */

#define CODE_MAX 1024
#define LABEL_MAX 64
#define FIXUP_MAX 128

static int32_t code[CODE_MAX];
static int code_len;
static int label_at[LABEL_MAX];
static struct { int where, label; } fixups[FIXUP_MAX];
static int fixup_count;

static void op0(int32_t op) { code[code_len++] = op; }
static void op1(int32_t op, int32_t imm) { code[code_len++] = op; code[code_len++] = imm; }
static void op2(int32_t op, int32_t a, int32_t b) { op0(op); op0(a); op0(b); }

static void jump(int32_t op, int label) {
    code[code_len++] = op;
    fixups[fixup_count].where = code_len;
    fixups[fixup_count++].label = label;
    code[code_len++] = -1;
}

static void call(int label, int32_t nargs) {
    jump(OP_CALL, label);
    code[code_len++] = nargs;
}

static void place(int label) { label_at[label] = code_len; }

static void link_labels(void) {
    for (int i = 0; i < fixup_count; i++)
        code[fixups[i].where] = label_at[fixups[i].label];
}

enum { L_MAIN, L_LOOP, L_SKIP5, L_SKIP64, L_DONE, L_FOLD, L_END,
       L_GCD, L_GCD_LOOP, L_GCD_DONE, L_BITS, L_BITS_LOOP, L_BITS_DONE,
       L_FIB, L_FIB_REC };

static int assemble(void) {
    /* main(n): local0 = n, local1 = acc, local2 = i */
    place(L_MAIN);
    op1(OP_PUSH, 0); op1(OP_STORE, 1);
    op1(OP_PUSH, 1); op1(OP_STORE, 2);
    place(L_LOOP);
    op1(OP_LOAD, 2); op1(OP_LOAD, 0); op0(OP_LT); jump(OP_JZ, L_DONE);
    /* acc = acc * 33 + gcd(i * 7 + 3, i + 11) */
    op1(OP_LOAD, 2); op1(OP_PUSH, 7); op0(OP_MUL); op1(OP_PUSH, 3); op0(OP_ADD);
    op1(OP_LOAD, 2); op1(OP_PUSH, 11); op0(OP_ADD);
    call(L_GCD, 2);
    op1(OP_LOAD, 1); op1(OP_PUSH, 33); op0(OP_MUL); op0(OP_ADD); op1(OP_STORE, 1);
    /* mem[i & 255] ^= acc + i */
    op1(OP_LOAD, 2); op1(OP_PUSH, 255); op0(OP_AND); op0(OP_DUP); op0(OP_MLOAD);
    op1(OP_LOAD, 1); op1(OP_LOAD, 2); op0(OP_ADD); op0(OP_XOR); op0(OP_MSTORE);
    /* acc ^= mem[(i * 13) & 255] >> 3 */
    op1(OP_LOAD, 1);
    op1(OP_LOAD, 2); op1(OP_PUSH, 13); op0(OP_MUL); op1(OP_PUSH, 255); op0(OP_AND); op0(OP_MLOAD);
    op1(OP_PUSH, 3); op0(OP_SHR); op0(OP_XOR); op1(OP_STORE, 1);
    /* if i % 5 == 0: acc += popcount(acc & 0xffff) */
    op1(OP_LOAD, 2); op1(OP_PUSH, 5); op0(OP_REMU); jump(OP_JNZ, L_SKIP5);
    op1(OP_LOAD, 1); op1(OP_PUSH, 0xFFFF); op0(OP_AND); call(L_BITS, 1);
    op1(OP_LOAD, 1); op0(OP_ADD); op1(OP_STORE, 1);
    place(L_SKIP5);
    /* if (i & 63) == 0: acc += fib(10 + (i >> 6) % 4) ^ (acc / 7) */
    op1(OP_LOAD, 2); op1(OP_PUSH, 63); op0(OP_AND); jump(OP_JNZ, L_SKIP64);
    op1(OP_LOAD, 2); op1(OP_PUSH, 6); op0(OP_SHR); op1(OP_PUSH, 4); op0(OP_REMU);
    op1(OP_PUSH, 10); op0(OP_ADD); call(L_FIB, 1);
    op1(OP_LOAD, 1); op1(OP_PUSH, 7); op0(OP_DIVU); op0(OP_XOR);
    op1(OP_LOAD, 1); op0(OP_ADD); op1(OP_STORE, 1);
    place(L_SKIP64);
    op2(OP_INC, 2, 1);
    jump(OP_JMP, L_LOOP);
    place(L_DONE);
    /* fold the data memory: acc = (acc << 1 | acc >> 63) ^ mem[i] for i in 0..255 */
    op1(OP_PUSH, 0); op1(OP_STORE, 2);
    place(L_FOLD);
    op1(OP_LOAD, 2); op1(OP_PUSH, MEM_WORDS); op0(OP_LT); jump(OP_JZ, L_END);
    op1(OP_LOAD, 1); op1(OP_PUSH, 1); op0(OP_SHL);
    op1(OP_LOAD, 1); op1(OP_PUSH, 63); op0(OP_SHR); op0(OP_OR);
    op1(OP_LOAD, 2); op0(OP_MLOAD); op0(OP_XOR); op1(OP_STORE, 1);
    op2(OP_INC, 2, 1);
    jump(OP_JMP, L_FOLD);
    place(L_END);
    op1(OP_LOAD, 1); op0(OP_RET);

    /* gcd(a, b): local0 = a, local1 = b */
    place(L_GCD);
    place(L_GCD_LOOP);
    op1(OP_LOAD, 1); jump(OP_JZ, L_GCD_DONE);
    op1(OP_LOAD, 0); op1(OP_LOAD, 1); op0(OP_REMU);
    op1(OP_LOAD, 1); op1(OP_STORE, 0); op1(OP_STORE, 1);
    jump(OP_JMP, L_GCD_LOOP);
    place(L_GCD_DONE);
    op1(OP_LOAD, 0); op0(OP_RET);

    /* bits(x): local0 = x, local1 = count (Kernighan's loop) */
    place(L_BITS);
    op1(OP_PUSH, 0); op1(OP_STORE, 1);
    place(L_BITS_LOOP);
    op1(OP_LOAD, 0); jump(OP_JZ, L_BITS_DONE);
    op1(OP_LOAD, 0); op0(OP_DUP); op1(OP_PUSH, 1); op0(OP_SUB); op0(OP_AND); op1(OP_STORE, 0);
    op2(OP_INC, 1, 1);
    jump(OP_JMP, L_BITS_LOOP);
    place(L_BITS_DONE);
    op1(OP_LOAD, 1); op0(OP_RET);

    /* fib(n): local0 = n */
    place(L_FIB);
    op1(OP_LOAD, 0); op1(OP_PUSH, 2); op0(OP_LT); jump(OP_JZ, L_FIB_REC);
    op1(OP_LOAD, 0); op0(OP_RET);
    place(L_FIB_REC);
    op1(OP_LOAD, 0); op1(OP_PUSH, 1); op0(OP_SUB); call(L_FIB, 1);
    op1(OP_LOAD, 0); op1(OP_PUSH, 2); op0(OP_SUB); call(L_FIB, 1);
    op0(OP_ADD); op0(OP_RET);

    link_labels();
    return label_at[L_MAIN];
}

/* ---- interpreter -------------------------------------------------------- */

/* Returns the value main returns; sets *ok = 0 on a VM fault. */
static uint64_t run(const int32_t *prog, int entry, uint64_t arg, int *ok) {
    uint64_t stack[STACK_SLOTS];
    uint64_t locals[MAX_FRAMES * LOCALS_PER_FRAME];
    int32_t return_pc[MAX_FRAMES];
    uint64_t mem[MEM_WORDS];
    int sp = 0, depth = 0, pc = entry;
    uint64_t *frame = locals;

    for (int i = 0; i < MEM_WORDS; i++)
        mem[i] = (uint64_t)i * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < LOCALS_PER_FRAME; i++)
        frame[i] = 0;
    frame[0] = arg;
    *ok = 1;

    for (;;) {
        int32_t op = prog[pc++];
        uint64_t a, b;
        switch (op) {
        case OP_PUSH: stack[sp++] = (uint64_t)(int64_t)prog[pc++]; break;
        case OP_LOAD: stack[sp++] = frame[prog[pc++]]; break;
        case OP_STORE: frame[prog[pc++]] = stack[--sp]; break;
        case OP_INC: frame[prog[pc]] += (uint64_t)(int64_t)prog[pc + 1]; pc += 2; break;
        case OP_ADD: b = stack[--sp]; stack[sp - 1] += b; break;
        case OP_SUB: b = stack[--sp]; stack[sp - 1] -= b; break;
        case OP_MUL: b = stack[--sp]; stack[sp - 1] *= b; break;
        case OP_DIVU:
            b = stack[--sp];
            if (b == 0) goto fault;
            stack[sp - 1] /= b;
            break;
        case OP_REMU:
            b = stack[--sp];
            if (b == 0) goto fault;
            stack[sp - 1] %= b;
            break;
        case OP_AND: b = stack[--sp]; stack[sp - 1] &= b; break;
        case OP_OR: b = stack[--sp]; stack[sp - 1] |= b; break;
        case OP_XOR: b = stack[--sp]; stack[sp - 1] ^= b; break;
        case OP_SHL: b = stack[--sp]; stack[sp - 1] <<= (b & 63); break;
        case OP_SHR: b = stack[--sp]; stack[sp - 1] >>= (b & 63); break;
        case OP_LT: b = stack[--sp]; stack[sp - 1] = stack[sp - 1] < b; break;
        case OP_EQ: b = stack[--sp]; stack[sp - 1] = stack[sp - 1] == b; break;
        case OP_NOT: stack[sp - 1] = !stack[sp - 1]; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_DROP: sp--; break;
        case OP_SWAP: a = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = a; break;
        case OP_JMP: pc = prog[pc]; break;
        case OP_JZ: pc = stack[--sp] == 0 ? prog[pc] : pc + 1; break;
        case OP_JNZ: pc = stack[--sp] != 0 ? prog[pc] : pc + 1; break;
        case OP_CALL: {
            int32_t target = prog[pc], nargs = prog[pc + 1];
            if (depth + 1 >= MAX_FRAMES) goto fault;
            return_pc[depth++] = pc + 2;
            frame += LOCALS_PER_FRAME;
            for (int i = LOCALS_PER_FRAME - 1; i >= nargs; i--)
                frame[i] = 0;
            for (int i = nargs - 1; i >= 0; i--)
                frame[i] = stack[--sp];
            pc = target;
            break;
        }
        case OP_RET:
            if (depth == 0)
                return stack[sp - 1];
            frame -= LOCALS_PER_FRAME;
            pc = return_pc[--depth];
            break;
        case OP_MLOAD: stack[sp - 1] = mem[stack[sp - 1] & (MEM_WORDS - 1)]; break;
        case OP_MSTORE:
            b = stack[--sp];
            a = stack[--sp];
            mem[a & (MEM_WORDS - 1)] = b;
            break;
        case OP_HALT:
            return sp ? stack[sp - 1] : 0;
        default:
            goto fault;
        }
        if (sp < 0 || sp >= STACK_SLOTS - 1)
            goto fault;
    }
fault:
    *ok = 0;
    return 0;
}

int main(int argc, char **argv) {
    long n = DEFAULT_SIZE;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    if (n < 1)
        n = DEFAULT_SIZE;

    int entry = assemble();
    int ok;
    uint64_t result = run(code, entry, (uint64_t)n, &ok);
    if (!ok) {
        printf("checksum: fault\n");
        return 1;
    }
    printf("checksum: %" PRIu64 "\n", result);
    return 0;
}
