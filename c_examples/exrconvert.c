/*
 * exrconvert: rewrites an OpenEXR file with another compression, as
 * scanlines or tiles, with or without mip or rip levels.
 *
 *   exrconvert [-c CODEC] [-q LEVEL] [-s | -t WxH] [-m one|mip|rip] [--verify]
 *              INPUT.exr OUTPUT.exr
 *
 *   -c CODEC     none, rle, zips, zip, piz, pxr24, b44, b44a, dwaa, dwab,
 *                htj2k256, htj2k32, zstd (default: each part's own)
 *   -q LEVEL     compression level: the deflate level (1-12) for zip, zips
 *                and pxr24, the DWA level (above 0; 45 by default, higher
 *                is smaller and lossier) for dwaa and dwab, the zstd level
 *                (1-22; 5 by default) for zstd
 *   -s           write scanline parts
 *   -t WxH       write tiled parts with tiles of W x H pixels
 *   -m MODE      levels of tiled parts: one, mip or rip (implies tiles)
 *   --verify     read the output back and compare it with the input: part
 *                names, every copied attribute byte for byte, and every
 *                sample of level 0
 *
 * Without -s, -t or -m each part keeps its storage, tile size and level
 * mode; -m on a scanline part gives 64 x 64 tiles unless -t says otherwise.
 * Every part keeps its name, windows, line order (RANDOM_Y becomes
 * INCREASING_Y for scanline output), channels (names, types, sampling) and
 * every other attribute, copied as the raw bytes exrkit_get_attribute
 * gives to exrkit_set_attribute. The attributes the writer derives from
 * the part description are not copied: channels, compression, dataWindow,
 * lineOrder, tiles, chunkCount, type and name.
 *
 * Levels: level 0 of each part is decoded from the input. Every other
 * level is decoded from the input when the input part has it (a tiled
 * input part whose level mode holds that level: a mip map's (l, l) also
 * serves a rip map), and otherwise made from the level before it by 2x2
 * box filtering: level (lx, ly) of a rip map from (lx - 1, ly), or from
 * (0, ly - 1) at the start of a row, and level l of a mip map from l - 1.
 * Sizes and rounding follow the input part's rounding mode (down for
 * scanline input). A tiled output part written as scanlines keeps level 0
 * only. Each level is decoded whole with exrkit_decode_image and encoded
 * with exrkit_write_image at each channel's own type, so every sample
 * travels bit for bit (NaN payloads included), and memory holds the level
 * being written and, while making levels, two smaller ones. Filtered
 * levels average in double precision and round to the channel's type
 * (to nearest, ties to even, for HALF).
 *
 * Deep parts are refused. So are subsampled channels in tiled output, as
 * OpenEXR allows them only in scanline parts (the writer says so).
 *
 * --verify compares exactly unless the codec is lossy for a channel's type
 * (b44 and b44a for HALF, pxr24 for FLOAT, dwaa and dwab for both), where
 * it accepts a difference of 1% of the value, or 15% for B44, whose 4x4
 * blocks keep only 6 bits for each sample's distance from the block's
 * largest (sharp edges lose the most). That OpenEXR decodes the written
 * files to exactly what exrkit decodes is checked by written_vs_openexr.
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
#define CODEC_COUNT (sizeof codecs / sizeof codecs[0])

/* Attributes the writer makes from the part description. */
static const char *const derived[] = {"channels",  "compression", "dataWindow", "lineOrder",
                                      "tiles",     "chunkCount",  "type",       "name"};

/* What the command line asks for. */
typedef struct {
    int codec;         /* index into codecs, -1 = keep */
    int scanline;      /* -s */
    int tile_w, tile_h; /* -t, 0 = keep */
    int level_mode;    /* -m, -1 = keep */
    int verify;
    float level;       /* -q, 0 = the codec's default */
} settings;

/* One level of a part in memory: a plane of samples per channel at the
 * channel's own type, each holding the channel's samples compactly (one
 * per x_sampling x y_sampling pixels). */
typedef struct {
    exrkit_box2i window;
    uint32_t count;
    exrkit_channel *channels; /* borrowed from the reader */
    void **planes;
} image;

static int usage(void)
{
    fprintf(stderr, "usage: exrconvert [-c CODEC] [-q LEVEL] [-s | -t WxH] [-m one|mip|rip] "
                    "[--verify] INPUT.exr OUTPUT.exr\n");
    return 2;
}

static int fail(const char *what, exrkit_status st)
{
    fprintf(stderr, "exrconvert: %s: %s (%s)\n", what, exrkit_last_error_message(),
            exrkit_status_string(st));
    return 1;
}

static int fail_part(const char *what, uint32_t part, exrkit_status st)
{
    char text[96];
    snprintf(text, sizeof text, "part %u: %s", part, what);
    return fail(text, st);
}

/* How many multiples of `s` lie in lo..=hi. */
static int64_t sampled(int32_t lo, int32_t hi, int32_t s)
{
    int64_t first = lo >= 0 ? ((int64_t)lo + s - 1) / s : -((-(int64_t)lo) / s);
    int64_t last = hi >= 0 ? (int64_t)hi / s : -((-(int64_t)hi + s - 1) / s);
    return last >= first ? last - first + 1 : 0;
}

static int64_t plane_columns(const image *im, uint32_t c)
{
    return sampled(im->window.min_x, im->window.max_x, im->channels[c].x_sampling);
}

static int64_t plane_rows(const image *im, uint32_t c)
{
    return sampled(im->window.min_y, im->window.max_y, im->channels[c].y_sampling);
}

static size_t sample_size(exrkit_pixel_type type)
{
    return type == EXRKIT_PIXEL_HALF ? 2 : 4;
}

/* The float a half's bits stand for. */
static float half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f;
    const uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    float f;
    if (exponent == 0) {
        /* Zero or denormal: mantissa units of 2^-24. */
        f = (float)mantissa * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    if (exponent == 0x1f)
        bits = sign | 0x7f800000u | (mantissa << 13);
    else
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* The half nearest to `f`, ties to even; too large becomes infinity. */
static uint16_t float_to_half(float f)
{
    uint32_t bits, sign, mantissa, half, rest, shift, mid;
    int exponent;
    memcpy(&bits, &f, sizeof bits);
    sign = (bits >> 16) & 0x8000;
    mantissa = bits & 0x7fffff;
    if (((bits >> 23) & 0xff) == 0xff)
        return (uint16_t)(sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >> 13) : 0));
    exponent = (int)((bits >> 23) & 0xff) - 127 + 15;
    if (exponent >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exponent <= 0) {
        /* A denormal half (or zero): units of 2^-24. */
        if (exponent < -10)
            return (uint16_t)sign;
        mantissa |= 0x800000;
        shift = (uint32_t)(14 - exponent);
    } else {
        mantissa |= (uint32_t)exponent << 23;
        shift = 13;
    }
    half = mantissa >> shift;
    rest = mantissa & ((1u << shift) - 1);
    mid = 1u << (shift - 1);
    if (rest > mid || (rest == mid && (half & 1)))
        half++; /* may carry into the exponent, up to infinity */
    return (uint16_t)(sign | half);
}

/* Sample `at` of a plane of `type`, as a double. */
static double sample_at(const void *plane, exrkit_pixel_type type, size_t at)
{
    if (type == EXRKIT_PIXEL_UINT)
        return ((const uint32_t *)plane)[at];
    if (type == EXRKIT_PIXEL_HALF)
        return half_to_float(((const uint16_t *)plane)[at]);
    return ((const float *)plane)[at];
}

static void free_image(image *im)
{
    uint32_t c;
    if (im->planes != NULL)
        for (c = 0; c < im->count; c++)
            free(im->planes[c]);
    free(im->planes);
    im->planes = NULL;
}

/* Allocates the planes of an image of `channels` over `window`. */
static int alloc_image(image *im, exrkit_channel *channels, uint32_t count, exrkit_box2i window)
{
    uint32_t c;
    im->window = window;
    im->count = count;
    im->channels = channels;
    im->planes = (void **)calloc(count ? count : 1, sizeof *im->planes);
    if (im->planes == NULL)
        return 1;
    for (c = 0; c < count; c++) {
        size_t n = (size_t)(plane_columns(im, c) * plane_rows(im, c));
        im->planes[c] = malloc((n ? n : 1) * sample_size(channels[c].type));
        if (im->planes[c] == NULL) {
            free_image(im);
            return 1;
        }
    }
    return 0;
}

/* A frame buffer over every plane of `im`; `slices` holds im->count. */
static exrkit_framebuffer image_framebuffer(const image *im, exrkit_slice *slices)
{
    exrkit_framebuffer fb;
    uint32_t c;
    for (c = 0; c < im->count; c++) {
        slices[c].channel = im->channels[c].name;
        const size_t size = sample_size(im->channels[c].type);
        slices[c].type = im->channels[c].type;
        slices[c].base = im->planes[c];
        slices[c].x_stride = (ptrdiff_t)size;
        slices[c].y_stride = (ptrdiff_t)(plane_columns(im, c) * (int64_t)size);
        slices[c].x_sampling = im->channels[c].x_sampling;
        slices[c].y_sampling = im->channels[c].y_sampling;
        slices[c].fill = 0.0;
    }
    fb.window = im->window;
    fb.slices = slices;
    fb.slice_count = im->count;
    return fb;
}

/* Makes `dst` (allocated, 1x1-sampled channels) from `src` by averaging
 * 2 (fx = 2) or 1 (fx = 1) source columns and 2 or 1 source rows per
 * pixel; at an odd edge fewer source pixels are averaged. */
static void box_filter(const image *src, image *dst, int fx, int fy)
{
    const int64_t sw = plane_columns(src, 0), sh = plane_rows(src, 0);
    const int64_t dw = plane_columns(dst, 0), dh = plane_rows(dst, 0);
    int64_t x, y, sx, sy;
    uint32_t c;

    for (c = 0; c < dst->count; c++) {
        const exrkit_pixel_type type = dst->channels[c].type;
        for (y = 0; y < dh; y++) {
            for (x = 0; x < dw; x++) {
                const size_t to = (size_t)(y * dw + x);
                double sum = 0.0;
                uint64_t usum = 0, n = 0;
                for (sy = y * fy; sy < y * fy + fy && sy < sh; sy++) {
                    for (sx = x * fx; sx < x * fx + fx && sx < sw; sx++) {
                        size_t at = (size_t)(sy * sw + sx);
                        if (type == EXRKIT_PIXEL_UINT)
                            usum += ((const uint32_t *)src->planes[c])[at];
                        else
                            sum += sample_at(src->planes[c], type, at);
                        n++;
                    }
                }
                if (type == EXRKIT_PIXEL_UINT)
                    ((uint32_t *)dst->planes[c])[to] = (uint32_t)(usum / n);
                else if (type == EXRKIT_PIXEL_HALF)
                    ((uint16_t *)dst->planes[c])[to] = float_to_half((float)(sum / (double)n));
                else
                    ((float *)dst->planes[c])[to] = (float)(sum / (double)n);
            }
        }
    }
}

static int level_side(int64_t size, int l, exrkit_rounding_mode rounding)
{
    int64_t side = rounding == EXRKIT_ROUND_UP ? (size + ((int64_t)1 << l) - 1) >> l : size >> l;
    return side < 1 ? 1 : (int)side;
}

static int level_count(int64_t size, exrkit_rounding_mode rounding)
{
    int log2 = 0;
    while (((int64_t)1 << (log2 + 1)) <= size)
        log2++;
    if (rounding == EXRKIT_ROUND_UP && ((int64_t)1 << log2) < size)
        log2++;
    return log2 + 1;
}

/* The window of level (lx, ly) of a part with data window `dw`. */
static exrkit_box2i level_window(exrkit_box2i dw, int lx, int ly, exrkit_rounding_mode rounding)
{
    exrkit_box2i w = dw;
    w.max_x = dw.min_x + level_side((int64_t)dw.max_x - dw.min_x + 1, lx, rounding) - 1;
    w.max_y = dw.min_y + level_side((int64_t)dw.max_y - dw.min_y + 1, ly, rounding) - 1;
    return w;
}

/* Whether the input part `h` holds level (lx, ly). */
static int input_has_level(const exrkit_header *h, int lx, int ly)
{
    if (h->storage != EXRKIT_STORAGE_TILED)
        return lx == 0 && ly == 0;
    if (h->level_mode == EXRKIT_LEVEL_MIPMAP && lx != ly)
        return 0;
    return (uint32_t)lx < h->level_count_x && (uint32_t)ly < h->level_count_y;
}

/* Describes output part `part` from input part `h` and copies its
 * channels and attributes. */
static int describe_part(exrkit_reader *reader, exrkit_writer *writer, uint32_t part,
                         const exrkit_header *h, const settings *s, exrkit_channel *channels,
                         exrkit_part_desc *desc)
{
    exrkit_attribute attr;
    exrkit_status st;
    uint32_t index, i, c;
    size_t d;
    int tiled = !s->scanline && (h->storage == EXRKIT_STORAGE_TILED || s->tile_w > 0 ||
                                 s->level_mode >= 0);

    st = exrkit_part_desc_init(desc);
    if (st != EXRKIT_OK)
        return fail_part("cannot describe the output", part, st);
    desc->name = h->name;
    desc->storage = tiled ? EXRKIT_STORAGE_TILED : EXRKIT_STORAGE_SCANLINE;
    desc->compression = s->codec >= 0 ? codecs[s->codec].id : h->compression;
    desc->compression_level = s->level;
    desc->data_window = h->data_window;
    desc->display_window = h->display_window;
    desc->line_order = h->line_order;
    if (!tiled && h->line_order == EXRKIT_LINE_ORDER_RANDOM_Y)
        desc->line_order = EXRKIT_LINE_ORDER_INCREASING_Y;
    if (tiled) {
        int from_input = h->storage == EXRKIT_STORAGE_TILED;
        desc->tile_width = s->tile_w > 0 ? (uint32_t)s->tile_w : from_input ? h->tile_width : 64;
        desc->tile_height = s->tile_h > 0 ? (uint32_t)s->tile_h : from_input ? h->tile_height : 64;
        desc->level_mode = s->level_mode >= 0     ? (exrkit_level_mode)s->level_mode
                           : from_input           ? h->level_mode
                                                  : EXRKIT_LEVEL_ONE;
        desc->rounding_mode = from_input ? h->rounding_mode : EXRKIT_ROUND_DOWN;
    }
    st = exrkit_add_part(writer, desc, &index);
    if (st != EXRKIT_OK)
        return fail_part("cannot add the part", part, st);

    for (c = 0; c < h->channel_count; c++) {
        st = exrkit_get_channel(reader, part, c, &channels[c]);
        if (st == EXRKIT_OK)
            st = exrkit_add_channel(writer, index, &channels[c]);
        if (st != EXRKIT_OK)
            return fail_part("cannot copy a channel", part, st);
    }
    for (i = 0; i < h->attribute_count; i++) {
        st = exrkit_get_attribute(reader, part, i, &attr);
        if (st != EXRKIT_OK)
            return fail_part("cannot read an attribute", part, st);
        for (d = 0; d < sizeof derived / sizeof derived[0]; d++)
            if (strcmp(attr.name, derived[d]) == 0)
                break;
        if (d < sizeof derived / sizeof derived[0])
            continue;
        st = exrkit_set_attribute(writer, index, attr.name, attr.type_name, attr.data, attr.size);
        if (st != EXRKIT_OK)
            return fail_part("cannot copy an attribute", part, st);
    }
    return 0;
}

/* Decodes level (lx, ly) of input part `part` into `im` (allocated). */
static int decode_level(exrkit_reader *reader, uint32_t part, int lx, int ly, image *im)
{
    exrkit_slice *slices = (exrkit_slice *)calloc(im->count ? im->count : 1, sizeof *slices);
    exrkit_framebuffer fb;
    exrkit_status st;
    if (slices == NULL) {
        fprintf(stderr, "exrconvert: out of memory\n");
        return 1;
    }
    fb = image_framebuffer(im, slices);
    st = exrkit_decode_image(reader, part, lx, ly, &fb);
    free(slices);
    return st == EXRKIT_OK ? 0 : fail_part("cannot decode the input", part, st);
}

/* Encodes `im` as level (lx, ly) of output part `part`. */
static int write_level(exrkit_writer *writer, uint32_t part, int lx, int ly, const image *im)
{
    exrkit_slice *slices = (exrkit_slice *)calloc(im->count ? im->count : 1, sizeof *slices);
    exrkit_framebuffer fb;
    exrkit_status st;
    char what[64];
    if (slices == NULL) {
        fprintf(stderr, "exrconvert: out of memory\n");
        return 1;
    }
    fb = image_framebuffer(im, slices);
    st = exrkit_write_image(writer, part, lx, ly, &fb);
    free(slices);
    snprintf(what, sizeof what, "cannot write level (%d, %d)", lx, ly);
    return st == EXRKIT_OK ? 0 : fail_part(what, part, st);
}

/* Makes level (lx, ly) into `out`: decoded from the input if it has it,
 * else filtered from `parent` (fx, fy: the halving factors). */
static int make_level(exrkit_reader *reader, uint32_t part, const exrkit_header *h,
                      const exrkit_part_desc *desc, exrkit_channel *channels, int lx, int ly,
                      const image *parent, int fx, int fy, image *out)
{
    exrkit_box2i window = level_window(h->data_window, lx, ly, desc->rounding_mode);
    if (alloc_image(out, channels, h->channel_count, window) != 0) {
        fprintf(stderr, "exrconvert: out of memory\n");
        return 1;
    }
    if (input_has_level(h, lx, ly))
        return decode_level(reader, part, lx, ly, out);
    box_filter(parent, out, fx, fy);
    return 0;
}

/* Writes every level of output part `part`. */
static int convert_levels(exrkit_reader *reader, exrkit_writer *writer, uint32_t part,
                          const exrkit_header *h, const exrkit_part_desc *desc,
                          exrkit_channel *channels)
{
    const int64_t width = (int64_t)h->data_window.max_x - h->data_window.min_x + 1;
    const int64_t height = (int64_t)h->data_window.max_y - h->data_window.min_y + 1;
    int count_x = 1, count_y = 1, lx, ly, rc;
    /* row: level (0, ly); prev: the level last written; cur: the next. */
    image row = {{0, 0, 0, 0}, 0, NULL, NULL}, prev = row, cur = row;

    if (desc->storage == EXRKIT_STORAGE_TILED && desc->level_mode == EXRKIT_LEVEL_MIPMAP)
        count_x = count_y = level_count(width > height ? width : height, desc->rounding_mode);
    if (desc->storage == EXRKIT_STORAGE_TILED && desc->level_mode == EXRKIT_LEVEL_RIPMAP) {
        count_x = level_count(width, desc->rounding_mode);
        count_y = level_count(height, desc->rounding_mode);
    }

    rc = make_level(reader, part, h, desc, channels, 0, 0, NULL, 1, 1, &row);
    if (rc == 0)
        rc = write_level(writer, part, 0, 0, &row);
    if (desc->storage == EXRKIT_STORAGE_TILED && desc->level_mode == EXRKIT_LEVEL_MIPMAP) {
        for (lx = 1; rc == 0 && lx < count_x; lx++) {
            rc = make_level(reader, part, h, desc, channels, lx, lx, lx == 1 ? &row : &prev, 2,
                            2, &cur);
            if (rc == 0)
                rc = write_level(writer, part, lx, lx, &cur);
            free_image(&prev);
            prev = cur;
            cur.planes = NULL;
        }
    } else if (desc->storage == EXRKIT_STORAGE_TILED && desc->level_mode == EXRKIT_LEVEL_RIPMAP) {
        for (ly = 0; rc == 0 && ly < count_y; ly++) {
            if (ly > 0) {
                rc = make_level(reader, part, h, desc, channels, 0, ly, &row, 1, 2, &cur);
                if (rc == 0)
                    rc = write_level(writer, part, 0, ly, &cur);
                free_image(&row);
                row = cur;
                cur.planes = NULL;
            }
            for (lx = 1; rc == 0 && lx < count_x; lx++) {
                rc = make_level(reader, part, h, desc, channels, lx, ly, lx == 1 ? &row : &prev,
                                2, 1, &cur);
                if (rc == 0)
                    rc = write_level(writer, part, lx, ly, &cur);
                free_image(&prev);
                prev = cur;
                cur.planes = NULL;
            }
        }
    }
    free_image(&row);
    free_image(&prev);
    free_image(&cur);
    return rc;
}

static int lossy_for(int codec, exrkit_pixel_type type)
{
    if (type == EXRKIT_PIXEL_HALF)
        return codecs[codec].lossy_for_half;
    if (type == EXRKIT_PIXEL_FLOAT)
        return codecs[codec].lossy_for_float;
    return 0;
}

static int codec_index(exrkit_compression id)
{
    int i;
    for (i = 0; i < (int)CODEC_COUNT; i++)
        if (codecs[i].id == id)
            return i;
    return -1;
}

/* Compares output part `part` with the input: name, copied attributes and
 * level 0. */
static int verify_part(exrkit_reader *in, exrkit_reader *out, uint32_t part)
{
    exrkit_header hi, ho;
    exrkit_attribute a, b;
    exrkit_channel *channels = NULL;
    image want = {{0, 0, 0, 0}, 0, NULL, NULL}, got = want;
    exrkit_status st;
    uint32_t i, c;
    size_t d, n, k, differing = 0;
    int rc = 1, codec;
    double worst = 0.0;

    st = exrkit_read_header(in, part, &hi);
    if (st == EXRKIT_OK)
        st = exrkit_read_header(out, part, &ho);
    if (st != EXRKIT_OK)
        return fail_part("cannot read the headers back", part, st);
    if ((hi.name == NULL) != (ho.name == NULL) || (hi.name && strcmp(hi.name, ho.name) != 0) ||
        hi.channel_count != ho.channel_count ||
        memcmp(&hi.data_window, &ho.data_window, sizeof hi.data_window) != 0) {
        fprintf(stderr, "exrconvert: part %u: name, channels or data window changed\n", part);
        return 1;
    }
    for (i = 0; i < hi.attribute_count; i++) {
        st = exrkit_get_attribute(in, part, i, &a);
        if (st != EXRKIT_OK)
            return fail_part("cannot read an input attribute", part, st);
        for (d = 0; d < sizeof derived / sizeof derived[0]; d++)
            if (strcmp(a.name, derived[d]) == 0)
                break;
        if (d < sizeof derived / sizeof derived[0])
            continue;
        st = exrkit_find_attribute(out, part, a.name, &b);
        if (st != EXRKIT_OK)
            return fail_part("an attribute was not copied", part, st);
        if (strcmp(a.type_name, b.type_name) != 0 || a.size != b.size ||
            (a.size && memcmp(a.data, b.data, a.size) != 0)) {
            fprintf(stderr, "exrconvert: part %u: attribute '%s' changed\n", part, a.name);
            return 1;
        }
    }
    codec = codec_index(ho.compression);
    channels = (exrkit_channel *)calloc(hi.channel_count ? hi.channel_count : 1, sizeof *channels);
    if (channels == NULL)
        goto out_of_memory;
    for (c = 0; c < hi.channel_count; c++) {
        st = exrkit_get_channel(in, part, c, &channels[c]);
        if (st != EXRKIT_OK) {
            fail_part("cannot read a channel", part, st);
            goto done;
        }
    }
    if (alloc_image(&want, channels, hi.channel_count, hi.data_window) != 0 ||
        alloc_image(&got, channels, hi.channel_count, hi.data_window) != 0)
        goto out_of_memory;
    if (decode_level(in, part, 0, 0, &want) != 0 || decode_level(out, part, 0, 0, &got) != 0)
        goto done;
    rc = 0;
    for (c = 0; c < hi.channel_count; c++) {
        const int lossy = codec >= 0 && lossy_for(codec, channels[c].type);
        const double tolerance =
            lossy && channels[c].type == EXRKIT_PIXEL_HALF &&
                    (codecs[codec].id == EXRKIT_COMPRESSION_B44 || codecs[codec].id == EXRKIT_COMPRESSION_B44A)
                ? 0.15
                : 0.01;
        n = (size_t)(plane_columns(&want, c) * plane_rows(&want, c));
        if (!lossy) {
            if (memcmp(want.planes[c], got.planes[c], n * sample_size(channels[c].type)) != 0) {
                fprintf(stderr, "exrconvert: part %u: channel %s differs\n", part,
                        channels[c].name);
                rc = 1;
            }
            continue;
        }
        for (k = 0; k < n; k++) {
            double w = sample_at(want.planes[c], channels[c].type, k);
            double g = sample_at(got.planes[c], channels[c].type, k);
            double e = (w == g || (isnan(w) && isnan(g))) ? 0.0 : fabs(g - w) / (1.0 + fabs(w));
            if (!(e <= tolerance)) {
                differing++;
                if (!(e <= worst))
                    worst = e;
            }
        }
    }
    if (differing) {
        fprintf(stderr, "exrconvert: part %u: %lu samples differ beyond the codec's tolerance (at most %g)\n",
                part, (unsigned long)differing, worst);
        rc = 1;
    }
    goto done;
out_of_memory:
    fprintf(stderr, "exrconvert: out of memory\n");
done:
    free_image(&want);
    free_image(&got);
    free(channels);
    return rc;
}

static int verify(const char *input, const char *output, uint32_t parts)
{
    exrkit_reader *in = NULL, *out = NULL;
    exrkit_status st;
    uint32_t p, count = 0;
    int rc = 0;

    st = exrkit_open(input, NULL, &in);
    if (st == EXRKIT_OK)
        st = exrkit_open(output, NULL, &out);
    if (st == EXRKIT_OK)
        st = exrkit_part_count(out, &count);
    if (st != EXRKIT_OK) {
        exrkit_close(in);
        exrkit_close(out);
        return fail("cannot read the output back", st);
    }
    if (count != parts) {
        fprintf(stderr, "exrconvert: the output has %u parts, the input %u\n", count, parts);
        rc = 1;
    }
    for (p = 0; rc == 0 && p < parts; p++)
        rc = verify_part(in, out, p);
    exrkit_close(in);
    exrkit_close(out);
    if (rc == 0)
        printf("exrconvert: verified %u parts: names, attributes and level 0 pixels\n", parts);
    return rc;
}

static int convert(const char *input, const char *output, const settings *s, uint32_t *parts)
{
    exrkit_reader *reader = NULL;
    exrkit_writer *writer = NULL;
    exrkit_header *headers = NULL;
    exrkit_channel **channels = NULL;
    exrkit_part_desc *descs = NULL;
    exrkit_status st;
    uint32_t p, count = 0;
    int rc = 1;

    st = exrkit_open(input, NULL, &reader);
    if (st != EXRKIT_OK)
        return fail("cannot open the input", st);
    st = exrkit_part_count(reader, &count);
    if (st != EXRKIT_OK) {
        exrkit_close(reader);
        return fail("cannot count the input's parts", st);
    }
    headers = (exrkit_header *)calloc(count, sizeof *headers);
    channels = (exrkit_channel **)calloc(count, sizeof *channels);
    descs = (exrkit_part_desc *)calloc(count, sizeof *descs);
    if (headers == NULL || channels == NULL || descs == NULL)
        goto out_of_memory;

    st = exrkit_create(output, NULL, &writer);
    if (st != EXRKIT_OK) {
        fail("cannot create the output", st);
        goto done;
    }
    for (p = 0; p < count; p++) {
        st = exrkit_read_header(reader, p, &headers[p]);
        if (st != EXRKIT_OK) {
            fail_part("cannot read the header", p, st);
            goto done;
        }
        if (headers[p].storage == EXRKIT_STORAGE_DEEP_SCANLINE ||
            headers[p].storage == EXRKIT_STORAGE_DEEP_TILED) {
            fprintf(stderr, "exrconvert: part %u holds deep data; exrconvert converts flat parts "
                            "only\n",
                    p);
            goto done;
        }
        channels[p] = (exrkit_channel *)calloc(
            headers[p].channel_count ? headers[p].channel_count : 1, sizeof **channels);
        if (channels[p] == NULL)
            goto out_of_memory;
        if (describe_part(reader, writer, p, &headers[p], s, channels[p], &descs[p]) != 0)
            goto done;
    }
    st = exrkit_write_header(writer);
    if (st != EXRKIT_OK) {
        fail("cannot write the header", st);
        goto done;
    }
    for (p = 0; p < count; p++)
        if (convert_levels(reader, writer, p, &headers[p], &descs[p], channels[p]) != 0)
            goto done;
    st = exrkit_finish(writer);
    if (st != EXRKIT_OK) {
        fail("cannot finish the output", st);
        goto done;
    }
    *parts = count;
    rc = 0;
    goto done;
out_of_memory:
    fprintf(stderr, "exrconvert: out of memory\n");
done:
    /* An unfinished writer leaves OUTPUT as it was. */
    exrkit_writer_free(writer);
    exrkit_close(reader);
    for (p = 0; channels != NULL && p < count; p++)
        free(channels[p]);
    free(channels);
    free(headers);
    free(descs);
    return rc;
}

int main(int argc, char **argv)
{
    const char *input = NULL, *output = NULL;
    settings s = {-1, 0, 0, 0, -1, 0, 0.0f};
    uint32_t parts = 0;
    int i, rc;
    char tail;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            const char *name = argv[++i];
            for (s.codec = 0; s.codec < (int)CODEC_COUNT; s.codec++)
                if (strcmp(codecs[s.codec].name, name) == 0)
                    break;
            if (s.codec == (int)CODEC_COUNT) {
                fprintf(stderr, "exrconvert: unknown codec '%s'\n", name);
                return usage();
            }
        } else if (strcmp(argv[i], "-q") == 0 && i + 1 < argc) {
            if (sscanf(argv[++i], "%f%c", &s.level, &tail) != 1 || !(s.level > 0.0f))
                return usage();
        } else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d%c", &s.tile_w, &s.tile_h, &tail) != 2 || s.tile_w < 1 ||
                s.tile_h < 1)
                return usage();
        } else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
            const char *mode = argv[++i];
            if (strcmp(mode, "one") == 0)
                s.level_mode = EXRKIT_LEVEL_ONE;
            else if (strcmp(mode, "mip") == 0)
                s.level_mode = EXRKIT_LEVEL_MIPMAP;
            else if (strcmp(mode, "rip") == 0)
                s.level_mode = EXRKIT_LEVEL_RIPMAP;
            else
                return usage();
        } else if (strcmp(argv[i], "-s") == 0) {
            s.scanline = 1;
        } else if (strcmp(argv[i], "--verify") == 0) {
            s.verify = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage();
        } else if (input == NULL) {
            input = argv[i];
        } else if (output == NULL) {
            output = argv[i];
        } else {
            return usage();
        }
    }
    if (input == NULL || output == NULL || (s.scanline && (s.tile_w > 0 || s.level_mode >= 0)))
        return usage();

    rc = convert(input, output, &s, &parts);
    if (rc == 0)
        printf("exrconvert: %s -> %s: %u parts\n", input, output, parts);
    if (rc == 0 && s.verify)
        rc = verify(input, output, parts);
    return rc;
}
