# Sourced by e2e tests after e2e.sh: start_nginx SERVERS runs Debian's
# nginx in the foreground with everything (pid, logs, temp dirs) under
# $SCRATCH/ngx, SERVERS being the text of its server blocks; the access log
# is $SCRATCH/ngx/access.log. free_port prints a free 127.0.0.1 port.
free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_nginx() {
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || skip "nginx not installed"
  mkdir -p "$SCRATCH/ngx"
  cat >"$SCRATCH/ngx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $SCRATCH/ngx/nginx.pid;
error_log $SCRATCH/ngx/error.log;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 256; }
http {
  access_log $SCRATCH/ngx/access.log;
  client_body_temp_path $SCRATCH/ngx/body; proxy_temp_path $SCRATCH/ngx/proxy;
  fastcgi_temp_path $SCRATCH/ngx/fcgi; uwsgi_temp_path $SCRATCH/ngx/uwsgi; scgi_temp_path $SCRATCH/ngx/scgi;
  sendfile on;
  $1
}
CONF
  /usr/sbin/nginx -c "$SCRATCH/ngx/nginx.conf" -e "$SCRATCH/ngx/error.log" &
  NGX=$!
  on_exit "kill $NGX"
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (5 s at most).
wait_port() {
  for _ in $(seq 100); do
    $PY -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "nothing listens on 127.0.0.1:$1: $(cat "$SCRATCH/ngx/error.log" 2>/dev/null)"
}
