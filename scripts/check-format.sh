#!/usr/bin/env bash
# Fails when a C++ or CUDA source does not follow .clang-format (clang-format 14, Debian 12's).
# Part of the test command: CTest runs it as style/clang-format. `--fix` formats in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format}
command -v "$fmt" >/dev/null || { echo "check-format: $fmt not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h' '*.cu' '*.cuh')
else
  mapfile -t files < <(find app engine widgets tests bench -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh')
fi
if [ "${1:-}" = "--fix" ]; then
  "$fmt" -i "${files[@]}"
  echo "check-format: formatted ${#files[@]} files"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  "$fmt" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} of ${#files[@]} files do not follow .clang-format ($("$fmt" --version | sed 's/.*version //')):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "run ./scripts/check-format.sh --fix (or clang-format -i FILE)" >&2
  exit 1
fi
echo "check-format: all ${#files[@]} sources follow .clang-format"
