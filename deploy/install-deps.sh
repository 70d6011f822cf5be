#!/bin/sh
# Install everything piiscan needs to build, test and benchmark on Debian 12
# (bookworm), as root. Idempotent: packages already present are kept.
set -eu

packages="
  build-essential pkg-config git ca-certificates
  libhyperscan-dev librdkafka-dev liblz4-dev libxxhash-dev libsodium-dev
  libyaml-dev zlib1g-dev libzstd-dev libisal-dev
  python3 python3-stdnum python3-phonenumbers python3-jsonschema
  lz4 zstd gzip time
  clang libclang-rt-14-dev
  ripgrep kcat hyperfine
  default-jre-headless maven
"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
echo "install-deps: all packages present"
