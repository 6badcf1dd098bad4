# libzos 1.1: what the example's daemons share. Every start and stop is
# written to /var/log/zos/events, the running version to /run/NAME.version.
zos_start() {
  mkdir -p /var/log/zos
  echo "$(date +%s) start $1 $2 pid $$ libzos 1.1" >> /var/log/zos/events
  echo "$2 $$" > "/run/$1.version"
}
zos_stop() {
  echo "$(date +%s) stop $1 $2" >> /var/log/zos/events
}
