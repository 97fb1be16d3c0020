/*
 * Decodes every damaged file in a directory every way the C API offers:
 * opened with the default options and with EXRKIT_READ_STRICT, then for
 * every part exrkit_decode_image of level 0 (a slice per channel, at the
 * channel's own type and sampling, into buffers sized from the header),
 * exrkit_decode_rgba of the data window, and exrkit_decode_block of every
 * chunk. Each call must return a status (any status: these files are
 * damaged), with a message when it fails; nothing may crash, leak, or
 * touch or produce memory it should not (CTest runs this under valgrind).
 * After each decode the buffers are folded into a checksum that decides a
 * branch, so valgrind also reports decoded samples the library left
 * uninitialised.
 *
 *   damaged_decode DIRECTORY
 *
 * Parts whose data window exceeds MAX_PIXELS, or whose buffers would exceed
 * MAX_BYTES, are not decoded whole (only chunk by chunk, into a one-pixel
 * frame buffer); they are listed. At most MAX_CHUNKS chunks per part are
 * decoded one by one.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"

#define MAX_PIXELS ((int64_t)16 << 20)
#define MAX_BYTES ((uint64_t)64 << 20)
#define MAX_CHUNKS 4096u

/* Which call, for the tallies. */
enum { CALL_OPEN, CALL_HEADER, CALL_IMAGE, CALL_RGBA, CALL_BLOCK, CALL_KINDS };
static const char *const call_names[CALL_KINDS] = {"open", "read_header", "decode_image",
                                                   "decode_rgba", "decode_block"};

#define STATUS_KINDS 14 /* EXRKIT_OK .. EXRKIT_ERR_INTERNAL */
static unsigned long tally[CALL_KINDS][STATUS_KINDS];
static unsigned failures = 0;
static unsigned long checksum_odd = 0;

/* Counts a call's status; a status out of range, or a failure without a
 * message, is a test failure. */
static void record(int call, exrkit_status st, const char *file, uint32_t part)
{
    if (st >= STATUS_KINDS) {
        fprintf(stderr, "FAIL %s part %u: %s returned unknown status %u\n", file, part,
                call_names[call], st);
        failures++;
        return;
    }
    tally[call][st]++;
    if (st != EXRKIT_OK && exrkit_last_error_message()[0] == '\0') {
        fprintf(stderr, "FAIL %s part %u: %s returned %s without a message\n", file, part,
                call_names[call], exrkit_status_string(st));
        failures++;
    }
    if (st == EXRKIT_ERR_INTERNAL) {
        /* A caught panic: a bug worth a line in the log, not a crash. */
        fprintf(stderr, "note %s part %u: %s: %s\n", file, part, call_names[call],
                exrkit_last_error_message());
    }
}

/* Reads every byte, so that valgrind flags any the library left undefined
 * (the branch on the sum is where it looks). */
static void fold(const unsigned char *p, size_t n)
{
    unsigned long sum = 0;
    size_t i;
    for (i = 0; i < n; i++)
        sum = sum * 31u + p[i];
    if (sum & 1u)
        checksum_odd++;
}

static size_t type_size(exrkit_pixel_type t)
{
    return t == EXRKIT_PIXEL_HALF ? 2 : t == EXRKIT_PIXEL_U8 ? 1 : 4;
}

/* Number of multiples of s in [lo, hi]. */
static int64_t sampled(int32_t lo, int32_t hi, int32_t s)
{
    int64_t l = (int64_t)lo - 1, h = hi;
    int64_t fl = l >= 0 ? l / s : -((-l + s - 1) / s);
    int64_t fh = h >= 0 ? h / s : -((-h + s - 1) / s);
    return fh - fl;
}

/* One part's frame buffer over the data window, one slice per channel. */
typedef struct {
    exrkit_framebuffer fb;
    exrkit_slice *slices;
    unsigned char **planes;
    size_t *bytes;
    uint32_t count;
} frame;

static void frame_free(frame *f)
{
    uint32_t i;
    for (i = 0; f->planes != NULL && i < f->count; i++)
        free(f->planes[i]);
    free(f->planes);
    free(f->slices);
    free(f->bytes);
    memset(f, 0, sizeof *f);
}

/* Builds the frame buffer; 0 on success, 1 if the part is too large (or a
 * channel cannot be described) and `why` says so. */
static int frame_init(frame *f, const exrkit_reader *r, uint32_t part, const exrkit_header *h,
                      char *why, size_t why_size)
{
    const int64_t w = (int64_t)h->data_window.max_x - h->data_window.min_x + 1;
    const int64_t hh = (int64_t)h->data_window.max_y - h->data_window.min_y + 1;
    uint64_t total = 0;
    uint32_t i;

    memset(f, 0, sizeof *f);
    if (w <= 0 || hh <= 0 || w * hh > MAX_PIXELS) {
        snprintf(why, why_size, "data window of %lld x %lld pixels", (long long)w, (long long)hh);
        return 1;
    }
    f->slices = (exrkit_slice *)calloc(h->channel_count + 1, sizeof *f->slices);
    f->planes = (unsigned char **)calloc(h->channel_count + 1, sizeof *f->planes);
    f->bytes = (size_t *)calloc(h->channel_count + 1, sizeof *f->bytes);
    if (f->slices == NULL || f->planes == NULL || f->bytes == NULL) {
        snprintf(why, why_size, "%u channels: out of memory", h->channel_count);
        frame_free(f);
        return 1;
    }
    f->count = h->channel_count;
    for (i = 0; i < h->channel_count; i++) {
        exrkit_channel c;
        exrkit_slice *s = &f->slices[i];
        int compact;
        int64_t columns, rows;
        exrkit_status st = exrkit_get_channel(r, part, i, &c);
        if (st != EXRKIT_OK) {
            snprintf(why, why_size, "channel %u: %s", i, exrkit_last_error_message());
            frame_free(f);
            return 1;
        }
        /* Compact at the channel's own sampling when it is sane, else
         * replicated (1x1), which every channel accepts. */
        compact = c.x_sampling >= 1 && c.y_sampling >= 1;
        s->x_sampling = compact ? c.x_sampling : 1;
        s->y_sampling = compact ? c.y_sampling : 1;
        columns = sampled(h->data_window.min_x, h->data_window.max_x, s->x_sampling);
        rows = sampled(h->data_window.min_y, h->data_window.max_y, s->y_sampling);
        s->type = c.type <= EXRKIT_PIXEL_FLOAT ? c.type : EXRKIT_PIXEL_FLOAT;
        f->bytes[i] = (size_t)columns * (size_t)rows * type_size(s->type);
        total += f->bytes[i];
        if (total > MAX_BYTES) {
            snprintf(why, why_size, "%u channels over %lld x %lld pixels", h->channel_count,
                     (long long)w, (long long)hh);
            frame_free(f);
            return 1;
        }
        f->planes[i] = (unsigned char *)calloc(f->bytes[i] ? f->bytes[i] : 1, 1);
        if (f->planes[i] == NULL) {
            snprintf(why, why_size, "out of memory");
            frame_free(f);
            return 1;
        }
        s->channel = c.name;
        s->base = f->planes[i];
        s->x_stride = (ptrdiff_t)type_size(s->type);
        s->y_stride = (ptrdiff_t)((size_t)columns * type_size(s->type));
        s->fill = 0.5;
    }
    f->fb.window = h->data_window;
    f->fb.slices = f->slices;
    f->fb.slice_count = h->channel_count;
    return 0;
}

static void frame_fold(const frame *f)
{
    uint32_t i;
    for (i = 0; i < f->count; i++)
        fold(f->planes[i], f->bytes[i]);
}

static unsigned long big_parts = 0, parts_seen = 0, chunks_capped = 0;

static void decode_part(const exrkit_reader *r, uint32_t part, const char *file)
{
    exrkit_header h;
    frame f;
    char why[256];
    exrkit_status st = exrkit_read_header(r, part, &h);
    uint64_t c, chunks;
    int whole;

    record(CALL_HEADER, st, file, part);
    if (st != EXRKIT_OK)
        return;
    parts_seen++;
    whole = frame_init(&f, r, part, &h, why, sizeof why) == 0;
    if (!whole) {
        printf("not decoded whole: %s part %u: %s\n", file, part, why);
        big_parts++;
    } else {
        st = exrkit_decode_image(r, part, 0, 0, &f.fb);
        record(CALL_IMAGE, st, file, part);
        frame_fold(&f);
    }

    {
        /* RGBA over the data window, in the same size bound. */
        const int64_t w = (int64_t)h.data_window.max_x - h.data_window.min_x + 1;
        const int64_t hh = (int64_t)h.data_window.max_y - h.data_window.min_y + 1;
        if (whole && (uint64_t)(w * hh) * 16u <= MAX_BYTES) {
            float *rgba = (float *)calloc((size_t)(w * hh) * 4, sizeof(float));
            if (rgba != NULL) {
                st = exrkit_decode_rgba(r, part, h.data_window, rgba,
                                        (ptrdiff_t)((size_t)w * 4 * sizeof(float)));
                record(CALL_RGBA, st, file, part);
                fold((const unsigned char *)rgba, (size_t)(w * hh) * 4 * sizeof(float));
                free(rgba);
            }
        } else {
            /* One pixel at the window's corner: still every code path up to
             * the scatter. */
            float one[4] = {0, 0, 0, 0};
            exrkit_box2i corner;
            corner.min_x = corner.max_x = h.data_window.min_x;
            corner.min_y = corner.max_y = h.data_window.min_y;
            st = exrkit_decode_rgba(r, part, corner, one, (ptrdiff_t)sizeof one);
            record(CALL_RGBA, st, file, part);
            fold((const unsigned char *)one, sizeof one);
        }
    }

    /* Every chunk on its own: into the whole frame buffer when there is
     * one (chunks of other levels land inside it too: levels keep the data
     * window's origin and are smaller), else into a one-pixel frame buffer. */
    chunks = h.chunk_count;
    if (chunks > MAX_CHUNKS) {
        chunks_capped++;
        chunks = MAX_CHUNKS;
    }
    for (c = 0; c < chunks; c++) {
        if (whole) {
            st = exrkit_decode_block(r, part, c, &f.fb);
        } else {
            float sample = 0.0f;
            exrkit_slice s;
            exrkit_framebuffer one;
            memset(&s, 0, sizeof s);
            s.channel = "R";
            s.type = EXRKIT_PIXEL_FLOAT;
            s.base = &sample;
            s.x_stride = (ptrdiff_t)sizeof sample;
            s.y_stride = (ptrdiff_t)sizeof sample;
            s.x_sampling = s.y_sampling = 1;
            one.window.min_x = one.window.max_x = h.data_window.min_x;
            one.window.min_y = one.window.max_y = h.data_window.min_y;
            one.slices = &s;
            one.slice_count = 1;
            st = exrkit_decode_block(r, part, c, &one);
            fold((const unsigned char *)&sample, sizeof sample);
        }
        record(CALL_BLOCK, st, file, part);
    }
    if (whole) {
        frame_fold(&f);
        frame_free(&f);
    }
}

static int skip_entry(const struct dirent *e)
{
    const size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && !(n >= 4 && strcmp(e->d_name + n - 4, ".rst") == 0);
}

int main(int argc, char **argv)
{
    struct dirent **entries = NULL;
    int n, i, k;
    unsigned long files = 0, opened = 0;
    char path[4096];

    if (argc != 2) {
        fprintf(stderr, "usage: damaged_decode DIRECTORY\n");
        return 2;
    }
    n = scandir(argv[1], &entries, skip_entry, alphasort);
    if (n < 0) {
        perror(argv[1]);
        return 1;
    }
    for (i = 0; i < n; i++) {
        static const uint32_t flags[2] = {0, EXRKIT_READ_STRICT};
        snprintf(path, sizeof path, "%s/%s", argv[1], entries[i]->d_name);
        files++;
        for (k = 0; k < 2; k++) {
            exrkit_read_options opts;
            exrkit_reader *r = NULL;
            uint32_t parts = 0, p;
            exrkit_status st = exrkit_read_options_init(&opts);
            if (st != EXRKIT_OK) {
                fprintf(stderr, "FAIL exrkit_read_options_init: %s\n", exrkit_status_string(st));
                failures++;
                break;
            }
            opts.flags = flags[k];
            st = exrkit_open(path, &opts, &r);
            record(CALL_OPEN, st, entries[i]->d_name, 0);
            if (st != EXRKIT_OK)
                continue;
            opened++;
            st = exrkit_part_count(r, &parts);
            if (st != EXRKIT_OK) {
                fprintf(stderr, "FAIL %s: exrkit_part_count on an open reader: %s\n", path,
                        exrkit_last_error_message());
                failures++;
            }
            for (p = 0; p < parts; p++)
                decode_part(r, p, entries[i]->d_name);
            exrkit_close(r);
        }
        free(entries[i]);
    }
    free(entries);

    printf("damaged_decode: %lu files, %lu opens succeeded of %lu (default and strict), "
           "%lu parts, %lu not decoded whole (too large), %lu with chunks capped at %u\n",
           files, opened, files * 2, parts_seen, big_parts, chunks_capped, MAX_CHUNKS);
    for (k = 0; k < CALL_KINDS; k++) {
        int s;
        printf("  %-12s", call_names[k]);
        for (s = 0; s < STATUS_KINDS; s++)
            if (tally[k][s] != 0)
                printf(" %s: %lu;", exrkit_status_string((exrkit_status)s), tally[k][s]);
        printf("\n");
    }
    printf("  (%lu decoded buffers had an odd checksum)\n", checksum_odd);
    return failures == 0 && files > 0 ? 0 : 1;
}
