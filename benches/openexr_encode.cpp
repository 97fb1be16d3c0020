// Times OpenEXR's C++ API writing a whole image as a scanline file. Before
// timing, every channel of part 0 of SOURCE is read once, at its own type,
// into a frame buffer; each timed run then writes it with compression CODEC
// through Imf::OutputFile (constructor, setFrameBuffer, writePixels over the
// whole data window, destructor, which completes the file) to the file OUT,
// takes the file's size and removes it. benches/run.sh builds and runs it.
//
//     openexr_encode THREADS REPS SOURCE CODEC OUT
//
// THREADS is 1 (no worker threads: the calling thread compresses) or "all"
// (one worker per hardware thread); CODEC one of none, rle, zips, zip, piz,
// pxr24, b44, b44a, dwaa, dwab. Prints one tab-separated line:
//     openexr THREADS SOURCE CODEC ok BEST_SECONDS MEDIAN_SECONDS BEST_CPU_SECONDS BYTES PIXELS
// where BEST_CPU_SECONDS is the least CPU time the calling thread spent on
// one run, or, when OpenEXR throws,
//     openexr THREADS SOURCE CODEC error MESSAGE

#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputFile.h>
#include <ImfOutputFile.h>
#include <ImfThreading.h>
#include <OpenEXRConfig.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

// Samples of a channel with sampling `s` between `lo` and `hi` inclusive:
// the multiples of s in that range.
int64_t sampled_count(int lo, int hi, int s)
{
    auto floor_div = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
    return floor_div(hi, s) - floor_div(int64_t(lo) - 1, s);
}

Imf::Compression compression(const std::string &name)
{
    static const std::map<std::string, Imf::Compression> names = {
        {"none", Imf::NO_COMPRESSION},   {"rle", Imf::RLE_COMPRESSION},
        {"zips", Imf::ZIPS_COMPRESSION}, {"zip", Imf::ZIP_COMPRESSION},
        {"piz", Imf::PIZ_COMPRESSION},   {"pxr24", Imf::PXR24_COMPRESSION},
        {"b44", Imf::B44_COMPRESSION},   {"b44a", Imf::B44A_COMPRESSION},
        {"dwaa", Imf::DWAA_COMPRESSION}, {"dwab", Imf::DWAB_COMPRESSION},
    };
    const auto found = names.find(name);
    if (found == names.end()) {
        throw std::invalid_argument("unknown codec " + name);
    }
    return found->second;
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
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s THREADS(1|all) REPS SOURCE CODEC OUT\n", argv[0]);
        return 2;
    }
    const std::string threads_arg = argv[1];
    const int reps = std::max(1, std::atoi(argv[2]));
    const char *source = argv[3];
    const std::string codec = argv[4];
    const char *out = argv[5];
    const int hardware = std::max(1u, std::thread::hardware_concurrency());
    const int workers = threads_arg == "1" ? 0 : hardware;
    Imf::setGlobalThreadCount(workers);
    if (codec == "zstd" && OPENEXR_VERSION_HEX < 0x03050000) {
        std::printf("openexr\t%s\t%s\t%s\tunsupported\tOpenEXR %s predates ZSTD\n",
                    threads_arg.c_str(), source, codec.c_str(), OPENEXR_VERSION_STRING);
        return 0;
    }
    try {
        std::vector<std::vector<char>> store;
        Imf::FrameBuffer frame_buffer;
        Imf::Header header;
        {
            Imf::InputFile file(source, workers);
            const Imath::Box2i dw = file.header().dataWindow();
            header = Imf::Header(file.header().displayWindow(), dw);
            const Imf::ChannelList &channels = file.header().channels();
            size_t count = 0;
            for (auto it = channels.begin(); it != channels.end(); ++it) {
                count++;
            }
            store.reserve(count);
            for (auto it = channels.begin(); it != channels.end(); ++it) {
                const Imf::Channel &c = it.channel();
                header.channels().insert(it.name(), c);
                const size_t size = c.type == Imf::HALF ? 2 : 4;
                const int64_t w = sampled_count(dw.min.x, dw.max.x, c.xSampling);
                const int64_t h = sampled_count(dw.min.y, dw.max.y, c.ySampling);
                store.emplace_back(size_t(w * h) * size, char(0));
                frame_buffer.insert(it.name(),
                                    Imf::Slice::Make(c.type, store.back().data(), dw, size,
                                                     size * size_t(w), c.xSampling, c.ySampling));
            }
            file.setFrameBuffer(frame_buffer);
            file.readPixels(dw.min.y, dw.max.y);
        }
        header.compression() = compression(codec);
        const Imath::Box2i dw = header.dataWindow();
        const long long pixels =
            (long long)(dw.max.x - dw.min.x + 1) * (long long)(dw.max.y - dw.min.y + 1);
        std::vector<double> seconds;
        double cpu = 0;
        long long bytes = 0;
        for (int i = 0; i < reps; i++) {
            const double cpu_start = thread_cpu_seconds();
            const auto start = std::chrono::steady_clock::now();
            {
                Imf::OutputFile file(out, header, workers);
                file.setFrameBuffer(frame_buffer);
                file.writePixels(dw.max.y - dw.min.y + 1);
            }
            const auto stop = std::chrono::steady_clock::now();
            const double used = thread_cpu_seconds() - cpu_start;
            cpu = i == 0 ? used : std::min(cpu, used);
            seconds.push_back(std::chrono::duration<double>(stop - start).count());
            struct stat st{};
            if (stat(out, &st) != 0) {
                throw std::runtime_error(std::string("cannot stat ") + out);
            }
            bytes = (long long)st.st_size;
            unlink(out);
        }
        std::sort(seconds.begin(), seconds.end());
        std::printf("openexr\t%s\t%s\t%s\tok\t%.6f\t%.6f\t%.6f\t%lld\t%lld\n", threads_arg.c_str(),
                    source, codec.c_str(), seconds.front(), seconds[seconds.size() / 2], cpu,
                    bytes, pixels);
    } catch (const std::exception &e) {
        unlink(out);
        std::string message = e.what();
        std::replace(message.begin(), message.end(), '\t', ' ');
        std::replace(message.begin(), message.end(), '\n', ' ');
        std::printf("openexr\t%s\t%s\t%s\terror\t%s\n", threads_arg.c_str(), source,
                    codec.c_str(), message.c_str());
    }
    return 0;
}
