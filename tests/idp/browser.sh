#!/bin/sh
# A stand-in for the system browser, for tests: Roadbook runs "$BROWSER URL" to sign in, and
# this script does what a person would on the test provider's login page. It reads
#   ROADBOOK_TEST_LOGIN    who signs in (default priya)
#   ROADBOOK_TEST_LOGIN_FILE  a file naming who signs in, read at each sign-in (an app keeps
#                          the environment it started with; a test switches people this way)
#   ROADBOOK_TEST_BROWSER  login (default): sign in; deny: press "cancel" (access_denied);
#                          close: open the page and go away, as a person who closes the tab
set -eu
url="$1"
login="${ROADBOOK_TEST_LOGIN:-priya}"
if [ -n "${ROADBOOK_TEST_LOGIN_FILE:-}" ]; then login="$(cat "$ROADBOOK_TEST_LOGIN_FILE")"; fi
jar="$(mktemp)"
trap 'rm -f "$jar"' EXIT
# The authorize URL leads to the provider's login page; its address holds the interaction.
page="$(curl -sS -c "$jar" -b "$jar" -L -o /dev/null -w '%{url_effective}' "$url")"
case "$page" in
  */interaction/*) ;;
  *) echo "browser.sh: expected the login page, got $page" >&2; exit 1 ;;
esac
case "${ROADBOOK_TEST_BROWSER:-login}" in
  login)
    curl -sS -c "$jar" -b "$jar" -L -o /dev/null \
      --data-urlencode "prompt=login" \
      --data-urlencode "login=$login" \
      --data-urlencode "password=any" \
      "$page" ;;
  deny)
    curl -sS -c "$jar" -b "$jar" -L -o /dev/null "$page/abort" ;;
  close) ;;
esac
