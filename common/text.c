/* UTF-16 <-> UTF-8 for the Win32 W entry points (WCHAR is 16-bit whatever
 * wchar_t is, so these take uint16_t). */
#include <stdlib.h>

#include "w2u.h"

char *w2u_utf8_from_utf16(const uint16_t *w)
{
    size_t n = 0, cap;
    if (!w)
        return NULL;
    while (w[n])
        n++;
    cap = n * 3 + 1;              /* a surrogate pair is two units, four bytes */
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = w[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && w[i + 1] >= 0xDC00 && w[i + 1] < 0xE000)
            c = 0x10000 + ((c - 0xD800) << 10) + (w[++i] - 0xDC00u);
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | c >> 6);
            *o++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (char)(0xE0 | c >> 12);
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xF0 | c >> 18);
            *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = 0;
    return out;
}

/* Converts s, writing to out unless it is NULL; returns the units with the
 * terminator. */
static size_t utf16_units(const char *s, uint16_t *out)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c = *p++;
        if (c >= 0xF0 && p[0] && p[1] && p[2]) {
            c = ((c & 0x07) << 18) | ((p[0] & 0x3Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
            p += 3;
        } else if (c >= 0xE0 && p[0] && p[1]) {
            c = ((c & 0x0F) << 12) | ((p[0] & 0x3Fu) << 6) | (p[1] & 0x3Fu);
            p += 2;
        } else if (c >= 0xC0 && p[0]) {
            c = ((c & 0x1F) << 6) | (p[0] & 0x3Fu);
            p += 1;
        }
        if (c >= 0x10000) {
            c -= 0x10000;
            if (out) {
                out[o] = (uint16_t)(0xD800 + (c >> 10));
                out[o + 1] = (uint16_t)(0xDC00 + (c & 0x3FF));
            }
            o += 2;
        } else {
            if (out)
                out[o] = (uint16_t)c;
            o++;
        }
    }
    if (out)
        out[o] = 0;
    return o + 1;
}

size_t w2u_utf16_units(const char *s)
{
    return utf16_units(s, NULL);
}

bool w2u_utf16_from_utf8(const char *s, uint16_t *out, size_t cap)
{
    /* Measured first: Windows leaves a buffer that is too small as it was. */
    if (utf16_units(s, NULL) > cap)
        return false;
    utf16_units(s, out);
    return true;
}
