/*
 * QOI files through the C API: exrkit_open and exrkit_open_memory recognise
 * them by their magic and describe one scanline part (format QOI,
 * compression QOI, channels R G B [A] of type U8, a colorspace attribute);
 * exrkit_decode_image gives the same pixels as U8 and as FLOAT (value / 255),
 * exrkit_decode_rgba agrees (A = 1 for 3-channel files), and a truncated file
 * is EXRKIT_ERR_CORRUPT; a writer with format QOI re-encodes the decoded
 * pixels (from U8 and from FLOAT slices) to the file's bytes exactly (but
 * for edgecase.qoi, crafted by hand). (tests/qoi.rs checks the pixels
 * against the PNGs.)
 *
 *   qoi_read FILE.qoi...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"

static int failures;

static void expect(int ok, const char *file, const char *what)
{
    if (!ok) {
        fprintf(stderr, "qoi_read: FAILED: %s: %s (%s)\n", file, what,
                exrkit_last_error_message());
        failures++;
    }
}

static void *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    void *data = NULL;
    long n;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)n);
        if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
            free(data);
            data = NULL;
        }
        *size = (size_t)n;
    }
    fclose(f);
    return data;
}

static const char *const names[4] = {"R", "G", "B", "A"};

/* A frame buffer of interleaved RGBA `pixels` of `type` (`size` bytes a
 * sample) over `w`, in `slices`; a missing A reads as opaque. */
static exrkit_framebuffer rgba_framebuffer(exrkit_box2i w, exrkit_pixel_type type, size_t size,
                                           void *pixels, exrkit_slice *slices)
{
    exrkit_framebuffer fb;
    const ptrdiff_t width = (ptrdiff_t)w.max_x - w.min_x + 1;
    int c;
    for (c = 0; c < 4; c++) {
        slices[c].channel = names[c];
        slices[c].type = type;
        slices[c].base = (char *)pixels + (size_t)c * size;
        slices[c].x_stride = (ptrdiff_t)(4 * size);
        slices[c].y_stride = (ptrdiff_t)(4 * size) * width;
        slices[c].x_sampling = 1;
        slices[c].y_sampling = 1;
        slices[c].fill = c == 3 ? (type == EXRKIT_PIXEL_U8 ? 255.0 : 1.0) : 0.0;
    }
    fb.window = w;
    fb.slices = slices;
    fb.slice_count = 4;
    return fb;
}

/* Decodes the image as interleaved RGBA of `type` (`size` bytes a sample). */
static exrkit_status decode(const exrkit_reader *reader, exrkit_box2i w, exrkit_pixel_type type,
                            size_t size, void *out)
{
    exrkit_slice slices[4];
    exrkit_framebuffer fb = rgba_framebuffer(w, type, size, out, slices);
    return exrkit_decode_image(reader, 0, 0, 0, &fb);
}

/* Encodes interleaved RGBA `pixels` of `type` as a QOI file with the
 * channels and colour space of `h` (and `colorspace`) and compares the
 * bytes with `want`. */
static void reencode(const char *path, const exrkit_header *h, int32_t colorspace,
                     exrkit_pixel_type type, size_t size, void *pixels, const void *want,
                     size_t want_size)
{
    exrkit_write_options options;
    exrkit_part_desc desc;
    exrkit_writer *writer = NULL;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    const void *bytes = NULL;
    size_t n = 0;
    uint32_t part = 0, c;

    exrkit_write_options_init(&options);
    options.format = EXRKIT_FORMAT_QOI;
    exrkit_part_desc_init(&desc);
    desc.data_window = h->data_window;
    desc.display_window = h->data_window;
    expect(exrkit_create_memory(&options, &writer) == EXRKIT_OK &&
               exrkit_add_part(writer, &desc, &part) == EXRKIT_OK,
           path, "a QOI writer");
    for (c = 0; c < h->channel_count; c++) {
        exrkit_channel channel = {names[c], EXRKIT_PIXEL_U8, 1, 1, false};
        expect(exrkit_add_channel(writer, part, &channel) == EXRKIT_OK, path, "a channel");
    }
    expect(exrkit_set_attribute_int(writer, part, "colorspace", colorspace) == EXRKIT_OK, path,
           "the colorspace");
    expect(exrkit_write_header(writer) == EXRKIT_OK, path, "the QOI header");
    fb = rgba_framebuffer(h->data_window, type, size, pixels, slices);
    expect(exrkit_write_image(writer, part, 0, 0, &fb) == EXRKIT_OK, path, "write the image");
    expect(exrkit_finish(writer) == EXRKIT_OK &&
               exrkit_writer_memory(writer, &bytes, &n) == EXRKIT_OK,
           path, "finish");
    expect(n == want_size && bytes != NULL && memcmp(bytes, want, n) == 0, path,
           type == EXRKIT_PIXEL_U8 ? "U8 pixels re-encode to the file's bytes"
                                   : "FLOAT pixels re-encode to the file's bytes");
    exrkit_writer_free(writer);
}

static void check_file(const char *path)
{
    exrkit_reader *reader = NULL, *memory = NULL, *truncated = NULL;
    exrkit_header h;
    exrkit_attribute colorspace;
    exrkit_channel channel;
    uint8_t *bytes = NULL;
    float *floats = NULL, *rgba = NULL;
    size_t size = 0, n, i;
    uint32_t count = 0, c;
    void *data = read_file(path, &size);

    expect(data != NULL && size > 14, path, "read the file");
    if (data == NULL)
        return;
    expect(exrkit_open(path, NULL, &reader) == EXRKIT_OK, path, "exrkit_open");
    expect(exrkit_open_memory(data, size, NULL, &memory) == EXRKIT_OK, path, "exrkit_open_memory");
    if (reader == NULL || memory == NULL)
        goto done;
    expect(exrkit_part_count(reader, &count) == EXRKIT_OK && count == 1, path, "one part");
    expect(exrkit_read_header(reader, 0, &h) == EXRKIT_OK, path, "header");
    expect(h.format == EXRKIT_FORMAT_QOI && h.compression == EXRKIT_COMPRESSION_QOI &&
               h.storage == EXRKIT_STORAGE_SCANLINE && h.data_window.min_x == 0 &&
               h.data_window.min_y == 0 && (h.channel_count == 3 || h.channel_count == 4),
           path, "format QOI, one scanline part of 3 or 4 channels");
    for (c = 0; c < h.channel_count; c++)
        expect(exrkit_get_channel(reader, 0, c, &channel) == EXRKIT_OK &&
                   channel.type == EXRKIT_PIXEL_U8,
               path, "U8 channels");
    expect(exrkit_find_attribute(reader, 0, "colorspace", &colorspace) == EXRKIT_OK &&
               colorspace.size == 4 && ((const uint8_t *)colorspace.data)[0] ==
                                           ((const uint8_t *)data)[13],
           path, "the colorspace attribute holds the header's byte");

    n = (size_t)(h.data_window.max_x + 1) * (size_t)(h.data_window.max_y + 1);
    bytes = (uint8_t *)malloc(n * 4);
    floats = (float *)malloc(n * 4 * sizeof *floats);
    rgba = (float *)malloc(n * 4 * sizeof *rgba);
    if (bytes == NULL || floats == NULL || rgba == NULL)
        goto done;
    expect(decode(reader, h.data_window, EXRKIT_PIXEL_U8, 1, bytes) == EXRKIT_OK, path, "U8");
    expect(decode(memory, h.data_window, EXRKIT_PIXEL_FLOAT, 4, floats) == EXRKIT_OK, path,
           "FLOAT");
    expect(exrkit_decode_rgba(reader, 0, h.data_window, rgba,
                              (ptrdiff_t)(h.data_window.max_x + 1) * 4 * (ptrdiff_t)sizeof *rgba) ==
               EXRKIT_OK,
           path, "RGBA");
    for (i = 0; i < n * 4; i++) {
        if (floats[i] != (float)bytes[i] / 255.0f || rgba[i] != floats[i]) {
            expect(0, path, "FLOAT and RGBA are the U8 values / 255");
            break;
        }
    }
    if (strstr(path, "edgecase") == NULL) {
        int32_t space = ((const uint8_t *)data)[13];
        reencode(path, &h, space, EXRKIT_PIXEL_U8, 1, bytes, data, size);
        reencode(path, &h, space, EXRKIT_PIXEL_FLOAT, 4, floats, data, size);
    }
    expect(exrkit_open_memory(data, size / 2, NULL, &truncated) == EXRKIT_OK &&
               decode(truncated, h.data_window, EXRKIT_PIXEL_U8, 1, bytes) ==
                   EXRKIT_ERR_CORRUPT,
           path, "half a file is corrupt");
done:
    exrkit_close(truncated);
    exrkit_close(memory);
    exrkit_close(reader);
    free(bytes);
    free(floats);
    free(rgba);
    free(data);
}

int main(int argc, char **argv)
{
    int i;
    if (argc < 2) {
        fprintf(stderr, "usage: qoi_read FILE.qoi...\n");
        return 2;
    }
    for (i = 1; i < argc; i++)
        check_file(argv[i]);
    if (failures)
        return 1;
    printf("qoi_read: %d QOI files opened and decoded through the C API\n", argc - 1);
    return 0;
}
