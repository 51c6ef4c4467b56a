/*
 * diag.c — diagnostics: "file:line:col: error: message", the source line, a caret under the column;
 * and reading a source file whole (nt_read_source).
 *
 * Every phase reports through nt_error/nt_note so that the format is the same everywhere and the
 * error limit is counted in one place. After max_errors errors one "too many errors" line is printed
 * and the rest are counted but not shown.
 */
#include "ntc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NT_DEFAULT_MAX_ERRORS 20

void nt_diag_init(nt_diag *d, const char *file, const char *src, size_t src_len)
{
    d->file = file;
    d->src = src;
    d->src_len = src_len;
    d->errors = 0;
    d->max_errors = NT_DEFAULT_MAX_ERRORS;
    d->out = stderr;
}

static int max_errors(const nt_diag *d)
{
    return d->max_errors > 0 ? d->max_errors : NT_DEFAULT_MAX_ERRORS;
}

/* Prints source line `line` and a caret under byte column `col`. Tabs stay tabs in the caret line so
 * the caret lines up whatever the tab width; UTF-8 continuation bytes take no column on screen. */
static void quote_line(const nt_diag *d, FILE *out, int line, int col)
{
    if (!d->src)
        return;
    const char *p = d->src, *end = d->src + d->src_len;
    for (int l = 1; l < line && p < end; p++)
        if (*p == '\n')
            l++;
    const char *eol = p;
    while (eol < end && *eol != '\n')
        eol++;
    if (eol > p && eol[-1] == '\r')
        eol--;
    for (const char *q = p; q < eol; q++) {
        unsigned char c = (unsigned char)*q;
        /* Control characters (a NUL byte, say) would garble the terminal: show them as spaces. */
        fputc(c == '\t' || (c >= 0x20 && c != 0x7f) ? c : ' ', out);
    }
    fputc('\n', out);
    for (const char *q = p; q < eol && q < p + (col - 1); q++) {
        unsigned char c = (unsigned char)*q;
        if (c == '\t')
            fputc('\t', out);
        else if (c < 0x80 || c >= 0xc0)
            fputc(' ', out);
    }
    fputs("^\n", out);
}

static void report(nt_diag *d, nt_loc loc, const char *kind, const char *fmt, va_list ap)
{
    FILE *out = d->out ? d->out : stderr;
    const char *file = loc.file ? loc.file : d->file ? d->file : "ntc";
    if (loc.line > 0)
        fprintf(out, "%s:%d:%d: %s: ", file, loc.line, loc.col, kind);
    else
        fprintf(out, "%s: %s: ", file, kind);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    if (loc.line > 0)
        quote_line(d, out, loc.line, loc.col);
}

void nt_error(nt_diag *d, nt_loc loc, const char *fmt, ...)
{
    d->errors++;
    if (d->errors > max_errors(d)) {
        if (d->errors == max_errors(d) + 1)
            fprintf(d->out ? d->out : stderr, "%s: too many errors, stopping\n", d->file ? d->file : "ntc");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    report(d, loc, "error", fmt, ap);
    va_end(ap);
}

void nt_note(nt_diag *d, nt_loc loc, const char *fmt, ...)
{
    if (d->errors > max_errors(d))  /* the error it belongs to was not shown */
        return;
    va_list ap;
    va_start(ap, fmt);
    report(d, loc, "note", fmt, ap);
    va_end(ap);
}

void nt_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ntc: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

char *nt_read_source(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        nt_fatal("cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            fclose(f);
            nt_fatal("out of memory reading '%s'", path);
            return NULL;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || n > max) /* the end, or enough to refuse it (a pipe may never end) */
            break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        nt_fatal("cannot read '%s'", path);
        return NULL;
    }
    if (n > max) {
        free(buf);
        nt_fatal("'%s' is larger than %zu bytes: not a type description", path, max);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}
