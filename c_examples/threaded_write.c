/*
 * threaded_write: many threads writing the tiles of ONE writer at once.
 *
 *   threaded_write OUTPUT.exr [ITERATIONS [THREADS]]
 *
 * exrkit_write_block may be called from any number of threads at once, in
 * any order: a writer holds tiles that arrive before their turn and writes
 * them when the file's order reaches them. Here THREADS pthreads (default
 * 4) share the tiles of a 333 x 277 tiled part (ZIP, 32 x 32 tiles, partial
 * tiles at the edges, channels R HALF, G FLOAT and id UINT), thread t
 * writing tiles t, t + THREADS, t + 2 * THREADS, ... (in a one-level tiled
 * part, tile (x, y) is chunk y * tiles_across + x) from one shared frame
 * buffer covering the whole image. The main thread then finishes the file.
 *
 * The file is read back with exrkit and every sample compared with what was
 * written. The whole run repeats ITERATIONS times (default 1) to shake out
 * races; each writes OUTPUT.exr again.
 *
 * Exits with 1 on any error or mismatch.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"

#define WIDTH 333
#define HEIGHT 277
#define TILE 32
#define CHANNELS 3

static const char *const names[CHANNELS] = {"R", "G", "id"};
static const exrkit_pixel_type types[CHANNELS] = {EXRKIT_PIXEL_HALF, EXRKIT_PIXEL_FLOAT,
                                                  EXRKIT_PIXEL_UINT};
static const size_t sizes[CHANNELS] = {2, 4, 4};

struct job {
    exrkit_writer *writer;
    const exrkit_framebuffer *fb;
    uint64_t first, step, count;
    exrkit_status status;
    char message[512];
};

static void *write_tiles(void *arg)
{
    struct job *job = arg;
    for (uint64_t chunk = job->first; chunk < job->count; chunk += job->step) {
        job->status = exrkit_write_block(job->writer, 0, chunk, job->fb);
        if (job->status != EXRKIT_OK) {
            snprintf(job->message, sizeof job->message, "tile %llu: %s",
                     (unsigned long long)chunk, exrkit_last_error_message());
            break;
        }
    }
    return NULL;
}

static int fail(const char *what)
{
    fprintf(stderr, "threaded_write: %s: %s\n", what, exrkit_last_error_message());
    return 1;
}

/* Fills the source planes: every sample different, HALF as bit patterns of
 * finite halves. */
static void fill_planes(unsigned char *planes[CHANNELS])
{
    for (size_t i = 0; i < (size_t)WIDTH * HEIGHT; i++) {
        uint16_t half = (uint16_t)(i % 0x7800);
        float f = (float)i * 0.25f - 1000.0f;
        uint32_t id = (uint32_t)(i * 2654435761u);
        memcpy(planes[0] + 2 * i, &half, 2);
        memcpy(planes[1] + 4 * i, &f, 4);
        memcpy(planes[2] + 4 * i, &id, 4);
    }
}

static void describe(exrkit_slice slices[CHANNELS], unsigned char *planes[CHANNELS],
                     exrkit_framebuffer *fb)
{
    for (int c = 0; c < CHANNELS; c++) {
        slices[c] = (exrkit_slice){
            .channel = names[c], .type = types[c], .base = planes[c],
            .x_stride = (ptrdiff_t)sizes[c], .y_stride = (ptrdiff_t)(sizes[c] * WIDTH),
            .x_sampling = 1, .y_sampling = 1, .fill = 0.0,
        };
    }
    *fb = (exrkit_framebuffer){
        .window = {0, 0, WIDTH - 1, HEIGHT - 1}, .slices = slices, .slice_count = CHANNELS,
    };
}

static int write_file(const char *path, int threads, unsigned char *planes[CHANNELS])
{
    exrkit_writer *writer = NULL;
    exrkit_part_desc desc;
    uint32_t part = 0;
    exrkit_slice slices[CHANNELS];
    exrkit_framebuffer fb;
    describe(slices, planes, &fb);

    if (exrkit_create(path, NULL, &writer) != EXRKIT_OK)
        return fail("create");
    exrkit_part_desc_init(&desc);
    desc.storage = EXRKIT_STORAGE_TILED;
    desc.data_window = desc.display_window = fb.window;
    desc.tile_width = desc.tile_height = TILE;
    if (exrkit_add_part(writer, &desc, &part) != EXRKIT_OK) {
        exrkit_writer_free(writer);
        return fail("add_part");
    }
    for (int c = 0; c < CHANNELS; c++) {
        exrkit_channel channel = {.name = names[c], .type = types[c], .x_sampling = 1,
                                  .y_sampling = 1, .p_linear = false};
        if (exrkit_add_channel(writer, part, &channel) != EXRKIT_OK) {
            exrkit_writer_free(writer);
            return fail("add_channel");
        }
    }
    if (exrkit_write_header(writer) != EXRKIT_OK) {
        exrkit_writer_free(writer);
        return fail("write_header");
    }

    uint64_t across = (WIDTH + TILE - 1) / TILE, down = (HEIGHT + TILE - 1) / TILE;
    pthread_t ids[64];
    struct job jobs[64];
    int started = 0, bad = 0;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){.writer = writer, .fb = &fb, .first = (uint64_t)t,
                               .step = (uint64_t)threads, .count = across * down};
        if (pthread_create(&ids[t], NULL, write_tiles, &jobs[t]) != 0) {
            fprintf(stderr, "threaded_write: cannot start thread %d\n", t);
            bad = 1;
            break;
        }
        started++;
    }
    for (int t = 0; t < started; t++) {
        pthread_join(ids[t], NULL);
        if (jobs[t].status != EXRKIT_OK) {
            fprintf(stderr, "threaded_write: thread %d: %s\n", t, jobs[t].message);
            bad = 1;
        }
    }
    if (bad) {
        exrkit_writer_free(writer);
        return 1;
    }
    if (exrkit_finish(writer) != EXRKIT_OK) {
        exrkit_writer_free(writer);
        return fail("finish");
    }
    exrkit_writer_free(writer);
    return 0;
}

static int verify(const char *path, unsigned char *planes[CHANNELS])
{
    exrkit_reader *reader = NULL;
    unsigned char *back[CHANNELS] = {0};
    exrkit_slice slices[CHANNELS];
    exrkit_framebuffer fb;
    int result = 1;

    if (exrkit_open(path, NULL, &reader) != EXRKIT_OK)
        return fail("open the written file");
    for (int c = 0; c < CHANNELS; c++) {
        back[c] = calloc((size_t)WIDTH * HEIGHT, sizes[c]);
        if (!back[c]) {
            fprintf(stderr, "threaded_write: out of memory\n");
            goto done;
        }
    }
    describe(slices, back, &fb);
    if (exrkit_decode_image(reader, 0, 0, 0, &fb) != EXRKIT_OK) {
        fail("decode the written file");
        goto done;
    }
    for (int c = 0; c < CHANNELS; c++) {
        if (memcmp(back[c], planes[c], (size_t)WIDTH * HEIGHT * sizes[c]) != 0) {
            fprintf(stderr, "threaded_write: channel %s differs from what was written\n",
                    names[c]);
            goto done;
        }
    }
    result = 0;
done:
    for (int c = 0; c < CHANNELS; c++)
        free(back[c]);
    exrkit_close(reader);
    return result;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: threaded_write OUTPUT.exr [ITERATIONS [THREADS]]\n");
        return 1;
    }
    int iterations = argc > 2 ? atoi(argv[2]) : 1;
    int threads = argc > 3 ? atoi(argv[3]) : 4;
    if (iterations < 1 || threads < 1 || threads > 64) {
        fprintf(stderr, "threaded_write: ITERATIONS must be 1 or more, THREADS 1 to 64\n");
        return 1;
    }
    unsigned char *planes[CHANNELS] = {0};
    int result = 1;
    for (int c = 0; c < CHANNELS; c++) {
        planes[c] = malloc((size_t)WIDTH * HEIGHT * sizes[c]);
        if (!planes[c]) {
            fprintf(stderr, "threaded_write: out of memory\n");
            goto done;
        }
    }
    fill_planes(planes);
    for (int i = 0; i < iterations; i++) {
        if (write_file(argv[1], threads, planes) != 0 || verify(argv[1], planes) != 0)
            goto done;
    }
    printf("%d x %d tiles written by %d threads, %d time(s), read back exactly\n",
           (WIDTH + TILE - 1) / TILE, (HEIGHT + TILE - 1) / TILE, threads, iterations);
    result = 0;
done:
    for (int c = 0; c < CHANNELS; c++)
        free(planes[c]);
    return result;
}
