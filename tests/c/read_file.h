/*
 * read_file for the C tests that load whole files: not part of exrkit's API.
 */
#ifndef EXRKIT_TESTS_READ_FILE_H
#define EXRKIT_TESTS_READ_FILE_H

#include <stdio.h>
#include <stdlib.h>

/* The bytes of the file at `path` in a new malloc'd buffer and their count in
 * `*size`; NULL if the file cannot be read or is empty. */
static inline void *read_file(const char *path, size_t *size)
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

#endif
