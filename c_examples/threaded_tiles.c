/*
 * threaded_tiles: many threads decoding the chunks of ONE reader at once.
 *
 *   threaded_tiles FILE [ITERATIONS [THREADS [PART]]]
 *
 * A reader is immutable after open, so any number of threads may call
 * exrkit_decode_block on it at the same time, each with its own chunks.
 * Here THREADS pthreads (default 4) share the chunks of one part, thread t
 * taking chunks t, t + THREADS, t + 2 * THREADS, ..., and decode them into
 * one shared set of buffers: one per level for tiled parts with mip or rip
 * maps (each chunk knows its level from exrkit_get_chunk_info), each
 * channel at its own type and sampling. No two chunks write the same
 * pixels, so the threads need no locks.
 *
 * The result must equal, byte for byte, exrkit_decode_image of every level
 * by a second reader opened with threads = 1 (everything on the calling
 * thread). Both sets of buffers start out with different byte patterns, so
 * a pixel left unwritten is a mismatch too. The whole run repeats
 * ITERATIONS times (default 1) to shake out races.
 *
 * Exits with 1 on any error or mismatch.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exrkit.h"

/* One level of the part: its frame buffer, and the reference decode. */
typedef struct {
    int32_t level_x, level_y;
    exrkit_framebuffer fb;     /* what the threads decode into */
    exrkit_slice *slices;      /* fb's slices, one per channel */
    unsigned char **shared;    /* per channel: the threads' samples */
    unsigned char **expected;  /* per channel: the single-threaded decode */
    size_t *bytes;             /* per channel: bytes of each buffer */
} level_buffers;

typedef struct {
    const exrkit_reader *reader;
    uint32_t part;
    uint64_t chunk_count;
    const uint32_t *chunk_level; /* index into levels, per chunk */
    level_buffers *levels;
    unsigned first, step;        /* this thread's chunks: first, first + step, ... */
    /* Results: the first failing chunk (if any) and its message. */
    exrkit_status status;
    uint64_t failed_chunk;
    char message[512];
} worker;

static void *decode_chunks(void *arg)
{
    worker *w = (worker *)arg;
    uint64_t c;
    for (c = w->first; c < w->chunk_count; c += w->step) {
        exrkit_status st =
            exrkit_decode_block(w->reader, w->part, c, &w->levels[w->chunk_level[c]].fb);
        if (st != EXRKIT_OK) {
            /* The message is per thread: keep a copy for the main thread. */
            w->status = st;
            w->failed_chunk = c;
            snprintf(w->message, sizeof w->message, "%s", exrkit_last_error_message());
            break;
        }
    }
    return NULL;
}

static size_t type_size(exrkit_pixel_type t)
{
    return t == EXRKIT_PIXEL_HALF ? 2 : t == EXRKIT_PIXEL_U8 ? 1 : 4;
}

/* Number of multiples of s in [lo, hi]: the samples of a channel with
 * sampling s along that range. */
static int64_t sampled(int32_t lo, int32_t hi, int32_t s)
{
    int64_t l = (int64_t)lo - 1, h = hi;
    int64_t fl = l >= 0 ? l / s : -((-l + s - 1) / s);
    int64_t fh = h >= 0 ? h / s : -((-h + s - 1) / s);
    return fh - fl;
}

static void free_level(level_buffers *l, uint32_t channels)
{
    uint32_t i;
    for (i = 0; i < channels; i++) {
        if (l->shared)
            free(l->shared[i]);
        if (l->expected)
            free(l->expected[i]);
    }
    free(l->shared);
    free(l->expected);
    free(l->bytes);
    free(l->slices);
}

/* Sets up the buffers of level (lx, ly); returns 0 or 1 (reported). */
static int init_level(level_buffers *l, const exrkit_reader *reader, uint32_t part,
                      const exrkit_header *h, int32_t lx, int32_t ly)
{
    int32_t w = 0, hgt = 0;
    uint32_t i;
    exrkit_status st = exrkit_level_size(reader, part, lx, ly, &w, &hgt);
    if (st != EXRKIT_OK) {
        fprintf(stderr, "threaded_tiles: level (%d, %d): %s\n", lx, ly, exrkit_last_error_message());
        return 1;
    }
    l->level_x = lx;
    l->level_y = ly;
    /* Levels keep the data window's origin. */
    l->fb.window.min_x = h->data_window.min_x;
    l->fb.window.min_y = h->data_window.min_y;
    l->fb.window.max_x = h->data_window.min_x + (w - 1);
    l->fb.window.max_y = h->data_window.min_y + (hgt - 1);
    /* (calloc(0, ...) may return NULL: ask for at least one.) */
    l->slices = (exrkit_slice *)calloc(h->channel_count + 1, sizeof *l->slices);
    l->shared = (unsigned char **)calloc(h->channel_count + 1, sizeof *l->shared);
    l->expected = (unsigned char **)calloc(h->channel_count + 1, sizeof *l->expected);
    l->bytes = (size_t *)calloc(h->channel_count + 1, sizeof *l->bytes);
    if (l->slices == NULL || l->shared == NULL || l->expected == NULL || l->bytes == NULL)
        goto no_memory;
    for (i = 0; i < h->channel_count; i++) {
        exrkit_channel c;
        exrkit_slice *s = &l->slices[i];
        int64_t columns, rows;
        st = exrkit_get_channel(reader, part, i, &c);
        if (st != EXRKIT_OK) {
            fprintf(stderr, "threaded_tiles: channel %u: %s\n", i, exrkit_last_error_message());
            return 1;
        }
        /* Compact storage at the channel's own type and sampling. */
        columns = sampled(l->fb.window.min_x, l->fb.window.max_x, c.x_sampling);
        rows = sampled(l->fb.window.min_y, l->fb.window.max_y, c.y_sampling);
        l->bytes[i] = (size_t)columns * (size_t)rows * type_size(c.type);
        l->shared[i] = (unsigned char *)malloc(l->bytes[i] ? l->bytes[i] : 1);
        l->expected[i] = (unsigned char *)malloc(l->bytes[i] ? l->bytes[i] : 1);
        if (l->shared[i] == NULL || l->expected[i] == NULL)
            goto no_memory;
        s->channel = c.name;  /* owned by the reader, valid until it closes */
        s->type = c.type;
        s->base = l->shared[i];
        s->x_stride = (ptrdiff_t)type_size(c.type);
        s->y_stride = (ptrdiff_t)((size_t)columns * type_size(c.type));
        s->x_sampling = c.x_sampling;
        s->y_sampling = c.y_sampling;
        s->fill = 0.0;
    }
    l->fb.slices = l->slices;
    l->fb.slice_count = h->channel_count;
    return 0;

no_memory:
    fprintf(stderr, "threaded_tiles: out of memory for level (%d, %d)\n", lx, ly);
    return 1;
}

/* The reference: every level decoded by `serial` into the `expected`
 * buffers, through a copy of each level's frame buffer pointed there. */
static int decode_reference(const exrkit_reader *serial, uint32_t part, level_buffers *levels,
                            uint32_t level_count, uint32_t channels)
{
    uint32_t l, i;
    for (l = 0; l < level_count; l++) {
        level_buffers *lv = &levels[l];
        exrkit_framebuffer fb = lv->fb;
        exrkit_slice *slices = (exrkit_slice *)calloc(channels + 1, sizeof *slices);
        exrkit_status st;
        if (slices == NULL) {
            fprintf(stderr, "threaded_tiles: out of memory\n");
            return 1;
        }
        for (i = 0; i < channels; i++) {
            slices[i] = lv->slices[i];
            slices[i].base = lv->expected[i];
            memset(lv->expected[i], 0x5a, lv->bytes[i]);
        }
        fb.slices = slices;
        st = exrkit_decode_image(serial, part, lv->level_x, lv->level_y, &fb);
        free(slices);
        if (st != EXRKIT_OK) {
            fprintf(stderr, "threaded_tiles: single-threaded decode of level (%d, %d): %s (%s)\n",
                    lv->level_x, lv->level_y, exrkit_last_error_message(), exrkit_status_string(st));
            return 1;
        }
    }
    return 0;
}

static double seconds(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
        return 0.0;
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static unsigned long parse(const char *text, unsigned long min, unsigned long max, int *ok)
{
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || *end != '\0' || v < min || v > max)
        *ok = 0;
    return v;
}

int main(int argc, char **argv)
{
    exrkit_reader *shared = NULL, *serial = NULL;
    exrkit_read_options one_thread;
    exrkit_header h;
    exrkit_status st;
    level_buffers *levels = NULL;
    uint32_t *chunk_level = NULL;
    worker *workers = NULL;
    pthread_t *threads = NULL;
    unsigned long iterations = 1, thread_count = 4, part = 0, it;
    uint32_t level_count = 0, l, i;
    uint64_t c;
    double start, elapsed;
    int ok = 1, rc = 1;

    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: threaded_tiles FILE [ITERATIONS [THREADS [PART]]]\n");
        return 2;
    }
    if (argc > 2)
        iterations = parse(argv[2], 1, 1000000, &ok);
    if (argc > 3)
        thread_count = parse(argv[3], 1, 256, &ok);
    if (argc > 4)
        part = parse(argv[4], 0, UINT32_MAX, &ok);
    if (!ok) {
        fprintf(stderr, "threaded_tiles: ITERATIONS (1..1000000), THREADS (1..256) and PART "
                        "must be numbers\n");
        return 2;
    }

    /* Two readers of the same file: `shared` for the threads (its options do
     * not matter to exrkit_decode_block, which runs on the calling thread),
     * `serial` with threads = 1 for the reference decode. */
    st = exrkit_open(argv[1], NULL, &shared);
    if (st == EXRKIT_OK)
        st = exrkit_read_options_init(&one_thread);
    if (st == EXRKIT_OK) {
        one_thread.threads = 1;
        st = exrkit_open(argv[1], &one_thread, &serial);
    }
    if (st == EXRKIT_OK)
        st = exrkit_read_header(shared, (uint32_t)part, &h);
    if (st != EXRKIT_OK) {
        fprintf(stderr, "threaded_tiles: %s: %s (%s)\n", argv[1], exrkit_last_error_message(),
                exrkit_status_string(st));
        goto done;
    }
    if (h.storage != EXRKIT_STORAGE_TILED && h.storage != EXRKIT_STORAGE_SCANLINE) {
        fprintf(stderr, "threaded_tiles: part %lu holds deep data\n", part);
        goto done;
    }

    /* The levels: (0, 0) only, the diagonal of a mip map, or every
     * combination of a rip map. */
    levels = (level_buffers *)calloc((size_t)h.level_count_x * h.level_count_y, sizeof *levels);
    chunk_level = (uint32_t *)malloc(h.chunk_count ? (size_t)h.chunk_count * sizeof *chunk_level : 1);
    workers = (worker *)calloc(thread_count, sizeof *workers);
    threads = (pthread_t *)calloc(thread_count, sizeof *threads);
    if (levels == NULL || chunk_level == NULL || workers == NULL || threads == NULL) {
        fprintf(stderr, "threaded_tiles: out of memory\n");
        goto done;
    }
    for (l = 0; l < h.level_count_y; l++) {
        for (i = 0; i < h.level_count_x; i++) {
            if (h.level_mode != EXRKIT_LEVEL_RIPMAP && i != l)
                continue;
            if (init_level(&levels[level_count++], shared, (uint32_t)part, &h, (int32_t)i,
                           (int32_t)l) != 0)
                goto done;
        }
    }
    for (c = 0; c < h.chunk_count; c++) {
        exrkit_chunk_info info;
        st = exrkit_get_chunk_info(shared, (uint32_t)part, c, &info);
        if (st != EXRKIT_OK) {
            fprintf(stderr, "threaded_tiles: chunk %llu: %s\n", (unsigned long long)c,
                    exrkit_last_error_message());
            goto done;
        }
        for (l = 0; l < level_count; l++)
            if (levels[l].level_x == info.level_x && levels[l].level_y == info.level_y)
                break;
        if (l == level_count) {
            fprintf(stderr, "threaded_tiles: chunk %llu has level (%d, %d), which the header lacks\n",
                    (unsigned long long)c, info.level_x, info.level_y);
            goto done;
        }
        chunk_level[c] = l;
    }

    if (decode_reference(serial, (uint32_t)part, levels, level_count, h.channel_count) != 0)
        goto done;

    start = seconds();
    for (it = 0; it < iterations; it++) {
        unsigned long t, started = 0;
        for (l = 0; l < level_count; l++)
            for (i = 0; i < h.channel_count; i++)
                memset(levels[l].shared[i], 0xa5, levels[l].bytes[i]);
        for (t = 0; t < thread_count; t++) {
            worker *w = &workers[t];
            memset(w, 0, sizeof *w);
            w->reader = shared;
            w->part = (uint32_t)part;
            w->chunk_count = h.chunk_count;
            w->chunk_level = chunk_level;
            w->levels = levels;
            w->first = (unsigned)t;
            w->step = (unsigned)thread_count;
            if (pthread_create(&threads[t], NULL, decode_chunks, w) != 0) {
                fprintf(stderr, "threaded_tiles: cannot start thread %lu\n", t);
                ok = 0;
                break;
            }
            started++;
        }
        for (t = 0; t < started; t++) {
            if (pthread_join(threads[t], NULL) != 0) {
                fprintf(stderr, "threaded_tiles: cannot join thread %lu\n", t);
                ok = 0;
            } else if (workers[t].status != EXRKIT_OK) {
                fprintf(stderr, "threaded_tiles: iteration %lu, thread %lu, chunk %llu: %s (%s)\n",
                        it, t, (unsigned long long)workers[t].failed_chunk, workers[t].message,
                        exrkit_status_string(workers[t].status));
                ok = 0;
            }
        }
        if (!ok)
            goto done;
        for (l = 0; l < level_count; l++) {
            for (i = 0; i < h.channel_count; i++) {
                if (memcmp(levels[l].shared[i], levels[l].expected[i], levels[l].bytes[i]) != 0) {
                    fprintf(stderr, "threaded_tiles: iteration %lu: level (%d, %d) channel %s "
                                    "differs from the single-threaded decode\n",
                            it, levels[l].level_x, levels[l].level_y, levels[l].slices[i].channel);
                    goto done;
                }
            }
        }
    }
    elapsed = seconds() - start;
    printf("threaded_tiles: %s part %lu: %lu iterations of %llu chunks (%u level%s) over %lu "
           "threads, all identical to the single-threaded decode; %.2f ms per iteration\n",
           argv[1], part, iterations, (unsigned long long)h.chunk_count, level_count,
           level_count == 1 ? "" : "s", thread_count, elapsed * 1e3 / (double)iterations);
    rc = 0;

done:
    if (levels != NULL)
        for (l = 0; l < h.level_count_x * h.level_count_y; l++)
            free_level(&levels[l], h.channel_count);
    free(levels);
    free(chunk_level);
    free(workers);
    free(threads);
    exrkit_close(serial);
    exrkit_close(shared);
    return rc;
}
