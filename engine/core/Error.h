#pragma once
// Typed errors of the engine. Every message names the thing at fault: the file and line,
// the node and its shapes, the image path. The engine throws; it never aborts.
#include <stdexcept>
#include <string>

namespace netcanvas {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what)
        : std::runtime_error(what)
    {
    }
};

// A tensor shape that does not fit: names the node and both shapes.
class ShapeError : public Error {
public:
    using Error::Error;
};
// A file that is not what it should be (model JSON, IDX, safetensors, CSV): names file and field/line.
class FormatError : public Error {
public:
    using Error::Error;
};
// Data that cannot be used for training (empty class, label out of range, no images).
class DataError : public Error {
public:
    using Error::Error;
};
// A graph that cannot run (cycle, dangling input, missing output).
class GraphError : public Error {
public:
    using Error::Error;
};
// A backend failure (device, library call).
class BackendError : public Error {
public:
    using Error::Error;
};
// An I/O failure (cannot open, cannot write, rename failed).
class IoError : public Error {
public:
    using Error::Error;
};
// A file held by another process (the labels of a folder open in another window): names the holder.
class LockError : public IoError {
public:
    using IoError::IoError;
};
// Training diverged: loss or an activation became NaN/Inf.
class DivergedError : public Error {
public:
    using Error::Error;
};

} // namespace netcanvas
