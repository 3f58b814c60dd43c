/* SPDX-License-Identifier: MIT */
/* FROND escaping strategies: html (the default), js, url, css, html_attr. */
#include "frond/internal.h"

#include <string.h>

int t4__fesc_parse(const char *s, t4__fesc *out)
{
    static const struct {
        const char *name;
        t4__fesc esc;
    } tab[] = {
        {"html", ESC_HTML}, {"js", ESC_JS}, {"url", ESC_URL}, {"css", ESC_CSS}, {"html_attr", ESC_ATTR}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        if (strcmp(s, tab[i].name) == 0) {
            *out = tab[i].esc;
            return 0;
        }
    }
    return -1;
}

static bool alnum(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void utf16(t4__fbuf *b, unsigned cp, const char *fmt)
{
    if (cp >= 0x10000) {
        cp -= 0x10000;
        t4__fbuf_printf(b, fmt, 0xd800 + (cp >> 10));
        t4__fbuf_printf(b, fmt, 0xdc00 + (cp & 0x3ff));
    } else {
        t4__fbuf_printf(b, fmt, cp);
    }
}

void t4__fescape(t4__fbuf *b, const char *s, size_t n, t4__fesc how)
{
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = how == ESC_URL || how == ESC_HTML ? 1 : t4__futf8_decode(s + i, n - i, &cp);
        unsigned char c = (unsigned char)s[i];
        switch (how) {
        case ESC_NONE:
            t4__fbuf_put(b, s + i, k);
            break;
        case ESC_HTML:
            switch (c) {
            case '&':
                t4__fbuf_puts(b, "&amp;");
                break;
            case '<':
                t4__fbuf_puts(b, "&lt;");
                break;
            case '>':
                t4__fbuf_puts(b, "&gt;");
                break;
            case '"':
                t4__fbuf_puts(b, "&quot;");
                break;
            case '\'':
                t4__fbuf_puts(b, "&#039;"); /* as Twig writes it */
                break;                      /* the project's choice; Twig writes &#039; */
            default:
                t4__fbuf_putc(b, (char)c);
                break;
            }
            break;
        case ESC_URL:
            if (alnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
                t4__fbuf_putc(b, (char)c);
            } else {
                t4__fbuf_printf(b, "%%%02X", c);
            }
            break;
        case ESC_JS:
            if (alnum(cp) || cp == ',' || cp == '.' || cp == '_') {
                t4__fbuf_putc(b, (char)cp);
            } else if (cp == '\n') {
                t4__fbuf_puts(b, "\\n");
            } else if (cp == '\r') {
                t4__fbuf_puts(b, "\\r");
            } else if (cp == '\t') {
                t4__fbuf_puts(b, "\\t");
            } else if (cp == '\b') {
                t4__fbuf_puts(b, "\\b");
            } else if (cp == '\f') {
                t4__fbuf_puts(b, "\\f");
            } else if (cp == '/') {
                t4__fbuf_puts(b, "\\/");
            } else if (cp == '\\') {
                t4__fbuf_puts(b, "\\\\");
            } else {
                utf16(b, cp, "\\u%04X");
            }
            break;
        case ESC_CSS:
            if (alnum(cp)) {
                t4__fbuf_putc(b, (char)cp);
            } else {
                t4__fbuf_printf(b, "\\%X ", cp);
            }
            break;
        case ESC_ATTR:
            if (alnum(cp) || cp == ',' || cp == '.' || cp == '-' || cp == '_') {
                t4__fbuf_putc(b, (char)cp);
            } else if (cp == '&') {
                t4__fbuf_puts(b, "&amp;");
            } else if (cp == '<') {
                t4__fbuf_puts(b, "&lt;");
            } else if (cp == '>') {
                t4__fbuf_puts(b, "&gt;");
            } else if (cp == '"') {
                t4__fbuf_puts(b, "&quot;");
            } else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7f && cp <= 0x9f)) {
                t4__fbuf_puts(b, "&#xFFFD;");
            } else if (k == 1) {
                t4__fbuf_printf(b, "&#x%02X;", cp);
            } else {
                t4__fbuf_printf(b, "&#x%04X;", cp);
            }
            break;
        }
        i += k;
    }
}
