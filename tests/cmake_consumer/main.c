/* A downstream C program: prints the library version and checks it.
 * Built by run_consumer_test.cmake via find_package (shared and static) and
 * via pkg-config. EXPECTED_VERSION / EXPECTED_VERSION_STRING are optional. */
#include <exrkit.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    const uint32_t version = exrkit_version();
    const char *text = exrkit_version_string();

    printf("exrkit_version_string() = \"%s\", exrkit_version() = %lu\n", text ? text : "(null)",
           (unsigned long)version);
    if (version == 0 || text == NULL || text[0] == '\0') {
        fprintf(stderr, "consumer: exrkit_version() is 0 or the version string is empty\n");
        return 1;
    }
#ifdef EXPECTED_VERSION
    if (version != (uint32_t)(EXPECTED_VERSION)) {
        fprintf(stderr, "consumer: expected exrkit_version() == %lu\n", (unsigned long)(EXPECTED_VERSION));
        return 1;
    }
#endif
#ifdef EXPECTED_VERSION_STRING
    if (strstr(text, EXPECTED_VERSION_STRING) == NULL) {
        fprintf(stderr, "consumer: version string lacks \"%s\"\n", EXPECTED_VERSION_STRING);
        return 1;
    }
#endif
    return 0;
}
