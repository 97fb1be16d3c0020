// exrkit.h from C++11: included twice (include guard), compiled with
// -std=c++11 -pedantic -Wall -Wextra -Werror, linked and run against the
// shared library. Linking proves the declarations are extern "C".
#include "exrkit.h"
#include "exrkit.h"

#include <cstdio>
#include <cstring>

int main() {
    const uint32_t version = exrkit_version();
    const char *text = exrkit_version_string();
    const exrkit_status ok = EXRKIT_OK;
    const char *ok_text = exrkit_status_string(ok);

    if (version == 0 || text == nullptr || text[0] == '\0' || ok_text == nullptr ||
        std::strlen(ok_text) == 0) {
        std::fprintf(stderr, "header_cpp: bad version or status text\n");
        return 1;
    }
    static_assert(sizeof(exrkit_status) == 4, "exrkit_status is a uint32_t");
    if (version != ((static_cast<uint32_t>(EXRKIT_VERSION_MAJOR) << 16) |
                    (static_cast<uint32_t>(EXRKIT_VERSION_MINOR) << 8) |
                    static_cast<uint32_t>(EXRKIT_VERSION_PATCH))) {
        std::fprintf(stderr, "header_cpp: header and library versions differ\n");
        return 1;
    }
    std::printf("exrkit %s (0x%06lx), status 0: %s\n", text, static_cast<unsigned long>(version), ok_text);
    return 0;
}
