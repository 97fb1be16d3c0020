/* exrkit.h on its own in strict C99: included twice (include guard),
 * compiled with -std=c99 -pedantic -Wall -Wextra -Wstrict-prototypes -Werror,
 * linked and run against the shared library. */
#include "exrkit.h"
#include "exrkit.h"

#include <stdio.h>
#include <string.h>

int main(void) {
    uint32_t version = exrkit_version();
    const char *text = exrkit_version_string();
    exrkit_status ok = EXRKIT_OK;
    const char *ok_text = exrkit_status_string(ok);

    if (version == 0 || text == NULL || text[0] == '\0' || ok_text == NULL) {
        fprintf(stderr, "header_c99: bad version or status text\n");
        return 1;
    }
#if defined(EXRKIT_VERSION_MAJOR) && defined(EXRKIT_VERSION_MINOR) && defined(EXRKIT_VERSION_PATCH)
    if (version != (((uint32_t)EXRKIT_VERSION_MAJOR << 16) | ((uint32_t)EXRKIT_VERSION_MINOR << 8) |
                    (uint32_t)EXRKIT_VERSION_PATCH)) {
        fprintf(stderr, "header_c99: header says %d.%d.%d, library says 0x%06lx\n",
                (int)EXRKIT_VERSION_MAJOR, (int)EXRKIT_VERSION_MINOR, (int)EXRKIT_VERSION_PATCH,
                (unsigned long)version);
        return 1;
    }
#else
#error "exrkit.h must define EXRKIT_VERSION_MAJOR, EXRKIT_VERSION_MINOR and EXRKIT_VERSION_PATCH"
#endif
    printf("exrkit %s (0x%06lx), status 0: %s\n", text, (unsigned long)version, ok_text);
    return strlen(ok_text) > 0 ? 0 : 1;
}
