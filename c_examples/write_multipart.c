/*
 * write_multipart: writes a two-part OpenEXR file, as a renderer writes its
 * passes: part "beauty" is a scanline RGBA image with HALF channels, part
 * "depth" a tiled Z channel of FLOAT depths.
 *
 *   write_multipart [-c CODEC] [-s WIDTHxHEIGHT] [--verify] OUTPUT.exr
 *
 *   -c CODEC    none, rle, zips, zip (the default), piz, pxr24, b44, b44a,
 *               dwaa, dwab, htj2k256, htj2k32, zstd (used for both parts)
 *   -s WxH      image size (default 256x160)
 *   --verify    read both parts back with exrkit and compare their names
 *               and every sample
 *
 * Every part of a multipart file needs a unique name (exrkit_part_desc's
 * `name`); the writer adds the `type` and `chunkCount` attributes multipart
 * files need. Parts may differ in storage, compression, windows and
 * channels. Here both cover the same pixels. Headers are written together
 * (exrkit_write_header), then the parts' pixels in any order.
 *
 * The beauty values are multiples of 1/1024 below 2, exact in HALF; the
 * depths are exact FLOATs. --verify asks for exact equality unless the
 * codec is lossy for the part's type.
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
    int lossy_for_half, lossy_for_float;
} codecs[] = {
    {"none", EXRKIT_COMPRESSION_NONE, 0, 0},   {"rle", EXRKIT_COMPRESSION_RLE, 0, 0},
    {"zips", EXRKIT_COMPRESSION_ZIPS, 0, 0},   {"zip", EXRKIT_COMPRESSION_ZIP, 0, 0},
    {"piz", EXRKIT_COMPRESSION_PIZ, 0, 0},     {"pxr24", EXRKIT_COMPRESSION_PXR24, 0, 1},
    {"b44", EXRKIT_COMPRESSION_B44, 1, 0},     {"b44a", EXRKIT_COMPRESSION_B44A, 1, 0},
    {"dwaa", EXRKIT_COMPRESSION_DWAA, 1, 1},   {"dwab", EXRKIT_COMPRESSION_DWAB, 1, 1},
    {"htj2k256", EXRKIT_COMPRESSION_HTJ2K256, 0, 0},
    {"htj2k32", EXRKIT_COMPRESSION_HTJ2K32, 0, 0},
    {"zstd", EXRKIT_COMPRESSION_ZSTD, 0, 0},
};

static const char *const part_names[2] = {"beauty", "depth"};

static int usage(void)
{
    fprintf(stderr, "usage: write_multipart [-c CODEC] [-s WIDTHxHEIGHT] [--verify] OUTPUT.exr\n");
    return 2;
}

static int fail(const char *what, exrkit_status st)
{
    fprintf(stderr, "write_multipart: %s: %s (%s)\n", what, exrkit_last_error_message(),
            exrkit_status_string(st));
    return 1;
}

/* One slice over `count` interleaved floats per pixel, `width` pixels per
 * row, starting at `first`. */
static exrkit_slice float_slice(const char *name, float *first, int count, int width)
{
    exrkit_slice s;
    s.channel = name;
    s.type = EXRKIT_PIXEL_FLOAT;
    s.base = first;
    s.x_stride = (ptrdiff_t)count * (ptrdiff_t)sizeof(float);
    s.y_stride = (ptrdiff_t)width * s.x_stride;
    s.x_sampling = 1;
    s.y_sampling = 1;
    s.fill = 0.0;
    return s;
}

/* Adds channels `names` of `type` to `part`. */
static exrkit_status add_channels(exrkit_writer *writer, uint32_t part, const char *const *names,
                                  int count, exrkit_pixel_type type)
{
    exrkit_channel channel;
    exrkit_status st = EXRKIT_OK;
    int c;
    for (c = 0; st == EXRKIT_OK && c < count; c++) {
        channel.name = names[c];
        channel.type = type;
        channel.x_sampling = 1;
        channel.y_sampling = 1;
        channel.p_linear = false;
        st = exrkit_add_channel(writer, part, &channel);
    }
    return st;
}

static int write_file(const char *path, exrkit_compression codec, exrkit_box2i window,
                      float *rgba, float *depth)
{
    static const char *const rgba_names[4] = {"R", "G", "B", "A"};
    static const char *const z_name[1] = {"Z"};
    const int width = window.max_x - window.min_x + 1;
    exrkit_writer *writer = NULL;
    exrkit_part_desc desc;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    exrkit_status st;
    uint32_t beauty = 0, z = 0;
    int c;

    st = exrkit_create(path, NULL, &writer);
    if (st != EXRKIT_OK)
        return fail("cannot create the output", st);

    st = exrkit_part_desc_init(&desc);
    if (st == EXRKIT_OK) {
        desc.name = part_names[0];
        desc.storage = EXRKIT_STORAGE_SCANLINE;
        desc.compression = codec;
        desc.data_window = window;
        desc.display_window = window;
        st = exrkit_add_part(writer, &desc, &beauty);
    }
    if (st == EXRKIT_OK)
        st = add_channels(writer, beauty, rgba_names, 4, EXRKIT_PIXEL_HALF);
    if (st == EXRKIT_OK) {
        /* The same description, changed where the depth part differs. */
        desc.name = part_names[1];
        desc.storage = EXRKIT_STORAGE_TILED;
        desc.tile_width = 32;
        desc.tile_height = 32;
        desc.level_mode = EXRKIT_LEVEL_ONE;
        st = exrkit_add_part(writer, &desc, &z);
    }
    if (st == EXRKIT_OK)
        st = add_channels(writer, z, z_name, 1, EXRKIT_PIXEL_FLOAT);
    if (st == EXRKIT_OK)
        st = exrkit_write_header(writer);
    if (st != EXRKIT_OK) {
        exrkit_writer_free(writer);
        return fail("cannot write the headers", st);
    }

    for (c = 0; c < 4; c++)
        slices[c] = float_slice(rgba_names[c], rgba + c, 4, width);
    fb.window = window;
    fb.slices = slices;
    fb.slice_count = 4;
    st = exrkit_write_image(writer, beauty, 0, 0, &fb);
    if (st == EXRKIT_OK) {
        slices[0] = float_slice("Z", depth, 1, width);
        fb.slice_count = 1;
        st = exrkit_write_image(writer, z, 0, 0, &fb);
    }
    if (st == EXRKIT_OK)
        st = exrkit_finish(writer);
    exrkit_writer_free(writer);
    if (st != EXRKIT_OK)
        return fail("cannot write the pixels", st);
    return 0;
}

/* Decodes part `part` of `reader` (channels `names`, `count` per pixel)
 * and compares it with `expected`. */
static int verify_part(exrkit_reader *reader, uint32_t part, exrkit_box2i window,
                       const char *const *names, int count, const float *expected, int lossy)
{
    const int width = window.max_x - window.min_x + 1;
    const int height = window.max_y - window.min_y + 1;
    const size_t n = (size_t)width * (size_t)height * (size_t)count;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    exrkit_header h;
    exrkit_status st;
    float *back, worst = 0.0f;
    size_t i, differing = 0;
    char what[64];
    int c;

    st = exrkit_read_header(reader, part, &h);
    if (st != EXRKIT_OK) {
        snprintf(what, sizeof what, "cannot read the header of part %u", part);
        return fail(what, st);
    }
    if (h.name == NULL || strcmp(h.name, part_names[part]) != 0 ||
        h.channel_count != (uint32_t)count) {
        fprintf(stderr, "write_multipart: part %u is named '%s' with %u channels\n", part,
                h.name ? h.name : "(none)", h.channel_count);
        return 1;
    }
    back = (float *)malloc(n * sizeof *back);
    if (back == NULL) {
        fprintf(stderr, "write_multipart: out of memory\n");
        return 1;
    }
    for (c = 0; c < count; c++)
        slices[c] = float_slice(names[c], back + c, count, width);
    fb.window = window;
    fb.slices = slices;
    fb.slice_count = (size_t)count;
    st = exrkit_decode_image(reader, part, 0, 0, &fb);
    if (st != EXRKIT_OK) {
        free(back);
        snprintf(what, sizeof what, "cannot decode part %u", part);
        return fail(what, st);
    }
    for (i = 0; i < n; i++) {
        float d = fabsf(back[i] - expected[i]);
        if (d > worst)
            worst = d;
        if (d != 0.0f)
            differing++;
    }
    free(back);
    if (lossy ? worst > 0.01f * 64.0f : differing != 0) {
        fprintf(stderr, "write_multipart: part %u: %lu samples differ (at most by %g)\n", part,
                (unsigned long)differing, (double)worst);
        return 1;
    }
    printf("write_multipart: part %u '%s': verified %lu samples (%s)\n", part, part_names[part],
           (unsigned long)n, lossy ? "within 1%, lossy codec" : "exactly");
    return 0;
}

static int verify(const char *path, exrkit_box2i window, const float *rgba, const float *depth,
                  size_t codec)
{
    static const char *const rgba_names[4] = {"R", "G", "B", "A"};
    static const char *const z_name[1] = {"Z"};
    exrkit_reader *reader = NULL;
    exrkit_status st;
    uint32_t parts = 0;
    int rc;

    st = exrkit_open(path, NULL, &reader);
    if (st != EXRKIT_OK)
        return fail("cannot open the written file", st);
    st = exrkit_part_count(reader, &parts);
    if (st != EXRKIT_OK || parts != 2) {
        exrkit_close(reader);
        if (st != EXRKIT_OK)
            return fail("cannot count the parts", st);
        fprintf(stderr, "write_multipart: the file has %u parts, not 2\n", parts);
        return 1;
    }
    rc = verify_part(reader, 0, window, rgba_names, 4, rgba, codecs[codec].lossy_for_half);
    if (rc == 0)
        rc = verify_part(reader, 1, window, z_name, 1, depth, codecs[codec].lossy_for_float);
    exrkit_close(reader);
    return rc;
}

int main(int argc, char **argv)
{
    const char *output = NULL;
    size_t codec = 3; /* zip */
    int width = 256, height = 160, check = 0, i, x, y, rc;
    exrkit_box2i window;
    float *rgba, *depth;
    char tail;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            const char *name = argv[++i];
            for (codec = 0; codec < sizeof codecs / sizeof codecs[0]; codec++)
                if (strcmp(codecs[codec].name, name) == 0)
                    break;
            if (codec == sizeof codecs / sizeof codecs[0]) {
                fprintf(stderr, "write_multipart: unknown codec '%s'\n", name);
                return usage();
            }
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
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
    depth = (float *)malloc((size_t)width * (size_t)height * sizeof *depth);
    if (rgba == NULL || depth == NULL) {
        fprintf(stderr, "write_multipart: out of memory\n");
        free(rgba);
        free(depth);
        return 1;
    }
    /* A sphere in front of a tilted floor: colour by position, depth as
     * distance (any float; exact in FLOAT). */
    for (y = 0; y < height; y++) {
        for (x = 0; x < width; x++) {
            size_t p = (size_t)y * (size_t)width + (size_t)x;
            float dx = ((float)x - (float)width / 2) / ((float)height / 3);
            float dy = ((float)y - (float)height / 2) / ((float)height / 3);
            int inside = dx * dx + dy * dy < 1.0f;
            rgba[p * 4 + 0] = (float)(x * 1024 / width) / 1024.0f;
            rgba[p * 4 + 1] = (float)(y * 1024 / height) / 1024.0f;
            rgba[p * 4 + 2] = inside ? 0.75f : 0.125f;
            rgba[p * 4 + 3] = 1.0f;
            depth[p] = inside ? 4.0f - sqrtf(1.0f - dx * dx - dy * dy)
                              : 10.0f + 40.0f * (1.0f - (float)y / (float)height);
        }
    }

    window.min_x = 0;
    window.min_y = 0;
    window.max_x = width - 1;
    window.max_y = height - 1;
    rc = write_file(output, codecs[codec].id, window, rgba, depth);
    if (rc == 0)
        printf("write_multipart: %s: parts 'beauty' (scanline RGBA HALF) and 'depth' (tiled Z "
               "FLOAT), %d x %d, %s\n",
               output, width, height, codecs[codec].name);
    if (rc == 0 && check)
        rc = verify(output, window, rgba, depth, codec);
    free(rgba);
    free(depth);
    return rc;
}
