// Reference helper for tests/rgba.rs, built against the system's OpenEXR
// (C++ API). Three commands:
//
//   rgba_dump dump IN OUT
//       reads IN with Imf::RgbaInputFile over its whole data window and
//       writes the half RGBA pixels (8 bytes each, little-endian, rows top to
//       bottom) to OUT. Exits 3 with a message when OpenEXR refuses the file.
//   rgba_dump zip IN OUT
//       rewrites IN (scanline or tiled) as a ZIP-compressed scanline file
//       with the same channels, sampling, samples and attributes.
//   rgba_dump synth DIR
//       writes the generated test files listed in main() into DIR.

#include <ImfArray.h>
#include <ImfChannelList.h>
#include <ImfChromaticities.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputFile.h>
#include <ImfOutputFile.h>
#include <ImfRgbaFile.h>
#include <ImfStandardAttributes.h>
#include <ImfTileDescriptionAttribute.h>
#include <ImfPartType.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

using namespace Imf;
using Imath::Box2i;
using Imath::V2f;
using Imath::V2i;

namespace {

void
writeFile (const std::string& path, const void* data, size_t size)
{
    std::ofstream out (path, std::ios::binary);
    out.write (static_cast<const char*> (data), static_cast<std::streamsize> (size));
    if (!out) throw std::runtime_error ("cannot write " + path);
}

int
dump (const char* in, const char* out)
{
    std::vector<Rgba> pixels;
    try
    {
        RgbaInputFile file (in);
        Box2i dw = file.dataWindow ();
        long w = dw.max.x - dw.min.x + 1;
        long h = dw.max.y - dw.min.y + 1;
        pixels.resize (static_cast<size_t> (w * h));
        file.setFrameBuffer (pixels.data () - dw.min.x - dw.min.y * w, 1, w);
        file.readPixels (dw.min.y, dw.max.y);
    }
    catch (const std::exception& e)
    {
        std::fprintf (stderr, "OpenEXR refuses %s: %s\n", in, e.what ());
        return 3;
    }
    writeFile (out, pixels.data (), pixels.size () * sizeof (Rgba));
    return 0;
}

size_t
typeSize (PixelType t)
{
    return t == HALF ? 2 : 4;
}

// One buffer per channel, compact over its sampled data window.
struct Planes
{
    std::vector<std::vector<char>> buffers;
    FrameBuffer                    fb;

    Planes (const Header& header)
    {
        Box2i dw = header.dataWindow ();
        for (ChannelList::ConstIterator i = header.channels ().begin ();
             i != header.channels ().end ();
             ++i)
        {
            const Channel& c  = i.channel ();
            long           sw = (dw.max.x - dw.min.x + 1) / c.xSampling;
            long           sh = (dw.max.y - dw.min.y + 1) / c.ySampling;
            size_t         ts = typeSize (c.type);
            buffers.emplace_back (static_cast<size_t> (sw * sh) * ts);
            char* base = buffers.back ().data () -
                         (dw.min.x / c.xSampling) * static_cast<long> (ts) -
                         (dw.min.y / c.ySampling) * sw * static_cast<long> (ts);
            fb.insert (
                i.name (),
                Slice (
                    c.type,
                    base,
                    ts,
                    ts * static_cast<size_t> (sw),
                    c.xSampling,
                    c.ySampling));
        }
    }
};

int
zip (const char* in, const char* out)
{
    InputFile input (in);
    Header    header = input.header ();
    Box2i     dw     = header.dataWindow ();
    Planes    planes (header);
    input.setFrameBuffer (planes.fb);
    input.readPixels (dw.min.y, dw.max.y);
    header.compression () = ZIP_COMPRESSION;
    if (header.hasTileDescription ()) header.erase ("tiles");
    if (header.hasType ()) header.setType (SCANLINEIMAGE);
    OutputFile output (out, header);
    output.setFrameBuffer (planes.fb);
    output.writePixels (dw.max.y - dw.min.y + 1);
    return 0;
}

// A small deterministic generator, so every run writes the same files.
struct Random
{
    uint64_t state;
    explicit Random (uint64_t seed) : state (seed * 2654435761u + 1) {}
    uint32_t next ()
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return static_cast<uint32_t> (state >> 16);
    }
    float uniform (float lo, float hi)
    {
        return lo + (hi - lo) * static_cast<float> (next () % 1000000) / 1e6f;
    }
};

struct ChannelSpec
{
    const char* name;
    PixelType   type;
    int         sampling;
    float       lo, hi; // range of the generated values
};

struct FileSpec
{
    const char*              name;
    int                      width, height, originX, originY;
    std::vector<ChannelSpec> channels;
    Compression              compression;
    LineOrder                lineOrder;
    bool                     specials;      // sprinkle NaN, inf, negative, denormals
    const Chromaticities*    chromaticities; // written when not null
};

// Smooth image-like samples in [lo, hi] with noise and flat patches, and
// optionally special values.
float
sample (Random& rng, const ChannelSpec& c, int x, int y, bool specials)
{
    float t = 0.5f + 0.5f * std::sin (x * 0.21f + c.lo * 3.0f) *
                         std::cos (y * 0.17f - c.hi);
    float v = c.lo + (c.hi - c.lo) * t + rng.uniform (-0.05f, 0.05f);
    if ((x / 7 + y / 5) % 9 == 0) v = c.lo + 0.25f * (c.hi - c.lo);
    if (specials)
    {
        switch (rng.next () % 97)
        {
            case 0: v = std::numeric_limits<float>::quiet_NaN (); break;
            case 1: v = std::numeric_limits<float>::infinity (); break;
            case 2: v = -std::numeric_limits<float>::infinity (); break;
            case 3: v = -v; break;
            case 4: v = 6e-8f; break;
            case 5: v = 0.0f; break;
            case 6: v = -0.0f; break;
            case 7: v = 65504.0f; break;
            default: break;
        }
    }
    return v;
}

void
synthFile (const std::string& dir, const FileSpec& spec, uint64_t seed)
{
    Header header (
        Box2i (V2i (0, 0), V2i (spec.width - 1, spec.height - 1)),
        Box2i (
            V2i (spec.originX, spec.originY),
            V2i (spec.originX + spec.width - 1, spec.originY + spec.height - 1)));
    header.compression () = spec.compression;
    header.lineOrder ()   = spec.lineOrder;
    for (const ChannelSpec& c: spec.channels)
        header.channels ().insert (
            c.name, Channel (c.type, c.sampling, c.sampling, c.sampling > 1));
    if (spec.chromaticities) addChromaticities (header, *spec.chromaticities);

    Planes planes (header);
    Random rng (seed);
    size_t index = 0;
    for (ChannelList::ConstIterator i = header.channels ().begin ();
         i != header.channels ().end ();
         ++i, ++index)
    {
        const ChannelSpec* c = nullptr;
        for (const ChannelSpec& s: spec.channels)
            if (std::strcmp (s.name, i.name ()) == 0) c = &s;
        std::vector<char>& buf = planes.buffers[index];
        int                sw  = spec.width / c->sampling;
        int                sh  = spec.height / c->sampling;
        for (int y = 0; y < sh; ++y)
            for (int x = 0; x < sw; ++x)
            {
                float  v  = sample (rng, *c, x * c->sampling, y * c->sampling, spec.specials);
                size_t at = static_cast<size_t> (y * sw + x);
                if (c->type == HALF)
                {
                    half h (v);
                    std::memcpy (&buf[at * 2], &h, 2);
                }
                else if (c->type == FLOAT)
                    std::memcpy (&buf[at * 4], &v, 4);
                else
                {
                    uint32_t u = v > 0 && v < 4e9f ? static_cast<uint32_t> (v) : 0;
                    std::memcpy (&buf[at * 4], &u, 4);
                }
            }
    }
    OutputFile output ((dir + "/" + spec.name).c_str (), header);
    output.setFrameBuffer (planes.fb);
    output.writePixels (spec.height);
}

// An RGBA image written through RgbaOutputFile's own RGB to luminance/chroma
// conversion, as applications write such files.
void
synthThroughRgba (
    const std::string& dir,
    const char*        name,
    int                width,
    int                height,
    int                originX,
    int                originY,
    RgbaChannels       channels,
    const Chromaticities* chromaticities)
{
    Header header (
        Box2i (V2i (0, 0), V2i (width - 1, height - 1)),
        Box2i (V2i (originX, originY), V2i (originX + width - 1, originY + height - 1)));
    header.compression () = ZIP_COMPRESSION;
    if (chromaticities) addChromaticities (header, *chromaticities);
    Random            rng (width * 31 + height);
    std::vector<Rgba> pixels (static_cast<size_t> (width * height));
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
        {
            Rgba& p = pixels[static_cast<size_t> (y * width + x)];
            // Colour bars and gradients with sharp, saturated edges.
            int   bar = (x * 8 / width + y / 16) % 6;
            float r   = (bar == 0 || bar == 3 || bar == 4) ? 1.0f : 0.02f;
            float g   = (bar == 1 || bar == 3 || bar == 5) ? 0.8f : 0.01f;
            float b   = (bar == 2 || bar == 4 || bar == 5) ? 1.5f : 0.0f;
            float k   = 0.1f + 2.0f * x / width + rng.uniform (0.0f, 0.02f);
            p.r       = r * k;
            p.g       = g * k;
            p.b       = b * k;
            p.a       = static_cast<float> (y) / height;
        }
    RgbaOutputFile output ((dir + "/" + name).c_str (), header, channels);
    output.setFrameBuffer (pixels.data () - originX - originY * width, 1, width);
    output.writePixels (height);
}

int
synth (const std::string& dir)
{
    static const Chromaticities xyz (V2f (1, 0), V2f (0, 1), V2f (0, 0), V2f (1.f / 3, 1.f / 3));
    static const Chromaticities p3 (
        V2f (0.680f, 0.320f), V2f (0.265f, 0.690f), V2f (0.150f, 0.060f), V2f (0.3127f, 0.3290f));
    static const Chromaticities degenerate (
        V2f (0.64f, 0.33f), V2f (0.3f, 0.6f), V2f (0.15f, 0.06f), V2f (0.3127f, 0.0f));

    const ChannelSpec Y {"Y", HALF, 1, 0.0f, 2.0f};
    const ChannelSpec RY {"RY", HALF, 2, -0.9f, 2.5f};
    const ChannelSpec BY {"BY", HALF, 2, -0.9f, 3.0f};
    const ChannelSpec A {"A", HALF, 1, 0.0f, 1.0f};
    const ChannelSpec R {"R", HALF, 1, 0.0f, 4.0f};
    const ChannelSpec G {"G", HALF, 1, 0.0f, 3.0f};
    const ChannelSpec B {"B", HALF, 1, 0.0f, 2.0f};
    const ChannelSpec Yf {"Y", FLOAT, 1, 0.0f, 70000.0f};
    const ChannelSpec RYf {"RY", FLOAT, 2, -0.5f, 1.0f};
    const ChannelSpec BYu {"BY", UINT, 2, 0.0f, 3.0f};
    const ChannelSpec Af {"A", FLOAT, 1, -0.5f, 1.5f};
    const ChannelSpec RY1 {"RY", HALF, 1, -0.5f, 1.0f};
    const ChannelSpec BY1 {"BY", HALF, 1, -0.5f, 1.0f};
    const ChannelSpec Rf {"R", FLOAT, 1, -1.0f, 4.0f};

    const Compression Z = ZIP_COMPRESSION;
    const LineOrder   I = INCREASING_Y;
    const LineOrder   D = DECREASING_Y;

    const std::vector<FileSpec> specs = {
        {"yc.exr", 64, 48, -10, -6, {Y, RY, BY}, Z, I, false, nullptr},
        {"yca.exr", 90, 70, 4, 2, {Y, RY, BY, A}, Z, I, false, nullptr},
        {"yc_specials.exr", 66, 52, -2, 0, {Y, RY, BY, A}, Z, I, true, nullptr},
        {"yc_tall.exr", 34, 300, 0, -40, {Y, RY, BY}, Z, I, false, nullptr},
        {"yc_wide.exr", 700, 20, -300, 10, {Y, RY, BY}, Z, I, false, nullptr},
        {"yc_decreasing.exr", 40, 60, 2, 2, {Y, RY, BY, A}, Z, D, false, nullptr},
        {"yc_lines.exr", 30, 90, 0, 0, {Y, RY, BY}, NO_COMPRESSION, I, false, nullptr},
        {"yc_rle.exr", 26, 44, -4, -4, {Y, RY, BY}, RLE_COMPRESSION, D, false, nullptr},
        {"yc_2x2.exr", 2, 2, 0, 0, {Y, RY, BY}, Z, I, false, nullptr},
        {"yc_2x40.exr", 2, 40, 6, -8, {Y, RY, BY}, Z, I, false, nullptr},
        {"yc_40x2.exr", 40, 2, -8, 6, {Y, RY, BY}, Z, I, false, nullptr},
        {"yc_no_y.exr", 30, 30, 0, 0, {RY, BY}, Z, I, false, nullptr},
        {"yc_ry_only.exr", 30, 32, 0, 0, {Y, RY, A}, Z, I, false, nullptr},
        {"yc_with_rgb.exr", 32, 30, 0, 0, {Y, RY, BY, R, G, B}, Z, I, false, nullptr},
        {"yc_types.exr", 36, 36, -2, -2, {Yf, RYf, BYu, Af}, Z, I, true, nullptr},
        {"yc_xyz.exr", 50, 40, 0, 0, {Y, RY, BY}, Z, I, false, &xyz},
        {"yc_p3.exr", 50, 40, 0, 0, {Y, RY, BY, A}, Z, I, false, &p3},
        {"yc_full_chroma.exr", 20, 20, 0, 0, {Y, RY1, BY1}, Z, I, false, nullptr},
        {"yc_degenerate.exr", 20, 20, 0, 0, {Y, RY, BY}, Z, I, false, &degenerate},
        {"y.exr", 33, 27, -5, 3, {Y}, Z, I, false, nullptr},
        {"ya.exr", 33, 27, 0, 0, {Y, A}, Z, I, true, nullptr},
        {"y_with_rgb.exr", 31, 29, 0, 0, {Y, R, G, B}, Z, I, false, nullptr},
        {"rgb.exr", 37, 23, -1, -1, {R, G, B}, Z, I, true, nullptr},
        {"rgba.exr", 37, 23, 0, 0, {R, G, B, A}, Z, D, false, nullptr},
        {"rg_float.exr", 29, 21, 3, 0, {Rf, G}, Z, I, true, nullptr},
    };
    uint64_t seed = 1;
    for (const FileSpec& spec: specs)
        synthFile (dir, spec, seed++);
    synthThroughRgba (dir, "rgba_to_yc.exr", 128, 96, -16, -20, WRITE_YC, nullptr);
    synthThroughRgba (dir, "rgba_to_yca.exr", 150, 100, 0, 0, WRITE_YCA, nullptr);
    synthThroughRgba (dir, "rgba_to_yc_xyz.exr", 96, 64, 0, 0, WRITE_YC, &xyz);
    return 0;
}

} // namespace

int
main (int argc, char** argv)
{
    try
    {
        std::string command = argc > 1 ? argv[1] : "";
        if (command == "dump" && argc == 4) return dump (argv[2], argv[3]);
        if (command == "zip" && argc == 4) return zip (argv[2], argv[3]);
        if (command == "synth" && argc == 3) return synth (argv[2]);
        std::fprintf (stderr, "usage: rgba_dump dump IN OUT | zip IN OUT | synth DIR\n");
        return 2;
    }
    catch (const std::exception& e)
    {
        std::fprintf (stderr, "rgba_dump: %s\n", e.what ());
        return 1;
    }
}
