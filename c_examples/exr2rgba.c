/*
 * exr2rgba: decodes one part of an OpenEXR (or QOI) file to RGBA float with
 * exrkit_decode_rgba and writes it as a PFM image.
 *
 *   exr2rgba [-p PART] [-a ALPHA.pfm] INPUT OUTPUT.pfm
 *
 *   -p PART       the part to convert (default 0)
 *   -a ALPHA.pfm  also write the alpha channel, as a greyscale PFM
 *
 * What is written: the part's data window (level 0), whatever its
 * channels: R, G, B and A where the part has them (missing colour is 0,
 * missing alpha 1), grey for a luminance-only part. PFM's colour format
 * ("PF") holds RGB only, so alpha is dropped from OUTPUT; -a writes it to a
 * separate "Pf" file. Samples are 32-bit floats in the machine's byte order
 * (the PFM scale's sign says which).
 *
 * PFM stores rows bottom to top. Rather than flipping after the decode, the
 * decode itself writes the rows upside down: exrkit_decode_rgba takes a row
 * stride in bytes that may be negative, so the first (top) row goes at the
 * end of the buffer and each next row one row further towards its start.
 *
 * Exits with 1 on any error, after a message naming what failed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"

static int usage(void)
{
    fprintf(stderr, "usage: exr2rgba [-p PART] [-a ALPHA.pfm] INPUT OUTPUT.pfm\n");
    return 2;
}

/* Reports a failed exrkit call: what was attempted, the status and the
 * library's detailed message. Returns 1, the program's exit code. */
static int fail(const char *what, exrkit_status st)
{
    fprintf(stderr, "exr2rgba: %s: %s (%s)\n", what, exrkit_last_error_message(),
            exrkit_status_string(st));
    return 1;
}

static int little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* Writes a PFM: `channels` is 3 ("PF", RGB) or 1 ("Pf", grey), taken from
 * the first `channels` floats of each RGBA pixel of `rgba`, whose rows are
 * already in PFM order (bottom to top), `width` pixels each. */
static int write_pfm(const char *path, const float *rgba, size_t width, size_t height,
                     int channels)
{
    FILE *f = fopen(path, "wb");
    float *row;
    size_t x, y;
    int c, ok;

    if (f == NULL) {
        perror(path);
        return 1;
    }
    row = (float *)malloc(width * (size_t)channels * sizeof *row);
    ok = row != NULL;
    /* A negative scale means little-endian samples. */
    if (ok)
        ok = fprintf(f, "%s\n%lu %lu\n%s\n", channels == 3 ? "PF" : "Pf", (unsigned long)width,
                     (unsigned long)height,
                     little_endian() ? "-1.0" : "1.0") > 0;
    for (y = 0; ok && y < height; y++) {
        const float *src = rgba + y * width * 4;
        for (x = 0; x < width; x++)
            for (c = 0; c < channels; c++)
                row[x * (size_t)channels + (size_t)c] = src[x * 4 + (size_t)(channels == 3 ? c : 3)];
        ok = fwrite(row, sizeof *row * (size_t)channels, width, f) == width;
    }
    free(row);
    if (fclose(f) != 0)
        ok = 0;
    if (!ok) {
        fprintf(stderr, "exr2rgba: cannot write %s\n", path);
        remove(path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *input = NULL, *output = NULL, *alpha = NULL;
    unsigned long part = 0;
    exrkit_reader *reader = NULL;
    exrkit_header h;
    exrkit_status st;
    float *rgba, *top;
    ptrdiff_t row_stride;
    size_t width, height, pixels;
    char what[64];
    int i, rc;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
            char *end;
            const char *text = argv[++i];
            part = strtoul(text, &end, 10);
            if (end == text || *end != '\0' || part > UINT32_MAX)
                return usage();
        } else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc) {
            alpha = argv[++i];
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
    if (input == NULL || output == NULL)
        return usage();

    st = exrkit_open(input, NULL, &reader);
    if (st != EXRKIT_OK)
        return fail("cannot open the input", st);
    st = exrkit_read_header(reader, (uint32_t)part, &h);
    if (st != EXRKIT_OK) {
        exrkit_close(reader);
        return fail("cannot read the part's header", st);
    }

    /* The data window is inclusive; the reader has checked that it is not
     * empty and holds at most max_image_pixels (2^31 by default) pixels.
     * Widths are computed in 64 bits: a window may span more than INT32_MAX. */
    width = (size_t)((int64_t)h.data_window.max_x - h.data_window.min_x + 1);
    height = (size_t)((int64_t)h.data_window.max_y - h.data_window.min_y + 1);
    pixels = width * height;
    if (pixels / height != width || pixels > SIZE_MAX / (4 * sizeof(float)) ||
        (rgba = (float *)malloc(pixels * 4 * sizeof(float))) == NULL) {
        fprintf(stderr, "exr2rgba: no memory for %lu x %lu RGBA float pixels\n",
                (unsigned long)width, (unsigned long)height);
        exrkit_close(reader);
        return 1;
    }

    /* Top row at the end of the buffer, rows going backwards: the buffer
     * then holds the rows bottom to top, as PFM wants them. */
    row_stride = -(ptrdiff_t)((size_t)width * 4 * sizeof(float));
    top = rgba + (height - 1) * width * 4;
    st = exrkit_decode_rgba(reader, (uint32_t)part, h.data_window, top, row_stride);
    exrkit_close(reader);
    if (st != EXRKIT_OK) {
        free(rgba);
        snprintf(what, sizeof what, "cannot decode part %lu", part);
        return fail(what, st);
    }

    rc = write_pfm(output, rgba, width, height, 3);
    if (rc == 0 && alpha != NULL)
        rc = write_pfm(alpha, rgba, width, height, 1);
    free(rgba);
    if (rc == 0)
        printf("exr2rgba: %s part %lu: %lu x %lu pixels (data window (%d %d) - (%d %d)) -> %s%s%s\n",
               input, part, (unsigned long)width, (unsigned long)height, h.data_window.min_x,
               h.data_window.min_y,
               h.data_window.max_x, h.data_window.max_y, output, alpha ? " + alpha " : "",
               alpha ? alpha : "");
    return rc;
}
