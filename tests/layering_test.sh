#!/usr/bin/env bash
# Fails when a library's sources include a project header from a folder the library does not
# link, or include <uv.h> without linking beat_uv: the link graph says which way dependencies go,
# and this keeps header-only uses (inline functions, types) going the same way.
# Usage: tests/layering_test.sh ROOT DIR ALLOWED_DIR...
#   ROOT: the source tree; DIR: the library's folder (relative to ROOT, files directly in it);
#   ALLOWED_DIR: folders of the libraries it links, directly or not (DIR itself is allowed).
set -euo pipefail
root=$1 dir=$2
shift 2
allowed=("$dir" "$@")
bad=0
shopt -s nullglob
for f in "$root/$dir"/*.hpp "$root/$dir"/*.cpp; do
  while IFS= read -r line; do
    if [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      path=${BASH_REMATCH[1]}
      folder=${path%/*}
      [[ $path == */* ]] || folder=.
      ok=0
      for a in "${allowed[@]}"; do [[ $folder == "$a" ]] && ok=1; done
      # Project headers only: a folder that is not in the tree belongs to another project.
      if ((!ok)) && [[ -d $root/$folder ]]; then
        echo "${f#"$root"/}: includes $path, but $dir does not link $folder" >&2
        bad=1
      fi
    elif [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<uv\.h\> ]]; then
      ok=0
      for a in "${allowed[@]}"; do [[ $a == common/uv ]] && ok=1; done
      if ((!ok)); then
        echo "${f#"$root"/}: includes <uv.h>, but $dir is pure (does not link beat_uv)" >&2
        bad=1
      fi
    fi
  done <"$f"
done
exit "$bad"
