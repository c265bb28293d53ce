/*
 * The peer API of a standby daemon (http/peer.c): every request under
 * /peer/v1/ is answered 503 "standby" with Retry-After: 1, before the
 * exchange is asked anything. A real server on 127.0.0.1 over plain HTTP
 * (the pinning is the TLS layer's, tested end to end); no exchange at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/peer.h"
#include "http/server.h"
#include "util/err.h"

struct fix {
	struct event_base *base;
	struct peer_api *p;
	struct http_server *srv;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct http_limits lim = { .max_body = 1 << 20 };
	struct http_app app;
	struct err err = ERR_INIT;

	assert_non_null(f);
	assert_non_null(f->base = event_base_new());
	/* no exchange and no store: a standby must not need them to answer */
	assert_int_equal(peer_api_new(NULL, NULL, "cert-b", &f->p, &err), 0);
	peer_api_app(f->p, &app);
	assert_int_equal(http_server_new(f->base, NULL, &app, &lim, &f->srv, &err), 0);
	assert_int_equal(http_server_listen(f->srv, "127.0.0.1:0", &err), 0);
	peer_api_attach(f->p, f->srv);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	http_server_free(f->srv);
	peer_api_free(f->p);
	event_base_free(f->base);
	free(f);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The whole answer to one request (Connection: close), the loop turning meanwhile. */
static char *
ask(struct fix *f, const char *request)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	size_t len = 0, cap = 65536;
	char *out = calloc(1, cap);
	int64_t until = now_ms() + 5000;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ssize_t n;

	assert_non_null(out);
	assert_true(fd >= 0);
	sin.sin_port = htons((uint16_t)http_server_port(f->srv));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS)
		fail_msg("connect: %s", strerror(errno));
	while (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0) {
		if (errno != EAGAIN && errno != ENOTCONN)
			fail_msg("send: %s", strerror(errno));
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	}
	while (now_ms() < until) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		n = recv(fd, out + len, cap - 1 - len, 0);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		else if (errno != EAGAIN)
			fail_msg("recv: %s", strerror(errno));
		else
			usleep(1000);
	}
	close(fd);
	out[len] = '\0';
	return out;
}

static void
assert_standby(const char *resp)
{
	const char *body = strstr(resp, "\r\n\r\n");

	if (strncmp(resp, "HTTP/1.1 503 ", 13) != 0 || strstr(resp, "\r\nRetry-After: 1\r\n") == NULL ||
	    strstr(resp, "\r\nContent-Type: application/json") == NULL || body == NULL)
		fail_msg("not a standby's answer: %s", resp);
	if (strncmp(body + 4, "{\"error\":\"standby\",\"message\":\"", 30) != 0 ||
	    strstr(body, "node cert-b is the standby") == NULL ||
	    strstr(body, "next endpoint") == NULL)
		fail_msg("not a standby's error body: %s", body + 4);
}

static void
test_standby_answers_503(void **state)
{
	struct fix *f = *state;
	char *r;

	peer_api_set_standby(f->p, 1);
	r = ask(f, "GET /peer/v1/hello HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n");
	assert_standby(r);
	free(r);
	r = ask(f, "POST /peer/v1/envelopes HTTP/1.1\r\nHost: b\r\nContent-Type: "
	    "application/vnd.liaison.envelopes\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
	assert_standby(r);
	free(r);
	/* every path under /peer/v1/, even one the API does not have; others are not found */
	r = ask(f, "GET /peer/v1/nothing/here HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n");
	assert_standby(r);
	free(r);
	r = ask(f, "GET /taxii2/ HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n");
	if (strncmp(r, "HTTP/1.1 404 ", 13) != 0)
		fail_msg("/taxii2/ on the peer listener of a standby: %s", r);
	free(r);
}

static void
test_active_again(void **state)
{
	struct fix *f = *state;
	char *r;

	/* back to active: the router answers (a path that needs no exchange) */
	peer_api_set_standby(f->p, 1);
	peer_api_set_standby(f->p, 0);
	r = ask(f, "GET /peer/v1/nothing/here HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n");
	if (strncmp(r, "HTTP/1.1 404 ", 13) != 0 || strstr(r, "\"error\":\"not_found\"") == NULL)
		fail_msg("an active peer listener: %s", r);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standby_answers_503),
		cmocka_unit_test(test_active_again),
	};

	return cmocka_run_group_tests_name("http/peer", tests, setup, teardown);
}
