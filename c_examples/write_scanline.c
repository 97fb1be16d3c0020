/*
 * write_scanline: writes an RGBA image of smooth gradients as a scanline
 * OpenEXR file with HALF channels.
 *
 *   write_scanline [-c CODEC] [-s WIDTHxHEIGHT] [--verify] OUTPUT.exr
 *
 *   -c CODEC    none, rle, zips, zip (the default), piz, pxr24, b44, b44a,
 *               dwaa, dwab, htj2k256, htj2k32, zstd
 *   -s WxH      image size (default 320x240)
 *   --verify    read the file back with exrkit and compare every sample
 *
 * The steps every writer takes: describe the part (exrkit_part_desc_init,
 * then change what differs from the defaults), add its channels, add any
 * attributes, write the header, write the pixels, finish. The file appears
 * under its name only when exrkit_finish succeeds; until then it is a
 * temporary file beside it, which exrkit_writer_free removes.
 *
 * The pixels are kept as interleaved RGBA floats and written into HALF
 * channels: the writer converts each sample (rounding to the nearest half).
 * The gradients use multiples of 1/1024 below 2, which a half holds exactly,
 * so --verify can ask for exact equality with lossless codecs. For the
 * lossy ones (b44, b44a, dwaa, dwab) it accepts a small difference.
 *
 * Exits with 1 on any error, after a message naming what failed.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"

static const struct {
    const char *name;
    exrkit_compression id;
    int lossy_for_half;
} codecs[] = {
    {"none", EXRKIT_COMPRESSION_NONE, 0},   {"rle", EXRKIT_COMPRESSION_RLE, 0},
    {"zips", EXRKIT_COMPRESSION_ZIPS, 0},   {"zip", EXRKIT_COMPRESSION_ZIP, 0},
    {"piz", EXRKIT_COMPRESSION_PIZ, 0},     {"pxr24", EXRKIT_COMPRESSION_PXR24, 0},
    {"b44", EXRKIT_COMPRESSION_B44, 1},     {"b44a", EXRKIT_COMPRESSION_B44A, 1},
    {"dwaa", EXRKIT_COMPRESSION_DWAA, 1},   {"dwab", EXRKIT_COMPRESSION_DWAB, 1},
    {"htj2k256", EXRKIT_COMPRESSION_HTJ2K256, 0},
    {"htj2k32", EXRKIT_COMPRESSION_HTJ2K32, 0},
    {"zstd", EXRKIT_COMPRESSION_ZSTD, 0},
};

static int usage(void)
{
    fprintf(stderr, "usage: write_scanline [-c CODEC] [-s WIDTHxHEIGHT] [--verify] OUTPUT.exr\n");
    return 2;
}

/* Reports a failed exrkit call with the library's detailed message.
 * Returns 1, the program's exit code. */
static int fail(const char *what, exrkit_status st)
{
    fprintf(stderr, "write_scanline: %s: %s (%s)\n", what, exrkit_last_error_message(),
            exrkit_status_string(st));
    return 1;
}

/* The sample of channel c (R, G, B, A) at (x, y): multiples of 1/1024 in
 * [0, 2), exact in HALF. */
static float gradient(int c, int x, int y, int width, int height)
{
    int steps;
    switch (c) {
    case 0:
        steps = (int)((long)x * 1024 / width);
        break;
    case 1:
        steps = (int)((long)y * 1024 / height);
        break;
    case 2:
        steps = (int)((long)(x + y) * 1024 / (width + height)) + 512;
        break;
    default:
        steps = 1024 - (int)((long)x * 512 / width);
        break;
    }
    return (float)steps / 1024.0f;
}

/* A frame buffer over interleaved RGBA floats of `width` x `height`
 * pixels, covering `window`. `slices` must hold 4. */
static exrkit_framebuffer rgba_framebuffer(float *rgba, exrkit_box2i window, int width,
                                           exrkit_slice *slices)
{
    static const char *const names[4] = {"R", "G", "B", "A"};
    exrkit_framebuffer fb;
    int c;

    for (c = 0; c < 4; c++) {
        slices[c].channel = names[c];
        slices[c].type = EXRKIT_PIXEL_FLOAT;
        slices[c].base = rgba + c;
        slices[c].x_stride = 4 * (ptrdiff_t)sizeof(float);
        slices[c].y_stride = (ptrdiff_t)width * 4 * (ptrdiff_t)sizeof(float);
        slices[c].x_sampling = 1;
        slices[c].y_sampling = 1;
        slices[c].fill = 0.0;
    }
    fb.window = window;
    fb.slices = slices;
    fb.slice_count = 4;
    return fb;
}

static int write_file(const char *path, exrkit_compression codec, exrkit_box2i window,
                      float *rgba)
{
    static const char *const names[4] = {"A", "B", "G", "R"};
    static const char comment[] = "RGBA gradients written by exrkit's write_scanline example";
    const int width = window.max_x - window.min_x + 1;
    exrkit_writer *writer = NULL;
    exrkit_part_desc desc;
    exrkit_channel channel;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    exrkit_status st;
    uint32_t part;
    int c;

    st = exrkit_create(path, NULL, &writer);
    if (st != EXRKIT_OK)
        return fail("cannot create the output", st);

    st = exrkit_part_desc_init(&desc);
    if (st == EXRKIT_OK) {
        desc.storage = EXRKIT_STORAGE_SCANLINE;
        desc.compression = codec;
        desc.data_window = window;
        desc.display_window = window;
        st = exrkit_add_part(writer, &desc, &part);
    }
    for (c = 0; st == EXRKIT_OK && c < 4; c++) {
        channel.name = names[c];
        channel.type = EXRKIT_PIXEL_HALF;
        channel.x_sampling = 1;
        channel.y_sampling = 1;
        channel.p_linear = false;
        st = exrkit_add_channel(writer, part, &channel);
    }
    /* Attribute values are the bytes the file holds: a string without its
     * NUL, numbers little-endian. */
    if (st == EXRKIT_OK)
        st = exrkit_set_attribute(writer, part, "comments", "string", comment,
                                  sizeof comment - 1);
    if (st != EXRKIT_OK) {
        exrkit_writer_free(writer);
        return fail("cannot describe the image", st);
    }

    st = exrkit_write_header(writer);
    if (st == EXRKIT_OK) {
        fb = rgba_framebuffer(rgba, window, width, slices);
        st = exrkit_write_image(writer, part, 0, 0, &fb);
    }
    if (st == EXRKIT_OK)
        st = exrkit_finish(writer);
    /* Freeing an unfinished writer discards the temporary file. */
    exrkit_writer_free(writer);
    if (st != EXRKIT_OK)
        return fail("cannot write the image", st);
    return 0;
}

/* Reads `path` back and compares its pixels with `rgba`. */
static int verify(const char *path, exrkit_box2i window, const float *rgba, int lossy)
{
    const int width = window.max_x - window.min_x + 1;
    const int height = window.max_y - window.min_y + 1;
    const size_t count = (size_t)width * (size_t)height * 4;
    exrkit_reader *reader = NULL;
    exrkit_header h;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    exrkit_status st;
    float *back, worst = 0.0f;
    size_t i, differing = 0;

    st = exrkit_open(path, NULL, &reader);
    if (st != EXRKIT_OK)
        return fail("cannot open the written file", st);
    st = exrkit_read_header(reader, 0, &h);
    if (st != EXRKIT_OK) {
        exrkit_close(reader);
        return fail("cannot read the written header", st);
    }
    if (h.channel_count != 4 || h.storage != EXRKIT_STORAGE_SCANLINE ||
        memcmp(&h.data_window, &window, sizeof window) != 0) {
        fprintf(stderr, "write_scanline: the written header is not the one described\n");
        exrkit_close(reader);
        return 1;
    }
    back = (float *)malloc(count * sizeof *back);
    if (back == NULL) {
        fprintf(stderr, "write_scanline: out of memory\n");
        exrkit_close(reader);
        return 1;
    }
    fb = rgba_framebuffer(back, window, width, slices);
    st = exrkit_decode_image(reader, 0, 0, 0, &fb);
    exrkit_close(reader);
    if (st != EXRKIT_OK) {
        free(back);
        return fail("cannot decode the written file", st);
    }
    for (i = 0; i < count; i++) {
        float d = fabsf(back[i] - rgba[i]);
        if (d > worst)
            worst = d;
        if (d != 0.0f)
            differing++;
    }
    free(back);
    if (lossy ? worst > 0.01f : differing != 0) {
        fprintf(stderr, "write_scanline: %lu samples read back differ (at most by %g)\n",
                (unsigned long)differing, (double)worst);
        return 1;
    }
    printf("write_scanline: verified %lu samples (%s)\n", (unsigned long)count,
           lossy ? "within 0.01, lossy codec" : "exactly");
    return 0;
}

int main(int argc, char **argv)
{
    const char *output = NULL;
    size_t codec = 3; /* zip */
    int width = 320, height = 240, check = 0, i, c, x, y, rc;
    exrkit_box2i window;
    float *rgba;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            const char *name = argv[++i];
            for (codec = 0; codec < sizeof codecs / sizeof codecs[0]; codec++)
                if (strcmp(codecs[codec].name, name) == 0)
                    break;
            if (codec == sizeof codecs / sizeof codecs[0]) {
                fprintf(stderr, "write_scanline: unknown codec '%s'\n", name);
                return usage();
            }
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
            char tail;
            if (sscanf(argv[++i], "%dx%d%c", &width, &height, &tail) != 2 || width < 1 ||
                height < 1 || width > 16384 || height > 16384)
                return usage();
        } else if (strcmp(argv[i], "--verify") == 0) {
            check = 1;
        } else if (argv[i][0] == '-' || output != NULL) {
            return usage();
        } else {
            output = argv[i];
        }
    }
    if (output == NULL)
        return usage();

    rgba = (float *)malloc((size_t)width * (size_t)height * 4 * sizeof *rgba);
    if (rgba == NULL) {
        fprintf(stderr, "write_scanline: out of memory\n");
        return 1;
    }
    for (y = 0; y < height; y++)
        for (x = 0; x < width; x++)
            for (c = 0; c < 4; c++)
                rgba[((size_t)y * (size_t)width + (size_t)x) * 4 + (size_t)c] =
                    gradient(c, x, y, width, height);

    window.min_x = 0;
    window.min_y = 0;
    window.max_x = width - 1;
    window.max_y = height - 1;
    rc = write_file(output, codecs[codec].id, window, rgba);
    if (rc == 0)
        printf("write_scanline: %s: %d x %d RGBA HALF, %s\n", output, width, height,
               codecs[codec].name);
    if (rc == 0 && check)
        rc = verify(output, window, rgba, codecs[codec].lossy_for_half);
    free(rgba);
    return rc;
}
