/* SPDX-License-Identifier: MIT */
/* Content types of static files, by extension. */
#include "http/static.h"
#include <string.h>
#include <strings.h>

typedef struct {
    const char *ext, *type;
} mime_entry;

#define UTF8 "; charset=utf-8"

static const mime_entry mime_table[] = {
    {"html", "text/html" UTF8},
    {"htm", "text/html" UTF8},
    {"css", "text/css" UTF8},
    {"js", "text/javascript" UTF8},
    {"mjs", "text/javascript" UTF8},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain" UTF8},
    {"csv", "text/csv" UTF8},
    {"md", "text/markdown" UTF8},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"wasm", "application/wasm"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"zip", "application/zip"},
};

const char *t4__mime_type(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base && dot[1]) {
        for (size_t i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++)
            if (strcasecmp(dot + 1, mime_table[i].ext) == 0)
                return mime_table[i].type;
    }
    return "application/octet-stream";
}
