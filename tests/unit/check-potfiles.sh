#!/bin/sh
# Every source file with strings marked for translation is in po/POTFILES.in,
# and every file listed there exists.
set -eu
cd "$1"
status=0
for file in $(grep -rlE '(^|[^A-Za-z0-9_])(N?_|C_|NC_|g_dngettext|ngettext)\(|translatable="yes"' \
                src data --include='*.c' --include='*.ui' --include='*.in' --include='*.xml' | sort); do
  if ! grep -qx "$file" po/POTFILES.in; then
    echo "$file has translatable strings but is not in po/POTFILES.in"
    status=1
  fi
done
for file in $(grep -vE '^(#|$)' po/POTFILES.in); do
  if [ ! -f "$file" ]; then
    echo "po/POTFILES.in lists $file, which does not exist"
    status=1
  fi
done
[ $status -eq 0 ] && echo "po/POTFILES.in is complete"
exit $status
