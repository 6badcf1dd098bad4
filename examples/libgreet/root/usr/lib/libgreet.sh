# libgreet 1.2.0 — sourced by programs that greet.
greet() {
  printf 'hello, %s (libgreet 1.2.0)\n' "$1"
}
