// exrkit_deep_flatten and exrkit_deep_composite against OpenEXR's
// Imf::CompositeDeepScanLine (default DeepCompositing): the same deep files
// composited by both into FLOAT and into HALF frame buffers must give the
// same bits in every channel and pixel.
//
//   deep_flatten_vs_openexr V2DIR SCRATCH
//
// V2DIR holds OpenEXR's deep sample images Balls.exr, Leaves.exr and
// Trunks.exr (A B G R Z) and composited.exr. Compared:
//   - each file alone (exrkit_deep_flatten) and the three together
//     (exrkit_deep_composite), asking for every channel plus ZBack (which
//     OpenEXR fills with Z's composite) and a channel no file has (0);
//   - composited.exr, the shipped flat composite, with exrkit's composite of
//     the three to HALF: it holds elements the three files lack, so only
//     pixels where the alphas agree must match (see shipped_composite);
//   - two generated files written by exrkit into SCRATCH, with ZBack, many
//     equal depths within and across the files, alpha above 1, HALF and
//     UINT channels, channels only one file has and different windows:
//     each alone and both together in either order;
//   - a copy of the first whose samples are stored out of order, flattened
//     by exrkit, against OpenEXR's flatten of the sorted file (OpenEXR
//     composites a single file's samples in stored order; exrkit sorts).
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
#include <ImfCompositeDeepScanLine.h>
#include <ImfDeepScanLineInputFile.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputFile.h>

#include "exrkit.h"

namespace {

int failures = 0;

void fail(const std::string &what)
{
    std::fprintf(stderr, "FAIL %s\n", what.c_str());
    failures++;
}

size_t type_size(exrkit_pixel_type type)
{
    return type == EXRKIT_PIXEL_HALF ? 2 : 4;
}

float as_float(const unsigned char *p, exrkit_pixel_type type)
{
    if (type == EXRKIT_PIXEL_HALF) {
        half h;
        std::memcpy(&h, p, 2);
        return float(h);
    }
    float f;
    std::memcpy(&f, p, 4);
    return f;
}

// A flat image: the listed channels over a window, one buffer each, all of
// one type (FLOAT or HALF, the types OpenEXR composites into).
struct Flat {
    exrkit_box2i window;
    exrkit_pixel_type type;
    std::vector<std::string> names;
    std::vector<std::vector<unsigned char>> planes;

    Flat(const exrkit_box2i &w, exrkit_pixel_type t, const std::vector<std::string> &n,
         unsigned char pattern)
        : window(w), type(t), names(n)
    {
        for (size_t i = 0; i < names.size(); i++)
            planes.push_back(std::vector<unsigned char>(pixels() * type_size(type), pattern));
    }

    size_t width() const { return size_t(window.max_x - window.min_x + 1); }
    size_t pixels() const { return width() * size_t(window.max_y - window.min_y + 1); }
};

// OpenEXR's composite of `files` into `out`, whose window must span the
// columns of the union of the files' data windows and rows they all have.
void openexr_composite(const std::vector<std::string> &files, Flat &out)
{
    std::vector<std::unique_ptr<Imf::DeepScanLineInputFile>> inputs;
    Imf::CompositeDeepScanLine comp;
    for (const std::string &f : files) {
        inputs.emplace_back(new Imf::DeepScanLineInputFile(f.c_str()));
        comp.addSource(inputs.back().get());
    }
    const Imath::Box2i dw = comp.dataWindow();
    if (dw.min.x != out.window.min_x || dw.max.x != out.window.max_x || dw.min.y > out.window.min_y ||
        dw.max.y < out.window.max_y)
        throw std::runtime_error("the window is not the files' rows in their union's columns");
    Imf::FrameBuffer fb;
    const size_t xs = type_size(out.type), ys = xs * out.width();
    for (size_t c = 0; c < out.names.size(); c++) {
        char *base = reinterpret_cast<char *>(out.planes[c].data()) -
                     int64_t(out.window.min_x) * int64_t(xs) - int64_t(out.window.min_y) * int64_t(ys);
        fb.insert(out.names[c], Imf::Slice(Imf::PixelType(out.type), base, xs, ys));
    }
    comp.setFrameBuffer(fb);
    comp.readPixels(out.window.min_y, out.window.max_y);
}

// exrkit's composite of `images` into `out` (exrkit_deep_flatten for one).
bool exrkit_composite(const std::vector<exrkit_deep_image *> &images, Flat &out)
{
    std::vector<exrkit_slice> slices(out.names.size());
    for (size_t c = 0; c < out.names.size(); c++) {
        exrkit_slice &s = slices[c];
        std::memset(&s, 0, sizeof s);
        s.channel = out.names[c].c_str();
        s.type = out.type;
        s.base = out.planes[c].data();
        s.x_stride = ptrdiff_t(type_size(out.type));
        s.y_stride = s.x_stride * ptrdiff_t(out.width());
        s.x_sampling = s.y_sampling = 1;
    }
    exrkit_framebuffer fb = {out.window, slices.data(), slices.size()};
    std::vector<const exrkit_deep_image *> list(images.begin(), images.end());
    exrkit_status st = images.size() == 1 ? exrkit_deep_flatten(images[0], &fb)
                                          : exrkit_deep_composite(list.data(), list.size(), &fb);
    if (st != EXRKIT_OK) {
        fail(std::string("exrkit composite: ") + exrkit_last_error_message());
        return false;
    }
    return true;
}

// How two flat images differ, channel by channel.
struct Difference {
    size_t pixels = 0, differing = 0;
    double max_abs = 0;
    int max_ulps = 0;
};

Difference compare(const Flat &ours, const Flat &theirs, size_t c)
{
    Difference d;
    const size_t size = type_size(ours.type);
    d.pixels = ours.pixels();
    for (size_t i = 0; i < d.pixels; i++) {
        const unsigned char *a = &ours.planes[c][i * size], *b = &theirs.planes[c][i * size];
        if (std::memcmp(a, b, size) == 0)
            continue;
        d.differing++;
        const float fa = as_float(a, ours.type), fb = as_float(b, ours.type);
        if (std::isnan(fa) || std::isnan(fb)) {
            d.max_abs = INFINITY;
            d.max_ulps = 1 << 30;
            continue;
        }
        d.max_abs = std::max(d.max_abs, std::fabs(double(fa) - double(fb)));
        int64_t ia = 0, ib = 0;
        std::memcpy(&ia, a, size);
        std::memcpy(&ib, b, size);
        // Same-sign values: the distance of their bit patterns is in ULPs.
        if ((fa < 0) == (fb < 0))
            d.max_ulps = std::max(d.max_ulps, int(std::min<int64_t>(std::llabs(ia - ib), 1 << 30)));
        else
            d.max_ulps = 1 << 30;
    }
    return d;
}

// Every channel of two composites must be identical.
void expect_identical(const std::string &what, const Flat &ours, const Flat &theirs)
{
    size_t identical = 0;
    for (size_t c = 0; c < ours.names.size(); c++) {
        const Difference d = compare(ours, theirs, c);
        if (d.differing == 0) {
            identical++;
            continue;
        }
        fail(what + ": channel " + ours.names[c] + ": " + std::to_string(d.differing) + " of " +
             std::to_string(d.pixels) + " pixels differ, by up to " + std::to_string(d.max_abs) +
             " (" + std::to_string(d.max_ulps) + " ULPs)");
    }
    std::printf("%-44s %s, %zu of %zu channels x %zu pixels identical\n", what.c_str(),
                ours.type == EXRKIT_PIXEL_HALF ? "HALF " : "FLOAT", identical, ours.names.size(),
                ours.pixels());
}

// The columns of the union of the images' windows, and the rows all of them
// share: OpenEXR 3.1 cannot composite a row outside any source's data
// window (it fails to read that source's sample counts), so the
// comparisons keep to those rows.
exrkit_box2i shared_rows(const std::vector<exrkit_deep_image *> &images)
{
    exrkit_box2i u = {0, 0, -1, -1};
    for (size_t i = 0; i < images.size(); i++) {
        exrkit_box2i w;
        exrkit_deep_window(images[i], &w);
        if (i == 0) {
            u = w;
            continue;
        }
        u.min_x = std::min(u.min_x, w.min_x);
        u.min_y = std::max(u.min_y, w.min_y);
        u.max_x = std::max(u.max_x, w.max_x);
        u.max_y = std::min(u.max_y, w.max_y);
    }
    return u;
}

// Part 0 of `path` decoded by exrkit, or NULL.
exrkit_deep_image *decode(const std::string &path)
{
    exrkit_reader *reader = NULL;
    exrkit_deep_image *image = NULL;
    if (exrkit_open(path.c_str(), NULL, &reader) != EXRKIT_OK ||
        exrkit_decode_deep_image(reader, 0, 0, 0, &image) != EXRKIT_OK)
        fail(path + ": " + exrkit_last_error_message());
    exrkit_close(reader);
    return image;
}

// Composites `files` with both libraries into `channels` at both output
// types; `ours` (decoded from `files` unless given) is what exrkit
// composites.
void both(const std::string &what, const std::vector<std::string> &files,
          const std::vector<std::string> &channels, std::vector<std::string> ours = {})
{
    if (ours.empty())
        ours = files;
    std::vector<exrkit_deep_image *> images;
    for (const std::string &f : ours)
        if (exrkit_deep_image *image = decode(f))
            images.push_back(image);
    if (images.size() == ours.size()) {
        const exrkit_box2i window = shared_rows(images);
        for (exrkit_pixel_type type : {EXRKIT_PIXEL_FLOAT, EXRKIT_PIXEL_HALF}) {
            Flat theirs(window, type, channels, 0xaa), mine(window, type, channels, 0x55);
            try {
                openexr_composite(files, theirs);
            } catch (const std::exception &e) {
                fail(what + ": OpenEXR: " + e.what());
                continue;
            }
            if (exrkit_composite(images, mine))
                expect_identical(what, mine, theirs);
        }
    }
    for (exrkit_deep_image *image : images)
        exrkit_deep_image_free(image);
}

// composited.exr against exrkit's composite of the three files (HALF, over
// composited.exr's data window, all rows, including those OpenEXR 3.1
// cannot composite). The shipped image holds more than the three files:
// where its alpha differs from the composite's, an element missing from
// them shows (opaque where they have no samples at all), so those pixels
// are only counted; where the alphas agree, at least 99% of the pixels
// must be identical in R, G, B and A (the rest are pixels where a missing
// opaque element covers the files' samples).
void shipped_composite(const std::string &dir)
{
    const std::string path = dir + "/composited.exr";
    std::vector<exrkit_deep_image *> images;
    for (const char *name : {"Balls", "Leaves", "Trunks"})
        if (exrkit_deep_image *image = decode(dir + "/" + name + ".exr"))
            images.push_back(image);
    try {
        Imf::InputFile file(path.c_str());
        const Imath::Box2i dw = file.header().dataWindow();
        const exrkit_box2i window = {dw.min.x, dw.min.y, dw.max.x, dw.max.y};
        const std::vector<std::string> channels = {"R", "G", "B", "A"};
        Flat theirs(window, EXRKIT_PIXEL_HALF, channels, 0xaa);
        Flat mine(window, EXRKIT_PIXEL_HALF, channels, 0x55);
        Imf::FrameBuffer fb;
        const size_t xs = 2, ys = 2 * theirs.width();
        for (size_t c = 0; c < channels.size(); c++) {
            char *base = reinterpret_cast<char *>(theirs.planes[c].data()) -
                         int64_t(dw.min.x) * int64_t(xs) - int64_t(dw.min.y) * int64_t(ys);
            fb.insert(channels[c], Imf::Slice(Imf::HALF, base, xs, ys));
        }
        file.setFrameBuffer(fb);
        file.readPixels(dw.min.y, dw.max.y);
        if (images.size() == 3 && exrkit_composite(images, mine)) {
            size_t identical = 0, other_alpha = 0;
            for (size_t i = 0; i < mine.pixels(); i++) {
                bool same = true;
                for (size_t c = 0; c < channels.size(); c++)
                    same = same && std::memcmp(&mine.planes[c][2 * i], &theirs.planes[c][2 * i], 2) == 0;
                if (same)
                    identical++;
                else if (std::memcmp(&mine.planes[3][2 * i], &theirs.planes[3][2 * i], 2) != 0)
                    other_alpha++;
            }
            const size_t agreeing = mine.pixels() - other_alpha;
            std::printf("composited.exr vs exrkit_deep_composite: %zu of %zu pixels identical in "
                        "R G B A; %zu more differ in alpha (elements not in the three files), "
                        "%zu with the same alpha differ in colour\n",
                        identical, mine.pixels(), other_alpha, agreeing - identical);
            if (identical < agreeing - agreeing / 100)
                fail("composited.exr: too few pixels identical where the alphas agree");
        }
    } catch (const std::exception &e) {
        fail(path + ": OpenEXR: " + e.what());
    }
    for (exrkit_deep_image *image : images)
        exrkit_deep_image_free(image);
}

// --- generated files ---------------------------------------------------------

uint32_t state = 12345;

uint32_t next(uint32_t n)
{
    state = state * 1664525u + 1013904223u;
    return (state >> 8) % n;
}

struct Channel {
    const char *name;
    exrkit_pixel_type type;
};

// A deep image over `window` with `channels` (Z first; ZBack, if any,
// second; A third or second), up to `most` samples per pixel, each pixel's
// samples sorted front to back (or stored back to front where `untidy` and
// no two share their depths).
exrkit_deep_image *generate(const exrkit_box2i &window, const std::vector<Channel> &channels,
                            uint32_t most, uint32_t seed, bool untidy)
{
    state = seed;
    const size_t width = size_t(window.max_x - window.min_x + 1);
    const size_t pixels = width * size_t(window.max_y - window.min_y + 1);
    const bool zback = std::string(channels[1].name) == "ZBack";
    std::vector<uint32_t> counts(pixels);
    for (uint32_t &n : counts)
        n = next(most + 1);
    // Each sample's values, in channel order, as float.
    std::vector<std::vector<std::vector<float>>> samples(pixels);
    static const float alphas[] = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f, 0.125f, 0.9f};
    for (size_t p = 0; p < pixels; p++) {
        for (uint32_t s = 0; s < counts[p]; s++) {
            std::vector<float> v;
            const float z = float(next(8)) * 0.5f;
            for (const Channel &c : channels) {
                const std::string name = c.name;
                if (name == "Z")
                    v.push_back(z);
                else if (name == "ZBack")
                    v.push_back(z + float(next(3)) * 0.25f);
                else if (name == "A")
                    v.push_back(alphas[next(8)]);
                else if (c.type == EXRKIT_PIXEL_UINT)
                    v.push_back(float(next(100000)));
                else
                    v.push_back(float(next(1 << 20)) / float(1 << 19) - 0.5f);
            }
            samples[p].push_back(v);
        }
        std::vector<std::vector<float>> &px = samples[p];
        const size_t zb = zback ? 1 : 0;
        std::stable_sort(px.begin(), px.end(),
                         [zb](const std::vector<float> &a, const std::vector<float> &b) {
                             return a[0] < b[0] || (a[0] == b[0] && a[zb] < b[zb]);
                         });
        bool distinct = true;
        for (size_t s = 1; s < px.size(); s++)
            distinct = distinct && (px[s][0] != px[s - 1][0] || px[s][zb] != px[s - 1][zb]);
        if (untidy && distinct)
            std::reverse(px.begin(), px.end());
    }
    std::vector<exrkit_channel> list(channels.size());
    for (size_t c = 0; c < channels.size(); c++) {
        std::memset(&list[c], 0, sizeof list[c]);
        list[c].name = channels[c].name;
        list[c].type = channels[c].type;
        list[c].x_sampling = list[c].y_sampling = 1;
    }
    exrkit_deep_image *image = NULL;
    if (exrkit_deep_image_create(window, list.data(), uint32_t(list.size()), counts.data(), &image) !=
        EXRKIT_OK) {
        fail(std::string("exrkit_deep_image_create: ") + exrkit_last_error_message());
        return NULL;
    }
    for (size_t c = 0; c < channels.size(); c++) {
        void *data = NULL;
        uint64_t count = 0;
        exrkit_deep_channel_samples(image, uint32_t(c), &data, &count);
        size_t k = 0;
        for (size_t p = 0; p < pixels; p++) {
            for (const std::vector<float> &v : samples[p]) {
                if (channels[c].type == EXRKIT_PIXEL_FLOAT)
                    static_cast<float *>(data)[k] = v[c];
                else if (channels[c].type == EXRKIT_PIXEL_HALF)
                    static_cast<half *>(data)[k] = half(v[c]);
                else
                    static_cast<uint32_t *>(data)[k] = uint32_t(v[c]);
                k++;
            }
        }
    }
    return image;
}

// Writes `image` as a deep scanline file (ZIPS) with a 64 x 48 display
// window, so that OpenEXR composites it with the other generated file.
bool write_deep(const std::string &path, const exrkit_deep_image *image,
                const std::vector<Channel> &channels)
{
    exrkit_writer *writer = NULL;
    exrkit_part_desc desc;
    uint32_t part = 0;
    exrkit_status st = exrkit_create(path.c_str(), NULL, &writer);
    if (st == EXRKIT_OK) {
        exrkit_part_desc_init(&desc);
        desc.storage = EXRKIT_STORAGE_DEEP_SCANLINE;
        desc.compression = EXRKIT_COMPRESSION_ZIPS;
        exrkit_deep_window(image, &desc.data_window);
        desc.display_window = exrkit_box2i{0, 0, 63, 47};
        st = exrkit_add_part(writer, &desc, &part);
    }
    for (size_t c = 0; c < channels.size() && st == EXRKIT_OK; c++) {
        exrkit_channel channel;
        std::memset(&channel, 0, sizeof channel);
        channel.name = channels[c].name;
        channel.type = channels[c].type;
        channel.x_sampling = channel.y_sampling = 1;
        st = exrkit_add_channel(writer, part, &channel);
    }
    if (st == EXRKIT_OK)
        st = exrkit_write_header(writer);
    if (st == EXRKIT_OK)
        st = exrkit_write_deep_image(writer, part, 0, 0, image);
    if (st == EXRKIT_OK)
        st = exrkit_finish(writer);
    if (st != EXRKIT_OK)
        fail(path + ": " + exrkit_last_error_message());
    exrkit_writer_free(writer);
    return st == EXRKIT_OK;
}

void generated(const std::string &scratch)
{
    const std::vector<Channel> first = {{"Z", EXRKIT_PIXEL_FLOAT}, {"ZBack", EXRKIT_PIXEL_FLOAT},
                                        {"A", EXRKIT_PIXEL_HALF},  {"R", EXRKIT_PIXEL_FLOAT},
                                        {"G", EXRKIT_PIXEL_HALF},  {"U", EXRKIT_PIXEL_UINT}};
    const std::vector<Channel> second = {{"Z", EXRKIT_PIXEL_HALF},
                                         {"A", EXRKIT_PIXEL_FLOAT},
                                         {"R", EXRKIT_PIXEL_HALF},
                                         {"B", EXRKIT_PIXEL_FLOAT}};
    const exrkit_box2i w1 = {-3, 2, 60, 41}, w2 = {10, -5, 80, 30};
    const std::string tidy = scratch + "/deep_first.exr", other = scratch + "/deep_second.exr",
                      untidy = scratch + "/deep_first_untidy.exr";
    exrkit_deep_image *a = generate(w1, first, 4, 1, false);
    exrkit_deep_image *b = generate(w2, second, 3, 2, false);
    exrkit_deep_image *c = generate(w1, first, 4, 1, true);
    const bool written = a && b && c && write_deep(tidy, a, first) && write_deep(other, b, second) &&
                         write_deep(untidy, c, first);
    exrkit_deep_image_free(a);
    exrkit_deep_image_free(b);
    exrkit_deep_image_free(c);
    if (!written)
        return;
    const std::vector<std::string> all = {"Z", "ZBack", "A", "R", "G", "B", "U", "missing"};
    both("generated: first (ZBack, UINT)", {tidy}, all);
    both("generated: second (HALF Z, no ZBack)", {other}, all);
    both("generated: first + second", {tidy, other}, all);
    both("generated: second + first", {other, tidy}, all);
    both("generated: untidy first (sorted by exrkit)", {tidy}, all, {untidy});
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: deep_flatten_vs_openexr V2DIR SCRATCH\n");
        return 2;
    }
    const std::string dir = argv[1];
    const std::vector<std::string> channels = {"R", "G", "B", "A", "Z", "ZBack", "missing"};
    std::vector<std::string> three;
    for (const char *name : {"Balls", "Leaves", "Trunks"}) {
        const std::string path = dir + "/" + name + ".exr";
        both(std::string(name) + ".exr", {path}, channels);
        three.push_back(path);
    }
    both("Balls + Leaves + Trunks", three, channels);
    shipped_composite(dir);
    generated(argv[2]);
    std::printf("deep_flatten_vs_openexr: %d failures\n", failures);
    return failures ? 1 : 0;
}
