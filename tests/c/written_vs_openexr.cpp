// Files exrkit writes, read by OpenEXR's C++ library: every *.exr in the
// given folders (the scratch folders of the writing examples, which CTest
// runs first as a fixture) must open in OpenEXR with the same parts
// (names, storage, level counts and sizes, channels) and give, for every
// channel of every level at its own type, exactly the bytes exrkit decodes.
// The examples themselves check that exrkit decodes what they wrote, so
// together the two say OpenEXR reads back the written pixels.
//
//   written_vs_openexr FOLDER...
//
// Unlike levels_vs_openexr nothing is skipped: a file OpenEXR refuses, a
// folder without .exr files or an exrkit decode failure fails the test.
// The one exception is a codec the OpenEXR linked here predates (ZSTD came
// with 3.5; Debian's is 3.1): such files are listed as skipped, and
// tests/python has PyPI OpenEXR 3.5 read the ZSTD files exrkit writes.
#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <OpenEXRConfig.h>

#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputPart.h>
#include <ImfMultiPartInputFile.h>
#include <ImfPartType.h>
#include <ImfTiledInputPart.h>

#include "exrkit.h"

namespace {

int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

size_t type_size(int type)
{
    return type == EXRKIT_PIXEL_HALF ? 2 : 4;
}

// One channel of one level, compact (one entry per sample), decoded by
// both libraries into buffers that start with different bytes.
struct Plane {
    std::string name;
    int type, xs, ys;
    int64_t columns, rows, first_x, first_y;
    std::vector<unsigned char> ours, theirs;

    Plane(const exrkit_channel &c, const Imath::Box2i &w)
        : name(c.name), type(int(c.type)), xs(c.x_sampling), ys(c.y_sampling),
          columns(floor_div(w.max.x, xs) - floor_div(int64_t(w.min.x) - 1, xs)),
          rows(floor_div(w.max.y, ys) - floor_div(int64_t(w.min.y) - 1, ys)),
          first_x(floor_div(int64_t(w.min.x) - 1, xs) + 1),
          first_y(floor_div(int64_t(w.min.y) - 1, ys) + 1),
          ours(size_t(columns * rows) * type_size(type), 0x55),
          theirs(size_t(columns * rows) * type_size(type), 0xaa)
    {
    }

    size_t x_stride() const { return type_size(type); }
    size_t y_stride() const { return x_stride() * size_t(columns); }

    Imf::Slice openexr_slice()
    {
        char *base = reinterpret_cast<char *>(theirs.data()) - first_x * int64_t(x_stride()) -
                     first_y * int64_t(y_stride());
        return Imf::Slice(Imf::PixelType(type), base, x_stride(), y_stride(), xs, ys, 0.0);
    }

    exrkit_slice exrkit()
    {
        exrkit_slice s;
        std::memset(&s, 0, sizeof s);
        s.channel = name.c_str();
        s.type = exrkit_pixel_type(type);
        s.base = ours.data();
        s.x_stride = ptrdiff_t(x_stride());
        s.y_stride = ptrdiff_t(y_stride());
        s.x_sampling = xs;
        s.y_sampling = ys;
        return s;
    }
};

// Compares one level; `read` makes OpenEXR fill a frame buffer. Returns
// the number of failures (reported).
template <typename Read>
unsigned compare_level(const std::string &path, exrkit_reader *reader, uint32_t part,
                       const exrkit_header &h, const Imf::ChannelList &list,
                       const Imath::Box2i &window, int lx, int ly, Read read, unsigned &samples)
{
    std::vector<Plane> planes;
    for (uint32_t i = 0; i < h.channel_count; i++) {
        exrkit_channel c;
        if (exrkit_get_channel(reader, part, i, &c) != EXRKIT_OK) {
            std::printf("FAIL %s part %u: exrkit_get_channel: %s\n", path.c_str(), part,
                        exrkit_last_error_message());
            return 1;
        }
        const Imf::Channel *theirs = list.findChannel(c.name);
        if (theirs == nullptr || int(theirs->type) != int(c.type) ||
            theirs->xSampling != c.x_sampling || theirs->ySampling != c.y_sampling) {
            std::printf("FAIL %s part %u: channel %s is not OpenEXR's\n", path.c_str(), part,
                        c.name);
            return 1;
        }
        planes.emplace_back(c, window);
    }
    size_t their_count = 0;
    for (Imf::ChannelList::ConstIterator it = list.begin(); it != list.end(); ++it)
        their_count++;
    if (their_count != planes.size()) {
        std::printf("FAIL %s part %u: OpenEXR lists other channels\n", path.c_str(), part);
        return 1;
    }
    Imf::FrameBuffer fb;
    std::vector<exrkit_slice> slices;
    for (Plane &p : planes) {
        fb.insert(p.name.c_str(), p.openexr_slice());
        slices.push_back(p.exrkit());
    }
    read(fb);
    exrkit_framebuffer efb;
    efb.window.min_x = window.min.x;
    efb.window.min_y = window.min.y;
    efb.window.max_x = window.max.x;
    efb.window.max_y = window.max.y;
    efb.slices = slices.data();
    efb.slice_count = slices.size();
    const exrkit_status st = exrkit_decode_image(reader, part, lx, ly, &efb);
    if (st != EXRKIT_OK) {
        std::printf("FAIL %s part %u level (%d, %d): exrkit_decode_image: %s (%s)\n",
                    path.c_str(), part, lx, ly, exrkit_status_string(st),
                    exrkit_last_error_message());
        return 1;
    }
    unsigned failures = 0;
    for (const Plane &p : planes) {
        if (p.ours != p.theirs) {
            std::printf("FAIL %s part %u level (%d, %d) channel %s: OpenEXR reads other samples\n",
                        path.c_str(), part, lx, ly, p.name.c_str());
            failures++;
        }
        samples += unsigned(p.ours.size() / type_size(p.type));
    }
    return failures;
}

// Whether a part of `path` is compressed with a codec newer than the
// OpenEXR this test links (ZSTD before 3.5).
bool newer_codec(const std::string &path)
{
    if (OPENEXR_VERSION_MAJOR > 3 || (OPENEXR_VERSION_MAJOR == 3 && OPENEXR_VERSION_MINOR >= 5))
        return false;
    exrkit_reader *reader = nullptr;
    if (exrkit_open(path.c_str(), nullptr, &reader) != EXRKIT_OK)
        return false;
    uint32_t parts = 0;
    bool newer = false;
    if (exrkit_part_count(reader, &parts) == EXRKIT_OK) {
        for (uint32_t part = 0; part < parts && !newer; part++) {
            exrkit_header h;
            newer = exrkit_read_header(reader, part, &h) == EXRKIT_OK &&
                    h.compression == EXRKIT_COMPRESSION_ZSTD;
        }
    }
    exrkit_close(reader);
    return newer;
}

unsigned compare_file(const std::string &path, unsigned &levels, unsigned &samples)
{
    std::unique_ptr<Imf::MultiPartInputFile> file;
    try {
        file.reset(new Imf::MultiPartInputFile(path.c_str()));
    } catch (const std::exception &e) {
        std::printf("FAIL %s: OpenEXR cannot open it: %s\n", path.c_str(), e.what());
        return 1;
    }
    exrkit_reader *reader = nullptr;
    exrkit_status st = exrkit_open(path.c_str(), nullptr, &reader);
    if (st != EXRKIT_OK) {
        std::printf("FAIL %s: exrkit_open: %s\n", path.c_str(), exrkit_last_error_message());
        return 1;
    }
    uint32_t parts = 0;
    st = exrkit_part_count(reader, &parts);
    if (st != EXRKIT_OK || parts != uint32_t(file->parts())) {
        std::printf("FAIL %s: exrkit finds %u parts, OpenEXR %d\n", path.c_str(), parts,
                    file->parts());
        exrkit_close(reader);
        return 1;
    }
    unsigned failures = 0;
    for (uint32_t part = 0; part < parts; part++) {
        const Imf::Header &oh = file->header(int(part));
        exrkit_header h;
        if (exrkit_read_header(reader, part, &h) != EXRKIT_OK) {
            std::printf("FAIL %s part %u: exrkit_read_header: %s\n", path.c_str(), part,
                        exrkit_last_error_message());
            failures++;
            continue;
        }
        const bool tiled = oh.hasTileDescription();
        if ((h.name != nullptr) != oh.hasName() || (h.name && oh.name() != h.name) ||
            tiled != (h.storage == EXRKIT_STORAGE_TILED)) {
            std::printf("FAIL %s part %u: name or storage differs from OpenEXR's\n", path.c_str(),
                        part);
            failures++;
            continue;
        }
        try {
            if (tiled) {
                Imf::TiledInputPart in(*file, int(part));
                if (h.level_count_x != uint32_t(in.numXLevels()) ||
                    h.level_count_y != uint32_t(in.numYLevels())) {
                    std::printf("FAIL %s part %u: exrkit has %ux%u levels, OpenEXR %dx%d\n",
                                path.c_str(), part, h.level_count_x, h.level_count_y,
                                in.numXLevels(), in.numYLevels());
                    failures++;
                    continue;
                }
                for (int ly = 0; ly < in.numYLevels(); ly++) {
                    for (int lx = 0; lx < in.numXLevels(); lx++) {
                        if (in.levelMode() != Imf::RIPMAP_LEVELS && lx != ly)
                            continue;
                        auto read = [&](const Imf::FrameBuffer &fb) {
                            in.setFrameBuffer(fb);
                            in.readTiles(0, in.numXTiles(lx) - 1, 0, in.numYTiles(ly) - 1, lx, ly);
                        };
                        failures += compare_level(path, reader, part, h, oh.channels(),
                                                  in.dataWindowForLevel(lx, ly), lx, ly, read,
                                                  samples);
                        levels++;
                    }
                }
            } else {
                Imf::InputPart in(*file, int(part));
                const Imath::Box2i window = oh.dataWindow();
                auto read = [&](const Imf::FrameBuffer &fb) {
                    in.setFrameBuffer(fb);
                    in.readPixels(window.min.y, window.max.y);
                };
                failures +=
                    compare_level(path, reader, part, h, oh.channels(), window, 0, 0, read, samples);
                levels++;
            }
        } catch (const std::exception &e) {
            std::printf("FAIL %s part %u: OpenEXR cannot read it: %s\n", path.c_str(), part,
                        e.what());
            failures++;
        }
    }
    exrkit_close(reader);
    return failures;
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: written_vs_openexr FOLDER...\n");
        return 2;
    }
    unsigned files = 0, levels = 0, samples = 0, failures = 0, skipped = 0;
    for (int i = 1; i < argc; i++) {
        std::vector<std::string> found;
        if (DIR *d = opendir(argv[i])) {
            while (const dirent *e = readdir(d)) {
                const std::string name = e->d_name;
                if (name.size() > 4 && name.compare(name.size() - 4, 4, ".exr") == 0)
                    found.push_back(std::string(argv[i]) + "/" + name);
            }
            closedir(d);
        }
        if (found.empty()) {
            std::printf("FAIL %s: no .exr files (did the writing examples run?)\n", argv[i]);
            failures++;
        }
        std::sort(found.begin(), found.end());
        for (const std::string &path : found) {
            if (newer_codec(path)) {
                std::printf("skip %s (ZSTD; OpenEXR %s predates it)\n", path.c_str(),
                            OPENEXR_VERSION_STRING);
                skipped++;
                continue;
            }
            const unsigned f = compare_file(path, levels, samples);
            std::printf("%s %s\n", f ? "FAIL" : "ok  ", path.c_str());
            failures += f;
            files++;
        }
    }
    std::printf("written_vs_openexr: %u files, %u levels, %u samples; %u failures; %u skipped\n",
                files, levels, samples, failures, skipped);
    return failures ? 1 : 0;
}
