/*
 * Hostile QOI files through the C API: thousands of mutated and truncated
 * copies of the given files (bytes flipped, header fields rewritten, tails
 * cut) are opened from memory with a pixel limit and decoded whole, as
 * RGBA floats and as rows of U8 samples in the file's channels (the way
 * that decodes straight into them). Each call must return a status (no
 * crash, no hang; valgrind watches memory), both the same one, and an
 * image that opens never exceeds the limit.
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
    for (c = 0; c < h->channel_count && c < 4; c++) {
        slices[c].channel = names[c];
        slices[c].type = EXRKIT_PIXEL_U8;
        slices[c].base = out + c;
        slices[c].x_stride = count;
        slices[c].y_stride = count * ((ptrdiff_t)h->data_window.max_x + 1);
        slices[c].x_sampling = 1;
        slices[c].y_sampling = 1;
        slices[c].fill = 0.0;
    }
    fb.window = h->data_window;
    fb.slices = slices;
    fb.slice_count = c;
    return exrkit_decode_image(reader, 0, 0, 0, &fb);
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
            } else if ((rgba = (float *)malloc(pixels * 16)) != NULL) {
                exrkit_status st = exrkit_decode_rgba(
                    reader, 0, h.data_window, rgba, (ptrdiff_t)(h.data_window.max_x + 1) * 16);
                exrkit_status bytes = decode_bytes(reader, &h, (uint8_t *)rgba);
                if (bytes != st) {
                    fprintf(stderr, "qoi_fuzz: %s: RGBA gave %s, U8 rows %s\n", argv[f],
                            exrkit_status_string(st), exrkit_status_string(bytes));
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
