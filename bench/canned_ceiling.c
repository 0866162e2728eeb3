// canned_ceiling.c: a reference row for bench/small_files.sh (-x canned), not a server.
// A copy of /work/shared/tools/canned_ceiling.c (the measuring aid ANCHORS.md cites for issue 14's
// 4 KiB goal), unchanged below this comment. What it is: the req/s ceiling of an epoll server on this
// machine that answers every request head with one send() of a prebuilt 4 KiB reply from memory: no
// file, no parsing beyond "\r\n\r\n", one recv + one send per request. Whatever serves a 4 KiB file
// faster than this does less kernel work per request than recv + send via epoll.
// small_files.sh builds it with `gcc -O2 -pthread` and runs `canned_ceiling PORT WORKERS`; it serves
// the same 4 KiB body for every path, so the script runs it on the 4 KiB file only.
// A measuring aid: the req/s ceiling of a canned-response epoll server on this machine.
// Run it beside the servers you compare; the project's own benchmarks write their own probes rather than depend on this file.
// canned_ceiling.c: the req/s ceiling for a 4 KiB keep-alive response on this machine: N threads, each its own
// SO_REUSEPORT listener and epoll loop; every read that ends a request head is answered with one send() of a
// prebuilt head+body from memory. No file, no parsing beyond finding "\r\n\r\n".
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
static char resp[8192]; static int resp_len; static int port;
static void *loop(void *arg) {
  (void)arg; int one = 1; int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  setsockopt(ls, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001)};
  if (bind(ls, (void *)&a, sizeof a) || listen(ls, 4096)) { perror("bind"); exit(1); }
  int ep = epoll_create1(0); struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}; epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[256]; char buf[16384];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) { int c; while ((c = accept4(ls, 0, 0, SOCK_NONBLOCK)) >= 0) { setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); struct epoll_event e = {.events = EPOLLIN, .data.fd = c}; epoll_ctl(ep, EPOLL_CTL_ADD, c, &e); } continue; }
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r <= 0) { close(fd); continue; }
      int reqs = 0; for (ssize_t k = 3; k < r; k++) if (buf[k] == '\n' && buf[k-1] == '\r' && buf[k-2] == '\n' && buf[k-3] == '\r') reqs++;
      for (int q = 0; q < reqs; q++) send(fd, resp, resp_len, MSG_NOSIGNAL);
    }
  }
  return 0;
}
int main(int argc, char **argv) {
  port = atoi(argv[1]); int threads = argc > 2 ? atoi(argv[2]) : 2;
  resp_len = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nServer: canned\r\nContent-Type: application/octet-stream\r\nContent-Length: 4096\r\n\r\n");
  memset(resp + resp_len, 'x', 4096); resp_len += 4096;
  pthread_t t[64]; for (int i = 0; i < threads; i++) pthread_create(&t[i], 0, loop, 0);
  pthread_join(t[0], 0);
}
