/*
 * The official QOI test images against their PNGs, decoded by libpng, through
 * the C API: each .qoi decodes (exrkit_decode_image, U8) to exactly the
 * PNG's pixels, as RGBA and as RGB; and the PNG's own pixels, in the .qoi's
 * channels, written by a writer with format QOI from U8 slices and from
 * FLOAT slices (value / 255), give the .qoi's bytes exactly (but for
 * edgecase.qoi, crafted by hand).
 *
 *   qoi_vs_png FILE.png...    (each FILE.qoi beside its FILE.png)
 */
#include <png.h>
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
        fprintf(stderr, "qoi_vs_png: FAILED: %s: %s (%s)\n", file, what,
                exrkit_last_error_message());
        failures++;
    }
}

/* The PNG at `path` as 8-bit rows of `channels` (3 or 4) samples a pixel,
 * tightly packed, by libpng; its size in `*width` and `*height`. libpng reads
 * it as RGBA (its alpha opaque if it has none), and 3 channels drop the
 * alpha: libpng would composite over a background instead. */
static uint8_t *read_png(const char *path, int channels, uint32_t *width, uint32_t *height)
{
    png_image image;
    uint8_t *pixels;
    size_t i, count;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path))
        return NULL;
    image.format = PNG_FORMAT_RGBA;
    pixels = (uint8_t *)malloc(PNG_IMAGE_SIZE(image));
    if (pixels == NULL || !png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
        png_image_free(&image);
        free(pixels);
        return NULL;
    }
    count = (size_t)image.width * image.height;
    for (i = 0; channels == 3 && i < count; i++)
        memmove(pixels + 3 * i, pixels + 4 * i, 3);
    *width = image.width;
    *height = image.height;
    return pixels;
}

static const char *const names[4] = {"R", "G", "B", "A"};

/* A frame buffer of interleaved `pixels` of `type` (`size` bytes a sample),
 * `channels` (3 or 4) a pixel, over `window`, in `slices`; a missing A
 * reads as opaque. */
static exrkit_framebuffer interleaved(exrkit_box2i window, int channels, exrkit_pixel_type type,
                                      size_t size, void *pixels, exrkit_slice *slices)
{
    exrkit_framebuffer fb;
    const ptrdiff_t width = (ptrdiff_t)window.max_x - window.min_x + 1;
    const ptrdiff_t stride = channels * (ptrdiff_t)size;
    int c;
    for (c = 0; c < channels; c++) {
        slices[c].channel = names[c];
        slices[c].type = type;
        slices[c].base = (char *)pixels + (size_t)c * size;
        slices[c].x_stride = stride;
        slices[c].y_stride = stride * width;
        slices[c].x_sampling = 1;
        slices[c].y_sampling = 1;
        slices[c].fill = c == 3 ? (type == EXRKIT_PIXEL_U8 ? 255.0 : 1.0) : 0.0;
    }
    fb.window = window;
    fb.slices = slices;
    fb.slice_count = (size_t)channels;
    return fb;
}

/* Decodes the QOI file `qoi` as `channels` interleaved U8 samples and
 * compares them with the PNG's. */
static void compare_decoded(const char *qoi, const char *png, int channels)
{
    exrkit_reader *reader = NULL;
    exrkit_header h;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    uint32_t width = 0, height = 0;
    uint8_t *want = read_png(png, channels, &width, &height);
    uint8_t *got = NULL;
    size_t bytes;

    expect(want != NULL, png, "libpng reads the PNG");
    expect(exrkit_open(qoi, NULL, &reader) == EXRKIT_OK &&
               exrkit_read_header(reader, 0, &h) == EXRKIT_OK,
           qoi, "open the QOI file");
    if (want == NULL || reader == NULL)
        goto done;
    expect((uint32_t)h.data_window.max_x + 1 == width &&
               (uint32_t)h.data_window.max_y + 1 == height,
           qoi, "the PNG's size");
    bytes = (size_t)width * height * (size_t)channels;
    got = (uint8_t *)malloc(bytes);
    if (got == NULL)
        goto done;
    fb = interleaved(h.data_window, channels, EXRKIT_PIXEL_U8, 1, got, slices);
    expect(exrkit_decode_image(reader, 0, 0, 0, &fb) == EXRKIT_OK, qoi, "decode");
    expect(memcmp(got, want, bytes) == 0, qoi,
           channels == 4 ? "decodes to the PNG's pixels as RGBA"
                         : "decodes to the PNG's pixels as RGB");
done:
    exrkit_close(reader);
    free(got);
    free(want);
}

/* Writes interleaved `pixels` of `type` (`size` bytes a sample), `channels`
 * a pixel, over `window`, through a QOI writer with the colour space
 * `colorspace`, and compares the bytes with the `want_size` of `want`. */
static void encode(const char *qoi, const uint8_t *want, size_t want_size, exrkit_box2i window,
                   int channels, exrkit_pixel_type type, size_t size, void *pixels)
{
    exrkit_write_options options;
    exrkit_part_desc desc;
    exrkit_writer *writer = NULL;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    const void *bytes = NULL;
    size_t n = 0;
    uint32_t part = 0;
    int c;

    exrkit_write_options_init(&options);
    options.format = EXRKIT_FORMAT_QOI;
    exrkit_part_desc_init(&desc);
    desc.data_window = window;
    desc.display_window = window;
    expect(exrkit_create_memory(&options, &writer) == EXRKIT_OK &&
               exrkit_add_part(writer, &desc, &part) == EXRKIT_OK,
           qoi, "a QOI writer");
    for (c = 0; c < channels; c++) {
        exrkit_channel channel = {names[c], EXRKIT_PIXEL_U8, 1, 1, false};
        expect(exrkit_add_channel(writer, part, &channel) == EXRKIT_OK, qoi, "a channel");
    }
    expect(exrkit_set_attribute_int(writer, part, "colorspace", want[13]) == EXRKIT_OK, qoi,
           "the colorspace");
    expect(exrkit_write_header(writer) == EXRKIT_OK, qoi, "the QOI header");
    fb = interleaved(window, channels, type, size, pixels, slices);
    expect(exrkit_write_image(writer, part, 0, 0, &fb) == EXRKIT_OK, qoi, "write the image");
    expect(exrkit_finish(writer) == EXRKIT_OK &&
               exrkit_writer_memory(writer, &bytes, &n) == EXRKIT_OK,
           qoi, "finish");
    expect(n == want_size && bytes != NULL && memcmp(bytes, want, n) == 0, qoi,
           type == EXRKIT_PIXEL_U8 ? "the PNG's pixels encode to the QOI file's bytes from U8"
                                   : "the PNG's pixels encode to the QOI file's bytes from "
                                     "FLOAT (value / 255)");
    exrkit_writer_free(writer);
}

/* Writes the PNG's pixels, in the channels of the QOI file `qoi`, through
 * QOI writers from U8 and from FLOAT slices, and compares the bytes with
 * the file's. */
static void compare_encoded(const char *qoi, const char *png)
{
    size_t want_size = 0, count, i;
    uint8_t *want = (uint8_t *)read_file(qoi, &want_size);
    int channels = want != NULL && want_size > 14 ? want[12] : 0;
    uint32_t width = 0, height = 0;
    uint8_t *pixels = channels ? read_png(png, channels, &width, &height) : NULL;
    float *floats = NULL;
    exrkit_box2i window = {0, 0, 0, 0};

    expect(want != NULL && (channels == 3 || channels == 4), qoi, "read the QOI file");
    expect(pixels != NULL, png, "libpng reads the PNG");
    if (want == NULL || pixels == NULL)
        goto done;
    window.max_x = (int32_t)width - 1;
    window.max_y = (int32_t)height - 1;
    encode(qoi, want, want_size, window, channels, EXRKIT_PIXEL_U8, 1, pixels);
    count = (size_t)width * height * (size_t)channels;
    floats = (float *)malloc(count * sizeof *floats);
    if (floats == NULL)
        goto done;
    for (i = 0; i < count; i++)
        floats[i] = (float)pixels[i] / 255.0f;
    encode(qoi, want, want_size, window, channels, EXRKIT_PIXEL_FLOAT, sizeof *floats, floats);
done:
    free(floats);
    free(pixels);
    free(want);
}

int main(int argc, char **argv)
{
    int i, encoded = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: qoi_vs_png FILE.png...\n");
        return 2;
    }
    for (i = 1; i < argc; i++) {
        const char *png = argv[i];
        size_t length = strlen(png), stem = length < 4 ? 0 : length - 4;
        char *qoi;
        if (length < 4 || strcmp(png + stem, ".png") != 0) {
            fprintf(stderr, "qoi_vs_png: %s is not a .png path\n", png);
            return 2;
        }
        qoi = (char *)malloc(stem + 5);
        if (qoi == NULL)
            return 2;
        memcpy(qoi, png, stem);
        memcpy(qoi + stem, ".qoi", 5);
        compare_decoded(qoi, png, 4);
        compare_decoded(qoi, png, 3);
        if (strstr(png, "edgecase") == NULL) {
            compare_encoded(qoi, png);
            encoded++;
        }
        free(qoi);
    }
    if (failures)
        return 1;
    printf("qoi_vs_png: %d QOI files decode to their PNGs' pixels as RGBA and RGB; %d PNGs "
           "encode to their QOI files byte for byte from U8 and FLOAT, through the C API\n",
           argc - 1, encoded);
    return 0;
}
