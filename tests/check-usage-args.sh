#!/bin/sh
# The README's argument table is the one the argument table makes.
# Usage: check-readme-args.sh BATCH-COMMAND README
table=$("$1" --arguments-markdown) || exit 1
if printf '%s\n' "$table" | grep -vxF -f "$2" >/dev/null; then
  echo "README.md's argument table differs from the plug-in's; replace it with:"
  printf '%s\n' "$table"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "readme-arguments: 1 passed, 0 failed"
