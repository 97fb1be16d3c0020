// Times OpenEXR's C++ API decoding every channel of part 0 of an image, at
// the file's own types, into a frame buffer allocated (and touched) once
// before timing. Each timed run opens the file and reads the whole data
// window: Imf::InputFile for scanline parts, Imf::TiledInputFile (level 0)
// for tiled ones. benches/run.sh builds and runs it.
//
//     openexr_decode THREADS REPS FILE
//     openexr_decode deep THREADS REPS FILE
//
// THREADS is 1 (no worker threads: the calling thread decodes) or "all"
// (one worker per hardware thread). Prints one tab-separated line:
//     openexr THREADS FILE ok BEST_SECONDS MEDIAN_SECONDS BEST_CPU_SECONDS
// where the last is the least CPU time the calling thread spent on one run.
// or, when OpenEXR throws,
//     openexr THREADS FILE error MESSAGE
// With `deep`, each run reads every sample of a deep scanline file with
// Imf::DeepScanLineInputFile as its documentation shows: the sample counts
// first, then one array per channel for all samples, with a pointer per
// pixel into it, then the samples.

#include <ImfChannelList.h>
#include <ImfDeepFrameBuffer.h>
#include <ImfDeepScanLineInputFile.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputFile.h>
#include <ImfThreading.h>
#include <ImfTiledInputFile.h>
#include <OpenEXRConfig.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <time.h>
#include <thread>
#include <vector>

namespace {

// Samples of a channel with sampling `s` between `lo` and `hi` inclusive:
// the multiples of s in that range.
int64_t sampled_count(int lo, int hi, int s)
{
    auto floor_div = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
    return floor_div(hi, s) - floor_div(int64_t(lo) - 1, s);
}

// One buffer per channel, each sample at its own type, row-major over the
// channel's samples in the data window.
struct Buffers {
    std::vector<std::vector<char>> store;
    Imf::FrameBuffer frame_buffer;
};

void fill_buffers(const Imf::Header &header, Buffers &out)
{
    const Imath::Box2i dw = header.dataWindow();
    const Imf::ChannelList &channels = header.channels();
    size_t count = 0;
    for (auto it = channels.begin(); it != channels.end(); ++it) {
        count++;
    }
    out.store.reserve(count);
    for (auto it = channels.begin(); it != channels.end(); ++it) {
        const Imf::Channel &c = it.channel();
        const size_t size = c.type == Imf::HALF ? 2 : 4;
        const int64_t w = sampled_count(dw.min.x, dw.max.x, c.xSampling);
        const int64_t h = sampled_count(dw.min.y, dw.max.y, c.ySampling);
        out.store.emplace_back(size_t(w * h) * size, char(0xa5));
        out.frame_buffer.insert(it.name(),
                                Imf::Slice::Make(c.type, out.store.back().data(), dw, size,
                                                 size * size_t(w), c.xSampling, c.ySampling));
    }
}

void decode(const char *path, bool tiled, const Imf::FrameBuffer &frame_buffer, int threads)
{
    if (!tiled) {
        Imf::InputFile file(path, threads);
        file.setFrameBuffer(frame_buffer);
        const Imath::Box2i dw = file.header().dataWindow();
        file.readPixels(dw.min.y, dw.max.y);
        return;
    }
    Imf::TiledInputFile file(path, threads);
    file.setFrameBuffer(frame_buffer);
    file.readTiles(0, file.numXTiles(0) - 1, 0, file.numYTiles(0) - 1, 0, 0);
}

// Reads every sample of the deep scanline file `path`; returns how many.
uint64_t decode_deep(const char *path, int threads)
{
    Imf::DeepScanLineInputFile file(path, threads);
    const Imath::Box2i dw = file.header().dataWindow();
    const int64_t w = int64_t(dw.max.x) - dw.min.x + 1;
    const int64_t h = int64_t(dw.max.y) - dw.min.y + 1;
    // Base addresses so that pixel (min.x, min.y) lands on element 0.
    auto based = [&](void *start, size_t size) {
        return reinterpret_cast<char *>(start) -
               (int64_t(dw.min.x) + int64_t(dw.min.y) * w) * int64_t(size);
    };
    std::vector<unsigned int> counts(size_t(w * h));
    Imf::DeepFrameBuffer frame_buffer;
    frame_buffer.insertSampleCountSlice(Imf::Slice(Imf::UINT, based(counts.data(), 4), 4,
                                                   size_t(4 * w)));
    const Imf::ChannelList &channels = file.header().channels();
    std::vector<size_t> sizes;
    std::vector<std::vector<char *>> pointers;
    for (auto it = channels.begin(); it != channels.end(); ++it) {
        sizes.push_back(it.channel().type == Imf::HALF ? 2 : 4);
        pointers.emplace_back(size_t(w * h));
        frame_buffer.insert(it.name(),
                            Imf::DeepSlice(it.channel().type,
                                           based(pointers.back().data(), sizeof(char *)),
                                           sizeof(char *), sizeof(char *) * size_t(w),
                                           sizes.back()));
    }
    file.setFrameBuffer(frame_buffer);
    file.readPixelSampleCounts(dw.min.y, dw.max.y);
    uint64_t total = 0;
    for (unsigned int c : counts)
        total += c;
    std::vector<std::vector<char>> samples;
    for (size_t c = 0; c < pointers.size(); c++) {
        samples.emplace_back(size_t(total) * sizes[c]);
        char *at = samples.back().data();
        for (size_t i = 0; i < counts.size(); i++) {
            pointers[c][i] = at;
            at += size_t(counts[i]) * sizes[c];
        }
    }
    file.readPixels(dw.min.y, dw.max.y);
    return total;
}

double thread_cpu_seconds()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

} // namespace

int main(int argc, char **argv)
{
    const bool deep = argc == 5 && std::string(argv[1]) == "deep";
    if (argc != 4 && !deep) {
        std::fprintf(stderr, "usage: %s [deep] THREADS(1|all) REPS FILE\n", argv[0]);
        return 2;
    }
    const std::string threads_arg = argv[deep ? 2 : 1];
    const int reps = std::max(1, std::atoi(argv[deep ? 3 : 2]));
    const char *path = argv[deep ? 4 : 3];
    const int hardware = std::max(1u, std::thread::hardware_concurrency());
    const int workers = threads_arg == "1" ? 0 : hardware;
    Imf::setGlobalThreadCount(workers);
    try {
        // Runs `decode_once` REPS times and prints the best and median
        // wall time and the least CPU time of this thread.
        auto time_runs = [&](const std::function<void()> &decode_once) {
            std::vector<double> seconds;
            double cpu = 0;
            for (int i = 0; i < reps; i++) {
                const double cpu_start = thread_cpu_seconds();
                const auto start = std::chrono::steady_clock::now();
                decode_once();
                const auto stop = std::chrono::steady_clock::now();
                const double used = thread_cpu_seconds() - cpu_start;
                cpu = i == 0 ? used : std::min(cpu, used);
                seconds.push_back(std::chrono::duration<double>(stop - start).count());
            }
            std::sort(seconds.begin(), seconds.end());
            std::printf("openexr\t%s\t%s\tok\t%.6f\t%.6f\t%.6f\n", threads_arg.c_str(), path,
                        seconds.front(), seconds[seconds.size() / 2], cpu);
        };
        if (deep) {
            time_runs([&] { decode_deep(path, workers); });
            return 0;
        }
        Buffers buffers;
        bool tiled = false;
        {
            Imf::InputFile file(path, workers);
            fill_buffers(file.header(), buffers);
            tiled = file.header().hasTileDescription();
        }
        time_runs([&] { decode(path, tiled, buffers.frame_buffer, workers); });
    } catch (const std::exception &e) {
        std::string message = e.what();
        std::replace(message.begin(), message.end(), '\t', ' ');
        std::replace(message.begin(), message.end(), '\n', ' ');
        // A codec newer than this OpenEXR (ZSTD before 3.5) is not an error
        // of the file.
        const bool newer = OPENEXR_VERSION_HEX < 0x03050000 &&
                           message.find("Unknown compression type") != std::string::npos;
        std::printf("openexr\t%s\t%s\t%s\t%s\n", threads_arg.c_str(), path,
                    newer ? "unsupported" : "error", message.c_str());
    }
    return 0;
}
