/* SPDX-License-Identifier: MIT */
/* FROND dates: parsing (timestamps, "now", ISO 8601) and PHP date() formats.
 * Everything is UTC. */
#include "frond/internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define T4F_MAX_TIME 10000000000000LL /* seconds: 1e13 */

static int num(const char **p, int digits, int *out)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return -1;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += digits;
    *out = v;
    return 0;
}

static int parse_iso(const char *s, time_t *t, int *offset)
{
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, se = 0;
    const char *p = s;
    while (*p == ' ') {
        p++;
    }
    if (num(&p, 4, &y) || *p++ != '-' || num(&p, 2, &mo) || *p++ != '-' || num(&p, 2, &d)) {
        return -1;
    }
    int off = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (num(&p, 2, &h) || *p++ != ':' || num(&p, 2, &mi)) {
            return -1;
        }
        if (*p == ':') {
            p++;
            if (num(&p, 2, &se)) {
                return -1;
            }
            if (*p == '.') {
                p++;
                while (isdigit((unsigned char)*p)) {
                    p++;
                }
            }
        }
        while (*p == ' ') {
            p++;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (num(&p, 2, &oh)) {
                return -1;
            }
            if (*p == ':') {
                p++;
            }
            if (isdigit((unsigned char)*p) && num(&p, 2, &om)) {
                return -1;
            }
            off = sign * (oh * 3600 + om * 60);
        } else if (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0) {
            p += 3;
        }
    }
    while (*p == ' ') {
        p++;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || se > 60) {
        return -1;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *t = timegm(&tm) - off;
    *offset = off;
    return 0;
}

static int parse_any(const json_t *v, time_t *t, int *offset)
{
    *offset = 0;
    if (json_is_null(v)) {
        *t = time(NULL);
        return 0;
    }
    if (json_is_integer(v)) {
        *t = (time_t)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(fabs(d) <= T4F_MAX_TIME)) {
            return -1;
        }
        *t = (time_t)d;
        return 0;
    }
    if (!json_is_string(v)) {
        return -1;
    }
    const char *s = json_string_value(v);
    const char *p = s[0] == '@' ? s + 1 : s;
    const char *q = p[0] == '-' ? p + 1 : p;
    if (*q && strspn(q, "0123456789") == strlen(q)) {
        *t = (time_t)strtoll(p, NULL, 10);
        return 0;
    }
    time_t now = time(NULL);
    if (!strcasecmp(s, "now") || !s[0]) {
        *t = now;
        return 0;
    }
    if (!strcasecmp(s, "today") || !strcasecmp(s, "midnight") || !strcasecmp(s, "tomorrow") ||
        !strcasecmp(s, "yesterday")) {
        *t = now - now % 86400 +
             (!strcasecmp(s, "tomorrow")    ? 86400
              : !strcasecmp(s, "yesterday") ? -86400
                                            : 0);
        return 0;
    }
    return parse_iso(s, t, offset);
}

/* Dates within +-T4F_MAX_TIME seconds (about year +-317000): gmtime_r()
 * and the year arithmetic below stay in range. */
int t4__fdate_parse(const json_t *v, time_t *t, int *offset)
{
    if (parse_any(v, t, offset) != 0 || *t < -T4F_MAX_TIME || *t > T4F_MAX_TIME) {
        return -1;
    }
    return 0;
}

static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                   "Thursday", "Friday", "Saturday"};
static const char *const months[] = {"January", "February", "March",     "April",   "May",      "June",
                                     "July",    "August",   "September", "October", "November", "December"};

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void iso_week(const struct tm *tm, int *week, int *year)
{
    int wday = (tm->tm_wday + 6) % 7; /* Monday = 0 */
    int y = tm->tm_year + 1900;
    int w = (tm->tm_yday - wday + 10) / 7;
    if (w < 1) {
        y--;
        int pyday = tm->tm_yday + (leap(y) ? 366 : 365);
        w = (pyday - wday + 10) / 7;
    } else {
        int ylen = leap(y) ? 366 : 365;
        if (tm->tm_yday - wday + 3 >= ylen) { /* Thursday of this week is next year */
            w = 1;
            y++;
        }
    }
    *week = w;
    *year = y;
}

void t4__fdate_format(t4__fbuf *b, const char *fmt, time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        return;
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = tm.tm_year + 1900;
    for (const char *f = fmt; *f; f++) {
        int w, wy, h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
        switch (*f) {
        case 'd':
            t4__fbuf_printf(b, "%02d", tm.tm_mday);
            break;
        case 'D':
            t4__fbuf_printf(b, "%.3s", days[tm.tm_wday]);
            break;
        case 'j':
            t4__fbuf_printf(b, "%d", tm.tm_mday);
            break;
        case 'l':
            t4__fbuf_puts(b, days[tm.tm_wday]);
            break;
        case 'N':
            t4__fbuf_printf(b, "%d", tm.tm_wday == 0 ? 7 : tm.tm_wday);
            break;
        case 'S': {
            int d = tm.tm_mday;
            t4__fbuf_puts(b, (d % 10 == 1 && d != 11)   ? "st"
                             : (d % 10 == 2 && d != 12) ? "nd"
                             : (d % 10 == 3 && d != 13) ? "rd"
                                                        : "th");
            break;
        }
        case 'w':
            t4__fbuf_printf(b, "%d", tm.tm_wday);
            break;
        case 'z':
            t4__fbuf_printf(b, "%d", tm.tm_yday);
            break;
        case 'W':
            iso_week(&tm, &w, &wy), t4__fbuf_printf(b, "%02d", w);
            break;
        case 'o':
            iso_week(&tm, &w, &wy), t4__fbuf_printf(b, "%d", wy);
            break;
        case 'F':
            t4__fbuf_puts(b, months[tm.tm_mon]);
            break;
        case 'M':
            t4__fbuf_printf(b, "%.3s", months[tm.tm_mon]);
            break;
        case 'm':
            t4__fbuf_printf(b, "%02d", tm.tm_mon + 1);
            break;
        case 'n':
            t4__fbuf_printf(b, "%d", tm.tm_mon + 1);
            break;
        case 't':
            t4__fbuf_printf(b, "%d", mdays[tm.tm_mon] + (tm.tm_mon == 1 && leap(y)));
            break;
        case 'L':
            t4__fbuf_putc(b, leap(y) ? '1' : '0');
            break;
        case 'Y':
            t4__fbuf_printf(b, "%d", y);
            break;
        case 'y':
            t4__fbuf_printf(b, "%02d", y % 100);
            break;
        case 'a':
            t4__fbuf_puts(b, tm.tm_hour < 12 ? "am" : "pm");
            break;
        case 'A':
            t4__fbuf_puts(b, tm.tm_hour < 12 ? "AM" : "PM");
            break;
        case 'g':
            t4__fbuf_printf(b, "%d", h12);
            break;
        case 'G':
            t4__fbuf_printf(b, "%d", tm.tm_hour);
            break;
        case 'h':
            t4__fbuf_printf(b, "%02d", h12);
            break;
        case 'H':
            t4__fbuf_printf(b, "%02d", tm.tm_hour);
            break;
        case 'i':
            t4__fbuf_printf(b, "%02d", tm.tm_min);
            break;
        case 's':
            t4__fbuf_printf(b, "%02d", tm.tm_sec);
            break;
        case 'u':
            t4__fbuf_puts(b, "000000");
            break;
        case 'v':
            t4__fbuf_puts(b, "000");
            break;
        case 'e':
            t4__fbuf_puts(b, "UTC");
            break;
        case 'T':
            t4__fbuf_puts(b, "UTC");
            break;
        case 'I':
            t4__fbuf_putc(b, '0');
            break;
        case 'O':
            t4__fbuf_puts(b, "+0000");
            break;
        case 'P':
            t4__fbuf_puts(b, "+00:00");
            break;
        case 'p':
            t4__fbuf_puts(b, "Z");
            break;
        case 'Z':
            t4__fbuf_putc(b, '0');
            break;
        case 'U':
            t4__fbuf_printf(b, "%lld", (long long)t);
            break;
        case 'c':
            t4__fdate_format(b, "Y-m-d\\TH:i:sP", t);
            break;
        case 'r':
            t4__fdate_format(b, "D, d M Y H:i:s O", t);
            break;
        case '\\':
            if (f[1]) {
                t4__fbuf_putc(b, *++f);
            }
            break;
        default:
            t4__fbuf_putc(b, *f);
            break;
        }
    }
}
