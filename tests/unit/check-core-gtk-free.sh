#!/bin/sh
# The core library must stay GUI-free: no GTK, libadwaita or WebKit.
set -eu
core="$1/src/core"
[ -d "$core" ] || { echo "no $core"; exit 1; }
if grep -rnE '#include <(gtk|gdk|adwaita|webkit)' "$core"; then
  echo "src/core includes a GUI toolkit (above)"
  exit 1
fi
echo "src/core is GUI-free"
