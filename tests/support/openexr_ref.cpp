// Reference helper for tests/writing.rs, built against the system's OpenEXR
// (C++ API) for what PyPI's OpenEXR cannot do: write or read levels past the
// first, write subsampled channels, read deepImageState attributes and the
// pixel types in channel lists.
//
//   openexr_ref reencode OUTDIR CODEC FILE [CODEC FILE ...]
//       rewrites every part of FILE number i (counting from 0) with
//       compression CODEC (none, rle, zips, zip, piz, pxr24, b44, b44a) and
//       otherwise the same header, every level, to OUTDIR/i.exr, then
//       decodes that file as `dump` does into OUTDIR/i.bin.
//   openexr_ref dump OUTDIR FILE ...
//       decodes every level of every part of FILE number i into
//       OUTDIR/i.bin: for each channel of each level of each part, a record
//       of part, level x, level y, name length (32-bit each), name, sample
//       bytes (64-bit), samples (little-endian, row-major over the
//       channel's sampled window of that level), numbers little-endian.
//   openexr_ref attributes OUTFILE FILE ...
//       writes to OUTFILE a JSON array with, for each FILE, either
//       {"error": MESSAGE} or {"parts": [PART ...]}, each PART an object
//       mapping attribute names to their values in the canonical form
//       tests/support/openexr_ref.py documents.
//
// A file OpenEXR refuses is recorded, not fatal: `reencode` and `dump`
// write the reason to OUTDIR/i.error, `attributes` as the file's entry.
// Anything else exits 1 with a message on stderr.

#include <ImfBoxAttribute.h>
#include <ImfChannelListAttribute.h>
#include <ImfChromaticitiesAttribute.h>
#include <ImfCompressionAttribute.h>
#include <ImfDeepImageStateAttribute.h>
#include <ImfDoubleAttribute.h>
#include <ImfEnvmapAttribute.h>
#include <ImfFloatAttribute.h>
#include <ImfFloatVectorAttribute.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputPart.h>
#include <ImfIntAttribute.h>
#include <ImfKeyCodeAttribute.h>
#include <ImfLineOrderAttribute.h>
#include <ImfMatrixAttribute.h>
#include <ImfMultiPartInputFile.h>
#include <ImfMultiPartOutputFile.h>
#include <ImfOpaqueAttribute.h>
#include <ImfOutputPart.h>
#include <ImfPartType.h>
#include <ImfPreviewImageAttribute.h>
#include <ImfRationalAttribute.h>
#include <ImfStringAttribute.h>
#include <ImfStringVectorAttribute.h>
#include <ImfTileDescriptionAttribute.h>
#include <ImfTiledInputPart.h>
#include <ImfTiledOutputPart.h>
#include <ImfTimeCodeAttribute.h>
#include <ImfVecAttribute.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace Imf;
using Imath::Box2i;

namespace {

void
writeFile (const std::string& path, const void* data, size_t size)
{
    std::ofstream out (path, std::ios::binary);
    out.write (static_cast<const char*> (data), static_cast<std::streamsize> (size));
    if (!out) throw std::runtime_error ("cannot write " + path);
}

std::string
hex (const void* data, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    std::string       out;
    auto              bytes = static_cast<const unsigned char*> (data);
    for (size_t i = 0; i < size; ++i)
    {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

// How many multiples of `s` lie in [min, max]: the samples of a channel
// sampled every `s` pixels.
long
sampled (int min, int max, int s)
{
    auto floorDiv = [] (long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
    return floorDiv (max, s) - floorDiv (static_cast<long> (min) - 1, s);
}

// One buffer per channel, compact over its sampled part of `window`.
struct Planes
{
    std::vector<std::string>       names;
    std::vector<std::vector<char>> buffers;
    FrameBuffer                    fb;

    Planes (const ChannelList& channels, const Box2i& window)
    {
        for (ChannelList::ConstIterator i = channels.begin (); i != channels.end (); ++i)
        {
            const Channel& c    = i.channel ();
            long           w    = sampled (window.min.x, window.max.x, c.xSampling);
            long           h    = sampled (window.min.y, window.max.y, c.ySampling);
            size_t         size = c.type == HALF ? 2 : 4;
            names.push_back (i.name ());
            buffers.emplace_back (static_cast<size_t> (w * h) * size);
            fb.insert (
                i.name (),
                Slice::Make (
                    c.type,
                    buffers.back ().data (),
                    window,
                    size,
                    size * static_cast<size_t> (w),
                    c.xSampling,
                    c.ySampling));
        }
    }

    // Appends a record of each channel to `out`.
    void save (std::string& out, int part, int lx, int ly) const
    {
        auto put = [&out] (uint64_t v, int bytes) {
            for (int b = 0; b < bytes; ++b)
                out += static_cast<char> (v >> (8 * b));
        };
        for (size_t i = 0; i < names.size (); ++i)
        {
            put (static_cast<uint32_t> (part), 4);
            put (static_cast<uint32_t> (lx), 4);
            put (static_cast<uint32_t> (ly), 4);
            put (names[i].size (), 4);
            out += names[i];
            put (buffers[i].size (), 8);
            out.append (buffers[i].data (), buffers[i].size ());
        }
    }
};

bool
tiledPart (const Header& header)
{
    return header.hasType () ? isTiled (header.type ()) : header.hasTileDescription ();
}

// Calls f(lx, ly, window) for every level of tiled part `part`.
template <class F>
void
eachLevel (TiledInputPart& part, F f)
{
    for (int ly = 0; ly < part.numYLevels (); ++ly)
    {
        for (int lx = 0; lx < part.numXLevels (); ++lx)
        {
            if (part.isValidLevel (lx, ly)) f (lx, ly, part.dataWindowForLevel (lx, ly));
        }
    }
}

void
dumpFile (const std::string& path, const std::string& out)
{
    std::string        records;
    MultiPartInputFile in (path.c_str ());
    for (int p = 0; p < in.parts (); ++p)
    {
        const Header& header = in.header (p);
        if (tiledPart (header))
        {
            TiledInputPart part (in, p);
            eachLevel (part, [&] (int lx, int ly, const Box2i& window) {
                Planes planes (header.channels (), window);
                part.setFrameBuffer (planes.fb);
                part.readTiles (
                    0, part.numXTiles (lx) - 1, 0, part.numYTiles (ly) - 1, lx, ly);
                planes.save (records, p, lx, ly);
            });
        }
        else
        {
            InputPart part (in, p);
            Box2i     window = header.dataWindow ();
            Planes    planes (header.channels (), window);
            part.setFrameBuffer (planes.fb);
            part.readPixels (window.min.y, window.max.y);
            planes.save (records, p, 0, 0);
        }
    }
    writeFile (out, records.data (), records.size ());
}

Compression
codec (const std::string& name)
{
    static const std::map<std::string, Compression> codecs = {
        {"none", NO_COMPRESSION},
        {"rle", RLE_COMPRESSION},
        {"zips", ZIPS_COMPRESSION},
        {"zip", ZIP_COMPRESSION},
        {"piz", PIZ_COMPRESSION},
        {"pxr24", PXR24_COMPRESSION},
        {"b44", B44_COMPRESSION},
        {"b44a", B44A_COMPRESSION}};
    auto found = codecs.find (name);
    if (found == codecs.end ()) throw std::runtime_error ("unknown codec " + name);
    return found->second;
}

void
reencode (const std::string& path, Compression compression, const std::string& out)
{
    MultiPartInputFile  in (path.c_str ());
    std::vector<Header> headers;
    for (int p = 0; p < in.parts (); ++p)
    {
        headers.push_back (in.header (p));
        headers.back ().compression () = compression;
    }
    MultiPartOutputFile file (out.c_str (), headers.data (), static_cast<int> (headers.size ()));
    for (int p = 0; p < in.parts (); ++p)
    {
        const Header& header = in.header (p);
        if (tiledPart (header))
        {
            TiledInputPart  source (in, p);
            TiledOutputPart target (file, p);
            eachLevel (source, [&] (int lx, int ly, const Box2i& window) {
                Planes planes (header.channels (), window);
                source.setFrameBuffer (planes.fb);
                source.readTiles (
                    0, source.numXTiles (lx) - 1, 0, source.numYTiles (ly) - 1, lx, ly);
                target.setFrameBuffer (planes.fb);
                target.writeTiles (
                    0, target.numXTiles (lx) - 1, 0, target.numYTiles (ly) - 1, lx, ly);
            });
        }
        else
        {
            InputPart  source (in, p);
            OutputPart target (file, p);
            Box2i      window = header.dataWindow ();
            Planes     planes (header.channels (), window);
            source.setFrameBuffer (planes.fb);
            source.readPixels (window.min.y, window.max.y);
            target.setFrameBuffer (planes.fb);
            target.writePixels (window.max.y - window.min.y + 1);
        }
    }
}

// JSON text of `s`, quoted.
std::string
quote (const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c: s)
    {
        if (c == '"' || c == '\\')
        {
            out += '\\';
            out += static_cast<char> (c);
        }
        else if (c < 0x20)
        {
            char buf[8];
            std::snprintf (buf, sizeof buf, "\\u%04x", c);
            out += buf;
        }
        else
            out += static_cast<char> (c);
    }
    return out + "\"";
}

std::string
bits (float v)
{
    uint32_t b;
    std::memcpy (&b, &v, 4);
    char buf[16];
    std::snprintf (buf, sizeof buf, "\"%08x\"", b);
    return buf;
}

std::string
bits (double v)
{
    uint64_t b;
    std::memcpy (&b, &v, 8);
    char buf[24];
    std::snprintf (buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long> (b));
    return buf;
}

std::string
bits (int v)
{
    return std::to_string (v);
}

// ["type", items...] with the items already rendered.
std::string
tagged (const char* type, const std::vector<std::string>& items)
{
    std::string out = std::string ("[\"") + type + "\"";
    for (const auto& item: items)
        out += "," + item;
    return out + "]";
}

template <class V>
std::string
vec (const char* type, const V& v, int n)
{
    std::vector<std::string> items;
    for (int i = 0; i < n; ++i)
        items.push_back (bits (v[i]));
    return tagged (type, items);
}

template <class M>
std::string
matrix (const char* type, const M& m, int n)
{
    std::vector<std::string> items;
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c)
            items.push_back (bits (m[r][c]));
    return tagged (type, items);
}

std::string
canonical (const Attribute& a)
{
    using S = std::string;
    if (auto v = dynamic_cast<const Box2iAttribute*> (&a))
    {
        auto b = v->value ();
        return tagged ("box2i", {bits (b.min.x), bits (b.min.y), bits (b.max.x), bits (b.max.y)});
    }
    if (auto v = dynamic_cast<const Box2fAttribute*> (&a))
    {
        auto b = v->value ();
        return tagged ("box2f", {bits (b.min.x), bits (b.min.y), bits (b.max.x), bits (b.max.y)});
    }
    if (auto v = dynamic_cast<const ChannelListAttribute*> (&a))
    {
        std::vector<S> items;
        for (auto i = v->value ().begin (); i != v->value ().end (); ++i)
        {
            const Channel& c = i.channel ();
            items.push_back (
                "[" + quote (i.name ()) + "," + std::to_string (int (c.type)) + "," +
                std::to_string (c.xSampling) + "," + std::to_string (c.ySampling) + "," +
                (c.pLinear ? "true" : "false") + "]");
        }
        return tagged ("chlist", items);
    }
    if (auto v = dynamic_cast<const ChromaticitiesAttribute*> (&a))
    {
        auto c = v->value ();
        return tagged (
            "chromaticities",
            {bits (c.red.x),
             bits (c.red.y),
             bits (c.green.x),
             bits (c.green.y),
             bits (c.blue.x),
             bits (c.blue.y),
             bits (c.white.x),
             bits (c.white.y)});
    }
    if (auto v = dynamic_cast<const CompressionAttribute*> (&a))
        return tagged ("compression", {bits (int (v->value ()))});
    if (auto v = dynamic_cast<const DoubleAttribute*> (&a))
        return tagged ("double", {bits (v->value ())});
    if (auto v = dynamic_cast<const EnvmapAttribute*> (&a))
        return tagged ("envmap", {bits (int (v->value ()))});
    if (auto v = dynamic_cast<const FloatAttribute*> (&a))
        return tagged ("float", {bits (v->value ())});
    if (auto v = dynamic_cast<const FloatVectorAttribute*> (&a))
        return vec ("floatvector", v->value (), static_cast<int> (v->value ().size ()));
    if (auto v = dynamic_cast<const IntAttribute*> (&a))
        return tagged ("int", {bits (v->value ())});
    if (auto v = dynamic_cast<const KeyCodeAttribute*> (&a))
    {
        auto k = v->value ();
        return tagged (
            "keycode",
            {bits (k.filmMfcCode ()),
             bits (k.filmType ()),
             bits (k.prefix ()),
             bits (k.count ()),
             bits (k.perfOffset ()),
             bits (k.perfsPerFrame ()),
             bits (k.perfsPerCount ())});
    }
    if (auto v = dynamic_cast<const LineOrderAttribute*> (&a))
        return tagged ("lineOrder", {bits (int (v->value ()))});
    if (auto v = dynamic_cast<const M33fAttribute*> (&a)) return matrix ("m33f", v->value (), 3);
    if (auto v = dynamic_cast<const M33dAttribute*> (&a)) return matrix ("m33d", v->value (), 3);
    if (auto v = dynamic_cast<const M44fAttribute*> (&a)) return matrix ("m44f", v->value (), 4);
    if (auto v = dynamic_cast<const M44dAttribute*> (&a)) return matrix ("m44d", v->value (), 4);
    if (auto v = dynamic_cast<const PreviewImageAttribute*> (&a))
    {
        const PreviewImage& p = v->value ();
        std::string         rgba;
        for (size_t i = 0; i < size_t (p.width ()) * p.height (); ++i)
        {
            const PreviewRgba& px       = p.pixels ()[i];
            unsigned char      bytes[4] = {px.r, px.g, px.b, px.a};
            rgba += hex (bytes, 4);
        }
        return tagged (
            "preview",
            {std::to_string (p.width ()), std::to_string (p.height ()), quote (rgba)});
    }
    if (auto v = dynamic_cast<const RationalAttribute*> (&a))
        return tagged ("rational", {bits (v->value ().n), std::to_string (v->value ().d)});
    if (auto v = dynamic_cast<const StringAttribute*> (&a))
        return tagged ("string", {quote (v->value ())});
    if (auto v = dynamic_cast<const StringVectorAttribute*> (&a))
    {
        std::vector<S> items;
        for (const auto& s: v->value ())
            items.push_back (quote (s));
        return tagged ("stringvector", items);
    }
    if (auto v = dynamic_cast<const TileDescriptionAttribute*> (&a))
    {
        auto t = v->value ();
        return tagged (
            "tiledesc",
            {std::to_string (t.xSize),
             std::to_string (t.ySize),
             bits (int (t.mode)),
             bits (int (t.roundingMode))});
    }
    if (auto v = dynamic_cast<const TimeCodeAttribute*> (&a))
    {
        return tagged (
            "timecode",
            {std::to_string (v->value ().timeAndFlags ()),
             std::to_string (v->value ().userData ())});
    }
    if (auto v = dynamic_cast<const V2iAttribute*> (&a)) return vec ("v2i", v->value (), 2);
    if (auto v = dynamic_cast<const V2fAttribute*> (&a)) return vec ("v2f", v->value (), 2);
    if (auto v = dynamic_cast<const V2dAttribute*> (&a)) return vec ("v2d", v->value (), 2);
    if (auto v = dynamic_cast<const V3iAttribute*> (&a)) return vec ("v3i", v->value (), 3);
    if (auto v = dynamic_cast<const V3fAttribute*> (&a)) return vec ("v3f", v->value (), 3);
    if (auto v = dynamic_cast<const V3dAttribute*> (&a)) return vec ("v3d", v->value (), 3);
    if (auto v = dynamic_cast<const DeepImageStateAttribute*> (&a))
        return tagged ("deepImageState", {bits (int (v->value ()))});
    if (auto v = dynamic_cast<const OpaqueAttribute*> (&a))
    {
        // This OpenEXR predates the bytes type and keeps such values opaque:
        // a 32-bit hint length, the hint, then the payload.
        const char* data = v->data ();
        size_t      size = static_cast<size_t> (v->dataSize ());
        if (std::strcmp (v->typeName (), "bytes") == 0 && size >= 4)
        {
            uint32_t hint;
            std::memcpy (&hint, data, 4);
            if (hint <= size - 4)
            {
                return tagged (
                    "bytes",
                    {quote (std::string (data + 4, hint)),
                     quote (hex (data + 4 + hint, size - 4 - hint))});
            }
        }
        return tagged ("opaque", {quote (v->typeName ()), quote (hex (data, size))});
    }
    return tagged ("unknown", {quote (a.typeName ())});
}

void
attributes (const std::string& out, const std::vector<std::string>& files)
{
    std::string json = "[";
    for (size_t f = 0; f < files.size (); ++f)
    {
        if (f) json += ",\n";
        try
        {
            MultiPartInputFile in (files[f].c_str ());
            std::string        parts;
            for (int p = 0; p < in.parts (); ++p)
            {
                std::string object;
                for (auto i = in.header (p).begin (); i != in.header (p).end (); ++i)
                {
                    if (!object.empty ()) object += ",";
                    object += quote (i.name ()) + ":" + canonical (i.attribute ());
                }
                parts += (p ? ",{" : "{") + object + "}";
            }
            json += "{\"parts\":[" + parts + "]}";
        }
        catch (const std::exception& e)
        {
            json += "{\"error\":" + quote (e.what ()) + "}";
        }
    }
    json += "]\n";
    writeFile (out, json.data (), json.size ());
}

// Runs f(i, OUTDIR/i) for every file, recording a failure in OUTDIR/i.error.
template <class F>
void
eachFile (const std::string& outdir, size_t count, F f)
{
    for (size_t i = 0; i < count; ++i)
    {
        std::string stem = outdir + "/" + std::to_string (i);
        try
        {
            f (i, stem);
        }
        catch (const std::exception& e)
        {
            writeFile (stem + ".error", e.what (), std::strlen (e.what ()));
        }
    }
}

} // namespace

int
main (int argc, char** argv)
{
    try
    {
        std::string              command = argc > 2 ? argv[1] : "";
        std::string              out     = argc > 2 ? argv[2] : "";
        std::vector<std::string> args (argv + std::min (argc, 3), argv + argc);
        if (command == "reencode" || command == "dump") mkdir (out.c_str (), 0777);
        if (command == "reencode" && args.size () % 2 == 0)
        {
            eachFile (out, args.size () / 2, [&] (size_t i, const std::string& stem) {
                reencode (args[2 * i + 1], codec (args[2 * i]), stem + ".exr");
                dumpFile (stem + ".exr", stem + ".bin");
            });
            return 0;
        }
        if (command == "dump")
        {
            eachFile (out, args.size (), [&] (size_t i, const std::string& stem) {
                dumpFile (args[i], stem + ".bin");
            });
            return 0;
        }
        if (command == "attributes")
        {
            attributes (out, args);
            return 0;
        }
        std::fprintf (
            stderr,
            "usage: openexr_ref reencode OUTDIR CODEC FILE ... | dump OUTDIR FILE ... | "
            "attributes OUTFILE FILE ...\n");
        return 2;
    }
    catch (const std::exception& e)
    {
        std::fprintf (stderr, "openexr_ref: %s\n", e.what ());
        return 1;
    }
}
