// CSV datasets (engine/data/CsvDataset): numeric features with the label last, or
// "path,label" rows (paths that do not exist are skipped and named).
#include "fuzz/FuzzTarget.h"

#include "engine/data/Dataset.h"

NETCANVAS_FUZZ_TARGET(csv)
{
    netcanvas::DatasetOptions options;
    options.channels = 1;
    options.height = 4;
    options.width = 4;
    netcanvas::openDataset(netcanvas::fuzz::scratchFile("fuzz.csv", input), options);
}
