#!/usr/bin/env bash
# Install headless Chromium and ChromeDriver from Debian's packages (for scripts/check_mlflow_ui.py and the
# `browser` tests). Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (or sudo).
# fonts-liberation is only a recommendation of chromium: it is named so that pages render with a known font.
# Test tools' own browser downloads (`npx playwright install`, puppeteer) do not work here; Debian's do.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "chromium already installed: $(chromium --version 2>/dev/null | head -n1)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser.sh: no apt-get here; install Chromium (or Chrome) yourself and pass --chromium PATH" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_browser.sh: need root (or sudo) to apt-get install chromium" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation >/dev/null
echo "installed: $(chromium --version 2>/dev/null | head -n1)"
