/*
 * The deep part of the C API end to end: a deep image built with
 * exrkit_deep_image_create and filled through exrkit_deep_channel_samples
 * is written (deep scanline ZIPS, deep tiled RLE, and both in one
 * multipart file, from exrkit_write_deep_image and from exrkit_write_deep_block
 * calls) to memory, read back with exrkit_decode_deep_image and
 * exrkit_decode_deep_block, and must come back sample for sample; flat
 * calls on deep parts and bad arguments give EXRKIT_ERR_INVALID_ARGUMENT.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"

#define W 37
#define H 23

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "deep_roundtrip: FAILED: %s (%s)\n", what, exrkit_last_error_message());
        failures++;
    }
}

static const exrkit_box2i window = {-5, 3, -5 + W - 1, 3 + H - 1};

/* Channels in name order, as a part keeps them. */
static exrkit_channel channels[3] = {
    {"A", EXRKIT_PIXEL_HALF, 1, 1, false},
    {"Z", EXRKIT_PIXEL_FLOAT, 1, 1, false},
    {"id", EXRKIT_PIXEL_UINT, 1, 1, false},
};

/* An image with most pixels empty and one holding 1500 samples. */
static exrkit_deep_image *make_image(void)
{
    uint32_t counts[W * H];
    exrkit_deep_image *image = NULL;
    uint32_t i, c;
    for (i = 0; i < W * H; i++)
        counts[i] = (i * 2654435761u) % 7 < 4 ? 0 : (i % 5) + 1;
    counts[W + 3] = 1500;
    if (exrkit_deep_image_create(window, channels, 3, counts, &image) != EXRKIT_OK)
        return NULL;
    for (c = 0; c < 3; c++) {
        void *samples = NULL;
        uint64_t n = 0, k;
        if (exrkit_deep_channel_samples(image, c, &samples, &n) != EXRKIT_OK) {
            exrkit_deep_image_free(image);
            return NULL;
        }
        for (k = 0; k < n; k++) {
            if (channels[c].type == EXRKIT_PIXEL_HALF)
                ((uint16_t *)samples)[k] = (uint16_t)(0x3c00 + (k % 1000));
            else if (channels[c].type == EXRKIT_PIXEL_FLOAT)
                ((float *)samples)[k] = (float)k * 0.25f - 7.0f;
            else
                ((uint32_t *)samples)[k] = (uint32_t)(k * 2654435761u);
        }
    }
    return image;
}

/* Whether two images hold the same window, offsets and samples. */
static int same_image(const exrkit_deep_image *a, const exrkit_deep_image *b)
{
    exrkit_box2i wa, wb;
    const uint64_t *oa, *ob;
    size_t na, nb;
    uint32_t c;
    if (exrkit_deep_window(a, &wa) != EXRKIT_OK || exrkit_deep_window(b, &wb) != EXRKIT_OK ||
        memcmp(&wa, &wb, sizeof wa) != 0)
        return 0;
    if (exrkit_deep_offsets(a, &oa, &na) != EXRKIT_OK ||
        exrkit_deep_offsets(b, &ob, &nb) != EXRKIT_OK || na != nb ||
        memcmp(oa, ob, na * sizeof *oa) != 0)
        return 0;
    for (c = 0; c < 3; c++) {
        exrkit_pixel_type ta, tb;
        const void *sa, *sb;
        uint64_t ca, cb;
        if (exrkit_deep_channel(a, c, &ta, &sa, &ca) != EXRKIT_OK ||
            exrkit_deep_channel(b, c, &tb, &sb, &cb) != EXRKIT_OK || ta != tb || ca != cb ||
            memcmp(sa, sb, (size_t)ca * (ta == EXRKIT_PIXEL_HALF ? 2 : 4)) != 0)
            return 0;
    }
    return 1;
}

/* Adds a deep part with the three channels. */
static uint32_t add_part(exrkit_writer *writer, const char *name, int tiled)
{
    exrkit_part_desc desc;
    uint32_t part = 0, c;
    exrkit_part_desc_init(&desc);
    desc.name = name;
    desc.data_window = window;
    desc.display_window = window;
    if (tiled) {
        desc.storage = EXRKIT_STORAGE_DEEP_TILED;
        desc.compression = EXRKIT_COMPRESSION_RLE;
        desc.tile_width = 8;
        desc.tile_height = 4;
    } else {
        desc.storage = EXRKIT_STORAGE_DEEP_SCANLINE;
        desc.compression = EXRKIT_COMPRESSION_ZIPS;
    }
    expect(exrkit_add_part(writer, &desc, &part) == EXRKIT_OK, "add a deep part");
    for (c = 0; c < 3; c++)
        expect(exrkit_add_channel(writer, part, &channels[c]) == EXRKIT_OK, "add a channel");
    return part;
}

/* Writes `image` to memory as one deep scanline part (layout 0), one deep
 * tiled part (1) or both in a multipart file (2), by whole image or chunk
 * by chunk, and checks what comes back. */
static void round_trip(const exrkit_deep_image *image, int layout, int by_block)
{
    exrkit_writer *writer = NULL;
    exrkit_reader *reader = NULL;
    const void *data = NULL;
    size_t size = 0;
    const int parts = layout == 2 ? 2 : 1;
    uint32_t p;
    char what[96];

    expect(exrkit_create_memory(NULL, &writer) == EXRKIT_OK, "create a writer");
    for (p = 0; p < (uint32_t)parts; p++)
        add_part(writer, parts > 1 ? (p ? "tiles" : "lines") : NULL, p == 1 || layout == 1);
    expect(exrkit_write_header(writer) == EXRKIT_OK, "write the header");
    for (p = 0; p < (uint32_t)parts; p++) {
        exrkit_framebuffer empty;
        memset(&empty, 0, sizeof empty);
        empty.window = window;
        expect(exrkit_write_image(writer, p, 0, 0, &empty) == EXRKIT_ERR_INVALID_ARGUMENT,
               "flat write on a deep part is refused");
        if (by_block) {
            /* Chunks in reverse (and past the last, which is refused):
             * the writer keeps the file's order. */
            uint64_t chunk;
            for (chunk = 64; chunk-- > 0;) {
                exrkit_status st = exrkit_write_deep_block(writer, p, chunk, image);
                expect(st == EXRKIT_OK || st == EXRKIT_ERR_INVALID_ARGUMENT, "write a deep block");
            }
        } else {
            expect(exrkit_write_deep_image(writer, p, 0, 0, image) == EXRKIT_OK,
                   "write a deep image");
        }
    }
    expect(exrkit_finish(writer) == EXRKIT_OK, "finish");
    expect(exrkit_writer_memory(writer, &data, &size) == EXRKIT_OK && size > 0, "the bytes");
    expect(exrkit_open_memory(data, size, NULL, &reader) == EXRKIT_OK, "open what was written");
    for (p = 0; reader != NULL && p < (uint32_t)parts; p++) {
        exrkit_deep_image *back = NULL, *block = NULL;
        exrkit_framebuffer fb;
        memset(&fb, 0, sizeof fb);
        fb.window = window;
        snprintf(what, sizeof what, "part %u of %d (%s) comes back", p, parts,
                 by_block ? "blocks" : "image");
        expect(exrkit_decode_deep_image(reader, p, 0, 0, &back) == EXRKIT_OK &&
                   same_image(image, back),
               what);
        expect(exrkit_decode_deep_block(reader, p, 1, &block) == EXRKIT_OK, "decode a block");
        expect(exrkit_decode_image(reader, p, 0, 0, &fb) == EXRKIT_ERR_INVALID_ARGUMENT,
               "flat decode of a deep part is refused");
        exrkit_deep_image_free(block);
        exrkit_deep_image_free(back);
    }
    exrkit_close(reader);
    exrkit_writer_free(writer);
}

int main(void)
{
    exrkit_deep_image *image = make_image(), *none = NULL;
    exrkit_channel subsampled = {"Y", EXRKIT_PIXEL_HALF, 2, 2, false};
    uint32_t counts[W * H] = {0};
    const uint64_t *offsets = NULL;
    size_t count = 0;

    expect(image != NULL, "build a deep image");
    if (image == NULL)
        return 1;
    expect(exrkit_deep_offsets(image, &offsets, &count) == EXRKIT_OK && count == W * H + 1 &&
               offsets[0] == 0,
           "offsets: one per pixel and the total");
    round_trip(image, 0, 0);
    round_trip(image, 1, 0);
    round_trip(image, 2, 0);
    round_trip(image, 2, 1);

    expect(exrkit_deep_image_create(window, &subsampled, 1, counts, &none) ==
               EXRKIT_ERR_INVALID_ARGUMENT,
           "subsampled deep channels are refused");
    expect(exrkit_deep_image_create(window, channels, 3, NULL, &none) ==
               EXRKIT_ERR_INVALID_ARGUMENT,
           "NULL counts are refused");
    expect(exrkit_deep_channel(image, 3, NULL, NULL, NULL) == EXRKIT_ERR_INVALID_ARGUMENT,
           "NULL outputs are refused");
    expect(exrkit_decode_deep_image(NULL, 0, 0, 0, &none) == EXRKIT_ERR_INVALID_ARGUMENT,
           "a NULL reader is refused");
    exrkit_deep_image_free(NULL);
    exrkit_deep_image_free(image);
    if (failures)
        return 1;
    printf("deep_roundtrip: deep images written and read back through the C API\n");
    return 0;
}
