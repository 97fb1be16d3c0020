/*
 * QOI files through the C API: exrkit_open and exrkit_open_memory recognise
 * them by their magic and describe one scanline part (format QOI,
 * compression QOI, channels R G B [A] of type U8, a colorspace attribute);
 * exrkit_decode_image gives the same pixels as U8 and as FLOAT (value / 255),
 * exrkit_decode_rgba agrees (A = 1 for 3-channel files), and a truncated file
 * is EXRKIT_ERR_CORRUPT. (qoi_vs_png.c checks the pixels against the PNGs
 * and the QOI writer against the files.)
 *
 *   qoi_read FILE.qoi...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"
#include "read_file.h"

static int failures;

static void expect(int ok, const char *file, const char *what)
{
    if (!ok) {
        fprintf(stderr, "qoi_read: FAILED: %s: %s (%s)\n", file, what,
                exrkit_last_error_message());
        failures++;
    }
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
