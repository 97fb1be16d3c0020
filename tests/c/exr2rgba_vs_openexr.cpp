// Checks what c_examples/exr2rgba wrote: the PFM files must hold, bottom
// row first, exactly the floats OpenEXR's C++ library decodes from part 0
// of the input (R, G, B with 0 where missing, A with 1 where missing, Y as
// grey when the part has no R, G or B).
//
//   exr2rgba_vs_openexr INPUT.exr RGB.pfm [ALPHA.pfm]
//
// CTest runs example_exr2rgba first (a fixture), so the files are fresh.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputFile.h>

namespace {

struct Pfm {
    int channels = 0;  // 3 for "PF", 1 for "Pf"
    long width = 0, height = 0;
    std::vector<float> samples;  // rows bottom to top, as stored
};

bool host_little_endian()
{
    const uint16_t one = 1;
    unsigned char first;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

bool read_pfm(const char *path, Pfm &out)
{
    FILE *f = std::fopen(path, "rb");
    if (f == nullptr) {
        std::perror(path);
        return false;
    }
    char kind[3] = {0, 0, 0};
    double scale = 0.0;
    bool ok = std::fscanf(f, "%2s %ld %ld %lf", kind, &out.width, &out.height, &scale) == 4 &&
              std::fgetc(f) == '\n' && out.width > 0 && out.height > 0 && scale != 0.0;
    if (ok && std::strcmp(kind, "PF") == 0)
        out.channels = 3;
    else if (ok && std::strcmp(kind, "Pf") == 0)
        out.channels = 1;
    else
        ok = false;
    if (ok) {
        const size_t count = size_t(out.width) * size_t(out.height) * size_t(out.channels);
        out.samples.resize(count);
        ok = std::fread(out.samples.data(), sizeof(float), count, f) == count &&
             std::fgetc(f) == EOF;
        // A negative scale means little-endian samples.
        if (ok && (scale < 0) != host_little_endian()) {
            for (float &v : out.samples) {
                unsigned char b[4];
                std::memcpy(b, &v, 4);
                std::swap(b[0], b[3]);
                std::swap(b[1], b[2]);
                std::memcpy(&v, b, 4);
            }
        }
    }
    std::fclose(f);
    if (!ok)
        std::fprintf(stderr, "%s: not a PFM file of the expected size\n", path);
    return ok;
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "usage: exr2rgba_vs_openexr INPUT.exr RGB.pfm [ALPHA.pfm]\n");
        return 2;
    }
    Pfm rgb, alpha;
    if (!read_pfm(argv[2], rgb) || (argc == 4 && !read_pfm(argv[3], alpha)))
        return 1;
    if (rgb.channels != 3 || (argc == 4 && alpha.channels != 1)) {
        std::fprintf(stderr, "FAIL: expected an RGB PFM and a greyscale alpha PFM\n");
        return 1;
    }

    std::vector<float> rgba;
    Imath::Box2i dw;
    try {
        Imf::InputFile file(argv[1]);
        dw = file.header().dataWindow();
        const long width = long(dw.max.x) - dw.min.x + 1, height = long(dw.max.y) - dw.min.y + 1;
        if (width != rgb.width || height != rgb.height ||
            (argc == 4 && (width != alpha.width || height != alpha.height))) {
            std::fprintf(stderr, "FAIL: the data window is %ld x %ld; the PFM is %ld x %ld\n",
                         width, height, rgb.width, rgb.height);
            return 1;
        }
        const Imf::ChannelList &channels = file.header().channels();
        const bool grey = !channels.findChannel("R") && !channels.findChannel("G") &&
                          !channels.findChannel("B") && channels.findChannel("Y");
        rgba.assign(size_t(width) * size_t(height) * 4, 0.0f);
        const size_t xs = 4 * sizeof(float), ys = xs * size_t(width);
        char *base = reinterpret_cast<char *>(rgba.data()) - dw.min.x * long(xs) -
                     dw.min.y * long(ys);
        Imf::FrameBuffer fb;
        const char *names[4] = {"R", "G", "B", "A"};
        for (int c = 0; c < 4; c++)
            fb.insert(grey && c < 3 ? "Y" : names[c],
                      Imf::Slice(Imf::FLOAT, base + c * sizeof(float), xs, ys, 1, 1,
                                 c == 3 ? 1.0 : 0.0));
        file.setFrameBuffer(fb);
        file.readPixels(dw.min.y, dw.max.y);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "FAIL: OpenEXR cannot read %s: %s\n", argv[1], e.what());
        return 1;
    }

    // PFM row r is image row max_y - r.
    unsigned long differences = 0;
    for (long r = 0; r < rgb.height; r++) {
        const long y = dw.max.y - r;
        for (long x = 0; x < rgb.width; x++) {
            const float *want = &rgba[(size_t(y - dw.min.y) * size_t(rgb.width) + size_t(x)) * 4];
            const float *got = &rgb.samples[(size_t(r) * size_t(rgb.width) + size_t(x)) * 3];
            const bool same_rgb = std::memcmp(want, got, 3 * sizeof(float)) == 0;
            const bool same_a =
                argc < 4 ||
                std::memcmp(&want[3], &alpha.samples[size_t(r) * size_t(rgb.width) + size_t(x)],
                            sizeof(float)) == 0;
            if (!(same_rgb && same_a) && differences++ < 5)
                std::fprintf(stderr,
                             "FAIL pixel (%ld, %ld): PFM %g %g %g, OpenEXR %g %g %g %g\n",
                             x + dw.min.x, y, double(got[0]), double(got[1]), double(got[2]),
                             double(want[0]), double(want[1]), double(want[2]), double(want[3]));
        }
    }
    std::printf("exr2rgba_vs_openexr: %ld x %ld pixels%s compared with OpenEXR, %lu differ\n",
                rgb.width, rgb.height, argc == 4 ? " (RGB and alpha)" : " (RGB)", differences);
    return differences == 0 ? 0 : 1;
}
