// The image decode path (engine/data/ImageDecode): the header's size check, then OpenCV's
// decoder and the fitting to the model's input, as a dataset or predict loads a file and as
// the inference service decodes an upload.
#include "fuzz/FuzzTarget.h"

#include "engine/data/Dataset.h"
#include "engine/data/ImageHeader.h"

NETCANVAS_FUZZ_TARGET(image)
{
    netcanvas::imageSizeFromHeader(input);
    // The extension only selects JPEG's flags; the header decides the decoder.
    const char* name = input.size() > 1 && static_cast<uint8_t>(input[0]) == 0xFF ? "fuzz.jpg" : "fuzz.png";
    try {
        netcanvas::loadImageSample(netcanvas::fuzz::scratchFile(name, input), 3, 8, 8, netcanvas::ResizePolicy::Pad);
    } catch (const netcanvas::Error&) {
        // refused with a message: the upload path below gets the same bytes
    }
    const auto* bytes = reinterpret_cast<const uint8_t*>(input.data());
    netcanvas::decodeImageSample(bytes, input.size(), "upload", 1, 8, 8, netcanvas::ResizePolicy::Stretch);
}
