/*
 * Every exported function, called with NULL pointers and out-of-range
 * values, must return EXRKIT_ERR_INVALID_ARGUMENT with a message, and leave
 * its output parameters untouched.
 *
 *   null_args FILE.exr    (any valid tiled or scanline file)
 */
#include <stdio.h>
#include <string.h>

#include "exrkit.h"

static int failures = 0;

static void expect_invalid(exrkit_status st, const char *call)
{
    const char *msg = exrkit_last_error_message();
    if (st != EXRKIT_ERR_INVALID_ARGUMENT) {
        fprintf(stderr, "FAIL %s: status %u (%s), expected INVALID_ARGUMENT\n", call, st,
                exrkit_status_string(st));
        failures++;
    } else if (msg == NULL || msg[0] == '\0') {
        fprintf(stderr, "FAIL %s: no error message\n", call);
        failures++;
    }
}

#define CHECK(call) expect_invalid((call), #call)

static int64_t stream_size(void *user)
{
    (void)user;
    return 0;
}

int main(int argc, char **argv)
{
    exrkit_reader *reader = NULL;
    exrkit_read_options opts;
    exrkit_header header;
    exrkit_channel channel;
    exrkit_attribute attribute;
    exrkit_chunk_info info;
    exrkit_input_stream stream;
    uint32_t count = 77;
    int32_t w = 77, h = 77;
    size_t size = 77;
    unsigned char buf[16];
    const char *path = argc > 1 ? argv[1] : NULL;

    if (path == NULL) {
        fprintf(stderr, "usage: null_args FILE.exr\n");
        return 2;
    }

    /* Static texts never fail and never return NULL. */
    if (exrkit_status_string(9999) == NULL || strcmp(exrkit_status_string(EXRKIT_OK), "success") != 0) {
        fprintf(stderr, "FAIL exrkit_status_string\n");
        failures++;
    }
    if (exrkit_version() != ((EXRKIT_VERSION_MAJOR << 16) | (EXRKIT_VERSION_MINOR << 8) | EXRKIT_VERSION_PATCH)) {
        fprintf(stderr, "FAIL exrkit_version disagrees with the header's macros\n");
        failures++;
    }

    CHECK(exrkit_read_options_init(NULL));
    CHECK(exrkit_open(NULL, NULL, &reader));
    CHECK(exrkit_open(path, NULL, NULL));
    CHECK(exrkit_open_memory(NULL, 10, NULL, &reader));
    CHECK(exrkit_open_memory(buf, sizeof buf, NULL, NULL));
    CHECK(exrkit_open_stream(NULL, NULL, &reader));

    memset(&stream, 0, sizeof stream);
    stream.struct_size = sizeof stream;
    stream.size = stream_size;
    CHECK(exrkit_open_stream(&stream, NULL, &reader)); /* read_at missing */
    stream.struct_size = 3;
    CHECK(exrkit_open_stream(&stream, NULL, &reader)); /* struct_size too small */

    exrkit_read_options_init(&opts);
    opts.flags = 0x80;
    CHECK(exrkit_open(path, &opts, &reader)); /* unknown flag */
    exrkit_read_options_init(&opts);
    opts.struct_size = 1;
    CHECK(exrkit_open(path, &opts, &reader)); /* struct_size too small */
    if (reader != NULL) {
        fprintf(stderr, "FAIL a failed open wrote its output\n");
        failures++;
    }

    if (exrkit_open(path, NULL, &reader) != EXRKIT_OK) {
        fprintf(stderr, "cannot open %s: %s\n", path, exrkit_last_error_message());
        return 1;
    }

    CHECK(exrkit_part_count(NULL, &count));
    CHECK(exrkit_part_count(reader, NULL));
    CHECK(exrkit_read_header(NULL, 0, &header));
    CHECK(exrkit_read_header(reader, 0, NULL));
    CHECK(exrkit_read_header(reader, 1, &header));
    CHECK(exrkit_read_header(reader, 0xffffffffu, &header));
    CHECK(exrkit_get_channel(NULL, 0, 0, &channel));
    CHECK(exrkit_get_channel(reader, 0, 0, NULL));
    CHECK(exrkit_get_channel(reader, 1, 0, &channel));
    CHECK(exrkit_get_channel(reader, 0, 1000, &channel));
    CHECK(exrkit_get_attribute(NULL, 0, 0, &attribute));
    CHECK(exrkit_get_attribute(reader, 0, 0, NULL));
    CHECK(exrkit_get_attribute(reader, 7, 0, &attribute));
    CHECK(exrkit_get_attribute(reader, 0, 1000, &attribute));
    CHECK(exrkit_find_attribute(NULL, 0, "name", &attribute));
    CHECK(exrkit_find_attribute(reader, 0, NULL, &attribute));
    CHECK(exrkit_find_attribute(reader, 0, "dataWindow", NULL));
    CHECK(exrkit_find_attribute(reader, 3, "dataWindow", &attribute));
    CHECK(exrkit_level_size(NULL, 0, 0, 0, &w, &h));
    CHECK(exrkit_level_size(reader, 0, 0, 0, NULL, &h));
    CHECK(exrkit_level_size(reader, 0, 0, 0, &w, NULL));
    CHECK(exrkit_level_size(reader, 0, -1, 0, &w, &h));
    CHECK(exrkit_level_size(reader, 0, 0, 40, &w, &h));
    CHECK(exrkit_level_size(reader, 2, 0, 0, &w, &h));
    CHECK(exrkit_get_chunk_info(NULL, 0, 0, &info));
    CHECK(exrkit_get_chunk_info(reader, 0, 0, NULL));
    CHECK(exrkit_get_chunk_info(reader, 0, 1000000, &info));
    CHECK(exrkit_get_chunk_info(reader, 5, 0, &info));
    CHECK(exrkit_read_chunk(NULL, 0, 0, buf, sizeof buf, &size));
    CHECK(exrkit_read_chunk(reader, 0, 0, NULL, sizeof buf, &size));
    CHECK(exrkit_read_chunk(reader, 0, 0, buf, sizeof buf, NULL));
    CHECK(exrkit_read_chunk(reader, 0, 1000000, buf, sizeof buf, &size));
    CHECK(exrkit_read_chunk(reader, 9, 0, buf, sizeof buf, &size));

    if (count != 77 || w != 77 || h != 77 || size != 77) {
        fprintf(stderr, "FAIL a failed call wrote an output parameter\n");
        failures++;
    }
    if (exrkit_find_attribute(reader, 0, "no such attribute", &attribute) != EXRKIT_ERR_NOT_FOUND) {
        fprintf(stderr, "FAIL missing attribute is not EXRKIT_ERR_NOT_FOUND\n");
        failures++;
    }
    if (exrkit_read_chunk(reader, 0, 0, buf, 1, &size) != EXRKIT_ERR_BUFFER_TOO_SMALL) {
        fprintf(stderr, "FAIL a one-byte buffer is not EXRKIT_ERR_BUFFER_TOO_SMALL\n");
        failures++;
    }

    /* Flattening: NULL images and frame buffers, no images, no alpha. */
    {
        const exrkit_box2i one = {0, 0, 0, 0};
        exrkit_channel za[2] = {{"Z", EXRKIT_PIXEL_FLOAT, 1, 1, false},
                                {"A", EXRKIT_PIXEL_HALF, 1, 1, false}};
        const uint32_t counts[1] = {2};
        exrkit_deep_image *deep = NULL, *no_alpha = NULL;
        float r = 77.0f;
        exrkit_slice slice = {"R", EXRKIT_PIXEL_FLOAT, &r, 4, 4, 1, 1, 0.0};
        exrkit_framebuffer fb = {one, &slice, 1};
        const exrkit_deep_image *images[2];

        if (exrkit_deep_image_create(one, za, 2, counts, &deep) != EXRKIT_OK ||
            exrkit_deep_image_create(one, za, 1, counts, &no_alpha) != EXRKIT_OK) {
            fprintf(stderr, "FAIL exrkit_deep_image_create: %s\n", exrkit_last_error_message());
            return 1;
        }
        images[0] = deep;
        images[1] = NULL;
        CHECK(exrkit_deep_flatten(NULL, &fb));
        CHECK(exrkit_deep_flatten(deep, NULL));
        CHECK(exrkit_deep_flatten(no_alpha, &fb));
        CHECK(exrkit_deep_composite(NULL, 1, &fb));
        CHECK(exrkit_deep_composite(images, 0, &fb));
        CHECK(exrkit_deep_composite(images, 2, &fb));
        CHECK(exrkit_deep_composite(images, 1, NULL));
        slice.x_sampling = 2;
        CHECK(exrkit_deep_flatten(deep, &fb));
        if (r != 77.0f) {
            fprintf(stderr, "FAIL a failed flatten wrote a pixel\n");
            failures++;
        }
        exrkit_deep_image_free(deep);
        exrkit_deep_image_free(no_alpha);
    }

    exrkit_close(reader);
    exrkit_close(NULL);
    printf("null_args: %d failures\n", failures);
    return failures ? 1 : 0;
}
