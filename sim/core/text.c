/* text.c - text for messages: excerpts that stay one line of valid UTF-8; see text.h. */
#include "core/text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the UTF-8 sequence at s (at most avail bytes), or 0 if invalid:
 * overlong forms, surrogates and code points above U+10FFFF are invalid. */
size_t rp_text_utf8_length(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

const char *rp_text_excerpt(const char *text, char *buf, size_t size)
{
    /* Whole UTF-8 characters only, and '?' for a control byte or a byte of
     * no valid character (a file name in another encoding): what this makes
     * goes into YAML comments and messages, which must stay one line of
     * valid UTF-8 (rapport reads its own output back). */
    const unsigned char *s = (const unsigned char *)text;
    const size_t len = strlen(text), max = size > 4 ? size - 4 : 0;
    size_t i = 0, j = 0;
    while (i < len) {
        size_t n = s[i] < 0x20 || s[i] == 0x7f ? 0 : rp_text_utf8_length(s + i, len - i);
        if (j + (n ? n : 1) > max)
            break;
        if (n) {
            memcpy(buf + j, s + i, n);
            j += n;
            i += n;
        } else {
            buf[j++] = '?';
            i++;
        }
    }
    if (i < len && size >= 4) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    if (size)
        buf[j < size ? j : size - 1] = '\0';
    return buf;
}

const char *rp_text_size(double bytes, char *buf, size_t size)
{
    static const char *const unit[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (u < 5 && bytes >= 1000) {
        bytes /= 1000;
        u++;
    }
    snprintf(buf, size, "%.3g %s", bytes, unit[u]);
    return buf;
}
