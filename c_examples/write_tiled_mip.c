/*
 * write_tiled_mip: writes a tiled, mip-mapped OpenEXR file whose smaller
 * levels are made from level 0 by 2x2 box filtering.
 *
 *   write_tiled_mip [-c CODEC] [-s WIDTHxHEIGHT] [-t TILE_WxTILE_H] [-u] [--verify] OUTPUT.exr
 *
 *   -c CODEC    none, rle, zips, zip (the default), piz, pxr24, b44, b44a,
 *               dwaa, dwab, htj2k256, htj2k32, zstd
 *   -s WxH      size of level 0 (default 300x200)
 *   -t WxH      tile size (default 64x64)
 *   -u          round level sizes up (default: down)
 *   --verify    read every level back with exrkit and compare every sample
 *
 * A mip map holds level 0 and then levels of half the width and height
 * each, down to 1x1. Level l is max(1, floor(W / 2^l)) wide (ceil with
 * -u), and there are floor(log2(max(W, H))) + 1 levels (ceil with -u).
 * Each pixel of level l is the mean of the 2x2 pixels of level l - 1 it
 * covers; at an odd edge fewer pixels are averaged (round up) or the last
 * row or column is dropped (round down), as OpenEXR's own tools do.
 *
 * Every level is written with one exrkit_write_image call, which spreads
 * the level's tiles over the writer's threads. The channels are FLOAT, so
 * --verify asks for exact equality except with codecs lossy for floats:
 * within 0.01 for pxr24 (24-bit floats), 0.05 for dwaa and dwab (DCT
 * blocks quantised at the default level; the samples are about 0 to 1).
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

#define MAX_LEVELS 32

static const struct {
    const char *name;
    exrkit_compression id;
    float float_error; /* the largest change to a FLOAT sample --verify allows */
} codecs[] = {
    {"none", EXRKIT_COMPRESSION_NONE, 0},      {"rle", EXRKIT_COMPRESSION_RLE, 0},
    {"zips", EXRKIT_COMPRESSION_ZIPS, 0},      {"zip", EXRKIT_COMPRESSION_ZIP, 0},
    {"piz", EXRKIT_COMPRESSION_PIZ, 0},        {"pxr24", EXRKIT_COMPRESSION_PXR24, 0.01f},
    {"b44", EXRKIT_COMPRESSION_B44, 0},        {"b44a", EXRKIT_COMPRESSION_B44A, 0},
    {"dwaa", EXRKIT_COMPRESSION_DWAA, 0.05f},  {"dwab", EXRKIT_COMPRESSION_DWAB, 0.05f},
    {"htj2k256", EXRKIT_COMPRESSION_HTJ2K256, 0},
    {"htj2k32", EXRKIT_COMPRESSION_HTJ2K32, 0},
    {"zstd", EXRKIT_COMPRESSION_ZSTD, 0},
};

/* One level: interleaved RGB floats, `width` x `height`. */
typedef struct {
    int width, height;
    float *rgb;
} level;

static int usage(void)
{
    fprintf(stderr, "usage: write_tiled_mip [-c CODEC] [-s WIDTHxHEIGHT] [-t TILE_WxTILE_H] [-u] "
                    "[--verify] OUTPUT.exr\n");
    return 2;
}

static int fail(const char *what, exrkit_status st)
{
    fprintf(stderr, "write_tiled_mip: %s: %s (%s)\n", what, exrkit_last_error_message(),
            exrkit_status_string(st));
    return 1;
}

/* Size of level `l` of a side `size` long, as OpenEXR computes it. */
static int level_side(int size, int l, int round_up)
{
    int side = round_up ? (int)(((int64_t)size + ((int64_t)1 << l) - 1) >> l) : size >> l;
    return side < 1 ? 1 : side;
}

/* How many mip levels a `width` x `height` image has. */
static int level_count(int width, int height, int round_up)
{
    int biggest = width > height ? width : height, log2 = 0;
    while ((1 << (log2 + 1)) <= biggest)
        log2++;
    if (round_up && (1 << log2) < biggest)
        log2++;
    return log2 + 1;
}

/* Fills `dst` (already sized) with the 2x2 box filter of `src`. */
static void box_filter(const level *src, level *dst)
{
    int x, y, c, sx, sy;
    for (y = 0; y < dst->height; y++) {
        for (x = 0; x < dst->width; x++) {
            float sum[3] = {0.0f, 0.0f, 0.0f};
            int n = 0;
            for (sy = 2 * y; sy <= 2 * y + 1 && sy < src->height; sy++) {
                for (sx = 2 * x; sx <= 2 * x + 1 && sx < src->width; sx++) {
                    const float *p = src->rgb + ((size_t)sy * (size_t)src->width + (size_t)sx) * 3;
                    for (c = 0; c < 3; c++)
                        sum[c] += p[c];
                    n++;
                }
            }
            for (c = 0; c < 3; c++)
                dst->rgb[((size_t)y * (size_t)dst->width + (size_t)x) * 3 + (size_t)c] =
                    sum[c] / (float)n;
        }
    }
}

/* A frame buffer over `lv`, whose level window starts at (0, 0). */
static exrkit_framebuffer rgb_framebuffer(const level *lv, exrkit_slice *slices)
{
    static const char *const names[3] = {"R", "G", "B"};
    exrkit_framebuffer fb;
    int c;
    for (c = 0; c < 3; c++) {
        slices[c].channel = names[c];
        slices[c].type = EXRKIT_PIXEL_FLOAT;
        slices[c].base = lv->rgb + c;
        slices[c].x_stride = 3 * (ptrdiff_t)sizeof(float);
        slices[c].y_stride = (ptrdiff_t)lv->width * 3 * (ptrdiff_t)sizeof(float);
        slices[c].x_sampling = 1;
        slices[c].y_sampling = 1;
        slices[c].fill = 0.0;
    }
    fb.window.min_x = 0;
    fb.window.min_y = 0;
    fb.window.max_x = lv->width - 1;
    fb.window.max_y = lv->height - 1;
    fb.slices = slices;
    fb.slice_count = 3;
    return fb;
}

static int write_file(const char *path, exrkit_compression codec, int tile_w, int tile_h,
                      int round_up, const level *levels, int count)
{
    static const char *const names[3] = {"B", "G", "R"};
    exrkit_writer *writer = NULL;
    exrkit_part_desc desc;
    exrkit_channel channel;
    exrkit_slice slices[3];
    exrkit_framebuffer fb;
    exrkit_status st;
    uint32_t part;
    char what[64];
    int c, l;

    st = exrkit_create(path, NULL, &writer);
    if (st != EXRKIT_OK)
        return fail("cannot create the output", st);
    st = exrkit_part_desc_init(&desc);
    if (st == EXRKIT_OK) {
        desc.storage = EXRKIT_STORAGE_TILED;
        desc.compression = codec;
        desc.data_window = rgb_framebuffer(&levels[0], slices).window;
        desc.display_window = desc.data_window;
        desc.tile_width = (uint32_t)tile_w;
        desc.tile_height = (uint32_t)tile_h;
        desc.level_mode = EXRKIT_LEVEL_MIPMAP;
        desc.rounding_mode = round_up ? EXRKIT_ROUND_UP : EXRKIT_ROUND_DOWN;
        st = exrkit_add_part(writer, &desc, &part);
    }
    for (c = 0; st == EXRKIT_OK && c < 3; c++) {
        channel.name = names[c];
        channel.type = EXRKIT_PIXEL_FLOAT;
        channel.x_sampling = 1;
        channel.y_sampling = 1;
        channel.p_linear = false;
        st = exrkit_add_channel(writer, part, &channel);
    }
    if (st == EXRKIT_OK)
        st = exrkit_write_header(writer);
    if (st != EXRKIT_OK) {
        exrkit_writer_free(writer);
        return fail("cannot write the header", st);
    }
    for (l = 0; l < count; l++) {
        fb = rgb_framebuffer(&levels[l], slices);
        st = exrkit_write_image(writer, part, l, l, &fb);
        if (st != EXRKIT_OK) {
            exrkit_writer_free(writer);
            snprintf(what, sizeof what, "cannot write level %d", l);
            return fail(what, st);
        }
    }
    st = exrkit_finish(writer);
    exrkit_writer_free(writer);
    if (st != EXRKIT_OK)
        return fail("cannot finish the file", st);
    return 0;
}

/* Reads every level of `path` back and compares it with `levels`. */
static int verify(const char *path, const level *levels, int count, float allowed)
{
    exrkit_reader *reader = NULL;
    exrkit_header h;
    exrkit_slice slices[3];
    exrkit_framebuffer fb;
    exrkit_status st;
    level back;
    char what[64];
    size_t i, n, differing = 0, total = 0;
    float worst = 0.0f;
    int l, rc = 0;

    st = exrkit_open(path, NULL, &reader);
    if (st != EXRKIT_OK)
        return fail("cannot open the written file", st);
    st = exrkit_read_header(reader, 0, &h);
    if (st != EXRKIT_OK) {
        exrkit_close(reader);
        return fail("cannot read the written header", st);
    }
    if (h.storage != EXRKIT_STORAGE_TILED || h.level_mode != EXRKIT_LEVEL_MIPMAP ||
        h.level_count_x != (uint32_t)count || h.level_count_y != (uint32_t)count) {
        fprintf(stderr, "write_tiled_mip: the file has %u x %u levels, not %d mip levels\n",
                h.level_count_x, h.level_count_y, count);
        exrkit_close(reader);
        return 1;
    }
    for (l = 0; rc == 0 && l < count; l++) {
        int32_t w = 0, hh = 0;
        st = exrkit_level_size(reader, 0, l, l, &w, &hh);
        if (st != EXRKIT_OK) {
            snprintf(what, sizeof what, "cannot size level %d", l);
            rc = fail(what, st);
            break;
        }
        if (w != levels[l].width || hh != levels[l].height) {
            fprintf(stderr, "write_tiled_mip: level %d is %d x %d in the file, %d x %d here\n", l,
                    w, hh, levels[l].width, levels[l].height);
            rc = 1;
            break;
        }
        n = (size_t)w * (size_t)hh * 3;
        back.width = w;
        back.height = hh;
        back.rgb = (float *)malloc(n * sizeof(float));
        if (back.rgb == NULL) {
            fprintf(stderr, "write_tiled_mip: out of memory\n");
            rc = 1;
            break;
        }
        fb = rgb_framebuffer(&back, slices);
        st = exrkit_decode_image(reader, 0, l, l, &fb);
        if (st != EXRKIT_OK) {
            snprintf(what, sizeof what, "cannot decode level %d", l);
            rc = fail(what, st);
        }
        for (i = 0; rc == 0 && i < n; i++) {
            float d = fabsf(back.rgb[i] - levels[l].rgb[i]);
            if (d > worst)
                worst = d;
            if (d != 0.0f)
                differing++;
        }
        total += n;
        free(back.rgb);
    }
    exrkit_close(reader);
    if (rc == 0 && (allowed > 0.0f ? worst > allowed : differing != 0)) {
        fprintf(stderr, "write_tiled_mip: %lu samples read back differ (at most by %g)\n",
                (unsigned long)differing, (double)worst);
        rc = 1;
    }
    if (rc == 0)
        printf("write_tiled_mip: verified %d levels, %lu samples (%s %g)\n", count,
               (unsigned long)total, allowed > 0.0f ? "lossy codec, at most off by" : "off by",
               (double)worst);
    return rc;
}

int main(int argc, char **argv)
{
    const char *output = NULL;
    size_t codec = 3; /* zip */
    int width = 300, height = 200, tile_w = 64, tile_h = 64, round_up = 0, check = 0;
    int i, l, x, y, count, rc = 0;
    level levels[MAX_LEVELS];
    char tail;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            const char *name = argv[++i];
            for (codec = 0; codec < sizeof codecs / sizeof codecs[0]; codec++)
                if (strcmp(codecs[codec].name, name) == 0)
                    break;
            if (codec == sizeof codecs / sizeof codecs[0]) {
                fprintf(stderr, "write_tiled_mip: unknown codec '%s'\n", name);
                return usage();
            }
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d%c", &width, &height, &tail) != 2 || width < 1 ||
                height < 1 || width > 16384 || height > 16384)
                return usage();
        } else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d%c", &tile_w, &tile_h, &tail) != 2 || tile_w < 1 ||
                tile_h < 1 || tile_w > 4096 || tile_h > 4096)
                return usage();
        } else if (strcmp(argv[i], "-u") == 0) {
            round_up = 1;
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

    count = level_count(width, height, round_up);
    for (l = 0; l < count; l++) {
        levels[l].width = level_side(width, l, round_up);
        levels[l].height = level_side(height, l, round_up);
        levels[l].rgb =
            (float *)malloc((size_t)levels[l].width * (size_t)levels[l].height * 3 * sizeof(float));
        if (levels[l].rgb == NULL) {
            fprintf(stderr, "write_tiled_mip: out of memory\n");
            count = l;
            rc = 1;
            break;
        }
    }
    if (rc == 0) {
        /* Level 0: coloured 8-pixel checks over a gradient, so that every
         * level looks different. */
        for (y = 0; y < height; y++) {
            for (x = 0; x < width; x++) {
                float *p = levels[0].rgb + ((size_t)y * (size_t)width + (size_t)x) * 3;
                float check_on = ((x / 8 + y / 8) % 2) ? 1.0f : 0.25f;
                p[0] = check_on * (float)x / (float)width;
                p[1] = check_on * (float)y / (float)height;
                p[2] = check_on * 0.5f;
            }
        }
        for (l = 1; l < count; l++)
            box_filter(&levels[l - 1], &levels[l]);
        rc = write_file(output, codecs[codec].id, tile_w, tile_h, round_up, levels, count);
    }
    if (rc == 0)
        printf("write_tiled_mip: %s: %d x %d RGB FLOAT, %d x %d tiles, %d mip levels (rounded %s), "
               "%s\n",
               output, width, height, tile_w, tile_h, count, round_up ? "up" : "down",
               codecs[codec].name);
    if (rc == 0 && check)
        rc = verify(output, levels, count, codecs[codec].float_error);
    for (l = 0; l < count; l++)
        free(levels[l].rgb);
    return rc;
}
