#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every catalog compiles, checks its format strings, and translates every
# string the sources mark, with none fuzzy.  Usage: check-translations.sh PO-DIR
set -u
po=$1
src=$(dirname "$po")
pass=0 fail=0
pot=$(mktemp)
trap 'rm -f "$pot"' EXIT
(cd "$src" && xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ \
   -o "$pot" -f po/POTFILES) || { echo "xgettext failed"; exit 1; }
for lang in $(cat "$po/LINGUAS"); do
  stats=$(msgfmt --check --statistics -o /dev/null "$po/$lang.po" 2>&1)
  missing=$(msgcmp "$po/$lang.po" "$pot" 2>&1 | grep -c "this message is used but not defined")
  if echo "$stats" | grep -qE "untranslated|fuzzy|error" || [ "$missing" != 0 ]; then
    echo "$lang: $stats; $missing strings of the sources missing"
    fail=$((fail + 1))
  else
    echo "$lang: $stats"
    pass=$((pass + 1))
  fi
done
echo "translations: $pass passed, $fail failed"
[ $fail = 0 ]
