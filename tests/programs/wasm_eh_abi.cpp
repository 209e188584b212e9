// A minimal C++ exception runtime for WebAssembly exception handling
// (clang -fwasm-exceptions), for Debian's wasm32 libc++abi, which is built
// without exceptions. It does what libc++abi and libunwind do for Wasm,
// no more: allocate and throw an exception with the `__cpp_exception` tag,
// and answer the landing pads' question of which catch clause takes it by
// reading the function's LSDA. Types match exactly or through single
// public inheritance (enough for this program's class hierarchy).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <typeinfo>

namespace __cxxabiv1 {
struct __class_type_info : std::type_info {};
struct __si_class_type_info : __class_type_info {
    const __class_type_info* __base_type;
};
} // namespace __cxxabiv1

extern "C" {
// Set by generated code before it calls _Unwind_CallPersonality.
struct LandingPadContext {
    uintptr_t lpad_index;
    const uint8_t* lsda;
    uintptr_t selector;
};
LandingPadContext __wasm_lpad_context;

struct UnwindException {
    uint64_t exception_class;
    void (*cleanup)(int, UnwindException*);
    uintptr_t private_1;
    uintptr_t private_2;
};
}

namespace {
// What precedes a thrown object: its type, destructor, and the unwind
// header whose address is the exception's payload.
struct alignas(16) Header {
    const std::type_info* type;
    // On WebAssembly, destructors return `this`.
    void* (*destroy)(void*);
    int handlers;
    UnwindException unwind;
};

Header* header_of(void* unwind) {
    return reinterpret_cast<Header*>(static_cast<char*>(unwind) - offsetof(Header, unwind));
}

void* object_of(Header* h) { return h + 1; }

const int kMaxCaught = 64;
Header* caught[kMaxCaught]; // the exceptions being handled, innermost last
int ncaught = 0;

uintptr_t uleb(const uint8_t*& p) {
    uintptr_t v = 0;
    int shift = 0;
    uint8_t b;
    do {
        b = *p++;
        v |= uintptr_t(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    return v;
}

intptr_t sleb(const uint8_t*& p) {
    intptr_t v = 0;
    int shift = 0;
    uint8_t b;
    do {
        b = *p++;
        v |= intptr_t(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < int(sizeof(v) * 8) && (b & 0x40)) v |= -(intptr_t(1) << shift);
    return v;
}

// Whether a handler of type `handler` (null: catch (...)) takes an
// exception of type `thrown`.
bool catches(const std::type_info* handler, const std::type_info* thrown) {
    if (!handler) return true;
    for (const std::type_info* t = thrown; t;) {
        if (*t == *handler) return true;
        auto si = dynamic_cast<const __cxxabiv1::__si_class_type_info*>(t);
        t = si ? si->__base_type : nullptr;
    }
    return false;
}
} // namespace

extern "C" {
void* __cxa_allocate_exception(size_t size) {
    auto* h = static_cast<Header*>(std::calloc(1, sizeof(Header) + size));
    if (!h) std::abort();
    return object_of(h);
}

void __cxa_free_exception(void* object) { std::free(static_cast<Header*>(object) - 1); }

[[noreturn]] void __cxa_throw(void* object, std::type_info* type, void* (*destroy)(void*)) {
    Header* h = static_cast<Header*>(object) - 1;
    h->type = type;
    h->destroy = destroy;
    h->unwind.exception_class = 0x434c4e47432b2b00ull; // "CLNGC++\0"
    __builtin_wasm_throw(0, &h->unwind);
}

// Which catch clause of the landing pad `__wasm_lpad_context` names takes
// the exception: its type index in `selector` (0 for none).
int _Unwind_CallPersonality(void* unwind) {
    Header* h = header_of(unwind);
    LandingPadContext& cx = __wasm_lpad_context;
    cx.selector = 0;
    const uint8_t* p = cx.lsda;
    if (!p) return 8; // _URC_CONTINUE_UNWIND
    uint8_t lp_start_encoding = *p++;
    if (lp_start_encoding != 0xff) uleb(p); // (a start address; unused)
    uint8_t ttype_encoding = *p++;
    const uint8_t* types = nullptr;
    if (ttype_encoding != 0xff) {
        uintptr_t offset = uleb(p);
        types = p + offset;
    }
    p++; // the call-site encoding: ULEB128 on Wasm
    uintptr_t length = uleb(p);
    const uint8_t* actions = p + length;
    // The call-site table: (landing pad, action) per landing pad, by index.
    uintptr_t action = 0;
    for (uintptr_t i = 0; i <= cx.lpad_index; i++) {
        uleb(p);
        action = uleb(p);
    }
    if (action == 0) return 8; // cleanups only
    const uint8_t* a = actions + action - 1;
    for (;;) {
        intptr_t filter = sleb(a);
        const uint8_t* next = a;
        intptr_t displacement = sleb(a);
        if (filter > 0) {
            // Type table entries are 4-byte absolute addresses, from the
            // end backwards.
            uint32_t entry;
            std::memcpy(&entry, types - filter * 4, 4);
            auto* type = reinterpret_cast<const std::type_info*>(uintptr_t(entry));
            if (catches(type, h->type)) {
                cx.selector = uintptr_t(filter);
                h->unwind.private_2 = uintptr_t(filter);
                return 6; // _URC_HANDLER_FOUND
            }
        }
        if (displacement == 0) return 8;
        a = next + displacement;
    }
}

// The handlers using an exception count up; a rethrown one's count is
// negative until the catch block that rethrew it has ended.
void* __cxa_begin_catch(void* unwind) {
    Header* h = header_of(unwind);
    h->handlers = h->handlers < 0 ? -h->handlers + 1 : h->handlers + 1;
    if (ncaught == 0 || caught[ncaught - 1] != h) {
        if (ncaught == kMaxCaught) std::abort();
        caught[ncaught++] = h;
    }
    return object_of(h);
}

void __cxa_end_catch() {
    if (ncaught == 0) return;
    Header* h = caught[ncaught - 1];
    if (h->handlers < 0) {
        // Rethrown: it lives on in the handler that catches it next.
        if (++h->handlers == 0) ncaught--;
    } else if (--h->handlers == 0) {
        ncaught--;
        if (h->destroy) h->destroy(object_of(h));
        std::free(h);
    }
}

[[noreturn]] void __cxa_rethrow() {
    if (ncaught == 0) std::abort();
    Header* h = caught[ncaught - 1];
    h->handlers = -h->handlers;
    __builtin_wasm_throw(0, &h->unwind);
}

void* __cxa_get_exception_ptr(void* unwind) { return object_of(header_of(unwind)); }

int __gxx_wasm_personality_v0() { return 0; }
}
