// Exceptions in C++, built for WebAssembly with -fwasm-exceptions: thrown
// several frames down, caught by type (exact, by a base class, and with
// catch (...)), rethrown with `throw;`, with destructors run on the way.
#include <cstdio>

static int live = 0;   // objects alive with a destructor to run
static unsigned long long trail = 0; // a digest of what ran, in order

static void note(long long v) { trail = trail * 31 + (unsigned long long)v; }

struct Guard {
    int id;
    explicit Guard(int i) : id(i) { ++live; note(id); }
    ~Guard() { --live; note(-id); }
};

struct Error {
    int code;
    explicit Error(int c) : code(c) {}
    virtual ~Error() {}
    virtual int kind() const { return 1; }
};
struct IoError : Error {
    explicit IoError(int c) : Error(c) {}
    int kind() const override { return 2; }
};
struct DiskError : IoError {
    explicit DiskError(int c) : IoError(c) {}
    int kind() const override { return 3; }
};

__attribute__((noinline)) static int leaf(int n) {
    Guard g(100 + n);
    switch (n % 5) {
    case 0: throw Error(n);
    case 1: throw IoError(n);
    case 2: throw DiskError(n);
    case 3: throw n;
    default: return n * 2;
    }
}

__attribute__((noinline)) static int middle(int n, int depth) {
    Guard g(depth);
    if (depth > 0) return middle(n, depth - 1) + 1;
    return leaf(n);
}

__attribute__((noinline)) static int rethrowing(int n) {
    try {
        return middle(n, 3);
    } catch (const IoError& e) {
        note(1000 + e.code);
        throw; // to the caller, as the same object
    }
}

static int run(int n) {
    try {
        return rethrowing(n);
    } catch (const DiskError& e) {
        return -3000 - e.code * e.kind();
    } catch (const Error& e) {
        return -1000 * e.kind() - e.code;
    } catch (...) {
        return -7;
    }
}

int main() {
    unsigned long long sum = 0;
    for (int n = 0; n < 2000; n++) {
        int r = run(n);
        sum = sum * 7 + (unsigned long long)(long long)r;
        if (n < 10) std::printf("run(%d) = %d\n", n, r);
    }
    std::printf("sum %llu, trail %llu, live %d\n", sum, trail, live);
    return live == 0 ? 0 : 1;
}
