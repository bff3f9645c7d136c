#include "engine/io/Safetensors.h"

#include "engine/core/Error.h"
#include "engine/data/Split.h"
#include "engine/graph/ModelJson.h"
#include "engine/io/AtomicFile.h"
#include "engine/train/Network.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace netcanvas {

namespace {

std::string shapeText(const std::vector<int64_t>& dims)
{
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i)
        s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

float halfToFloat(uint16_t h)
{
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t mant = h & 0x3FFu;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { // subnormal: normalize
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while ((mant & 0x400u) == 0);
            bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3FFu) << 13);
        }
    } else if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(bits);
}

struct DtypeInfo {
    const char* name;
    size_t bytes;
};
constexpr DtypeInfo kDtypes[] = { { "F32", 4 }, { "F64", 8 }, { "F16", 2 }, { "BF16", 2 } };

} // namespace

void saveSafetensors(const std::string& path, const TensorFile& file)
{
    nlohmann::json header = nlohmann::json::object();
    uint64_t offset = 0;
    // std::map iterates names in sorted order: the data follows that order.
    for (const auto& [name, t] : file.tensors) {
        if (name == "__metadata__" || name.empty())
            throw FormatError(path + ": invalid tensor name '" + name + "'");
        if (t.shape().numel() != t.size())
            throw FormatError(path + ": tensor '" + name + "' has shape " + t.shape().toString() + " but "
                + std::to_string(t.size()) + " values");
        const uint64_t bytes = static_cast<uint64_t>(t.size()) * sizeof(float);
        header[name]
            = { { "dtype", "F32" }, { "shape", t.shape().dims() }, { "data_offsets", { offset, offset + bytes } } };
        offset += bytes;
    }
    if (!file.metadata.empty()) {
        nlohmann::json meta = nlohmann::json::object();
        for (const auto& [k, v] : file.metadata)
            meta[k] = v;
        header["__metadata__"] = meta;
    }
    std::string text;
    try {
        text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path + ": a tensor name or metadata value is not valid UTF-8 (" + e.what() + ")");
    }
    while (text.size() % 8 != 0)
        text += ' ';
    std::string bytes;
    bytes.resize(8 + text.size() + offset);
    const uint64_t n = text.size();
    std::memcpy(bytes.data(), &n, 8); // little-endian host (static_assert above)
    std::memcpy(bytes.data() + 8, text.data(), text.size());
    char* dst = bytes.data() + 8 + text.size();
    for (const auto& [name, t] : file.tensors) {
        const size_t b = static_cast<size_t>(t.size()) * sizeof(float);
        if (b)
            std::memcpy(dst, t.data(), b);
        dst += b;
    }
    writeFileAtomic(path, bytes);
}

TensorFile loadSafetensors(const std::string& path)
{
    const std::string bytes = readFile(path);
    auto fail = [&](const std::string& why) -> FormatError { return FormatError(path + ": " + why); };
    if (bytes.size() < 8)
        throw fail("not a safetensors file: only " + std::to_string(bytes.size())
            + " bytes (the header length alone takes 8)");
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    if (n > bytes.size() - 8)
        throw fail("header length " + std::to_string(n) + " goes beyond the end of the file ("
            + std::to_string(bytes.size()) + " bytes)");
    nlohmann::json header;
    checkJsonDepth(std::string_view(bytes).substr(8, n), path + ": header");
    try {
        header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    } catch (const nlohmann::json::exception& e) {
        throw fail(std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object())
        throw fail("header must be a JSON object");
    const char* buffer = bytes.data() + 8 + n;
    const uint64_t bufferSize = bytes.size() - 8 - n;

    TensorFile out;
    struct Range {
        uint64_t begin, end;
        std::string name;
    };
    std::vector<Range> ranges;
    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& name = it.key();
        const nlohmann::json& e = it.value();
        if (name == "__metadata__") {
            if (!e.is_object())
                throw fail("__metadata__ must be an object of strings");
            for (auto m = e.begin(); m != e.end(); ++m) {
                if (!m.value().is_string())
                    throw fail("__metadata__ entry '" + m.key() + "' must be a string, not " + m.value().dump());
                out.metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        const std::string at = "tensor '" + name + "': ";
        if (!e.is_object())
            throw fail(at + "entry must be an object");
        if (!e.contains("dtype") || !e["dtype"].is_string())
            throw fail(at + "missing or non-string \"dtype\"");
        const std::string dtype = e["dtype"].get<std::string>();
        const DtypeInfo* info = nullptr;
        for (const auto& d : kDtypes)
            if (dtype == d.name)
                info = &d;
        if (!info)
            throw fail(at + "unsupported dtype '" + dtype + "' (readable: F32, F64, F16, BF16)");
        if (!e.contains("shape") || !e["shape"].is_array())
            throw fail(at + "missing or non-array \"shape\"");
        std::vector<int64_t> dims;
        unsigned __int128 numel = 1;
        for (const auto& d : e["shape"]) {
            if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0))
                throw fail(at + "shape " + e["shape"].dump() + " must hold non-negative integers");
            const uint64_t v = d.get<uint64_t>();
            numel *= v;
            if (numel > bufferSize || v > static_cast<uint64_t>(INT64_MAX))
                numel = static_cast<unsigned __int128>(bufferSize) + 1; // too large; reported below
            dims.push_back(static_cast<int64_t>(v));
        }
        if (!e.contains("data_offsets") || !e["data_offsets"].is_array() || e["data_offsets"].size() != 2
            || !e["data_offsets"][0].is_number_unsigned() || !e["data_offsets"][1].is_number_unsigned())
            throw fail(at + "\"data_offsets\" must be [begin, end] with non-negative integers");
        const uint64_t begin = e["data_offsets"][0].get<uint64_t>();
        const uint64_t end = e["data_offsets"][1].get<uint64_t>();
        if (begin > end || end > bufferSize)
            throw fail(at + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end)
                + "] out of range (the data buffer has " + std::to_string(bufferSize) + " bytes)");
        const unsigned __int128 expected = numel * info->bytes;
        if (expected != end - begin)
            throw fail(at + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] hold "
                + std::to_string(end - begin) + " bytes, but shape " + shapeText(dims) + " of " + dtype + " needs "
                + (numel > bufferSize ? std::string("more than the file holds")
                                      : std::to_string(static_cast<uint64_t>(expected))));
        ranges.push_back({ begin, end, name });

        Tensor t { Shape(dims) };
        const char* src = buffer + begin;
        const int64_t count = t.size();
        float* dst = t.data();
        if (dtype == "F32") {
            if (count)
                std::memcpy(dst, src, static_cast<size_t>(count) * 4);
        } else if (dtype == "F64") {
            for (int64_t i = 0; i < count; ++i) {
                double v;
                std::memcpy(&v, src + i * 8, 8);
                dst[i] = static_cast<float>(v);
            }
        } else if (dtype == "F16") {
            for (int64_t i = 0; i < count; ++i) {
                uint16_t h;
                std::memcpy(&h, src + i * 2, 2);
                dst[i] = halfToFloat(h);
            }
        } else { // BF16: the upper half of a float32
            for (int64_t i = 0; i < count; ++i) {
                uint16_t h;
                std::memcpy(&h, src + i * 2, 2);
                dst[i] = std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
            }
        }
        out.tensors.emplace(name, std::move(t));
    }
    std::sort(ranges.begin(), ranges.end(),
        [](const Range& a, const Range& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    for (size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].begin < ranges[i - 1].end)
            throw fail("tensors '" + ranges[i - 1].name + "' and '" + ranges[i].name + "' overlap in the data buffer");
    return out;
}

namespace {

// Weights with NaN or an infinity are never read nor written: they predict garbage silently.
void checkFinite(const std::string& path, const std::string& name, const Tensor& t, bool writing = false)
{
    const float* v = t.data();
    for (int64_t i = 0; i < t.size(); ++i)
        if (!std::isfinite(v[i]))
            throw FormatError(path + ": tensor '" + name + "' holds " + (std::isnan(v[i]) ? "NaN" : "an infinity")
                + " (element " + std::to_string(i) + ")"
                + (writing ? ": not written (the weights diverged)"
                           : ": these weights come from a diverged run and cannot be used"));
}

} // namespace

void saveWeights(const std::string& path, Network& network, const WeightsMeta& meta)
{
    TensorFile file;
    for (const auto& p : network.parameters()) {
        const std::string key = p.key();
        if (file.tensors.count(key))
            throw FormatError(path + ": two parameters named '" + key + "'");
        Tensor host = network.hostCopy(p.param->value); // downloaded from a device
        checkFinite(path, key, host, true);
        file.tensors.emplace(key, std::move(host));
    }
    // Class names come from folder names and CSV cells: invalid UTF-8 bytes become U+FFFD.
    file.metadata["netcanvas.classes"]
        = nlohmann::json(meta.classNames).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!meta.mean.empty() || !meta.stddev.empty())
        file.metadata["netcanvas.normalization"]
            = nlohmann::json { { "mean", meta.mean }, { "std", meta.stddev } }.dump();
    if (!meta.modelJson.empty())
        file.metadata["netcanvas.model"] = meta.modelJson;
    if (!meta.dataset.empty())
        file.metadata["netcanvas.dataset"] = meta.dataset;
    saveSafetensors(path, file);
}

WeightsMeta weightsMetaOf(const std::string& path, const TensorFile& file)
{
    WeightsMeta meta;
    auto parseMeta = [&](const char* key) -> nlohmann::json {
        auto it = file.metadata.find(key);
        if (it == file.metadata.end())
            return nullptr;
        checkJsonDepth(it->second, path + ": metadata '" + key + "'");
        try {
            return nlohmann::json::parse(it->second);
        } catch (const nlohmann::json::exception& e) {
            throw FormatError(path + ": metadata '" + key + "' is not valid JSON: " + e.what());
        }
    };
    const nlohmann::json classes = parseMeta("netcanvas.classes");
    if (!classes.is_null()) {
        if (!classes.is_array())
            throw FormatError(path + ": metadata 'netcanvas.classes' must be a JSON array of strings");
        for (const auto& c : classes) {
            if (!c.is_string())
                throw FormatError(path + ": metadata 'netcanvas.classes' must be a JSON array of strings");
            meta.classNames.push_back(c.get<std::string>());
        }
    }
    const nlohmann::json norm = parseMeta("netcanvas.normalization");
    if (!norm.is_null()) {
        auto floats = [&](const char* k, std::vector<float>& out) {
            if (!norm.is_object() || !norm.contains(k) || !norm[k].is_array())
                throw FormatError(
                    path + ": metadata 'netcanvas.normalization' must be {\"mean\": [...], \"std\": [...]}");
            for (const auto& v : norm[k]) {
                const std::string at
                    = path + ": metadata 'netcanvas.normalization." + k + "'[" + std::to_string(out.size()) + "]";
                if (!v.is_number())
                    throw FormatError(at + " must be a number, not " + v.dump());
                const float f = v.get<float>();
                if (!std::isfinite(f))
                    throw FormatError(at + " is not a finite number");
                if (std::string_view(k) == "std" && !(f > 0))
                    throw FormatError(at + " is " + v.dump()
                        + ": a standard deviation must be positive (inputs would be divided by it)");
                out.push_back(f);
            }
        };
        floats("mean", meta.mean);
        floats("std", meta.stddev);
        if (meta.mean.size() != meta.stddev.size())
            throw FormatError(path + ": metadata 'netcanvas.normalization': mean and std differ in length");
    }
    if (auto it = file.metadata.find("netcanvas.model"); it != file.metadata.end())
        meta.modelJson = it->second;
    if (auto it = file.metadata.find("netcanvas.dataset"); it != file.metadata.end())
        meta.dataset = it->second;

    return meta;
}

WeightsMeta loadWeights(const std::string& path, Network& network)
{
    TensorFile file = loadSafetensors(path);
    auto params = network.parameters();

    std::vector<std::string> missing, mismatched;
    std::set<std::string> used;
    for (const auto& p : params) {
        const std::string key = p.key();
        auto it = file.tensors.find(key);
        if (it == file.tensors.end()) {
            missing.push_back(key);
            continue;
        }
        used.insert(key);
        if (it->second.shape() != p.param->value.shape())
            mismatched.push_back("'" + key + "' is " + shapeText(it->second.shape().dims()) + " in the file but "
                + shapeText(p.param->value.shape().dims()) + " in the network");
    }
    std::vector<std::string> extra;
    for (const auto& [name, t] : file.tensors)
        if (!used.count(name))
            extra.push_back(name);

    auto list = [](const std::vector<std::string>& v, bool quote) {
        std::string s;
        const size_t shown = std::min<size_t>(v.size(), 8);
        for (size_t i = 0; i < shown; ++i)
            s += (i ? ", " : "") + (quote ? "'" + v[i] + "'" : v[i]);
        if (v.size() > shown)
            s += " and " + std::to_string(v.size() - shown) + " more";
        return s;
    };
    if (used.empty() && !params.empty())
        throw FormatError(path + ": these weights belong to another model: none of the network's "
            + std::to_string(params.size()) + " tensors (e.g. '" + params.front().key() + "') is in the file"
            + (extra.empty() ? std::string() : ", which holds " + list(extra, true)));
    if (!missing.empty() || !mismatched.empty() || !extra.empty()) {
        std::string why;
        if (!mismatched.empty())
            why += "shape mismatch: " + list(mismatched, false);
        if (!missing.empty())
            why += std::string(why.empty() ? "" : "; ") + "missing tensors: " + list(missing, true);
        if (!extra.empty())
            why += std::string(why.empty() ? "" : "; ") + "tensors the network does not have: " + list(extra, true);
        throw FormatError(path + ": weights do not fit this network: " + why);
    }

    WeightsMeta meta = weightsMetaOf(path, file);
    for (const auto& p : params)
        checkFinite(path, p.key(), file.tensors.at(p.key()));
    for (const auto& p : params)
        network.assign(p.param->value, file.tensors.at(p.key())); // uploaded to a device
    return meta;
}

} // namespace netcanvas
