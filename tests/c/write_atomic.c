/*
 * A writer replaces its target only when it finishes: the target keeps its
 * old bytes while the file is being written, after a writer is freed
 * unfinished (with or without pixels written, and after a failed finish),
 * and no temporary file is left in the folder; a finished writer replaces
 * the target with the complete file and leaves nothing else behind.
 *
 * Works in a folder "atomic" of the test's scratch directory (the current
 * directory under CTest), emptied first.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "exrkit.h"

#define FOLDER "atomic"
#define TARGET FOLDER "/target.exr"
#define WIDTH 40
#define HEIGHT 30

static const char known[] = "not an EXR file: the bytes that were there before\n";
static int failures = 0;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "FAIL: %s\n", what);
        failures++;
    }
}

static int call(exrkit_status st, const char *what)
{
    if (st != EXRKIT_OK) {
        fprintf(stderr, "FAIL: %s: %s (%s)\n", what, exrkit_last_error_message(),
                exrkit_status_string(st));
        failures++;
    }
    return st == EXRKIT_OK;
}

/* Removes every entry of FOLDER (creating it if need be). */
static void empty_folder(void)
{
    DIR *d;
    const struct dirent *e;
    char path[512];
    mkdir(FOLDER, 0777);
    d = opendir(FOLDER);
    if (d == NULL) {
        perror(FOLDER);
        exit(1);
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", FOLDER, e->d_name);
        remove(path);
    }
    closedir(d);
}

/* How many entries FOLDER holds besides target.exr; prints them. */
static int others_in_folder(void)
{
    DIR *d = opendir(FOLDER);
    const struct dirent *e;
    int count = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, "target.exr") == 0)
            continue;
        fprintf(stderr, "  left in %s: %s\n", FOLDER, e->d_name);
        count++;
    }
    closedir(d);
    return count;
}

/* Whether TARGET holds exactly `known`. */
static int target_is_known(void)
{
    char buffer[sizeof known + 16];
    size_t n;
    FILE *f = fopen(TARGET, "rb");
    if (f == NULL)
        return 0;
    n = fread(buffer, 1, sizeof buffer, f);
    fclose(f);
    return n == sizeof known - 1 && memcmp(buffer, known, n) == 0;
}

static void write_known(void)
{
    FILE *f = fopen(TARGET, "wb");
    if (f == NULL || fwrite(known, 1, sizeof known - 1, f) != sizeof known - 1 || fclose(f) != 0) {
        perror(TARGET);
        exit(1);
    }
}

static float pixels[HEIGHT][WIDTH];

static exrkit_framebuffer framebuffer(exrkit_slice *slice)
{
    exrkit_framebuffer fb;
    memset(slice, 0, sizeof *slice);
    slice->channel = "Y";
    slice->type = EXRKIT_PIXEL_FLOAT;
    slice->base = &pixels[0][0];
    slice->x_stride = sizeof(float);
    slice->y_stride = WIDTH * sizeof(float);
    slice->x_sampling = 1;
    slice->y_sampling = 1;
    fb.window.min_x = 0;
    fb.window.min_y = 0;
    fb.window.max_x = WIDTH - 1;
    fb.window.max_y = HEIGHT - 1;
    fb.slices = slice;
    fb.slice_count = 1;
    return fb;
}

/* A writer to TARGET with one FLOAT channel Y, its header written. */
static exrkit_writer *start(void)
{
    exrkit_writer *writer = NULL;
    exrkit_part_desc desc;
    exrkit_channel channel = {"Y", EXRKIT_PIXEL_FLOAT, 1, 1, false};
    uint32_t part = 0;
    if (!call(exrkit_create(TARGET, NULL, &writer), "exrkit_create"))
        return NULL;
    if (call(exrkit_part_desc_init(&desc), "exrkit_part_desc_init")) {
        desc.compression = EXRKIT_COMPRESSION_NONE;
        desc.data_window.max_x = desc.display_window.max_x = WIDTH - 1;
        desc.data_window.max_y = desc.display_window.max_y = HEIGHT - 1;
        if (call(exrkit_add_part(writer, &desc, &part), "exrkit_add_part") &&
            call(exrkit_add_channel(writer, part, &channel), "exrkit_add_channel") &&
            call(exrkit_write_header(writer), "exrkit_write_header"))
            return writer;
    }
    exrkit_writer_free(writer);
    return NULL;
}

int main(void)
{
    exrkit_writer *writer;
    exrkit_reader *reader = NULL;
    exrkit_slice slice;
    exrkit_framebuffer fb;
    exrkit_header h;
    float back[HEIGHT][WIDTH];
    int x, y;

    for (y = 0; y < HEIGHT; y++)
        for (x = 0; x < WIDTH; x++)
            pixels[y][x] = (float)(x + y * WIDTH) * 0.25f;
    empty_folder();
    write_known();

    /* 1. Header written, no pixels, freed. */
    writer = start();
    check(target_is_known(), "the target changed while a writer had only written its header");
    exrkit_writer_free(writer);
    check(target_is_known(), "a writer freed after its header changed the target");
    check(others_in_folder() == 0, "a writer freed after its header left files behind");

    /* 2. Every pixel written, freed without finishing. */
    writer = start();
    fb = framebuffer(&slice);
    if (writer != NULL)
        call(exrkit_write_image(writer, 0, 0, 0, &fb), "exrkit_write_image");
    check(target_is_known(), "the target changed before exrkit_finish");
    exrkit_writer_free(writer);
    check(target_is_known(), "a writer freed before finishing changed the target");
    check(others_in_folder() == 0, "a writer freed before finishing left files behind");

    /* 3. A finish that fails (one chunk missing), then freed. */
    writer = start();
    if (writer != NULL) {
        call(exrkit_write_block(writer, 0, 0, &fb), "exrkit_write_block");
        check(exrkit_finish(writer) == EXRKIT_ERR_BAD_STATE,
              "exrkit_finish with chunks missing did not answer EXRKIT_ERR_BAD_STATE");
    }
    exrkit_writer_free(writer);
    check(target_is_known(), "a failed finish changed the target");
    check(others_in_folder() == 0, "a failed finish left files behind");

    /* 4. A finished writer replaces the target. */
    writer = start();
    if (writer != NULL && call(exrkit_write_image(writer, 0, 0, 0, &fb), "exrkit_write_image"))
        call(exrkit_finish(writer), "exrkit_finish");
    exrkit_writer_free(writer);
    check(!target_is_known(), "a finished writer did not replace the target");
    check(others_in_folder() == 0, "a finished writer left files behind");
    if (call(exrkit_open(TARGET, NULL, &reader), "exrkit_open of the replaced target")) {
        memset(back, 0, sizeof back);
        slice.base = &back[0][0];
        if (call(exrkit_read_header(reader, 0, &h), "exrkit_read_header") &&
            call(exrkit_decode_image(reader, 0, 0, 0, &fb), "exrkit_decode_image"))
            check(memcmp(back, pixels, sizeof back) == 0,
                  "the replaced target holds other pixels");
        exrkit_close(reader);
    }

    if (failures == 0)
        printf("write_atomic: the target changes only when a writer finishes; no files left "
               "behind\n");
    return failures ? 1 : 0;
}
