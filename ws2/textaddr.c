/* Address text with Windows' rules, not glibc's.
 *
 * Windows parses addresses with its own routines (ntdll's
 * RtlIpv4StringToAddress and RtlIpv6StringToAddress, and ws2_32's
 * inet_addr), whose answers differ from glibc's in ways programs see:
 * inet_addr takes octal and hex parts and stops at white space,
 * inet_pton is strict but reports an address followed by other text as
 * "not an address" after writing it, WSAStringToAddress takes ports and
 * brackets, and a failed parse leaves what it had written so far in the
 * caller's buffer.  Wine's protocol.c tests pin these answers on Windows
 * case by case; this file reproduces them. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ws2_resolve.h"

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* ---- inet_addr ------------------------------------------------------------------------------ */

/* A C number (0x hex, 0 octal, decimal) as strtoul reads it; NULL when
 * none starts at s. */
static const char *c_number(const char *s, uint64_t *v)
{
    int base = 10;
    const char *p = s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) >= 0)
        base = 16, p += 2;
    else if (p[0] == '0')
        base = 8;
    *v = 0;
    const char *start = p;
    for (int d; (d = digit_value(*p)) >= 0 && d < base; p++)
        *v = *v > UINT32_MAX ? *v : *v * (unsigned)base + (unsigned)d;
    return p == start ? NULL : p;
}

bool ws2_inet_addr(const char *s, uint32_t *out)
{
    uint64_t part[4] = { 0 };
    int n = 0;
    if (s[0] == ' ' && !s[1]) {          /* Windows' answer for a lone space */
        *out = 0;
        return true;
    }
    for (;;) {
        const char *end;
        if (!(*s >= '0' && *s <= '9') || !(end = c_number(s, &part[n])))
            return false;
        n++;
        s = end;
        if (!*s || is_space(*s))
            break;                       /* white space ends the address */
        if (*s != '.' || n == 4)
            return false;
        s++;
    }
    uint64_t last_max = n == 1 ? UINT32_MAX : UINT32_MAX >> (8 * (n - 1));
    for (int i = 0; i < n - 1; i++)
        if (part[i] > 0xff)
            return false;
    if (part[n - 1] > last_max)
        return false;
    uint32_t a = (uint32_t)part[n - 1];
    for (int i = 0; i < n - 1; i++)
        a |= (uint32_t)part[i] << (24 - 8 * i);
    unsigned char b[4] = { (unsigned char)(a >> 24), (unsigned char)(a >> 16), (unsigned char)(a >> 8),
                           (unsigned char)a };
    memcpy(out, b, 4);
    return true;
}

/* ---- IPv4, as RtlIpv4StringToAddress --------------------------------------------------------- */

/* One dotted part: decimal, or (not strict) 0x hex and 0 octal, in 32-bit
 * arithmetic that gives up only when a digit makes the value smaller. */
static bool ipv4_part(const char **s, bool strict, uint32_t *value)
{
    const char *p = *s;
    int base = 10;
    if (*p == '.') {
        *s = p + 1;
        return false;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        *s = p += 2;
        if (strict)
            return false;
        base = 16;
    } else if (p[0] == '0' && p[1] >= '0' && p[1] <= '9') {
        *s = p += 1;
        if (strict)
            return false;
        base = 8;
    }
    uint32_t v = 0, prev = 0;
    bool any = false;
    for (int d; (d = digit_value(*p)) >= 0 && d < base; p++) {
        v = v * (uint32_t)base + (uint32_t)d;
        any = true;
        if (v < prev) {
            *s = p;
            return false;
        }
        prev = v;
    }
    *s = p;
    if (any)
        *value = v;
    return any;
}

int ws2_ipv4_from_text(const char *s, bool strict, const char **end, void *addr, uint16_t *port)
{
    uint32_t f[4];
    int n = 0;
    for (;;) {
        if (!ipv4_part(&s, strict, &f[n]))
            goto fail;
        n++;
        if (*s != '.')
            break;
        if (n == 4)
            goto fail;
        s++;
    }
    if (strict && n < 4)
        goto fail;
    uint32_t limit[4] = { 0xff, 0xff, 0xff, 0xff };
    limit[n - 1] = n == 1 ? UINT32_MAX : UINT32_MAX >> (8 * (n - 1));
    for (int i = 0; i < n; i++)
        if (f[i] > limit[i])
            goto fail;
    unsigned char *b = addr;
    for (int i = 0; i < n - 1; i++)
        b[i] = (unsigned char)f[i];
    for (int i = n - 1; i < 4; i++)
        b[i] = (unsigned char)(f[n - 1] >> (8 * (3 - i)));
    if (end)
        *end = s;
    if (*s == ':') {
        uint32_t p;
        s++;
        if (!ipv4_part(&s, false, &p) || !p || p > 0xffff || *s)
            goto fail;
        if (port) {
            *port = (uint16_t)(p >> 8 | p << 8);
            if (end)
                *end = s;
        }
    }
    return end || !*s ? 0 : -1;
fail:
    if (end)
        *end = s;
    return -1;
}

/* ---- IPv6, as RtlIpv6StringToAddress --------------------------------------------------------- */

/* A group's number: it must start with a hex digit; base 16 takes a 0x
 * prefix before a digit; too large a value reads as 0x7FFFFFFF. */
static bool ipv6_part(const char **s, int base, uint32_t *value)
{
    const char *p = *s;
    if (digit_value(*p) < 0)
        return false;
    if (base == 16 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) >= 0)
        p += 2;
    uint64_t v = 0;
    const char *start = p;
    for (int d; (d = digit_value(*p)) >= 0 && d < base; p++)
        v = v > 0x7fffffff ? v : v * (unsigned)base + (unsigned)d;
    if (p == start)
        return false;
    *value = v > 0x7fffffff ? 0x7fffffff : (uint32_t)v;
    *s = p;
    return true;
}

static void put_group(unsigned char *b, int at, uint32_t v)
{
    b[at] = (unsigned char)(v >> 8);
    b[at + 1] = (unsigned char)v;
}

/* RtlIpv6StringToAddressEx's tail after the address: "%scope", and with
 * the opening bracket "]" and ":port" (into network order); false where
 * it is wrong, *sp there. */
static bool ipv6_ex_tail(const char **sp, bool bracket, uint32_t *scope, uint32_t *port)
{
    const char *s = *sp;
    bool ok = false;
    if (*s == '%') {
        s++;
        if (!ipv4_part(&s, true, scope))
            goto out;
    }
    if (bracket) {
        if (*s != ']')
            goto out;
        s++;
        if (*s == ':') {
            s++;
            if (!ipv4_part(&s, false, port) || !*port || *port > 0xffff || *s)
                goto out;
            *port = (*port >> 8 | *port << 8) & 0xffff;
        }
    }
    ok = true;
out:
    *sp = s;
    return ok;
}

int ws2_ipv6_from_text(const char *s, bool ex, const char **end, void *addr, uint32_t *scope, uint16_t *port)
{
    unsigned char *b = addr;
    bool bracket = false, has_0x = false, too_big = false;
    int n = 0, v4 = 0, gap = -1;
    uint32_t c, scope_v = 0, port_v = 0;
    const char *start;

    if (*s == '[') {
        if (!ex)
            goto fail;
        bracket = true;
        s++;
    }
    if (*s == ':') {
        if (s[1] != ':')
            goto fail;
        s++;
        b[0] = b[1] = 0;
    }
    for (;;) {
        if (!v4 && *s == ':') {          /* the "::" */
            if (gap != -1)
                goto fail;
            s++;
            gap = n;
            start = s;
            if (n == 14 || !ipv6_part(&s, 16, &c))
                break;
            s = start;
        }
        start = s;
        if (!v4 && n <= (gap != -1 ? 10 : 12)) {
            const char *t = s;
            if (ipv6_part(&t, 10, &c) && *t == '.')
                v4 = 1;                  /* a dotted IPv4 tail starts here */
        }
        if (v4) {
            if (!ipv6_part(&s, 10, &c))
                goto fail;
            if (s - start > 3 || c > 255) {
                too_big = true;
            } else {
                if (*s != '.' && (v4 < 4 || (n < 15 && gap == -1)))
                    goto fail;
                b[n++] = (unsigned char)c;
            }
            if (v4 == 4 || *s != '.')
                break;
            v4++;
        } else {
            if (!ipv6_part(&s, 16, &c))
                goto fail;
            if (start[0] == '0' && (start[1] == 'x' || start[1] == 'X')) {
                /* Windows takes a 0x group, any length, as the last one. */
                if (end)
                    *end = start + 1;
                if (n < 14 && gap == -1)
                    return -1;
                put_group(b, n, c);
                n += 2;
                has_0x = true;
                goto fill;
            }
            if (*s != ':' && n < 14 && gap == -1)
                goto fail;
            if (s - start > 4)
                too_big = true;
            else
                put_group(b, n, c);
            n += 2;
            if (*s != ':' || (gap != -1 && s[1] == ':'))
                break;
        }
        if (n == (gap != -1 ? 14 : 16))
            break;
        if (too_big)
            return -1;
        s++;
    }
    if (end)
        *end = s;
    if (too_big)
        return -1;
fill:
    if (gap == -1) {
        if (n < 16)
            goto fail;
    } else {
        memmove(b + 16 - (n - gap), b + gap, (size_t)(n - gap));
        memset(b + gap, 0, (size_t)(16 - n));
    }
    if (ex && (has_0x || !ipv6_ex_tail(&s, bracket, &scope_v, &port_v)))
        goto fail;
    if (!end && *s)
        return -1;
    if (scope)
        *scope = scope_v;
    if (port)
        *port = (uint16_t)port_v;
    return 0;
fail:
    if (end)
        *end = s;
    return -1;
}
