/*
 * Opens every file in a directory three ways (path, memory, stream) and,
 * where the header parses, reads every header, channel, attribute, chunk
 * info and chunk. Every call must return a status; nothing may crash, leak or
 * touch memory it does not own (run under valgrind by CTest).
 *
 *   damaged_files DIRECTORY
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exrkit.h"

typedef struct {
    const unsigned char *data;
    size_t size;
} memory_stream;

static int64_t stream_read_at(void *user, uint64_t offset, void *buffer, size_t size)
{
    const memory_stream *m = (const memory_stream *)user;
    if (offset >= m->size)
        return 0;
    if (size > m->size - offset)
        size = (size_t)(m->size - offset);
    memcpy(buffer, m->data + offset, size);
    return (int64_t)size;
}

static int64_t stream_size(void *user)
{
    return (int64_t)((const memory_stream *)user)->size;
}

/* Walks everything a reader offers; returns how many calls failed. */
static unsigned walk(exrkit_reader *reader)
{
    uint32_t parts = 0, p, i;
    unsigned failed = 0;
    if (exrkit_part_count(reader, &parts) != EXRKIT_OK)
        return 1;
    for (p = 0; p < parts; p++) {
        exrkit_header h;
        uint64_t c;
        if (exrkit_read_header(reader, p, &h) != EXRKIT_OK) {
            failed++;
            continue;
        }
        for (i = 0; i < h.channel_count; i++) {
            exrkit_channel ch;
            failed += exrkit_get_channel(reader, p, i, &ch) != EXRKIT_OK;
        }
        for (i = 0; i < h.attribute_count; i++) {
            exrkit_attribute a;
            if (exrkit_get_attribute(reader, p, i, &a) != EXRKIT_OK) {
                failed++;
                continue;
            }
            /* Touch every byte the attribute claims, so valgrind sees bad pointers. */
            if (a.size > 0 && ((const unsigned char *)a.data)[a.size - 1] == 0xff && a.name[0] == 0)
                failed++;
        }
        for (c = 0; c < h.chunk_count; c++) {
            exrkit_chunk_info info;
            unsigned char *buf;
            size_t got = 0;
            if (exrkit_get_chunk_info(reader, p, c, &info) != EXRKIT_OK) {
                failed++;
                continue;
            }
            buf = (unsigned char *)malloc(info.read_size ? (size_t)info.read_size : 1);
            if (buf == NULL)
                return failed + 1;
            if (exrkit_read_chunk(reader, p, c, buf, (size_t)info.read_size, &got) != EXRKIT_OK ||
                got != info.read_size)
                failed++;
            free(buf);
        }
    }
    return failed;
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long n;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = (unsigned char *)malloc(n > 0 ? (size_t)n : 1);
    if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return data;
}

int main(int argc, char **argv)
{
    DIR *dir;
    struct dirent *entry;
    unsigned files = 0, opened = 0, rejected = 0, call_failures = 0;
    char path[4096];

    if (argc < 2) {
        fprintf(stderr, "usage: damaged_files DIRECTORY\n");
        return 2;
    }
    dir = opendir(argv[1]);
    if (dir == NULL) {
        fprintf(stderr, "cannot open directory %s\n", argv[1]);
        return 1;
    }
    while ((entry = readdir(dir)) != NULL) {
        exrkit_reader *reader = NULL;
        exrkit_status st;
        memory_stream mem;
        exrkit_input_stream stream;
        unsigned char *data;
        if (entry->d_name[0] == '.' || strstr(entry->d_name, ".rst") != NULL)
            continue;
        snprintf(path, sizeof path, "%s/%s", argv[1], entry->d_name);
        files++;

        st = exrkit_open(path, NULL, &reader);
        if (st == EXRKIT_OK) {
            opened++;
            call_failures += walk(reader);
            exrkit_close(reader);
        } else {
            rejected++;
            if (exrkit_last_error_message()[0] == '\0') {
                fprintf(stderr, "FAIL %s: status %u without a message\n", path, st);
                closedir(dir);
                return 1;
            }
        }

        data = slurp(path, &mem.size);
        if (data == NULL)
            continue;
        mem.data = data;
        reader = NULL;
        if (exrkit_open_memory(data, mem.size, NULL, &reader) == EXRKIT_OK) {
            walk(reader);
            exrkit_close(reader);
        }
        memset(&stream, 0, sizeof stream);
        stream.struct_size = sizeof stream;
        stream.user = &mem;
        stream.read_at = stream_read_at;
        stream.size = stream_size;
        reader = NULL;
        if (exrkit_open_stream(&stream, NULL, &reader) == EXRKIT_OK) {
            walk(reader);
            exrkit_close(reader);
        }
        free(data);
    }
    closedir(dir);
    printf("damaged_files: %u files, %u rejected at open, %u opened, %u calls on them failed cleanly\n",
           files, rejected, opened, call_failures);
    return files > 0 ? 0 : 1;
}
