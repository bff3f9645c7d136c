// IDX arrays (engine/data/IdxDataset): the first byte picks plain or gzip, the rest is the file.
#include "fuzz/FuzzTarget.h"

#include "engine/data/Dataset.h"

#include <zlib.h>

NETCANVAS_FUZZ_TARGET(idx)
{
    if (input.empty())
        return;
    const bool gzip = input[0] & 1;
    input.remove_prefix(1);
    std::string bytes(input);
    if (gzip) {
        const std::string path = netcanvas::fuzz::scratchFile("train-images-idx3-ubyte.gz", "");
        gzFile f = gzopen(path.c_str(), "wb");
        gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
        gzclose(f);
        netcanvas::readIdxFile(path);
        return;
    }
    netcanvas::readIdxFile(netcanvas::fuzz::scratchFile("train-images-idx3-ubyte", bytes));
}
