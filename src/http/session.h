/*
 * The dashboard's sign-in: server-side sessions named by a random cookie,
 * each with its CSRF token, an idle timeout and an absolute expiry; and a
 * limit on failed sign-ins per user name and per client address. Memory
 * only, owned by the loop thread: a restarted daemon signs everyone out.
 * Knows no HTTP: the caller reads the cookie and the header, and answers.
 */
#ifndef LSN_HTTP_SESSION_H
#define LSN_HTTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

/* A token as the browser holds it: 32 random bytes in lowercase hex. */
#define SESSION_TOKEN_LEN 64
#define SESSION_NAME_MAX 64

struct session_limits {
	int64_t idle_us;            /* unused this long: ended (default 30 min) */
	int64_t absolute_us;        /* this long after sign-in: ended (default 12 h) */
	size_t max;                 /* sessions held; the least recently used goes (1024) */
	unsigned fail_user;         /* failed sign-ins a name may have per window (5) */
	unsigned fail_addr;         /* and an address (20) */
	int64_t fail_window_us;     /* the window (15 min) */
};

struct session {
	int64_t uid;
	char user[SESSION_NAME_MAX + 1];
	char csrf[SESSION_TOKEN_LEN + 1];
	int64_t created_us, seen_us;
	uint8_t stamp[32];          /* the caller's: what the user's credentials were at sign-in */
};

struct session_table;

/* NULL limits: the defaults above. */
int session_table_new(const struct session_limits *lim, struct session_table **ret);
void session_table_free(struct session_table *t);

/*
 * Signs uid in: a new session, its cookie token into ret_token and its CSRF
 * token into ret_csrf (both SESSION_TOKEN_LEN + 1 bytes). 0, or -LSN_EIO
 * when no random bytes could be had.
 */
int session_create(struct session_table *t, int64_t uid, const char *user, int64_t now_us,
    char *ret_token, char *ret_csrf);
/*
 * The live session of token, its idle clock restarted, or NULL (unknown,
 * idle too long, or past its absolute expiry: such a session is ended).
 * The pointer is valid until the table next changes.
 */
struct session *session_find(struct session_table *t, const char *token, int64_t now_us);
/* Ends the session of token; 0, or -LSN_ENOTFOUND. */
int session_end(struct session_table *t, const char *token);
/* Ends every session of uid (its password changed, it was removed); how many. */
size_t session_end_user(struct session_table *t, int64_t uid);
/* 1 if header is the session's CSRF token (compared in constant time). */
int session_csrf_ok(const struct session *s, const char *header);
/* Sessions live now. */
size_t session_count(const struct session_table *t);

/*
 * Failed sign-ins. session_limited says whether user or addr used up its
 * window (then *ret_retry_s is when to try again); session_failed counts a
 * failure against both; a successful sign-in clears the name's count.
 */
int session_limited(struct session_table *t, const char *user, const char *addr,
    int64_t now_us, int *ret_retry_s);
void session_failed(struct session_table *t, const char *user, const char *addr,
    int64_t now_us);
void session_succeeded(struct session_table *t, const char *user);

#endif
