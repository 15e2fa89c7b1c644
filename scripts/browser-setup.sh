#!/usr/bin/env bash
# Debian's Chromium for the browser tests (the dashboard opened as a person sees it); playwright-core
# drives it at /usr/bin/chromium. Idempotent: does nothing when it is already installed.
set -uo pipefail
[ -x /usr/bin/chromium ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
printf '[test] %s\n' "installing chromium (headless browser for the dashboard test)" >&2
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null \
  || { printf '[test] %s\n' "could not install chromium: the browser test will fail" >&2; exit 1; }
