/*
 * The dashboard (DESIGN §5): its files, read once from a folder and served
 * at /ui/, and its sessions (session.h). liaisond makes one and hands it to
 * the TAXII listener (taxii_config.ui); the loop thread owns it.
 */
#ifndef LSN_HTTP_UI_H
#define LSN_HTTP_UI_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct ui;

/* Sessions end after idle_us unused and absolute_us after sign-in. */
int ui_new(int64_t idle_us, int64_t absolute_us, struct ui **ret, struct err *err);
/*
 * Reads the dashboard's files from dir (.html, .js, .css, .svg, .png, .ico,
 * .json; others are skipped). Without them /ui/ answers 404 saying so, and
 * the sign-in and the API still work.
 */
int ui_load(struct ui *u, const char *dir, struct err *err);
/* Files loaded. */
size_t ui_files(const struct ui *u);
void ui_free(struct ui *u);

#endif
