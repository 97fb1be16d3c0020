/*
 * Hostile QOI files through the C API: thousands of mutated and truncated
 * copies of the given files (bytes flipped, header fields rewritten, tails
 * cut) are opened from memory with a pixel limit and decoded whole, as
 * RGBA floats, as rows of U8 samples in the file's channels (the way that
 * decodes straight into them) and as planes of U8 samples (the general
 * scatter). Each call must return a status (no crash, no hang; valgrind
 * watches memory), all three the same one, the two U8 ways the same
 * samples, and an image that opens never exceeds the limit.
 *
 *   qoi_fuzz FILE.qoi...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"
#include "read_file.h"

#define ROUNDS 700
#define MAX_PIXELS (1u << 18)

static uint64_t state = 0x9e3779b97f4a7c15ull;

static uint32_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)(state >> 32);
}

/* A U8 slice of `channel` at `base`, filled with 0. */
static exrkit_slice u8_slice(const char *channel, uint8_t *base, ptrdiff_t x_stride,
                             ptrdiff_t y_stride)
{
    exrkit_slice slice;
    slice.channel = channel;
    slice.type = EXRKIT_PIXEL_U8;
    slice.base = base;
    slice.x_stride = x_stride;
    slice.y_stride = y_stride;
    slice.x_sampling = 1;
    slice.y_sampling = 1;
    slice.fill = 0.0;
    return slice;
}

/* Decodes the image into `out` as rows of interleaved U8 samples in the
 * file's own channels, the way that writes them straight in. */
static exrkit_status decode_bytes(const exrkit_reader *reader, const exrkit_header *h,
                                  uint8_t *out)
{
    static const char *const names[4] = {"R", "G", "B", "A"};
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    const ptrdiff_t count = (ptrdiff_t)h->channel_count;
    uint32_t c;
    for (c = 0; c < h->channel_count && c < 4; c++)
        slices[c] = u8_slice(names[c], out + c, count,
                             count * ((ptrdiff_t)h->data_window.max_x + 1));
    fb.window = h->data_window;
    fb.slices = slices;
    fb.slice_count = c;
    return exrkit_decode_image(reader, 0, 0, 0, &fb);
}

/* Decodes the image into `out` as planes of U8 samples, one per channel,
 * listed B, G, R, A (the general scatter), then interleaves them into
 * `pixels` as decode_bytes lays them out. */
static exrkit_status decode_planes(const exrkit_reader *reader, const exrkit_header *h,
                                   uint8_t *out, uint8_t *pixels)
{
    static const char *const names[4] = {"B", "G", "R", "A"};
    static const int order[4] = {2, 1, 0, 3};
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    const size_t width = (size_t)h->data_window.max_x + 1;
    const size_t count = width * ((size_t)h->data_window.max_y + 1);
    exrkit_status st;
    uint32_t c;
    size_t i;
    for (c = 0; c < h->channel_count && c < 4; c++)
        slices[c] = u8_slice(names[c], out + (size_t)c * count, 1, (ptrdiff_t)width);
    fb.window = h->data_window;
    fb.slices = slices;
    fb.slice_count = c;
    st = exrkit_decode_image(reader, 0, 0, 0, &fb);
    for (i = 0; i < count; i++)
        for (c = 0; c < h->channel_count && c < 4; c++)
            pixels[i * h->channel_count + (uint32_t)order[c]] = out[(size_t)c * count + i];
    return st;
}

/* One damaged copy of `data` in `out` (same capacity); returns its size. */
static size_t mutate(const uint8_t *data, size_t size, uint8_t *out)
{
    size_t n = size, k, flips = 1 + next() % 4;
    memcpy(out, data, size);
    switch (next() % 4) {
    case 0: /* a header field: width, height, channels or colorspace */
        out[4 + next() % 10] = (uint8_t)next();
        break;
    case 1: /* a cut tail */
        n = next() % size;
        break;
    default:
        break;
    }
    for (k = 0; k < flips && n > 0; k++)
        out[next() % n] ^= (uint8_t)(1u << (next() % 8));
    return n;
}

int main(int argc, char **argv)
{
    exrkit_read_options options;
    unsigned opened = 0, decoded = 0, refused = 0, failures = 0;
    int f, r;
    exrkit_read_options_init(&options);
    options.max_image_pixels = MAX_PIXELS;
    for (f = 1; f < argc; f++) {
        size_t size = 0;
        uint8_t *data = (uint8_t *)read_file(argv[f], &size), *copy;
        if (data == NULL || size < 16) {
            fprintf(stderr, "qoi_fuzz: cannot read %s\n", argv[f]);
            return 1;
        }
        copy = (uint8_t *)malloc(size);
        for (r = 0; copy != NULL && r < ROUNDS; r++) {
            size_t n = mutate(data, size, copy);
            exrkit_reader *reader = NULL;
            exrkit_header h;
            float *rgba;
            size_t pixels;
            if (exrkit_open_memory(copy, n, &options, &reader) != EXRKIT_OK) {
                refused++;
                continue;
            }
            opened++;
            if (exrkit_read_header(reader, 0, &h) != EXRKIT_OK) {
                failures++;
                exrkit_close(reader);
                continue;
            }
            pixels = (size_t)(h.data_window.max_x + 1) * (size_t)(h.data_window.max_y + 1);
            if (pixels > MAX_PIXELS) {
                fprintf(stderr, "qoi_fuzz: %s: opened %lu pixels past the limit\n", argv[f],
                        (unsigned long)pixels);
                failures++;
            } else if ((rgba = (float *)malloc(pixels * 16 * 2)) != NULL) {
                exrkit_status st = exrkit_decode_rgba(
                    reader, 0, h.data_window, rgba, (ptrdiff_t)(h.data_window.max_x + 1) * 16);
                uint8_t *rows = (uint8_t *)rgba, *planes = rows + pixels * 4;
                exrkit_status bytes = decode_bytes(reader, &h, rows);
                exrkit_status planar = decode_planes(reader, &h, planes, planes + pixels * 4);
                if (bytes != st || planar != st) {
                    fprintf(stderr, "qoi_fuzz: %s: RGBA gave %s, U8 rows %s, planes %s\n",
                            argv[f], exrkit_status_string(st), exrkit_status_string(bytes),
                            exrkit_status_string(planar));
                    failures++;
                } else if (memcmp(rows, planes + pixels * 4, pixels * h.channel_count) != 0) {
                    fprintf(stderr, "qoi_fuzz: %s: U8 rows and planes differ (%s)\n", argv[f],
                            exrkit_status_string(st));
                    failures++;
                } else if (st == EXRKIT_OK)
                    decoded++;
                else if (st == EXRKIT_ERR_CORRUPT)
                    refused++;
                else {
                    fprintf(stderr, "qoi_fuzz: %s: unexpected status %s\n", argv[f],
                            exrkit_status_string(st));
                    failures++;
                }
                free(rgba);
            }
            exrkit_close(reader);
        }
        free(copy);
        free(data);
    }
    printf("qoi_fuzz: %d damaged files: %u opened, %u decoded, %u refused, %u failures\n",
           (argc - 1) * ROUNDS, opened, decoded, refused, failures);
    return failures != 0 || decoded == 0 || refused == 0;
}
