/* text.h - text for messages, shared by every layer.
 *
 * What rapport quotes back to a user (a key, a value, a file name, a
 * library's message) goes into one-line errors and into YAML comments that
 * rapport reads again, so it must stay one line of valid UTF-8 whatever the
 * input held.
 */
#ifndef RP_TEXT_H
#define RP_TEXT_H

#include <stddef.h>

/* Length of the UTF-8 sequence at s (at most avail bytes, avail >= 1), or 0 if
 * invalid: overlong forms, surrogates and code points above U+10FFFF are
 * invalid. */
size_t rp_text_utf8_length(const unsigned char *s, size_t avail);

/* text cut to fit buf (size bytes, the terminating NUL included) with "..."
 * when cut, whole UTF-8 characters only, every control byte and invalid byte
 * as '?'. Returns buf. */
const char *rp_text_excerpt(const char *text, char *buf, size_t size);

/* bytes as "76 MB", "5.9 GB": three digits at most, in SI units (those of
 * --max-output), into buf. */
const char *rp_text_size(double bytes, char *buf, size_t size);

#endif
