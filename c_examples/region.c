/*
 * region: decodes only a window of a large image.
 *
 *   region [-p PART] [--verify] FILE X0 Y0 X1 Y1
 *
 * X0 Y0 X1 Y1 are the window's inclusive corners in the file's pixel
 * coordinates (those of the data window); the window is clipped to the data
 * window. Every channel is decoded as FLOAT (a subsampled channel is
 * replicated over the pixels it covers) into buffers the size of the
 * window alone: exrkit_decode_image writes only pixels inside the frame
 * buffer's window and skips the chunks (tiles or scanline blocks) that lie
 * outside it, so a small region of a huge file costs little.
 *
 * Prints the time taken and the values at the window's corners and centre.
 * With --verify it also decodes the whole data window and checks that the
 * region's pixels are bit for bit the same (exit 1 if not).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exrkit.h"

static double seconds(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
        return 0.0;
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int fail(const char *what, exrkit_status st)
{
    fprintf(stderr, "region: %s: %s (%s)\n", what, exrkit_last_error_message(),
            exrkit_status_string(st));
    return 1;
}

static int parse_int(const char *text, int32_t *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < INT32_MIN || v > INT32_MAX)
        return 0;
    *out = (int32_t)v;
    return 1;
}

static int64_t box_width(exrkit_box2i b)
{
    return (int64_t)b.max_x - b.min_x + 1;
}

static int64_t box_height(exrkit_box2i b)
{
    return (int64_t)b.max_y - b.min_y + 1;
}

/* Decodes level 0 of `part` over `window` into `planes` (one FLOAT plane per
 * channel, allocated here, row-major over the window) and stores the time
 * taken in `*took`. Returns 0, or 1 after reporting the error. The caller
 * frees the planes. */
static int decode_window(const exrkit_reader *reader, uint32_t part,
                         const exrkit_channel *channels, uint32_t channel_count,
                         exrkit_box2i window, float **planes, double *took)
{
    const size_t width = (size_t)box_width(window), height = (size_t)box_height(window);
    exrkit_slice *slices = (exrkit_slice *)calloc(channel_count + 1, sizeof *slices);
    exrkit_framebuffer fb;
    exrkit_status st;
    uint32_t i;
    double start;

    if (slices == NULL)
        goto no_memory;
    for (i = 0; i < channel_count; i++) {
        planes[i] = (float *)malloc(width * height * sizeof(float));
        if (planes[i] == NULL)
            goto no_memory;
        slices[i].channel = channels[i].name;
        slices[i].type = EXRKIT_PIXEL_FLOAT;
        slices[i].base = planes[i];  /* the sample of (window.min_x, window.min_y) */
        slices[i].x_stride = (ptrdiff_t)sizeof(float);
        slices[i].y_stride = (ptrdiff_t)(width * sizeof(float));
        slices[i].x_sampling = 1;    /* replicate subsampled channels */
        slices[i].y_sampling = 1;
        slices[i].fill = 0.0;
    }
    fb.window = window;
    fb.slices = slices;
    fb.slice_count = channel_count;
    start = seconds();
    st = exrkit_decode_image(reader, part, 0, 0, &fb);
    *took = seconds() - start;
    free(slices);
    return st == EXRKIT_OK ? 0 : fail("cannot decode", st);

no_memory:
    free(slices);
    fprintf(stderr, "region: out of memory for %lu x %lu pixels\n", (unsigned long)width,
            (unsigned long)height);
    return 1;
}

static void free_planes(float **planes, uint32_t count)
{
    uint32_t i;
    if (planes == NULL)
        return;
    for (i = 0; i < count; i++)
        free(planes[i]);
    free(planes);
}

/* How many chunks of level 0 meet `window` (from the header's geometry). */
static int64_t chunks_meeting(const exrkit_header *h, exrkit_box2i window)
{
    const exrkit_box2i dw = h->data_window;
    if (h->storage == EXRKIT_STORAGE_TILED) {
        int64_t tx0 = ((int64_t)window.min_x - dw.min_x) / h->tile_width;
        int64_t tx1 = ((int64_t)window.max_x - dw.min_x) / h->tile_width;
        int64_t ty0 = ((int64_t)window.min_y - dw.min_y) / h->tile_height;
        int64_t ty1 = ((int64_t)window.max_y - dw.min_y) / h->tile_height;
        return (tx1 - tx0 + 1) * (ty1 - ty0 + 1);
    }
    return ((int64_t)window.max_y - dw.min_y) / h->lines_per_chunk -
           ((int64_t)window.min_y - dw.min_y) / h->lines_per_chunk + 1;
}

static int64_t chunks_in_level0(const exrkit_header *h)
{
    if (h->storage == EXRKIT_STORAGE_TILED)
        return ((box_width(h->data_window) + h->tile_width - 1) / h->tile_width) *
               ((box_height(h->data_window) + h->tile_height - 1) / h->tile_height);
    return (int64_t)h->chunk_count;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    const char *numbers[4];
    int n = 0, verify = 0, i, rc = 1;
    unsigned long part = 0;
    exrkit_box2i asked, window;
    exrkit_reader *reader = NULL;
    exrkit_header h;
    exrkit_channel *channels = NULL;
    float **planes = NULL, **full = NULL;
    exrkit_status st;
    double took = 0.0, full_took = 0.0;
    uint32_t c;

    memset(&h, 0, sizeof h);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
            char *end;
            const char *text = argv[++i];
            part = strtoul(text, &end, 10);
            if (end == text || *end != '\0' || part > UINT32_MAX)
                n = 99;
        } else if (strcmp(argv[i], "--verify") == 0) {
            verify = 1;
        } else if (path == NULL) {
            path = argv[i];
        } else if (n < 4) {
            numbers[n++] = argv[i];
        } else {
            n = 99;
        }
    }
    if (path == NULL || n != 4 || !parse_int(numbers[0], &asked.min_x) ||
        !parse_int(numbers[1], &asked.min_y) || !parse_int(numbers[2], &asked.max_x) ||
        !parse_int(numbers[3], &asked.max_y)) {
        fprintf(stderr, "usage: region [-p PART] [--verify] FILE X0 Y0 X1 Y1\n");
        return 2;
    }

    st = exrkit_open(path, NULL, &reader);
    if (st != EXRKIT_OK)
        return fail(path, st);
    st = exrkit_read_header(reader, (uint32_t)part, &h);
    if (st != EXRKIT_OK) {
        fail("cannot read the part's header", st);
        goto done;
    }
    if (h.storage != EXRKIT_STORAGE_SCANLINE && h.storage != EXRKIT_STORAGE_TILED) {
        fprintf(stderr, "region: part %lu holds deep data\n", part);
        goto done;
    }

    /* Clip the window to the data window. */
    window.min_x = asked.min_x > h.data_window.min_x ? asked.min_x : h.data_window.min_x;
    window.min_y = asked.min_y > h.data_window.min_y ? asked.min_y : h.data_window.min_y;
    window.max_x = asked.max_x < h.data_window.max_x ? asked.max_x : h.data_window.max_x;
    window.max_y = asked.max_y < h.data_window.max_y ? asked.max_y : h.data_window.max_y;
    if (window.min_x > window.max_x || window.min_y > window.max_y) {
        fprintf(stderr, "region: window (%d %d) - (%d %d) misses the data window (%d %d) - (%d %d)\n",
                asked.min_x, asked.min_y, asked.max_x, asked.max_y, h.data_window.min_x,
                h.data_window.min_y, h.data_window.max_x, h.data_window.max_y);
        goto done;
    }
    if (memcmp(&window, &asked, sizeof window) != 0)
        printf("region: window clipped to the data window: (%d %d) - (%d %d)\n", window.min_x,
               window.min_y, window.max_x, window.max_y);

    channels = (exrkit_channel *)calloc(h.channel_count + 1, sizeof *channels);
    planes = (float **)calloc(h.channel_count + 1, sizeof *planes);
    if (channels == NULL || planes == NULL) {
        fprintf(stderr, "region: out of memory\n");
        goto done;
    }
    for (c = 0; c < h.channel_count; c++) {
        st = exrkit_get_channel(reader, (uint32_t)part, c, &channels[c]);
        if (st != EXRKIT_OK) {
            fail("cannot read the channel list", st);
            goto done;
        }
    }

    if (decode_window(reader, (uint32_t)part, channels, h.channel_count, window, planes, &took) != 0)
        goto done;
    printf("region: %s part %lu, data window (%d %d) - (%d %d)\n", path, part, h.data_window.min_x,
           h.data_window.min_y, h.data_window.max_x, h.data_window.max_y);
    printf("region: decoded (%d %d) - (%d %d), %lld x %lld pixels, %u channels, in %.3f ms "
           "(%lld of the %lld chunks of level 0)\n",
           window.min_x, window.min_y, window.max_x, window.max_y, (long long)box_width(window),
           (long long)box_height(window), h.channel_count, took * 1e3,
           (long long)chunks_meeting(&h, window), (long long)chunks_in_level0(&h));
    {
        /* Corners and centre of the window. */
        const int64_t w = box_width(window), hh = box_height(window);
        const int64_t xs[5] = {0, w - 1, 0, w - 1, w / 2};
        const int64_t ys[5] = {0, 0, hh - 1, hh - 1, hh / 2};
        int k;
        for (k = 0; k < 5; k++) {
            printf("  (%lld, %lld):", (long long)(window.min_x + xs[k]),
                   (long long)(window.min_y + ys[k]));
            for (c = 0; c < h.channel_count; c++)
                printf(" %s=%g", channels[c].name, (double)planes[c][ys[k] * w + xs[k]]);
            printf("\n");
        }
    }

    if (verify) {
        const size_t w = (size_t)box_width(window), fw = (size_t)box_width(h.data_window);
        const size_t dx = (size_t)((int64_t)window.min_x - h.data_window.min_x);
        const size_t dy = (size_t)((int64_t)window.min_y - h.data_window.min_y);
        size_t y;
        full = (float **)calloc(h.channel_count + 1, sizeof *full);
        if (full == NULL) {
            fprintf(stderr, "region: out of memory\n");
            goto done;
        }
        if (decode_window(reader, (uint32_t)part, channels, h.channel_count, h.data_window, full,
                          &full_took) != 0)
            goto done;
        for (c = 0; c < h.channel_count; c++) {
            for (y = 0; y < (size_t)box_height(window); y++) {
                if (memcmp(planes[c] + y * w, full[c] + (dy + y) * fw + dx, w * sizeof(float)) != 0) {
                    fprintf(stderr, "region: channel %s, row %lld differs from the full decode\n",
                            channels[c].name, (long long)(window.min_y + (int64_t)y));
                    goto done;
                }
            }
        }
        printf("region: verified against a decode of the whole data window (%.3f ms, %lld chunks): "
               "identical\n",
               full_took * 1e3, (long long)chunks_in_level0(&h));
    }
    rc = 0;

done:
    free_planes(planes, h.channel_count);
    free_planes(full, h.channel_count);
    free(channels);
    exrkit_close(reader);
    return rc;
}
