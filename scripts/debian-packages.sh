#!/usr/bin/env bash
# The Debian packages the test command needs, installed in one apt run (one `apt-get update`, one
# install) instead of one run per setup script:
#   libgl1             OpenCV (a rapidocr dependency of the Python OCR operator) loads it headless
#   protobuf-compiler  protoc, for the Go SDK's stubs
#   fonts-wqy-zenhei   a CJK font: the OCR tests and the demo site render Chinese text
#   chromium           the dashboard's browser test (playwright-core drives /usr/bin/chromium)
#   prometheus         promtool, for the deploy/ rule and query checks
# Idempotent: installs only what is missing, and nothing at all when everything is there. The
# setup scripts that need one of them (sdk-setup.sh, browser-setup.sh, promtool-setup.sh) still
# check for it themselves, so each keeps working when run on its own.
set -uo pipefail
say() { printf '[packages] %s\n' "$*" >&2; }

missing=()
ldconfig -p | grep -q 'libGL.so.1' || missing+=(libgl1)
command -v protoc >/dev/null || missing+=(protobuf-compiler)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-zenhei)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v promtool >/dev/null || missing+=(prometheus)
[ "${#missing[@]}" -eq 0 ] && exit 0

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
say "installing ${missing[*]} (Debian)"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  say "could not install ${missing[*]}: the tests that need them will fail"
  exit 1
fi
