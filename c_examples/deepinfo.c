/*
 * deepinfo: how the samples of every deep part of OpenEXR files are spread
 * over their pixels.
 *
 *   deepinfo FILE...
 *
 * For each part: its name, layout, window and channels; for deep parts
 * also the total number of samples, the most samples any pixel holds and
 * the number of pixels without samples (level 0 of tiled parts).
 *
 * exrkit_decode_deep_image decodes a whole deep part into one
 * exrkit_deep_image: per-pixel offsets (pixel i, row-major over the
 * image's window, owns samples offsets[i] to offsets[i + 1]) and one flat
 * array of samples per channel. This program only looks at the offsets.
 *
 * Exits with 1 if a file cannot be read, after a message naming it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "exrkit.h"

static const char *storage_name(exrkit_storage storage)
{
    switch (storage) {
    case EXRKIT_STORAGE_SCANLINE:
        return "flat scanline";
    case EXRKIT_STORAGE_TILED:
        return "flat tiled";
    case EXRKIT_STORAGE_DEEP_SCANLINE:
        return "deep scanline";
    default:
        return "deep tiled";
    }
}

/* Prints the sample statistics of deep part `part`. Returns 0, or 1 after a
 * message. */
static int describe_samples(const exrkit_reader *reader, uint32_t part)
{
    exrkit_deep_image *image = NULL;
    const uint64_t *offsets = NULL;
    size_t count = 0, i, empty = 0;
    uint64_t most = 0;
    exrkit_status st;

    st = exrkit_decode_deep_image(reader, part, 0, 0, &image);
    if (st == EXRKIT_OK)
        st = exrkit_deep_offsets(image, &offsets, &count);
    if (st != EXRKIT_OK) {
        fprintf(stderr, "deepinfo: part %u: %s (%s)\n", part, exrkit_last_error_message(),
                exrkit_status_string(st));
        exrkit_deep_image_free(image);
        return 1;
    }
    /* count = pixels + 1; pixel i holds offsets[i + 1] - offsets[i] samples. */
    for (i = 0; i + 1 < count; i++) {
        uint64_t n = offsets[i + 1] - offsets[i];
        if (n > most)
            most = n;
        if (n == 0)
            empty++;
    }
    printf("  %" PRIu64 " samples, at most %" PRIu64 " per pixel, %lu of %lu pixels empty (%.1f%%)\n",
           offsets[count - 1], most, (unsigned long)empty, (unsigned long)(count - 1),
           count > 1 ? 100.0 * (double)empty / (double)(count - 1) : 0.0);
    exrkit_deep_image_free(image);
    return 0;
}

static int describe_file(const char *path)
{
    exrkit_reader *reader = NULL;
    exrkit_header h;
    exrkit_channel channel;
    uint32_t parts = 0, p, c;
    exrkit_status st;
    int rc = 0;

    st = exrkit_open(path, NULL, &reader);
    if (st == EXRKIT_OK)
        st = exrkit_part_count(reader, &parts);
    if (st != EXRKIT_OK) {
        fprintf(stderr, "deepinfo: %s: %s (%s)\n", path, exrkit_last_error_message(),
                exrkit_status_string(st));
        exrkit_close(reader);
        return 1;
    }
    printf("%s:\n", path);
    for (p = 0; p < parts && rc == 0; p++) {
        if (exrkit_read_header(reader, p, &h) != EXRKIT_OK) {
            fprintf(stderr, "deepinfo: %s: %s\n", path, exrkit_last_error_message());
            rc = 1;
            break;
        }
        printf("part %u", p);
        if (h.name != NULL)
            printf(" '%s'", h.name);
        printf(": %s, %d x %d at (%d, %d), channels", storage_name(h.storage), h.data_window.max_x - h.data_window.min_x + 1,
               h.data_window.max_y - h.data_window.min_y + 1, h.data_window.min_x,
               h.data_window.min_y);
        for (c = 0; c < h.channel_count; c++)
            if (exrkit_get_channel(reader, p, c, &channel) == EXRKIT_OK)
                printf(" %s", channel.name);
        printf("\n");
        if (h.storage == EXRKIT_STORAGE_DEEP_SCANLINE || h.storage == EXRKIT_STORAGE_DEEP_TILED)
            rc = describe_samples(reader, p);
    }
    exrkit_close(reader);
    return rc;
}

int main(int argc, char **argv)
{
    int i, rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: deepinfo FILE...\n");
        return 2;
    }
    for (i = 1; i < argc; i++)
        rc |= describe_file(argv[i]);
    return rc;
}
