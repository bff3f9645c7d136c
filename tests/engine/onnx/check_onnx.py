"""Runs python3-onnx's checker (with full shape inference) on every file given; exit 1 naming
the first that fails (tests/engine/test_onnx.cpp)."""
import sys

import onnx

for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
    except Exception as e:  # the checker's ValidationError, inference errors
        print("%s: %s" % (path, e))
        sys.exit(1)
print("checked %d files" % (len(sys.argv) - 1))
