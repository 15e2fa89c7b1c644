#!/usr/bin/env bash
# Debian's prometheus package for promtool, which the deploy test uses to check the alert rules
# and dashboard queries of deploy/. Idempotent: does nothing when promtool is there.
set -uo pipefail
command -v promtool >/dev/null && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
printf '[test] %s\n' "installing prometheus (promtool, for the deploy/ rule checks)" >&2
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
  || { printf '[test] %s\n' "could not install prometheus: the deploy test will fail" >&2; exit 1; }
