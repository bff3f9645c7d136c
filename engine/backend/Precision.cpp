#include "engine/backend/Precision.h"

#include "engine/core/Error.h"

namespace netcanvas {

Precision parsePrecision(const std::string& text, const std::string& what)
{
    for (Precision p : { Precision::Fp32, Precision::Tf32, Precision::Fp16 })
        if (text == precisionName(p))
            return p;
    throw FormatError(what + " '" + text + "': expected fp32, tf32 or fp16");
}

} // namespace netcanvas
