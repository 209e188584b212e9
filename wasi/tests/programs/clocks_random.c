/* Clocks, poll_oneoff on clocks, and randomness; argv[1] says whether the
   host granted them ("granted") or not. */
#include "common.h"
#include <time.h>

static int poll_clocks(int n, const __wasi_subscription_t *subs, __wasi_event_t *events,
                       __wasi_size_t *nevents) {
    return __wasi_poll_oneoff(subs, events, n, nevents);
}

static __wasi_subscription_t clock_sub(uint64_t userdata, __wasi_clockid_t id, uint64_t timeout,
                                       __wasi_subclockflags_t flags) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.precision = 0;
    s.u.u.clock.flags = flags;
    return s;
}

int main(int argc, char **argv) {
    int granted = argc > 1 && strcmp(argv[1], "granted") == 0;
    __wasi_timestamp_t res = 0, t0 = 0, t1 = 0, wall = 0;
    int err;

    err = __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res);
    report("clock_res_get monotonic", err);
    if (!err) printf("resolution positive: %d\n", res > 0);
    err = __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &wall);
    report("clock_time_get realtime", err);
    if (!err) printf("after 2020: %d\n", wall > 1577836800ull * 1000000000ull);
    report("clock_time_get process", __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t0));
    report("clock_time_get bad id", __wasi_clock_time_get(99, 1, &t0));
    report("clock_time_get bad pointer", raw_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, BAD));

    /* Sleep 20 ms on a relative monotonic clock. */
    __wasi_subscription_t subs[3];
    __wasi_event_t events[3];
    __wasi_size_t n = 0;
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
    subs[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 20000000, 0);
    err = poll_clocks(1, subs, events, &n);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
    report("poll_oneoff relative", err);
    printf("events: %u userdata %llu type %d error %d\n", (unsigned)n,
           (unsigned long long)events[0].userdata, events[0].type, events[0].error);
    if (granted) printf("slept at least 20ms: %d\n", t1 - t0 >= 20000000);

    /* The earlier of two clocks fires alone; an absolute deadline works too. */
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &wall);
    subs[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    subs[1] = clock_sub(2, __WASI_CLOCKID_REALTIME, wall + 10000000, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    n = 0;
    err = poll_clocks(2, subs, events, &n);
    report("poll_oneoff two clocks", err);
    printf("events: %u first userdata %llu error %d\n", (unsigned)n,
           (unsigned long long)events[0].userdata, events[0].error);

    subs[0] = clock_sub(3, 42, 1000, 0);
    n = 0;
    err = poll_clocks(1, subs, events, &n);
    report("poll_oneoff bad clock", err);
    printf("events: %u error %d\n", (unsigned)n, events[0].error);
    report("poll_oneoff no subscriptions", poll_clocks(0, subs, events, &n));
    report("poll_oneoff bad output", raw_poll_oneoff(PTR(subs), BAD, 1, PTR(&n)));

    struct timespec ts = {0, 1000000};
    errno = 0;
    int r = nanosleep(&ts, NULL);
    printf("nanosleep: %d errno %d\n", r, r ? errno : 0);

    uint8_t a[32], b[32];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    report("random_get", __wasi_random_get(a, sizeof a));
    report("random_get again", __wasi_random_get(b, sizeof b));
    int zero = 1;
    for (size_t i = 0; i < sizeof a; i++) zero &= a[i] == 0;
    printf("random differs: %d nonzero: %d\n", memcmp(a, b, sizeof a) != 0, !zero);
    report("random_get bad pointer", raw_random_get(BAD, 64));
    report("sched_yield", __wasi_sched_yield());
    report("proc_raise", raw_proc_raise(15));
    return 0;
}
