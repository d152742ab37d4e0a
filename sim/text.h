/* text.h - user text quoted in messages (internal).
 *
 * Messages and YAML comments quote what the user wrote: the text must stay
 * one line of valid UTF-8 (rapport reads its own output back), so it is
 * shortened at whole characters and its control bytes replaced. Used by the
 * YAML reader, the parameter table's parsers and the plan, none of which
 * needs to know the others.
 */
#ifndef RP_TEXT_H
#define RP_TEXT_H

#include <stddef.h>

/* The text shortened to fit buf (with "..." when cut) and with unprintable
 * bytes and bytes of no valid UTF-8 character written '?'. Returns buf. */
const char *rp_text_excerpt(const char *text, char *buf, size_t size);

/* Length of the UTF-8 sequence at s (at most avail bytes), or 0 if invalid:
 * overlong forms, surrogates and code points above U+10FFFF are invalid. */
size_t rp_text_utf8_length(const unsigned char *s, size_t avail);

#endif
