/*
 * qoiconv: QOI to OpenEXR and back, with one library and one API.
 *
 *   qoiconv [--srgb] [--verify] INPUT OUTPUT
 *
 * A QOI INPUT becomes an RGBA HALF OpenEXR file (ZIP): each 8-bit value v
 * is stored as v / 255, as the QOI holds it (no transfer curve is applied,
 * whatever the file's colorspace byte says). Any other INPUT (an OpenEXR
 * file) becomes a QOI file from its RGBA (exrkit_decode_rgba), each value
 * clamped to 0..1, times 255 and rounded; with --srgb the sRGB curve is
 * applied to R, G and B first and the QOI says sRGB, otherwise it says
 * linear. A file without alpha gives a 3-channel QOI.
 *
 * --verify (QOI INPUT only) converts the written EXR back to QOI in memory
 * and checks that it gives INPUT's bytes: HALF holds v / 255 closely
 * enough for every v to come back, and exrkit encodes as the reference
 * qoi.h does.
 *
 * Exits with 1 on any error, after a message naming what failed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"

static const char *const rgba_names[4] = {"R", "G", "B", "A"};

static int fail(const char *what, exrkit_status st)
{
    fprintf(stderr, "qoiconv: %s: %s (%s)\n", what, exrkit_last_error_message(),
            exrkit_status_string(st));
    return 1;
}

/* A frame buffer of interleaved RGBA floats over `window`. */
static exrkit_framebuffer rgba_framebuffer(exrkit_box2i window, float *rgba, exrkit_slice *s,
                                           int channels)
{
    exrkit_framebuffer fb;
    const ptrdiff_t width = (ptrdiff_t)window.max_x - window.min_x + 1;
    int c;
    for (c = 0; c < channels; c++) {
        s[c].channel = rgba_names[c];
        s[c].type = EXRKIT_PIXEL_FLOAT;
        s[c].base = rgba + c;
        s[c].x_stride = 4 * (ptrdiff_t)sizeof(float);
        s[c].y_stride = 4 * (ptrdiff_t)sizeof(float) * width;
        s[c].x_sampling = 1;
        s[c].y_sampling = 1;
        s[c].fill = c == 3 ? 1.0 : 0.0;
    }
    fb.window = window;
    fb.slices = s;
    fb.slice_count = (size_t)channels;
    return fb;
}

/* Writes `rgba` (interleaved floats over `window`, origin 0) with
 * `channels` (3 or 4) of it to `writer` as `format`. */
static int write_rgba(exrkit_writer *writer, exrkit_format format, exrkit_box2i window,
                      float *rgba, int channels, int32_t colorspace)
{
    exrkit_part_desc desc;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    exrkit_status st;
    uint32_t part = 0;
    int c;

    exrkit_part_desc_init(&desc);
    desc.data_window = window;
    desc.display_window = window;
    desc.compression = EXRKIT_COMPRESSION_ZIP;
    st = exrkit_add_part(writer, &desc, &part);
    for (c = 0; st == EXRKIT_OK && c < channels; c++) {
        exrkit_channel channel = {rgba_names[c],
                                  format == EXRKIT_FORMAT_QOI ? EXRKIT_PIXEL_U8 : EXRKIT_PIXEL_HALF,
                                  1, 1, false};
        st = exrkit_add_channel(writer, part, &channel);
    }
    if (st == EXRKIT_OK && format == EXRKIT_FORMAT_QOI)
        st = exrkit_set_attribute_int(writer, part, "colorspace", colorspace);
    if (st == EXRKIT_OK)
        st = exrkit_write_header(writer);
    fb = rgba_framebuffer(window, rgba, slices, channels);
    if (st == EXRKIT_OK)
        st = exrkit_write_image(writer, part, 0, 0, &fb);
    if (st == EXRKIT_OK)
        st = exrkit_finish(writer);
    return st == EXRKIT_OK ? 0 : fail("cannot write the output", st);
}

/* Decodes part 0 of `reader` as RGBA floats; sets the window and whether
 * the part has alpha. The caller frees the pixels. */
static float *read_rgba(exrkit_reader *reader, exrkit_box2i *window, int *has_alpha)
{
    exrkit_header h;
    exrkit_channel channel;
    exrkit_status st = exrkit_read_header(reader, 0, &h);
    float *rgba;
    size_t pixels;
    uint32_t c;
    if (st != EXRKIT_OK) {
        fail("cannot read the header", st);
        return NULL;
    }
    *window = h.data_window;
    *has_alpha = 0;
    for (c = 0; c < h.channel_count; c++)
        if (exrkit_get_channel(reader, 0, c, &channel) == EXRKIT_OK && strcmp(channel.name, "A") == 0)
            *has_alpha = 1;
    pixels = (size_t)((int64_t)h.data_window.max_x - h.data_window.min_x + 1) *
             (size_t)((int64_t)h.data_window.max_y - h.data_window.min_y + 1);
    rgba = (float *)malloc(pixels * 4 * sizeof *rgba);
    if (rgba == NULL) {
        fprintf(stderr, "qoiconv: out of memory\n");
        return NULL;
    }
    st = exrkit_decode_rgba(reader, 0, h.data_window, rgba,
                            ((ptrdiff_t)h.data_window.max_x - h.data_window.min_x + 1) * 4 *
                                (ptrdiff_t)sizeof *rgba);
    if (st != EXRKIT_OK) {
        free(rgba);
        fail("cannot decode the input", st);
        return NULL;
    }
    return rgba;
}

/* The sRGB encoding of a linear value. */
static float srgb(float v)
{
    return v <= 0.0031308f ? 12.92f * v : 1.055f * powf(v, 1.0f / 2.4f) - 0.055f;
}

int main(int argc, char **argv)
{
    const char *input = NULL, *output = NULL;
    int use_srgb = 0, verify = 0, has_alpha = 0, i, rc = 1;
    exrkit_reader *reader = NULL;
    exrkit_writer *writer = NULL;
    exrkit_write_options options;
    exrkit_header h;
    exrkit_box2i window;
    exrkit_status st;
    float *rgba = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--srgb") == 0)
            use_srgb = 1;
        else if (strcmp(argv[i], "--verify") == 0)
            verify = 1;
        else if (input == NULL)
            input = argv[i];
        else if (output == NULL)
            output = argv[i];
        else
            input = NULL, i = argc;
    }
    if (input == NULL || output == NULL) {
        fprintf(stderr, "usage: qoiconv [--srgb] [--verify] INPUT OUTPUT\n");
        return 2;
    }
    st = exrkit_open(input, NULL, &reader);
    if (st != EXRKIT_OK)
        return fail("cannot open the input", st);
    st = exrkit_read_header(reader, 0, &h);
    if (st != EXRKIT_OK || (rgba = read_rgba(reader, &window, &has_alpha)) == NULL)
        goto done;
    exrkit_write_options_init(&options);
    if (h.format == EXRKIT_FORMAT_QOI) {
        /* QOI to EXR: the values as stored, in HALF. */
        st = exrkit_create(output, &options, &writer);
        if (st != EXRKIT_OK || write_rgba(writer, EXRKIT_FORMAT_EXR, window, rgba, 4, 0) != 0)
            goto done;
        printf("qoiconv: %s -> %s (RGBA HALF)\n", input, output);
    } else {
        size_t n = (size_t)((int64_t)window.max_x - window.min_x + 1) *
                   (size_t)((int64_t)window.max_y - window.min_y + 1) * 4;
        size_t k;
        if (window.min_x != 0 || window.min_y != 0) {
            fprintf(stderr, "qoiconv: a QOI image starts at (0, 0); %s does not\n", input);
            goto done;
        }
        if (use_srgb)
            for (k = 0; k < n; k++)
                if (k % 4 != 3)
                    rgba[k] = srgb(rgba[k] < 0.0f ? 0.0f : rgba[k]);
        options.format = EXRKIT_FORMAT_QOI;
        st = exrkit_create(output, &options, &writer);
        if (st != EXRKIT_OK ||
            write_rgba(writer, EXRKIT_FORMAT_QOI, window, rgba, has_alpha ? 4 : 3, use_srgb ? 0 : 1) != 0)
            goto done;
        printf("qoiconv: %s -> %s (%s QOI)\n", input, output, use_srgb ? "sRGB" : "linear");
    }
    if (verify && h.format == EXRKIT_FORMAT_QOI) {
        /* The EXR back to QOI, in memory: INPUT's bytes again. */
        exrkit_reader *exr = NULL;
        exrkit_writer *back = NULL;
        exrkit_attribute space;
        float *again = NULL;
        const void *bytes = NULL;
        size_t size = 0, want_size = 0;
        void *want = NULL;
        FILE *f = fopen(input, "rb");
        if (f != NULL && fseek(f, 0, SEEK_END) == 0) {
            want_size = (size_t)ftell(f);
            want = malloc(want_size);
            if (want == NULL || fseek(f, 0, SEEK_SET) != 0 || fread(want, 1, want_size, f) != want_size)
                want_size = 0;
        }
        if (f != NULL)
            fclose(f);
        options.format = EXRKIT_FORMAT_QOI;
        st = exrkit_open(output, NULL, &exr);
        if (st == EXRKIT_OK && (again = read_rgba(exr, &window, &has_alpha)) != NULL &&
            exrkit_find_attribute(reader, 0, "colorspace", &space) == EXRKIT_OK &&
            exrkit_create_memory(&options, &back) == EXRKIT_OK &&
            write_rgba(back, EXRKIT_FORMAT_QOI, window, again, h.channel_count == 4 ? 4 : 3,
                       space.value.i32) == 0 &&
            exrkit_writer_memory(back, &bytes, &size) == EXRKIT_OK && want_size == size &&
            memcmp(bytes, want, size) == 0) {
            printf("qoiconv: verified: %s converts back to the same %lu bytes\n", output,
                   (unsigned long)size);
        } else {
            fprintf(stderr, "qoiconv: %s does not convert back to %s's bytes\n", output, input);
            verify = -1;
        }
        free(again);
        free(want);
        exrkit_writer_free(back);
        exrkit_close(exr);
        if (verify < 0)
            goto done;
    }
    rc = 0;
done:
    exrkit_writer_free(writer);
    exrkit_close(reader);
    free(rgba);
    return rc;
}
