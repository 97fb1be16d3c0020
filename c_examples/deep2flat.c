/*
 * deep2flat: flattens deep OpenEXR images into one flat RGBA image.
 *
 *   deep2flat [-p PART] [--verify] INPUT... OUTPUT.exr
 *
 *   -p PART     the deep part of each input to flatten (default 0)
 *   --verify    read the written file back and compare every sample
 *
 * One input is flattened with exrkit_deep_flatten; several (separately
 * rendered elements of one shot, like OpenEXR's Balls, Leaves and Trunks
 * sample images) are composited together with exrkit_deep_composite, so
 * that their samples interleave by depth. Either way each pixel's samples
 * are sorted front to back by Z and combined with "over" using A, as
 * OpenEXR's CompositeDeepScanLine does (to the bit), or AR, AG, AB for R, G,
 * B where the inputs have those per-colour alphas (where OpenEXR still uses
 * A); inputs need Z and A channels.
 *
 * The output is R, G, B, A as HALF with ZIP compression over the union of
 * the inputs' windows, with the first input's display window. The frame
 * buffer is interleaved HALF RGBA (16-bit values as uint16_t): flattening
 * computes in float and rounds to half, the writer writes those halves
 * as they are, and --verify reads them back into the same layout.
 *
 * Exits with 1 on any error, after a message naming what failed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"

#define MAX_INPUTS 64

static int usage(void)
{
    fprintf(stderr, "usage: deep2flat [-p PART] [--verify] INPUT... OUTPUT.exr\n");
    return 2;
}

static int fail(const char *what, const char *where)
{
    fprintf(stderr, "deep2flat: %s%s%s: %s\n", where ? where : "", where ? ": " : "", what,
            exrkit_last_error_message());
    return 1;
}

/* A frame buffer of interleaved HALF R, G, B, A over `window`. */
static exrkit_framebuffer rgba_framebuffer(uint16_t *rgba, exrkit_box2i window,
                                           exrkit_slice slices[4])
{
    static const char *const names[4] = {"R", "G", "B", "A"};
    const ptrdiff_t width = (ptrdiff_t)window.max_x - window.min_x + 1;
    exrkit_framebuffer fb;
    int c;

    for (c = 0; c < 4; c++) {
        memset(&slices[c], 0, sizeof slices[c]);
        slices[c].channel = names[c];
        slices[c].type = EXRKIT_PIXEL_HALF;
        slices[c].base = rgba + c;
        slices[c].x_stride = 4 * sizeof *rgba;
        slices[c].y_stride = width * 4 * (ptrdiff_t)sizeof *rgba;
        slices[c].x_sampling = slices[c].y_sampling = 1;
        slices[c].fill = 0.0; /* where an input lacks R, G or B */
    }
    fb.window = window;
    fb.slices = slices;
    fb.slice_count = 4;
    return fb;
}

/* Writes the flattened pixels as an RGBA HALF file. */
static int write_rgba(const char *path, exrkit_box2i window, exrkit_box2i display,
                      uint16_t *rgba)
{
    static const char *const names[4] = {"R", "G", "B", "A"};
    exrkit_writer *writer = NULL;
    exrkit_part_desc desc;
    exrkit_channel channel;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    exrkit_status st;
    uint32_t part = 0;
    int c;

    st = exrkit_create(path, NULL, &writer);
    if (st == EXRKIT_OK)
        st = exrkit_part_desc_init(&desc);
    if (st == EXRKIT_OK) {
        desc.compression = EXRKIT_COMPRESSION_ZIP;
        desc.data_window = window;
        desc.display_window = display;
        st = exrkit_add_part(writer, &desc, &part);
    }
    for (c = 0; st == EXRKIT_OK && c < 4; c++) {
        memset(&channel, 0, sizeof channel);
        channel.name = names[c];
        channel.type = EXRKIT_PIXEL_HALF;
        channel.x_sampling = channel.y_sampling = 1;
        st = exrkit_add_channel(writer, part, &channel);
    }
    if (st == EXRKIT_OK)
        st = exrkit_write_header(writer);
    if (st == EXRKIT_OK) {
        fb = rgba_framebuffer(rgba, window, slices);
        st = exrkit_write_image(writer, part, 0, 0, &fb);
    }
    if (st == EXRKIT_OK)
        st = exrkit_finish(writer);
    exrkit_writer_free(writer); /* an unfinished file is discarded */
    return st == EXRKIT_OK ? 0 : fail("cannot write", path);
}

/* Reads `path` back and compares it with `rgba`, `count` halves. */
static int verify(const char *path, exrkit_box2i window, const uint16_t *rgba, size_t count)
{
    exrkit_reader *reader = NULL;
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    exrkit_status st;
    uint16_t *back = (uint16_t *)malloc(count * sizeof *back);
    int same;

    if (back == NULL) {
        fprintf(stderr, "deep2flat: out of memory\n");
        return 1;
    }
    st = exrkit_open(path, NULL, &reader);
    if (st == EXRKIT_OK) {
        fb = rgba_framebuffer(back, window, slices);
        st = exrkit_decode_image(reader, 0, 0, 0, &fb);
    }
    exrkit_close(reader);
    same = st == EXRKIT_OK && memcmp(back, rgba, count * sizeof *back) == 0;
    free(back);
    if (st != EXRKIT_OK)
        return fail("cannot read back", path);
    if (!same) {
        fprintf(stderr, "deep2flat: %s: the pixels read back differ\n", path);
        return 1;
    }
    printf("deep2flat: verified %lu samples\n", (unsigned long)count);
    return 0;
}

int main(int argc, char **argv)
{
    const char *paths[MAX_INPUTS + 1];
    exrkit_deep_image *images[MAX_INPUTS];
    exrkit_box2i window = {0, 0, -1, -1}, display = {0, 0, -1, -1};
    exrkit_slice slices[4];
    exrkit_framebuffer fb;
    exrkit_status st = EXRKIT_OK;
    uint32_t part = 0;
    size_t count = 0, n = 0, i, samples;
    uint16_t *rgba = NULL;
    int check = 0, rc = 1;

    for (i = 1; i < (size_t)argc; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < (size_t)argc) {
            part = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--verify") == 0) {
            check = 1;
        } else if (argv[i][0] == '-' || count == MAX_INPUTS + 1) {
            return usage();
        } else {
            paths[count++] = argv[i];
        }
    }
    if (count < 2)
        return usage();
    count--; /* the last path is the output */

    /* Decode each input's deep part; the image outlives its reader. */
    for (n = 0; n < count; n++) {
        exrkit_reader *reader = NULL;
        exrkit_header h;
        exrkit_box2i w;

        st = exrkit_open(paths[n], NULL, &reader);
        if (st == EXRKIT_OK)
            st = exrkit_read_header(reader, part, &h);
        if (st == EXRKIT_OK)
            st = exrkit_decode_deep_image(reader, part, 0, 0, &images[n]);
        exrkit_close(reader);
        if (st != EXRKIT_OK) {
            fail("cannot decode the deep part", paths[n]);
            goto done;
        }
        exrkit_deep_window(images[n], &w);
        if (n == 0) {
            window = w;
            display = h.display_window;
        }
        window.min_x = w.min_x < window.min_x ? w.min_x : window.min_x;
        window.min_y = w.min_y < window.min_y ? w.min_y : window.min_y;
        window.max_x = w.max_x > window.max_x ? w.max_x : window.max_x;
        window.max_y = w.max_y > window.max_y ? w.max_y : window.max_y;
    }

    /* Flatten into HALF RGBA over the union of the windows, which
     * flattening writes entirely (pixels without samples become 0). */
    samples = ((size_t)window.max_x - (size_t)window.min_x + 1) *
              ((size_t)window.max_y - (size_t)window.min_y + 1) * 4;
    rgba = (uint16_t *)calloc(samples, sizeof *rgba);
    if (rgba == NULL) {
        fprintf(stderr, "deep2flat: out of memory\n");
        goto done;
    }
    fb = rgba_framebuffer(rgba, window, slices);
    if (count == 1)
        st = exrkit_deep_flatten(images[0], &fb);
    else
        st = exrkit_deep_composite((const exrkit_deep_image *const *)images, count, &fb);
    if (st != EXRKIT_OK) {
        fail("cannot flatten", NULL);
        goto done;
    }

    if (write_rgba(paths[count], window, display, rgba) != 0)
        goto done;
    printf("deep2flat: %s: %d x %d RGBA HALF from %lu deep image%s\n", paths[count],
           window.max_x - window.min_x + 1, window.max_y - window.min_y + 1, (unsigned long)count,
           count == 1 ? "" : "s");
    rc = check ? verify(paths[count], window, rgba, samples) : 0;

done:
    for (i = 0; i < n; i++)
        exrkit_deep_image_free(images[i]);
    free(rgba);
    return rc;
}
