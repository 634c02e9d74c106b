#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The argument table in docs/usage.md is the one the plug-in's argument
# table makes.  Usage: check-usage-args.sh BATCH-COMMAND USAGE-MD
table=$("$1" --arguments-markdown) || exit 1
if printf '%s\n' "$table" | grep -vxF -f "$2" >/dev/null; then
  echo "$2's argument table differs from the plug-in's; replace it with:"
  printf '%s\n' "$table"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "usage-arguments: 1 passed, 0 failed"
