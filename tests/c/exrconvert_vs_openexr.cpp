// exrconvert re-encodes every sample image, and OpenEXR reads back the
// original pixels: each *.exr under FOLDER (Damaged/ excluded) is
// converted by the exrconvert example into ZIP and into PIZ, keeping its
// storage, tiles and levels; OpenEXR's C++ library then decodes the
// original and each result, and every part must have the same name,
// storage, levels and channels, and every level of every part the same
// bytes in every channel at the channel's own type (both codecs are
// lossless, and exrconvert carries every sample at its own type, so NaN
// payloads and signalling NaNs come back bit for bit).
//
//   exrconvert_vs_openexr EXRCONVERT FOLDER WORKDIR
//
// Files with a deep part are skipped (exrconvert converts flat parts
// only) and listed as such; any other file OpenEXR cannot read, any
// exrconvert failure and any difference fails the test. The last line
// gives the counts.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputPart.h>
#include <ImfMultiPartInputFile.h>
#include <ImfPartType.h>
#include <ImfTiledInputPart.h>

namespace {

const char *const codecs[] = {"zip", "piz"};

int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

size_t type_size(Imf::PixelType type)
{
    return type == Imf::HALF ? 2 : 4;
}

// One channel of one level as OpenEXR decodes it, compact (one entry per
// sample, the window's first sample first).
struct Plane {
    std::string name;
    Imf::Channel channel;
    int64_t columns, rows, first_x, first_y;
    std::vector<unsigned char> bytes;

    Plane(const std::string &n, const Imf::Channel &c, const Imath::Box2i &w)
        : name(n), channel(c),
          columns(floor_div(w.max.x, c.xSampling) - floor_div(int64_t(w.min.x) - 1, c.xSampling)),
          rows(floor_div(w.max.y, c.ySampling) - floor_div(int64_t(w.min.y) - 1, c.ySampling)),
          first_x(floor_div(int64_t(w.min.x) - 1, c.xSampling) + 1),
          first_y(floor_div(int64_t(w.min.y) - 1, c.ySampling) + 1),
          bytes(size_t(columns * rows) * type_size(c.type), 0)
    {
    }

    size_t x_stride() const { return type_size(channel.type); }
    size_t y_stride() const { return x_stride() * size_t(columns); }

    // OpenEXR addresses sample (x, y) at base + (x / xs) * xStride +
    // (y / ys) * yStride; shift the base so the first sample lands first.
    Imf::Slice slice()
    {
        char *base = reinterpret_cast<char *>(bytes.data()) - first_x * int64_t(x_stride()) -
                     first_y * int64_t(y_stride());
        return Imf::Slice(channel.type, base, x_stride(), y_stride(), channel.xSampling,
                          channel.ySampling, 0.0);
    }
};

// One level of one part: where it lies and its channels' samples.
struct Level {
    int lx, ly;
    Imath::Box2i window;
    std::vector<Plane> planes;
};

// One part: what identifies it and every level it holds.
struct Part {
    std::string name, type;
    bool tiled;
    int level_mode;
    std::vector<Level> levels;
};

// Decodes one level of `header`'s channels; `read` makes OpenEXR fill the
// frame buffer.
template <typename Read>
Level decode_level(const Imf::Header &header, int lx, int ly, const Imath::Box2i &window,
                   Read read)
{
    Level level{lx, ly, window, {}};
    const Imf::ChannelList &list = header.channels();
    for (Imf::ChannelList::ConstIterator it = list.begin(); it != list.end(); ++it)
        level.planes.emplace_back(it.name(), it.channel(), window);
    Imf::FrameBuffer fb;
    for (Plane &p : level.planes)
        fb.insert(p.name.c_str(), p.slice());
    read(fb);
    return level;
}

// Every part and level of the file at `path`, decoded by OpenEXR; throws
// what OpenEXR throws.
std::vector<Part> decode_file(const std::string &path)
{
    Imf::MultiPartInputFile file(path.c_str());
    std::vector<Part> parts;
    for (int i = 0; i < file.parts(); i++) {
        const Imf::Header &h = file.header(i);
        Part part{h.hasName() ? h.name() : "", h.hasType() ? h.type() : "",
                  h.hasTileDescription(), -1, {}};
        if (part.tiled) {
            Imf::TiledInputPart in(file, i);
            part.level_mode = int(in.levelMode());
            for (int ly = 0; ly < in.numYLevels(); ly++) {
                for (int lx = 0; lx < in.numXLevels(); lx++) {
                    if (in.levelMode() != Imf::RIPMAP_LEVELS && lx != ly)
                        continue;
                    part.levels.push_back(decode_level(
                        h, lx, ly, in.dataWindowForLevel(lx, ly), [&](const Imf::FrameBuffer &fb) {
                            in.setFrameBuffer(fb);
                            in.readTiles(0, in.numXTiles(lx) - 1, 0, in.numYTiles(ly) - 1, lx, ly);
                        }));
                }
            }
        } else {
            Imf::InputPart in(file, i);
            const Imath::Box2i window = h.dataWindow();
            part.levels.push_back(decode_level(h, 0, 0, window, [&](const Imf::FrameBuffer &fb) {
                in.setFrameBuffer(fb);
                in.readPixels(window.min.y, window.max.y);
            }));
        }
        parts.push_back(std::move(part));
    }
    return parts;
}

// Whether any part of the file at `path` is deep (OpenEXR reads the
// headers only).
bool has_deep_part(const std::string &path)
{
    Imf::MultiPartInputFile file(path.c_str());
    for (int i = 0; i < file.parts(); i++) {
        const Imf::Header &h = file.header(i);
        if (h.hasType() && Imf::isDeepData(h.type()))
            return true;
    }
    return false;
}

// Runs `program` with `args`, its standard output discarded; true if it
// exits with 0.
bool run(const std::string &program, const std::vector<std::string> &args)
{
    std::vector<char *> argv;
    argv.push_back(const_cast<char *>(program.c_str()));
    for (const std::string &a : args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        // Its report of each file is noise here; errors go to stderr.
        if (std::freopen("/dev/null", "w", stdout) == nullptr)
            _exit(127);
        execv(program.c_str(), argv.data());
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Every *.exr under `dir` outside Damaged/, sorted.
void find_images(const std::string &dir, std::vector<std::string> &found)
{
    DIR *d = opendir(dir.c_str());
    if (d == nullptr)
        return;
    while (const dirent *e = readdir(d)) {
        const std::string name = e->d_name;
        const std::string path = dir + "/" + name;
        struct stat st;
        if (name == "." || name == ".." || name == "Damaged" || stat(path.c_str(), &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            find_images(path, found);
        else if (name.size() > 4 && name.compare(name.size() - 4, 4, ".exr") == 0)
            found.push_back(path);
    }
    closedir(d);
    std::sort(found.begin(), found.end());
}

// The number of samples of `got` that differ from the original plane `p`,
// and where the first lies, with both samples.
size_t differences(const Plane &p, const std::vector<unsigned char> &got, std::string &first)
{
    const size_t size = type_size(p.channel.type);
    size_t count = 0;
    for (size_t i = 0; i < p.bytes.size(); i += size) {
        if (std::memcmp(&p.bytes[i], &got[i], size) == 0)
            continue;
        if (count++ == 0) {
            const int64_t sample = int64_t(i / size);
            uint32_t want = 0, have = 0;
            std::memcpy(&want, &p.bytes[i], size);
            std::memcpy(&have, &got[i], size);
            char text[160];
            std::snprintf(text, sizeof text, "sample (%lld, %lld): 0x%0*x, the original 0x%0*x",
                          static_cast<long long>((p.first_x + sample % p.columns) *
                                                 p.channel.xSampling),
                          static_cast<long long>((p.first_y + sample / p.columns) *
                                                 p.channel.ySampling),
                          int(size * 2), have, int(size * 2), want);
            first = text;
        }
    }
    return count;
}

// Counts of what was compared.
struct Counts {
    unsigned outputs = 0, parts = 0, levels = 0, channels = 0;
    uint64_t samples = 0;
};

// Compares the decode of an output with the original's; reports and
// returns the number of differences.
unsigned compare(const std::string &out, const std::vector<Part> &want,
                 const std::vector<Part> &got, Counts &counts)
{
    if (got.size() != want.size()) {
        std::printf("FAIL %s: %zu parts, the original has %zu\n", out.c_str(), got.size(),
                    want.size());
        return 1;
    }
    unsigned failures = 0;
    for (size_t i = 0; i < want.size(); i++) {
        const Part &w = want[i], &g = got[i];
        if (g.name != w.name || g.tiled != w.tiled || g.level_mode != w.level_mode ||
            g.levels.size() != w.levels.size()) {
            std::printf("FAIL %s part %zu: name, storage or levels differ from the original's\n",
                        out.c_str(), i);
            failures++;
            continue;
        }
        counts.parts++;
        for (size_t l = 0; l < w.levels.size(); l++) {
            const Level &wl = w.levels[l], &gl = g.levels[l];
            if (gl.window != wl.window || gl.planes.size() != wl.planes.size()) {
                std::printf("FAIL %s part %zu level (%d, %d): window or channel count differs\n",
                            out.c_str(), i, wl.lx, wl.ly);
                failures++;
                continue;
            }
            counts.levels++;
            for (size_t c = 0; c < wl.planes.size(); c++) {
                const Plane &wp = wl.planes[c], &gp = gl.planes[c];
                if (gp.name != wp.name || !(gp.channel == wp.channel)) {
                    std::printf("FAIL %s part %zu level (%d, %d) channel %s: other name, type "
                                "or sampling than the original's\n",
                                out.c_str(), i, wl.lx, wl.ly, wp.name.c_str());
                    failures++;
                    continue;
                }
                std::string first;
                const size_t differ = gp.bytes.size() != wp.bytes.size()
                                          ? gp.bytes.size() + wp.bytes.size()
                                          : differences(wp, gp.bytes, first);
                if (differ != 0) {
                    std::printf("FAIL %s part %zu level (%d, %d) channel %s: %zu samples differ%s%s\n",
                                out.c_str(), i, wl.lx, wl.ly, wp.name.c_str(), differ,
                                first.empty() ? "" : ", first at ", first.c_str());
                    failures++;
                    continue;
                }
                counts.channels++;
                counts.samples += wp.bytes.size() / type_size(wp.channel.type);
            }
        }
    }
    return failures;
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: exrconvert_vs_openexr EXRCONVERT FOLDER WORKDIR\n");
        return 2;
    }
    const std::string exrconvert = argv[1], folder = argv[2], workdir = argv[3];
    std::vector<std::string> images;
    find_images(folder, images);
    unsigned converted = 0, skipped = 0, failures = 0;
    Counts counts;
    if (images.empty()) {
        std::printf("FAIL %s: no .exr files\n", folder.c_str());
        failures++;
    }
    for (const std::string &path : images) {
        const std::string rel = path.substr(folder.size() + 1);
        std::vector<Part> original;
        try {
            if (has_deep_part(path)) {
                std::printf("skip %s: deep parts (exrconvert converts flat parts only)\n",
                            rel.c_str());
                skipped++;
                continue;
            }
            original = decode_file(path);
        } catch (const std::exception &e) {
            std::printf("FAIL %s: OpenEXR cannot read the original: %s\n", rel.c_str(), e.what());
            failures++;
            continue;
        }
        std::string stem = rel.substr(0, rel.size() - 4);
        std::replace(stem.begin(), stem.end(), '/', '_');
        unsigned file_failures = 0;
        for (const char *codec : codecs) {
            const std::string out = workdir + "/" + stem + "_" + codec + ".exr";
            unsigned output_failures = 0;
            if (!run(exrconvert, {"-c", codec, path, out})) {
                std::printf("FAIL %s: exrconvert -c %s failed\n", rel.c_str(), codec);
                file_failures++;
                continue;
            }
            try {
                output_failures = compare(out, original, decode_file(out), counts);
            } catch (const std::exception &e) {
                std::printf("FAIL %s: OpenEXR cannot read it: %s\n", out.c_str(), e.what());
                output_failures = 1;
            }
            counts.outputs++;
            // A failing output stays in WORKDIR to look at.
            if (output_failures == 0)
                std::remove(out.c_str());
            file_failures += output_failures;
        }
        std::printf("%s %s\n", file_failures ? "FAIL" : "ok  ", rel.c_str());
        converted++;
        failures += file_failures;
    }
    std::printf("exrconvert_vs_openexr: %u files converted (%u outputs: %u parts, %u levels, "
                "%u channels, %llu samples), %u skipped with deep parts; %u failures\n",
                converted, counts.outputs, counts.parts, counts.levels, counts.channels,
                static_cast<unsigned long long>(counts.samples), skipped, failures);
    return failures ? 1 : 0;
}
