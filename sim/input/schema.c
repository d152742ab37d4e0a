/* schema.c - the one key checker of the input layer; see schema.h. */
#include "input/schema.h"
#include "core/text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *rp_schema_unknown(const char *what, const char *word, const char *detail, const char *const *names,
                              size_t n, const char *hint, char *why, size_t why_size)
{
    char ex[64], list[512];
    const char *s = rp_paramtable_suggest(word, names, n);
    rp_text_excerpt(word, ex, sizeof ex);
    if (s)
        snprintf(why, why_size, "%s '%s'%s; did you mean '%s'?", what, ex, detail, s);
    else if (hint)
        snprintf(why, why_size, "%s '%s'%s; expected %s", what, ex, detail, hint);
    else
        snprintf(why, why_size, "%s '%s'%s; expected one of %s", what, ex, detail,
                 n ? rp_paramtable_join(names, n, list, sizeof list) : "(none declared)");
    return why;
}

long rp_schema_check_names(const rp_ynode *map, const char *const *names, size_t n, const char *detail, char *why,
                           size_t why_size)
{
    for (size_t i = 0; i < map->n; i++) {
        bool known = false;
        for (size_t j = 0; j < n && !known; j++)
            known = strcmp(map->keys[i]->text, names[j]) == 0;
        if (!known) {
            rp_schema_unknown("unknown key", map->keys[i]->text, detail, names, n, NULL, why, why_size);
            return (long)i;
        }
    }
    return -1;
}

long rp_schema_check(const rp_ynode *map, const rp_schema *schema, char *why, size_t why_size)
{
    const char *names[RP_SCHEMA_MAX_KEYS];
    size_t n = schema->n < RP_SCHEMA_MAX_KEYS ? schema->n : RP_SCHEMA_MAX_KEYS;
    for (size_t i = 0; i < n; i++)
        names[i] = schema->keys[i].name;
    return rp_schema_check_names(map, names, n, "", why, why_size);
}

bool rp_schema_number(const rp_ynode *v, double *out)
{
    static const rp_param number = {"number", RP_PT_DOUBLE, 0, 0, NULL, -INFINITY, INFINITY, 0, NULL, 0, "", "",
                                    "a number of an input section", 0, 0, NULL};
    char why[256];
    return v->kind == RP_YNODE_SCALAR && rp_paramtable_parse(&number, v->text, v->quoted, out, why, sizeof why);
}

bool rp_schema_integer(const rp_ynode *v, long long min, long long max, long long *out)
{
    const rp_param whole = {"integer", RP_PT_INT64, 0, 0, NULL, (double)min, (double)max, 0, NULL, 0, "", "",
                            "a whole number of an input section", 0, 0, NULL};
    char why[256];
    int64_t x;
    if (v->kind != RP_YNODE_SCALAR || !rp_paramtable_parse(&whole, v->text, v->quoted, &x, why, sizeof why))
        return false;
    *out = (long long)x;
    return true;
}
