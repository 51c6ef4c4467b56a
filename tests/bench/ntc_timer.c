/*
 * ntc_timer.c — runs an ntc subcommand REPS times in one process and prints the best wall time
 * in seconds: `ntc_timer REPS pack|unpack ARGS...`. The container benchmark uses it so that ntc is
 * timed like ZipNN is (in-process, no exec or dynamic linking), while still doing everything the
 * command does: setting up the pairs, mapping the input, coding, hashing, writing the output
 * file, fsync and rename. Linked with every object of ntc except main.o.
 */
#include "ntc.h"

#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int reps = argc > 2 ? atoi(argv[1]) : 0;
    double best = -1;
    if (reps < 1) {
        fprintf(stderr, "usage: ntc_timer REPS pack|unpack|stats ARGS...\n");
        return 2;
    }
    for (int r = 0; r < reps; r++) {
        double t0 = now_s(), t;
        if (nt_cmd_container(argc - 2, argv + 2) != 0)
            return 1;
        t = now_s() - t0;
        if (best < 0 || t < best)
            best = t;
    }
    printf("%.6f\n", best);
    return 0;
}
