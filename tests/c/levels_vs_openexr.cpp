// exrkit_decode_image against OpenEXR's C++ library: every flat part, every
// level of tiled parts (mip and rip maps), every channel at its own type and
// sampling must decode to identical bytes.
//
//   levels_vs_openexr SAMPLES [SCRATCH]
//
// SAMPLES is walked for *.exr files (skipping Damaged/). The sample images
// hold no rip maps, no levels rounded up and no multipart files, so with
// SCRATCH the test also writes, with OpenEXR, one multipart file per
// compression OpenEXR 3.1 writes (NONE to DWAB): a scanline part with
// subsampled channels, a rip-mapped part rounding down and a mip-mapped
// part rounding up, all with HALF, FLOAT and UINT channels and data windows
// off the origin; and compares those too.
//
// Files OpenEXR refuses are skipped with a message, as are deep parts.
// exrkit may answer EXRKIT_ERR_UNSUPPORTED only for the codecs it does not
// decode yet (lossy HTJ2K); any other failure or difference
// fails the test. The two decoders write into buffers that start with
// different byte patterns, so a sample either leaves unwritten is a
// difference too.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <Imath/half.h>
#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputPart.h>
#include <ImfMultiPartInputFile.h>
#include <ImfMultiPartOutputFile.h>
#include <ImfOutputPart.h>
#include <ImfPartType.h>
#include <ImfTiledInputPart.h>
#include <ImfTiledOutputPart.h>

#include "exrkit.h"

namespace {

struct Counts {
    unsigned files = 0, files_skipped = 0, parts = 0, deep_parts = 0, parts_skipped = 0,
             unsupported_parts = 0, levels = 0, channels = 0, failures = 0;
};

// Collects every *.exr below `dir`, except what lies in a folder named Damaged.
void walk(const std::string &dir, std::vector<std::string> &out)
{
    DIR *d = opendir(dir.c_str());
    if (d == nullptr) {
        std::fprintf(stderr, "cannot open directory %s\n", dir.c_str());
        return;
    }
    while (const dirent *e = readdir(d)) {
        const std::string name = e->d_name;
        if (name == "." || name == "..")
            continue;
        const std::string path = dir + "/" + name;
        struct stat st;
        if (stat(path.c_str(), &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (name != "Damaged")
                walk(path, out);
        } else if (name.size() > 4 && name.compare(name.size() - 4, 4, ".exr") == 0) {
            out.push_back(path);
        }
    }
    closedir(d);
}

int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// Samples of a channel with sampling `s` in [lo, hi]: how many multiples of
// s the range holds.
int64_t sampled(int lo, int hi, int s)
{
    return floor_div(hi, s) - floor_div(int64_t(lo) - 1, s);
}

// Index (multiple of s, divided by s) of the first sample at or after lo.
int64_t first_sample(int lo, int s)
{
    return floor_div(int64_t(lo) - 1, s) + 1;
}

size_t type_size(int type)
{
    return type == EXRKIT_PIXEL_HALF ? 2 : 4;
}

const char *compression_name(exrkit_compression c)
{
    static const char *const names[] = {"NONE", "RLE",  "ZIPS", "ZIP",      "PIZ",
                                        "PXR24", "B44", "B44A", "DWAA",     "DWAB",
                                        "HTJ2K256", "HTJ2K32", "LOSSY_HTJ2K", "ZSTD", "QOI"};
    return c < sizeof names / sizeof names[0] ? names[c] : "?";
}

// The codecs exrkit may still answer with EXRKIT_ERR_UNSUPPORTED.
bool may_be_unsupported(exrkit_compression c)
{
    return c == EXRKIT_COMPRESSION_LOSSY_HTJ2K;
}

// One channel's samples over one level, laid out compactly (one entry per
// sample, rows of `columns` samples, the window's first sample first), as
// exrkit stores a slice whose sampling is the channel's own.
struct Plane {
    std::string name;
    int type = EXRKIT_PIXEL_HALF;  // the file's type code, shared by both APIs
    int xs = 1, ys = 1;
    int64_t columns = 0, rows = 0, first_x = 0, first_y = 0;
    std::vector<unsigned char> bytes;

    Plane(const std::string &n, int t, int x_sampling, int y_sampling, const Imath::Box2i &window)
        : name(n), type(t), xs(x_sampling), ys(y_sampling),
          columns(sampled(window.min.x, window.max.x, xs)),
          rows(sampled(window.min.y, window.max.y, ys)),
          first_x(first_sample(window.min.x, xs)), first_y(first_sample(window.min.y, ys)),
          bytes(size_t(columns * rows) * type_size(t))
    {
    }

    size_t x_stride() const { return type_size(type); }
    size_t y_stride() const { return x_stride() * size_t(columns); }

    // OpenEXR addresses sample (x, y) at base + (x / xs) * xStride +
    // (y / ys) * yStride; shift the base so that the window's first sample
    // lands at the start of the plane.
    Imf::Slice openexr_slice(unsigned char *data) const
    {
        char *base = reinterpret_cast<char *>(data) - first_x * int64_t(x_stride()) -
                     first_y * int64_t(y_stride());
        return Imf::Slice(Imf::PixelType(type), base, x_stride(), y_stride(), xs, ys, 0.0);
    }
};

// Where the first difference between two decodes of a plane lies, or "".
std::string first_difference(const Plane &p, const std::vector<unsigned char> &ours,
                             const std::vector<unsigned char> &theirs)
{
    const size_t size = type_size(p.type);
    for (size_t i = 0; i < ours.size(); i += size) {
        if (std::memcmp(&ours[i], &theirs[i], size) != 0) {
            const int64_t sample = int64_t(i / size);
            const int64_t x = (p.first_x + sample % p.columns) * p.xs;
            const int64_t y = (p.first_y + sample / p.columns) * p.ys;
            uint32_t a = 0, b = 0;
            std::memcpy(&a, &ours[i], size);
            std::memcpy(&b, &theirs[i], size);
            char text[160];
            std::snprintf(text, sizeof text, "pixel (%lld, %lld): exrkit 0x%0*x, OpenEXR 0x%0*x",
                          static_cast<long long>(x), static_cast<long long>(y), int(size * 2), a,
                          int(size * 2), b);
            return text;
        }
    }
    return "";
}

// Decodes one level with both libraries and compares; `read` makes OpenEXR
// read the level into the frame buffer it is given (an OpenEXR exception
// propagates to the caller, which skips the part). Returns false on a
// failure (already reported). `decoded` receives exrkit_decode_image's
// status; a codec exrkit may lack (EXRKIT_ERR_UNSUPPORTED) is not a failure.
template <typename Read>
bool compare_level(const std::string &file, exrkit_reader *reader, uint32_t part,
                   const exrkit_header &h, const Imf::ChannelList &list, const Imath::Box2i &window,
                   int lx, int ly, Read read, Counts &counts, exrkit_status &decoded)
{
    std::vector<Plane> planes;
    for (uint32_t i = 0; i < h.channel_count; i++) {
        exrkit_channel c;
        const exrkit_status st = exrkit_get_channel(reader, part, i, &c);
        if (st != EXRKIT_OK) {
            std::printf("FAIL %s part %u: exrkit_get_channel %u: %s\n", file.c_str(), part, i,
                        exrkit_last_error_message());
            return false;
        }
        const Imf::Channel *theirs = list.findChannel(c.name);
        if (theirs == nullptr || int(theirs->type) != int(c.type) ||
            theirs->xSampling != c.x_sampling || theirs->ySampling != c.y_sampling) {
            std::printf("FAIL %s part %u: channel %s differs from OpenEXR's channel list\n",
                        file.c_str(), part, c.name);
            return false;
        }
        planes.push_back(Plane(c.name, int(c.type), c.x_sampling, c.y_sampling, window));
    }
    size_t their_count = 0;
    for (Imf::ChannelList::ConstIterator it = list.begin(); it != list.end(); ++it)
        their_count++;
    if (planes.size() != their_count) {
        std::printf("FAIL %s part %u: exrkit lists %zu channels, OpenEXR %zu\n", file.c_str(),
                    part, planes.size(), their_count);
        return false;
    }

    std::vector<std::vector<unsigned char>> ours(planes.size()), theirs(planes.size());
    std::vector<exrkit_slice> slices(planes.size());
    Imf::FrameBuffer fb;
    for (size_t i = 0; i < planes.size(); i++) {
        const Plane &p = planes[i];
        ours[i].assign(p.bytes.size(), 0x55);
        theirs[i].assign(p.bytes.size(), 0xaa);
        fb.insert(p.name.c_str(), p.openexr_slice(theirs[i].data()));
        exrkit_slice &s = slices[i];
        std::memset(&s, 0, sizeof s);
        s.channel = p.name.c_str();
        s.type = exrkit_pixel_type(p.type);
        s.base = ours[i].data();
        s.x_stride = ptrdiff_t(p.x_stride());
        s.y_stride = ptrdiff_t(p.y_stride());
        s.x_sampling = p.xs;
        s.y_sampling = p.ys;
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
    decoded = st;
    if (st == EXRKIT_ERR_UNSUPPORTED && may_be_unsupported(h.compression))
        return true;
    if (st != EXRKIT_OK) {
        std::printf("FAIL %s part %u level (%d, %d) [%s]: exrkit_decode_image: %s (%s)\n",
                    file.c_str(), part, lx, ly, compression_name(h.compression),
                    exrkit_status_string(st), exrkit_last_error_message());
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < planes.size(); i++) {
        const std::string diff = first_difference(planes[i], ours[i], theirs[i]);
        if (!diff.empty()) {
            std::printf("FAIL %s part %u level (%d, %d) [%s] channel %s: %s\n", file.c_str(), part,
                        lx, ly, compression_name(h.compression), planes[i].name.c_str(),
                        diff.c_str());
            ok = false;
        }
    }
    counts.levels++;
    counts.channels += unsigned(planes.size());
    return ok;
}

// Compares every flat part of one file; returns the number of failures.
unsigned compare_file(const std::string &path, Counts &counts)
{
    std::unique_ptr<Imf::MultiPartInputFile> file;
    try {
        file.reset(new Imf::MultiPartInputFile(path.c_str()));
    } catch (const std::exception &e) {
        std::printf("skip %s: OpenEXR cannot open it: %s\n", path.c_str(), e.what());
        counts.files_skipped++;
        return 0;
    }
    counts.files++;

    exrkit_reader *reader = nullptr;
    exrkit_status st = exrkit_open(path.c_str(), nullptr, &reader);
    if (st != EXRKIT_OK) {
        std::printf("FAIL %s: exrkit_open: %s (%s)\n", path.c_str(), exrkit_status_string(st),
                    exrkit_last_error_message());
        return 1;
    }
    unsigned failures = 0;
    uint32_t parts = 0;
    st = exrkit_part_count(reader, &parts);
    if (st != EXRKIT_OK || parts != uint32_t(file->parts())) {
        std::printf("FAIL %s: exrkit finds %u parts, OpenEXR %d\n", path.c_str(), parts,
                    file->parts());
        exrkit_close(reader);
        return 1;
    }

    for (uint32_t part = 0; part < parts; part++) {
        const Imf::Header &oh = file->header(int(part));
        const std::string type = oh.hasType()               ? oh.type()
                                 : oh.hasTileDescription() ? Imf::TILEDIMAGE
                                                           : Imf::SCANLINEIMAGE;
        if (Imf::isDeepData(type)) {
            counts.deep_parts++;
            continue;
        }
        exrkit_header h;
        st = exrkit_read_header(reader, part, &h);
        if (st != EXRKIT_OK) {
            std::printf("FAIL %s part %u: exrkit_read_header: %s\n", path.c_str(), part,
                        exrkit_last_error_message());
            failures++;
            continue;
        }
        counts.parts++;
        // After a failed decode, the part's other levels are not tried:
        // one message per part is enough.
        exrkit_status decoded = EXRKIT_OK;
        try {
            if (Imf::isTiled(type)) {
                Imf::TiledInputPart in(*file, int(part));
                if (h.level_count_x != uint32_t(in.numXLevels()) ||
                    h.level_count_y != uint32_t(in.numYLevels())) {
                    std::printf("FAIL %s part %u: exrkit has %ux%u levels, OpenEXR %dx%d\n",
                                path.c_str(), part, h.level_count_x, h.level_count_y,
                                in.numXLevels(), in.numYLevels());
                    failures++;
                    continue;
                }
                for (int ly = 0; ly < in.numYLevels() && decoded == EXRKIT_OK; ly++) {
                    for (int lx = 0; lx < in.numXLevels() && decoded == EXRKIT_OK; lx++) {
                        if (in.levelMode() != Imf::RIPMAP_LEVELS && lx != ly)
                            continue;
                        int32_t w = 0, hgt = 0;
                        st = exrkit_level_size(reader, part, lx, ly, &w, &hgt);
                        if (st != EXRKIT_OK || w != in.levelWidth(lx) ||
                            hgt != in.levelHeight(ly)) {
                            std::printf("FAIL %s part %u level (%d, %d): exrkit size %dx%d, "
                                        "OpenEXR %dx%d\n",
                                        path.c_str(), part, lx, ly, w, hgt, in.levelWidth(lx),
                                        in.levelHeight(ly));
                            failures++;
                            continue;
                        }
                        auto read = [&](const Imf::FrameBuffer &fb) {
                            in.setFrameBuffer(fb);
                            in.readTiles(0, in.numXTiles(lx) - 1, 0, in.numYTiles(ly) - 1, lx, ly);
                        };
                        if (!compare_level(path, reader, part, h, oh.channels(),
                                           in.dataWindowForLevel(lx, ly), lx, ly, read, counts,
                                           decoded))
                            failures++;
                    }
                }
            } else {
                Imf::InputPart in(*file, int(part));
                const Imath::Box2i window = oh.dataWindow();
                auto read = [&](const Imf::FrameBuffer &fb) {
                    in.setFrameBuffer(fb);
                    in.readPixels(window.min.y, window.max.y);
                };
                if (!compare_level(path, reader, part, h, oh.channels(), window, 0, 0, read,
                                   counts, decoded))
                    failures++;
            }
        } catch (const std::exception &e) {
            std::printf("skip %s part %u: OpenEXR cannot read it: %s\n", path.c_str(), part,
                        e.what());
            counts.parts_skipped++;
        }
        if (decoded == EXRKIT_ERR_UNSUPPORTED && may_be_unsupported(h.compression)) {
            std::printf("note %s part %u: exrkit does not decode %s yet\n", path.c_str(), part,
                        compression_name(h.compression));
            counts.unsupported_parts++;
        }
    }
    exrkit_close(reader);
    return failures;
}

// ---------------------------------------------------------------------------
// Generated files
// ---------------------------------------------------------------------------

// Deterministic sample values: smooth ramps (what codecs are made for),
// with `odd` a sprinkling of odd values: NaN, infinities, denormals,
// negative zero and, for UINT, arbitrary bits. Without them the values are
// positive and span few bit patterns, so that PIZ compresses even small
// tiles instead of storing them raw.
void fill_plane(const Plane &p, unsigned char *out, unsigned seed, bool odd)
{
    uint32_t state = 2463534242u ^ seed;
    for (int64_t r = 0; r < p.rows; r++) {
        for (int64_t c = 0; c < p.columns; c++) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            const double x = double(p.first_x + c) * p.xs, y = double(p.first_y + r) * p.ys;
            // Quantised, so that lossless codecs find something to compress.
            float v = float(std::floor((std::sin(x * 0.11 + seed) * std::cos(y * 0.07) * 3.0 +
                                        y * 0.01 + (odd ? 0.0 : 4.0)) * 256.0) / 256.0);
            switch (odd ? state % 97 : 97) {
            case 0: v = std::nanf(""); break;
            case 1: v = INFINITY; break;
            case 2: v = -INFINITY; break;
            case 3: v = 1e-7f; break;  // a HALF denormal
            case 4: v = -0.0f; break;
            default: break;
            }
            unsigned char *dst = out + size_t(r * p.columns + c) * type_size(p.type);
            if (p.type == EXRKIT_PIXEL_HALF) {
                const uint16_t bits = half(v).bits();
                std::memcpy(dst, &bits, 2);
            } else if (p.type == EXRKIT_PIXEL_FLOAT) {
                std::memcpy(dst, &v, 4);
            } else {
                const uint32_t u = odd && state % 97 == 5 ? state : uint32_t(c + r * 7);
                std::memcpy(dst, &u, 4);
            }
        }
    }
}

void add_channels(Imf::Header &h, bool subsampled)
{
    h.channels().insert("A", Imf::Channel(Imf::HALF));
    h.channels().insert("Z", Imf::Channel(Imf::FLOAT));
    h.channels().insert("id", Imf::Channel(Imf::UINT));
    if (subsampled) {
        h.channels().insert("Y", Imf::Channel(Imf::HALF));
        h.channels().insert("RY", Imf::Channel(Imf::HALF, 2, 2));
        h.channels().insert("BY", Imf::Channel(Imf::FLOAT, 2, 2));
    }
}

// Planes (with generated samples) for every channel of `h` over `window`,
// and an OpenEXR frame buffer over them.
std::vector<Plane> generated_planes(const Imf::Header &h, const Imath::Box2i &window,
                                    unsigned seed, bool odd, Imf::FrameBuffer &fb)
{
    std::vector<Plane> planes;
    for (Imf::ChannelList::ConstIterator it = h.channels().begin(); it != h.channels().end(); ++it)
        planes.push_back(Plane(it.name(), int(it.channel().type), it.channel().xSampling,
                               it.channel().ySampling, window));
    for (size_t i = 0; i < planes.size(); i++) {
        fill_plane(planes[i], planes[i].bytes.data(), seed + unsigned(i) * 31u, odd);
        fb.insert(planes[i].name.c_str(), planes[i].openexr_slice(planes[i].bytes.data()));
    }
    return planes;
}

// Writes one multipart file with compression `c`: a scanline part with
// subsampled channels, a rip-mapped part (levels rounded down) and a
// mip-mapped part (levels rounded up). The rip map has no odd values, so
// that PIZ compresses its tiles (see fill_plane).
void write_generated(const std::string &path, Imf::Compression c)
{
    const Imath::Box2i display(Imath::V2i(0, 0), Imath::V2i(99, 69));
    std::vector<Imf::Header> headers(3, Imf::Header(display, display));

    headers[0].dataWindow() = Imath::Box2i(Imath::V2i(-4, -2), Imath::V2i(93, 61));
    headers[0].setName("scanline");
    headers[0].setType(Imf::SCANLINEIMAGE);
    add_channels(headers[0], true);

    headers[1].dataWindow() = Imath::Box2i(Imath::V2i(-3, 5), Imath::V2i(146, 101));
    headers[1].setName("ripmap");
    headers[1].setType(Imf::TILEDIMAGE);
    headers[1].setTileDescription(Imf::TileDescription(64, 32, Imf::RIPMAP_LEVELS, Imf::ROUND_DOWN));
    add_channels(headers[1], false);

    headers[2].dataWindow() = Imath::Box2i(Imath::V2i(7, -9), Imath::V2i(136, 90));
    headers[2].setName("mipmap");
    headers[2].setType(Imf::TILEDIMAGE);
    headers[2].setTileDescription(Imf::TileDescription(48, 24, Imf::MIPMAP_LEVELS, Imf::ROUND_UP));
    add_channels(headers[2], false);

    for (Imf::Header &h : headers)
        h.compression() = c;

    Imf::MultiPartOutputFile out(path.c_str(), headers.data(), int(headers.size()));
    {
        Imf::OutputPart part(out, 0);
        Imf::FrameBuffer fb;
        const Imath::Box2i dw = headers[0].dataWindow();
        const std::vector<Plane> planes = generated_planes(headers[0], dw, unsigned(c), true, fb);
        part.setFrameBuffer(fb);
        part.writePixels(dw.max.y - dw.min.y + 1);
    }
    for (int p = 1; p < 3; p++) {
        Imf::TiledOutputPart part(out, p);
        for (int ly = 0; ly < part.numYLevels(); ly++) {
            for (int lx = 0; lx < part.numXLevels(); lx++) {
                if (part.levelMode() != Imf::RIPMAP_LEVELS && lx != ly)
                    continue;
                Imf::FrameBuffer fb;
                const std::vector<Plane> planes = generated_planes(
                    headers[size_t(p)], part.dataWindowForLevel(lx, ly),
                    unsigned(c) * 1000u + unsigned(p * 100 + ly * 10 + lx), p == 2, fb);
                part.setFrameBuffer(fb);
                part.writeTiles(0, part.numXTiles(lx) - 1, 0, part.numYTiles(ly) - 1, lx, ly);
            }
        }
    }
}

// Writes the generated files into `dir`; returns their paths (empty on failure).
std::vector<std::string> generate(const std::string &dir)
{
    static const struct {
        Imf::Compression c;
        const char *name;
    } methods[] = {{Imf::NO_COMPRESSION, "none"}, {Imf::RLE_COMPRESSION, "rle"},
                   {Imf::ZIPS_COMPRESSION, "zips"}, {Imf::ZIP_COMPRESSION, "zip"},
                   {Imf::PIZ_COMPRESSION, "piz"},   {Imf::PXR24_COMPRESSION, "pxr24"},
                   {Imf::B44_COMPRESSION, "b44"},   {Imf::B44A_COMPRESSION, "b44a"},
                   {Imf::DWAA_COMPRESSION, "dwaa"}, {Imf::DWAB_COMPRESSION, "dwab"}};
    std::vector<std::string> paths;
    for (const auto &m : methods) {
        const std::string path = dir + "/levels_" + m.name + ".exr";
        try {
            write_generated(path, m.c);
        } catch (const std::exception &e) {
            std::printf("FAIL: OpenEXR cannot write %s: %s\n", path.c_str(), e.what());
            return std::vector<std::string>();
        }
        paths.push_back(path);
    }
    return paths;
}

void print_counts(const char *what, const Counts &c)
{
    std::printf("levels_vs_openexr, %s: %u files (%u skipped: OpenEXR refuses them), %u flat "
                "parts (%u deep parts skipped, %u parts OpenEXR cannot read, %u with a codec "
                "exrkit does not decode yet), %u levels and %u channel planes compared, "
                "%u failures\n",
                what, c.files, c.files_skipped, c.parts, c.deep_parts, c.parts_skipped,
                c.unsupported_parts, c.levels, c.channels, c.failures);
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: levels_vs_openexr SAMPLES [SCRATCH]\n");
        return 2;
    }
    std::vector<std::string> files;
    walk(argv[1], files);
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::fprintf(stderr, "no .exr files below %s\n", argv[1]);
        return 1;
    }
    Counts samples;
    for (const std::string &f : files)
        samples.failures += compare_file(f, samples);

    Counts generated;
    if (argc == 3) {
        const std::vector<std::string> made = generate(argv[2]);
        if (made.empty())
            generated.failures++;
        for (const std::string &f : made)
            generated.failures += compare_file(f, generated);
    }

    print_counts("sample images", samples);
    if (argc == 3)
        print_counts("generated files", generated);
    const bool ok = samples.failures == 0 && samples.files > 0 && generated.failures == 0 &&
                    (argc < 3 || generated.files > 0);
    return ok ? 0 : 1;
}
