/* cli_print.c - every table and JSON object the command line prints: a
 * run's summary, a sweep's summary, a calibration's report. The library
 * computes the numbers (observe.h, sweep.h, calibrate.h) and never prints;
 * these functions only lay them out, one text and one JSON printer per
 * thing, each iterating the table of observables (observables.h). */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- JSON pieces ---- */

void cli_json_number(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.17g", v);
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

/* The one provenance object of every JSON report, on one line after
 * ",\n  " (docs/FORMAT.md, "Provenance in the JSON"): the keys of the
 * output file's root attributes, then which run (or how many replicates). */
static void json_provenance(FILE *f, const rp_origin *o)
{
    fputs(",\n  \"provenance\": {\"rapport_version\": ", f);
    cli_json_string(f, o->rapport_version);
    fputs(", \"git_revision\": ", f);
    cli_json_string(f, o->git_revision);
    fprintf(f, ", \"model_version\": %d, \"scenario_path\": ", o->model_version);
    cli_json_string(f, o->scenario_path);
    fprintf(f, ", \"seed\": %llu", (unsigned long long)o->seed);
    if (o->has_plan)
        fprintf(f, ", \"sweep_id\": \"%016llx\"", (unsigned long long)o->plan_id);
    if (o->run >= 0)
        fprintf(f, ", \"run\": %lld, \"replicate\": %llu", (long long)o->run, (unsigned long long)o->replicate);
    else
        fprintf(f, ", \"replicates\": %lld", (long long)o->replicates);
    fprintf(f, ", \"threads\": %d", o->threads);
    if (o->has_plan) {
        fputs(", \"part\": ", f);
        cli_json_string(f, o->part);
    }
    static const char *const role[2] = {"patients", "providers"};
    for (int w = 0; w < 2; w++)
        if (o->data[w].path[0]) { /* a population read from a data file */
            fprintf(f, ", \"%s_data_path\": ", role[w]);
            cli_json_string(f, o->data[w].path);
            fprintf(f, ", \"%s_data_bytes\": %lld, \"%s_data_sha256\": \"%s\"", role[w], (long long)o->data[w].bytes,
                    role[w], o->data[w].sha256);
        }
    fputs("}", f);
}

/* ---- the summary of one run ---- */

static void print_cell(FILE *f, double v, bool percent)
{
    if (isnan(v))
        fprintf(f, " %9s", "-");
    else if (percent)
        fprintf(f, " %8.1f%%", 100 * v);
    else
        fprintf(f, " %9.3f", v);
}

void cli_print_summary_table(const rp_summary *s, FILE *f)
{
    fprintf(f, "%-38s %9s", "observable", "all");
    for (int g = 0; g < s->n_groups; g++)
        fprintf(f, " %9.9s", s->group_name[g]);
    fprintf(f, "\n%-38s %9lld", "pairs", (long long)s->all.pairs);
    for (int g = 0; g < s->n_groups; g++)
        fprintf(f, " %9lld", (long long)s->group[g].pairs);
    fprintf(f, "\n");
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    for (size_t k = 0; k < n; k++) {
        if (!rp_observables_reported(&table[k], s->model))
            continue;
        fprintf(f, "%-38s", table[k].label);
        print_cell(f, rp_observables_get(&s->all, &table[k]), table[k].percent);
        for (int g = 0; g < s->n_groups; g++)
            print_cell(f, rp_observables_get(&s->group[g], &table[k]), table[k].percent);
        fprintf(f, "\n");
    }
    const rp_dim_concordance *c = &s->by_dimension; /* model 2: the shares of the table's concordance */
    for (int a = 0; a < c->n; a++) {
        char label[64];
        snprintf(label, sizeof label, "concordance on %s", c->name[a]);
        fprintf(f, "%-38.38s", label);
        print_cell(f, c->all[a], true);
        for (int g = 0; g < s->n_groups; g++)
            print_cell(f, c->group[g][a], true);
        fprintf(f, "\n");
    }
}

/* "pairs" and every observable that a run of model version `model`
 * reports, one per line after indent; no braces. */
static void json_members(FILE *f, const rp_observables *o, int model, const char *indent)
{
    fprintf(f, "\n%s\"pairs\": %lld", indent, (long long)o->pairs);
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    for (size_t k = 0; k < n; k++) {
        if (!rp_observables_reported(&table[k], model))
            continue;
        fprintf(f, ",\n%s\"%s\": ", indent, table[k].name);
        cli_json_number(f, rp_observables_get(o, &table[k]));
    }
}

/* ",\n  "concordance_by_dimension": {DIM: {"all": x, "by_group": {GROUP: x,
 * ...}}, ...}", one line per categorical dimension ({} without one). */
static void json_by_dimension(FILE *f, const rp_summary *s)
{
    const rp_dim_concordance *c = &s->by_dimension;
    fputs(",\n  \"concordance_by_dimension\": {", f);
    for (int a = 0; a < c->n; a++) {
        fprintf(f, "%s\n    ", a ? "," : "");
        cli_json_string(f, c->name[a]);
        fputs(": {\"all\": ", f);
        cli_json_number(f, c->all[a]);
        fputs(", \"by_group\": {", f);
        for (int g = 0; g < s->n_groups; g++) {
            fputs(g ? ", " : "", f);
            cli_json_string(f, s->group_name[g]);
            fputs(": ", f);
            cli_json_number(f, c->group[g][a]);
        }
        fputs("}}", f);
    }
    fputs(c->n ? "\n  }" : "}", f);
}

void cli_print_summary_json(const rp_summary *s, const rp_origin *origin, FILE *f)
{
    fprintf(f, "{");
    json_members(f, &s->all, s->model, "  ");
    fprintf(f, ",\n  \"dropout_by_group\": {");
    for (int g = 0; g < s->n_groups; g++) {
        fprintf(f, "%s", g ? ", " : "");
        cli_json_string(f, s->group_name[g]);
        fprintf(f, ": ");
        cli_json_number(f, s->group[g].dropout);
    }
    fprintf(f, "},\n  \"by_group\": {");
    for (int g = 0; g < s->n_groups; g++) {
        fprintf(f, "%s\n    ", g ? "," : "");
        cli_json_string(f, s->group_name[g]);
        fprintf(f, ": {");
        json_members(f, &s->group[g], s->model, "      ");
        fprintf(f, "\n    }");
    }
    fprintf(f, "\n  }");
    if (s->model >= 2)
        json_by_dimension(f, s);
    json_provenance(f, origin);
    fprintf(f, "\n}\n");
}

/* ---- the summary of a sweep ---- */

/* "discussion.policy=intake trust.rate=0.1" */
static void point_label(const rp_plan *plan, int64_t point, char *buf, size_t size)
{
    const char *const *names;
    const int axes = rp_plan_axes(plan, &names);
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < axes && used < size; a++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", a ? " " : "", names[a],
                                 rp_plan_value_text(plan, point, a));
    if (!axes)
        snprintf(buf, size, "(no sweep)");
}

/* One cell of the table: "-" where the value is undefined (one replicate has
 * no standard error; a group with no pairs has no share), never "nan". */
static void cell(FILE *f, const char *fmt, int width, double v)
{
    if (isnan(v))
        fprintf(f, " %*s", width, "-");
    else
        fprintf(f, fmt, v);
}

/* One row: the observable's mean and se, and at a point other than the
 * reference point the paired difference and its se. */
static void row(FILE *f, const char *name, bool paired_too, const rp_stat *mean, const rp_stat *paired)
{
    fprintf(f, "  %-22s", name);
    cell(f, " %12.5g", 12, mean->mean);
    cell(f, " %10.3g", 10, mean->se);
    if (paired_too) {
        cell(f, " %+14.5g", 14, paired->mean);
        cell(f, " %10.3g", 10, paired->se);
    }
}

static void put_trimmed(FILE *f, char *line);

/* A statistic and its 95% interval appended to line as one cell of width
 * 30: "+0.1202 [+0.118, +0.1224]" (percent: "21.8% [20.9%, 22.7%]"), "-"
 * where undefined, "[-]" without an interval. */
static void interval_cell(char *line, size_t size, const rp_stat *st, bool percent)
{
    char text[112];
    const double scale = percent ? 100 : 1;
    const char *fmt = percent ? "%.1f%%" : "%+.4g";
    char m[32], lo[32], hi[32];
    snprintf(m, sizeof m, fmt, scale * st->mean);
    snprintf(lo, sizeof lo, fmt, scale * st->lo);
    snprintf(hi, sizeof hi, fmt, scale * st->hi);
    if (isnan(st->mean))
        snprintf(text, sizeof text, "-");
    else if (isnan(st->lo) || isnan(st->hi))
        snprintf(text, sizeof text, "%s [-]", m);
    else
        snprintf(text, sizeof text, "%s [%s, %s]", m, lo, hi);
    const size_t used = strlen(line);
    snprintf(line + used, size - used, " %-29s", text);
}

/* A ratio and its 95% interval as one cell: "1.742 [1.61, 1.88]". */
static void ratio_cell(char *line, size_t size, const rp_stat *st)
{
    char text[112];
    if (isnan(st->mean))
        snprintf(text, sizeof text, "-");
    else if (isnan(st->lo) || isnan(st->hi))
        snprintf(text, sizeof text, "%.4g [-]", st->mean);
    else
        snprintf(text, sizeof text, "%.4g [%.4g, %.4g]", st->mean, st->lo, st->hi);
    const size_t used = strlen(line);
    snprintf(line + used, size - used, " %-29s", text);
}

/* A point's contrasts of dropout (row d): each group's gap to and ratio to
 * the reference group and, away from the reference point, the gap's change
 * from there and the share of its gap closed, each with its 95% interval. */
static void text_contrasts(FILE *f, const rp_point_stats *st, int64_t point, size_t d)
{
    if (st->n_groups < 2)
        return;
    const bool away = point != st->reference_point;
    char line[320], head[64];
    snprintf(line, sizeof line, "  dropout gap to %-9s %-29s %-29s", st->group_name[st->reference], " gap [95% CI]",
             " ratio [95% CI]");
    snprintf(head, sizeof head, " change from point %lld", (long long)st->reference_point);
    if (away)
        snprintf(line + strlen(line), sizeof line - strlen(line), " %-29s %s", head, " share of the gap closed");
    put_trimmed(f, line);
    for (int g = 0; g < st->n_groups; g++) {
        if (g == st->reference)
            continue;
        snprintf(line, sizeof line, "    %-20.20s", st->group_name[g]);
        interval_cell(line, sizeof line, &st->gap[0][g][d], false);
        ratio_cell(line, sizeof line, &st->ratio[g][d]);
        if (away) {
            interval_cell(line, sizeof line, &st->gap[1][g][d], false);
            interval_cell(line, sizeof line, &st->closed[g][d], true);
        }
        put_trimmed(f, line);
    }
}

/* "[lo, hi]": an interval, a band. */
static void json_interval(FILE *f, double lo, double hi)
{
    fputc('[', f);
    cli_json_number(f, lo);
    fputs(", ", f);
    cli_json_number(f, hi);
    fputc(']', f);
}

/* One statistic as JSON: {"mean": m, "se": s, "ci": [lo, hi], "n": k}
 * (key names the estimate: "mean", or "share" for a ratio). */
static void json_stat(FILE *f, const char *estimate, const rp_stat *st)
{
    fprintf(f, "{\"%s\": ", estimate);
    cli_json_number(f, st->mean);
    fputs(", \"se\": ", f);
    cli_json_number(f, st->se);
    fputs(", \"ci\": ", f);
    json_interval(f, st->lo, st->hi);
    fprintf(f, ", \"n\": %lld}", (long long)st->n);
}

/* "by_group" (0), "paired_by_group" (1) or "relative_by_group" (2): all,
 * then each group, each observable the point reports (for a group: those
 * measured per group). */
static void json_by_group(FILE *f, const rp_point_stats *st, int which)
{
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    static const char *const key[3] = {"by_group", "paired_by_group", "relative_by_group"};
    fprintf(f, ",\n     \"%s\": {", key[which]);
    for (int g = -1; g < st->n_groups; g++) {
        fputs(g >= 0 ? ",\n       " : "\n       ", f);
        cli_json_string(f, g < 0 ? "all" : st->group_name[g]);
        fputs(": {", f);
        bool first = true;
        for (size_t k = 0; k < n; k++) {
            if (!rp_observables_reported(&table[k], st->model) || (g >= 0 && !table[k].per_group))
                continue;
            fprintf(f, "%s\"%s\": ", first ? "" : ", ", table[k].name);
            if (which == 2)
                json_stat(f, "ratio", &st->relative[g + 1][k]);
            else
                json_stat(f, "mean", g < 0 ? &st->all[which][k] : &st->group[which][g][k]);
            first = false;
        }
        fputs("}", f);
    }
    fputs("}", f);
}

/* "contrasts": each group but the reference, each observable measured per
 * group: its gap to and ratio to the reference here, and away from the
 * reference point the gap's change from there and the share of its gap
 * closed. */
static void json_contrasts(FILE *f, const rp_point_stats *st, int64_t point)
{
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    fputs(",\n     \"contrasts\": {", f);
    bool first_group = true;
    for (int g = 0; g < st->n_groups; g++) {
        if (g == st->reference)
            continue;
        fputs(first_group ? "\n       " : ",\n       ", f);
        first_group = false;
        cli_json_string(f, st->group_name[g]);
        fputs(": {", f);
        bool first = true;
        for (size_t k = 0; k < n; k++) {
            if (!rp_observables_reported(&table[k], st->model) || !table[k].per_group)
                continue;
            fprintf(f, "%s\"%s\": {\"gap\": ", first ? "" : ", ", table[k].name);
            json_stat(f, "mean", &st->gap[0][g][k]);
            fputs(", \"ratio\": ", f);
            json_stat(f, "ratio", &st->ratio[g][k]);
            if (point != st->reference_point) {
                fputs(", \"change\": ", f);
                json_stat(f, "mean", &st->gap[1][g][k]);
                fputs(", \"closed\": ", f);
                json_stat(f, "share", &st->closed[g][k]);
            }
            fputs("}", f);
            first = false;
        }
        fputs("}", f);
    }
    fputs("}", f);
}

/* ---- a probabilistic sensitivity analysis ---- */

static rp_stat as_interval(const rp_psa_stat *u)
{
    return (rp_stat){u->mean, NAN, u->lo, u->hi, u->n};
}

/* One line of the uncertainty table: the value with its 95% UI and Monte
 * Carlo share, and away from the reference point the difference to it with
 * its UI and the probability it is below 0; then the share of draws the
 * point is lowest in (lowest: NaN to leave it out). */
static void psa_line(FILE *f, const char *name, bool away, const rp_psa_stat *v, const rp_psa_stat *diff,
                     double lowest, bool percent)
{
    char line[256] = "";
    const rp_stat a = as_interval(v), b = as_interval(diff);
    interval_cell(line, sizeof line, &a, percent);
    fprintf(f, "  %-30.30s%s", name, line);
    cell(f, " %5.0f%%", 7, 100 * v->mc_share);
    if (away) {
        line[0] = 0;
        interval_cell(line, sizeof line, &b, percent);
        fprintf(f, "%s", line);
        cell(f, " %6.1f%%", 8, 100 * diff->p_below);
    } else
        fprintf(f, " %-29s %8s", "", "");
    if (!isnan(lowest))
        fprintf(f, " %6.1f%%", 100 * lowest);
    fputc('\n', f);
}

static void psa_table(const rp_plan *plan, const rp_summaries *s, FILE *f)
{
    const int64_t P = rp_plan_points(plan);
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n), *dropout = rp_observables_find("dropout");
    const size_t d = (size_t)(dropout - table);
    rp_psa_point *u = malloc(sizeof *u);
    char label[512], head[64];
    if (!u)
        return;
    rp_stats_design design;
    rp_plan_stats_design(plan, &design);
    const int64_t base = design.reference_point;
    const bool best = P > 1 && P <= RP_PSA_MAX_BEST_POINTS;
    for (int64_t point = 0; point < P; point++) {
        if (rp_stats_psa(&design, s, point, u, NULL) != RP_OK)
            break;
        const bool away = point != base;
        point_label(plan, point, label, sizeof label);
        fprintf(f, "point %lld: %s (%lld draws x %lld replicates)\n", (long long)point, label, (long long)u->draws,
                (long long)u->replicates);
        fprintf(f, "  %-30s %-29s %7s", "observable", "mean [95% UI]", "MC");
        snprintf(head, sizeof head, "minus point %lld [95%% UI]", (long long)base);
        if (away)
            fprintf(f, " %-29s %8s", head, "P(lower)");
        else
            fprintf(f, " %-29s %8s", "", "");
        fprintf(f, "%s\n", best ? " P(lowest)" : "");
        for (size_t k = 0; k < n; k++)
            if (rp_observables_reported(&table[k], u->model))
                psa_line(f, table[k].name, away, &u->value[0][k], &u->diff[0][k],
                         best && k == d ? u->lowest[0][k] : NAN, table[k].percent);
        char name[96];
        for (int g = 0; g < u->n_groups; g++) {
            snprintf(name, sizeof name, "dropout, %s", u->group_name[g]);
            psa_line(f, name, away, &u->value[g + 1][d], &u->diff[g + 1][d], best ? u->lowest[g + 1][d] : NAN, true);
        }
        for (int g = 0; g < u->n_groups; g++)
            if (g != u->reference) {
                snprintf(name, sizeof name, "dropout gap, %s - %s", u->group_name[g], u->group_name[u->reference]);
                psa_line(f, name, away, &u->gap[g][d], &u->gap_change[g][d], NAN, true);
            }
    }
    fprintf(f, "mean over %lld draws of the coefficients (%s); 95%% UI: the draws' 2.5%% and 97.5%% quantiles "
               "(coefficients and\nMonte Carlo noise); MC: the share of the draws' variance that is Monte Carlo "
               "noise; minus point %lld: draw by draw;\nP(lower): the share of draws in which it is below point "
               "%lld's; P(lowest): of all points' dropout; every observable's in --json\n",
            (long long)rp_plan_draws(plan), rp_plan_draws_source(plan), (long long)base, (long long)base);
    free(u);
}

/* The statistics of point under the plan's design; the scenario's
 * resolution checked its contrasts, so a refusal (a reference group the
 * runs lack) leaves a point with nothing done rather than numbers. */
static void point_stats(const rp_plan *plan, const rp_summaries *s, int64_t point, rp_point_stats *st)
{
    rp_stats_design design;
    rp_plan_stats_design(plan, &design);
    if (rp_stats_point(&design, s, point, st, NULL) != RP_OK) {
        st->replicates = 0;
        st->n_groups = 0;
        st->reference = -1;
    }
}

/* A sweep of more points than this prints one line a point (dropout, its
 * interval and by group); the whole table is in --json and the file. */
#define FULL_TABLE_POINTS 24

static void compact_sweep_table(const rp_plan *plan, const rp_summaries *s, FILE *f)
{
    const int64_t P = rp_plan_points(plan), R = rp_plan_replicates(plan);
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n), *dropout = rp_observables_find("dropout");
    const size_t d = (size_t)(dropout - table);
    char label[512];
    rp_point_stats st;
    for (int64_t point = 0; point < P; point++) {
        point_stats(plan, s, point, &st);
        if (point == 0) {
            fprintf(f, "%6s %4s  %-29s", "point", "reps", "dropout [95% CI]");
            for (int g = 0; g < st.n_groups; g++)
                fprintf(f, " %9.9s", st.group_name[g]);
            fprintf(f, "  swept values\n");
        }
        point_label(plan, point, label, sizeof label);
        fprintf(f, "%6lld %4lld", (long long)point, (long long)st.replicates);
        char line[64] = "";
        interval_cell(line, sizeof line, &st.all[0][d], true);
        fprintf(f, " %-30s", line);
        for (int g = 0; g < st.n_groups; g++)
            cell(f, " %8.1f%%", 9, st.replicates ? 100 * st.group[0][g][d].mean : NAN);
        fprintf(f, "  %s\n", label);
    }
    fprintf(f, "%lld points x %lld replicates: one line a point (dropout overall, mean and 95%% CI, t with "
               "replicates - 1 df, and by patient group);\nevery observable, paired difference and contrast "
               "of every point: --json, or -o FILE and rapport summary FILE\n",
            (long long)P, (long long)R);
}

void cli_print_sweep_table(const rp_plan *plan, const rp_summaries *s, FILE *f)
{
    const int64_t P = rp_plan_points(plan), R = rp_plan_replicates(plan);
    if (rp_plan_draws(plan)) {
        psa_table(plan, s, f);
        return;
    }
    if (P > FULL_TABLE_POINTS) {
        compact_sweep_table(plan, s, f);
        return;
    }
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n), *dropout = rp_observables_find("dropout");
    const size_t d = (size_t)(dropout - table);
    char label[512];
    rp_point_stats st;
    bool contrasts = false;
    for (int64_t point = 0; point < P; point++) {
        point_stats(plan, s, point, &st);
        point_label(plan, point, label, sizeof label);
        if (st.replicates < R)
            fprintf(f, "point %lld: %s (%lld of %lld replicates in this part)\n", (long long)point, label,
                    (long long)st.replicates, (long long)R);
        else
            fprintf(f, "point %lld: %s (%lld replicates)\n", (long long)point, label, (long long)R);
        if (!st.replicates)
            continue;
        const bool away = point != st.reference_point;
        fprintf(f, "  %-22s %12s %10s", "observable", "mean", "se");
        if (away)
            fprintf(f, " %14s %10s", "paired diff", "se");
        fprintf(f, "\n");
        for (size_t k = 0; k < n; k++) {
            if (!rp_observables_reported(&table[k], st.model))
                continue;
            row(f, table[k].name, away, &st.all[0][k], &st.all[1][k]);
            fprintf(f, "\n");
        }
        for (int g = 0; g < st.n_groups; g++) {
            row(f, dropout->name, away, &st.group[0][g][d], &st.group[1][g][d]);
            fprintf(f, "   %s\n", st.group_name[g]);
        }
        text_contrasts(f, &st, point, d);
        contrasts = contrasts || st.n_groups > 1;
    }
    const long long base = (long long)st.reference_point;
    if (P > 1)
        fprintf(f, "paired diff: the point minus point %lld, replicate by replicate\n", base);
    if (contrasts && P > 1)
        fprintf(f, "gap: the group minus the reference group in each run; ratio: the group's mean over the "
                   "reference's (Fieller);\nchange: the gap minus point %lld's, replicate by replicate; share of "
                   "the gap closed: -change / point %lld's gap (Fieller);\n95%% CI: t with replicates - 1 df; "
                   "every observable's in --json\n", base, base);
    else if (contrasts)
        fprintf(f, "gap: the group minus the reference group in each run; ratio: the group's mean over the "
                   "reference's (Fieller);\n95%% CI: t with replicates - 1 df; every observable's in --json\n");
}

/* An uncertainty statistic: {"mean", "ui", "mc_share", "n"}, and
 * "p_below" (differences) or "lowest" (values; lowest NaN: none). */
static void json_psa_stat(FILE *f, const rp_psa_stat *u, bool below, double lowest)
{
    fputs("{\"mean\": ", f);
    cli_json_number(f, u->mean);
    fputs(", \"ui\": ", f);
    json_interval(f, u->lo, u->hi);
    fputs(", \"mc_share\": ", f);
    cli_json_number(f, u->mc_share);
    if (below) {
        fputs(", \"p_below\": ", f);
        cli_json_number(f, u->p_below);
    } else if (!isnan(lowest)) {
        fputs(", \"lowest\": ", f);
        cli_json_number(f, lowest);
    }
    fprintf(f, ", \"n\": %lld}", (long long)u->n);
}

/* A point's "uncertainty": by_group (each value), away from the reference
 * point paired_by_group (the difference to it, draw by draw), and with
 * groups the contrasts (gap to the reference group, and away from the
 * reference point its change). */
static void json_psa(FILE *f, const rp_psa_point *u, int64_t point)
{
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n);
    const bool away = point != u->reference_point;
    fputs(",\n     \"uncertainty\": {", f);
    for (int paired = 0; paired <= away; paired++) {
        fprintf(f, "%s\"%s\": {", paired ? ",\n       " : "\n       ", paired ? "paired_by_group" : "by_group");
        for (int g = -1; g < u->n_groups; g++) {
            fputs(g >= 0 ? ", " : "", f);
            cli_json_string(f, g < 0 ? "all" : u->group_name[g]);
            fputs(": {", f);
            bool first = true;
            for (size_t k = 0; k < n; k++) {
                if (!rp_observables_reported(&table[k], u->model) || (g >= 0 && !table[k].per_group))
                    continue;
                fprintf(f, "%s\"%s\": ", first ? "" : ", ", table[k].name);
                json_psa_stat(f, paired ? &u->diff[g + 1][k] : &u->value[g + 1][k], paired,
                              paired ? NAN : u->lowest[g + 1][k]);
                first = false;
            }
            fputs("}", f);
        }
        fputs("}", f);
    }
    if (u->n_groups > 1) {
        fputs(",\n       \"contrasts\": {", f);
        bool first_group = true;
        for (int g = 0; g < u->n_groups; g++) {
            if (g == u->reference)
                continue;
            fputs(first_group ? "" : ", ", f);
            first_group = false;
            cli_json_string(f, u->group_name[g]);
            fputs(": {", f);
            bool first = true;
            for (size_t k = 0; k < n; k++) {
                if (!rp_observables_reported(&table[k], u->model) || !table[k].per_group)
                    continue;
                fprintf(f, "%s\"%s\": {\"gap\": ", first ? "" : ", ", table[k].name);
                json_psa_stat(f, &u->gap[g][k], true, NAN);
                if (away) {
                    fputs(", \"change\": ", f);
                    json_psa_stat(f, &u->gap_change[g][k], true, NAN);
                }
                fputs("}", f);
                first = false;
            }
            fputs("}", f);
        }
        fputs("}", f);
    }
    fputs("}", f);
}

/* A point's ",\n     "concordance_by_dimension": {DIM: {"all": STAT,
 * "by_group": {GROUP: STAT}}}", each STAT over the point's replicates
 * (json_stat); {} without a categorical dimension or a run done here. */
static void json_dimension_stats(FILE *f, const rp_plan *plan, const rp_summaries *s, int64_t point)
{
    rp_dim_point_stats c;
    rp_stats_design design;
    rp_plan_stats_design(plan, &design);
    rp_stats_dimensions(&design, s, point, &c);
    fputs(",\n     \"concordance_by_dimension\": {", f);
    for (int a = 0; a < c.n; a++) {
        fputs(a ? ",\n       " : "\n       ", f);
        cli_json_string(f, c.name[a]);
        fputs(": {\"all\": ", f);
        json_stat(f, "mean", &c.all[a]);
        fputs(", \"by_group\": {", f);
        for (int g = 0; g < c.n_groups; g++) {
            fputs(g ? ", " : "", f);
            cli_json_string(f, c.group_name[g]);
            fputs(": ", f);
            json_stat(f, "mean", &c.group[g][a]);
        }
        fputs("}}", f);
    }
    fputs("}", f);
}

void cli_print_sweep_json(const rp_plan *plan, const rp_summaries *s, const rp_origin *origin, FILE *f)
{
    const int64_t P = rp_plan_points(plan), R = rp_plan_replicates(plan);
    const char *const *names;
    const int axes = rp_plan_axes(plan, &names);
    size_t n;
    const rp_observable_def *table = rp_observables_table(&n), *dropout = rp_observables_find("dropout");
    const size_t d = (size_t)(dropout - table);
    rp_point_stats st;
    fprintf(f, "{\n  \"points\": %lld,\n  \"replicates\": %lld,\n", (long long)P, (long long)R);
    rp_psa_point *u = NULL;
    if (rp_plan_draws(plan)) {
        const char *const *keys;
        const int K = rp_plan_draw_keys(plan, &keys);
        fprintf(f, "  \"uncertainty\": {\"draws\": %lld, \"replicates_per_draw\": %lld, \"keys\": [",
                (long long)rp_plan_draws(plan), (long long)rp_plan_draw_replicates(plan));
        for (int k = 0; k < K; k++) {
            fputs(k ? ", " : "", f);
            cli_json_string(f, keys[k]);
        }
        fputs("], \"source\": ", f);
        cli_json_string(f, rp_plan_draws_source(plan));
        fputs(", \"level\": 0.95},\n", f);
        u = malloc(sizeof *u);
    }
    rp_stats_design design;
    rp_plan_stats_design(plan, &design);
    fputs("  \"reference_group\": ", f);
    st.reference = -1; /* the groups: the same at every point; of the first with a run here */
    for (int64_t point = 0; point < P && st.reference < 0; point++)
        point_stats(plan, s, point, &st);
    if (st.reference >= 0)
        cli_json_string(f, st.group_name[st.reference]);
    else
        fputs("null", f);
    fprintf(f, ",\n  \"reference_point\": %lld,\n  \"confidence_level\": 0.95,\n  \"by_point\": [",
            (long long)design.reference_point);
    for (int64_t point = 0; point < P; point++) {
        point_stats(plan, s, point, &st);
        fprintf(f, "%s\n    {\"point\": %lld, \"values\": {", point ? "," : "", (long long)point);
        for (int a = 0; a < axes; a++) {
            fprintf(f, "%s", a ? ", " : "");
            cli_json_string(f, names[a]);
            fprintf(f, ": ");
            cli_json_string(f, rp_plan_value_text(plan, point, a));
        }
        fprintf(f, "}");
        const bool away = point != st.reference_point;
        for (int paired = 0; paired <= away; paired++) {
            fprintf(f, ",\n     \"%s\": {", paired ? "paired_difference" : "mean");
            for (size_t k = 0; k < n; k++) {
                if (!rp_observables_reported(&table[k], st.model))
                    continue;
                fprintf(f, "%s\"%s\": ", k ? ", " : "", table[k].name);
                cli_json_number(f, st.all[paired][k].mean);
                fprintf(f, ", \"%s_se\": ", table[k].name);
                cli_json_number(f, st.all[paired][k].se);
            }
            fprintf(f, ", \"dropout_by_group\": {");
            for (int g = 0; g < st.n_groups; g++) {
                fprintf(f, "%s", g ? ", " : "");
                cli_json_string(f, st.group_name[g]);
                fprintf(f, ": ");
                cli_json_number(f, st.group[paired][g][d].mean);
            }
            fprintf(f, "}}");
        }
        for (int which = 0; which <= (away ? 2 : 0); which++)
            json_by_group(f, &st, which);
        if (st.n_groups > 1)
            json_contrasts(f, &st, point);
        if (u && rp_stats_psa(&design, s, point, u, NULL) == RP_OK)
            json_psa(f, u, point);
        if (st.model >= 2)
            json_dimension_stats(f, plan, s, point);
        fprintf(f, "}");
    }
    free(u);
    fprintf(f, "\n  ]");
    json_provenance(f, origin);
    fprintf(f, "\n}\n");
}

/* ---- the report of a calibration ---- */

/* Print line without its trailing blanks, then a newline. */
static void put_trimmed(FILE *f, char *line)
{
    size_t n = strlen(line);
    while (n && line[n - 1] == ' ')
        line[--n] = 0;
    fprintf(f, "%s\n", line);
}

/* A table of targets (rows) by free coefficients (columns [1], [2], ...):
 * entry (k, i) at m[k * row + i * col], with its SE at se[k * row + i * col]
 * if se; rows of weight 0 marked. */
static void print_by_target(FILE *f, const rp_cal_target *tg, int n_targets, int n_free, const double *m,
                            const double *se, int row, int col)
{
    char line[RP_CAL_KEY_MAX + 64 + 16 * RP_CAL_MAX_FREE];
    int at = snprintf(line, sizeof line, "%-36s", "target");
    for (int i = 0; i < n_free; i++) {
        char head[16];
        snprintf(head, sizeof head, "[%d]", i + 1);
        at += snprintf(line + at, sizeof line - (size_t)at, " %8s%7s", head, "");
    }
    put_trimmed(f, line);
    for (int k = 0; k < n_targets; k++) {
        at = snprintf(line, sizeof line, "%-36s", tg[k].name);
        for (int i = 0; i < n_free; i++) {
            char cell[16] = "";
            if (se && !isnan(se[k * row + i * col]))
                snprintf(cell, sizeof cell, "+-%.3f", se[k * row + i * col]);
            at += snprintf(line + at, sizeof line - (size_t)at, " %8.3f %-7s", m[k * row + i * col], cell);
        }
        if (tg[k].weight <= 0)
            snprintf(line + at, sizeof line - (size_t)at, "  (weight 0: not in the analysis)");
        put_trimmed(f, line);
    }
}

/* The identification at the fitted point (calibrate.h): the scaled
 * Jacobian, the linearised fit, what moves and what pins each coefficient,
 * the singular values and the weakest (and every flat) direction. */
static void print_identification(const rp_calibration *cal, const rp_cal_identification *id, bool converged,
                                 FILE *f)
{
    int n_free, n_targets;
    const rp_cal_free *fr = rp_calibration_free_params(cal, &n_free);
    const rp_cal_target *tg = rp_calibration_targets(cal, &n_targets);
    fprintf(f, "\nidentification at the fitted point: central differences of every target, each coefficient\n"
               "-/+ %g%% of its range, on the fit's %d streams (%d more evaluations)\n",
            100 * id->step_fraction, rp_calibration_replicates(cal), id->evaluations);
    if (!converged)
        fputs("(the fit did not converge: this is where the budget ran out, not a minimum)\n", f);
    for (int i = 0; i < n_free; i++)
        fprintf(f, "  [%d] %-32s %.6g to %.6g\n", i + 1, fr[i].key, id->lo[i], id->hi[i]);
    fputs("\nd target / d coefficient: the target's change in band half-widths (its scale) when the\n"
          "coefficient moves by 10% of its range, +- MC SE\n", f);
    print_by_target(f, tg, n_targets, n_free, &id->jacobian[0][0], &id->jacobian_se[0][0], RP_CAL_MAX_FREE, 1);
    fputs("\nd fitted coefficient / d target value: how far the linearised fit moves each coefficient, in\n"
          "tenths of its range, when one target's value moves by one band half-width (flat directions\n"
          "left out)\n", f);
    print_by_target(f, tg, n_targets, n_free, &id->pinned[0][0], NULL, 1, RP_CAL_MAX_TARGETS);
    fprintf(f, "\n%-36s %-30s %-30s %s\n", "coefficient", "moves most: target (J)", "pinned by: target (dx)",
            "+- from the bands");
    for (int i = 0; i < n_free; i++) {
        char moves[RP_CAL_KEY_MAX + 32] = "none", pinned[RP_CAL_KEY_MAX + 32] = "none (flat only)";
        if (id->moves_most[i] >= 0)
            snprintf(moves, sizeof moves, "%s (%.3f)", tg[id->moves_most[i]].name,
                     id->jacobian[id->moves_most[i]][i]);
        if (id->pinned_by[i] >= 0)
            snprintf(pinned, sizeof pinned, "%s (%.3f)", tg[id->pinned_by[i]].name, id->pinned[i][id->pinned_by[i]]);
        fprintf(f, "%-36s %-30s %-30s %.3g\n", fr[i].key, moves, pinned,
                id->spread[i] * (fr[i].max - fr[i].min) / 10);
    }
    fputs("  pinned by: the largest entry of the coefficient's column above; +- from the bands: how far\n"
          "  the fitted value moves, in its own units, when every fitted target's value moves by its\n"
          "  band half-width independently (root sum of squares; with targets given as value +- se,\n"
          "  the SE the targets' own uncertainty gives the coefficient)\n", f);
    fprintf(f, "\nsingular values of the scaled Jacobian of the fitted targets (%d; rows times sqrt(weight)),\n"
               "+- MC SE:\n ", id->n_fitted);
    for (int j = 0; j < n_free; j++)
        fprintf(f, " %.4g", id->singular[j]);
    if (!isnan(id->singular_se[0])) {
        fputs("\n  +-", f);
        for (int j = 0; j < n_free; j++)
            fprintf(f, " %.2g", id->singular_se[j]);
    }
    fprintf(f, "\n  condition number %.4g\n", id->condition);
    fputs("  the bands allow about, along each direction, +-", f);
    for (int j = 0; j < n_free; j++)
        if (id->singular[j] > 0)
            fprintf(f, "%s%.3g%%", j ? ", " : "", 10 / id->singular[j]);
        else
            fprintf(f, "%sany", j ? ", " : "");
    fputs(" of the ranges\n", f);
    for (int j = id->n_flat ? n_free - id->n_flat : n_free - 1; j < n_free; j++) {
        const double sv = id->singular[j];
        fprintf(f, "%s direction (singular value %.3g%s):", sv < RP_CAL_FLAT ? "flat" : "weakest", sv,
                sv < RP_CAL_FLAT ? ", below 0.1" : "");
        for (int i = 0; i < n_free; i++)
            if (fabs(id->direction[j][i]) >= 0.1)
                fprintf(f, " %+.2f %s", id->direction[j][i], fr[i].key);
        fputc('\n', f);
        if (sv >= RP_CAL_FLAT) { /* the bands' extent along it, 1 / sigma tenths of the ranges */
            fputs("  along it the bands allow about", f);
            int listed = 0;
            for (int i = 0; i < n_free; i++)
                if (fabs(id->direction[j][i]) >= 0.1) {
                    fprintf(f, " %s +-%.3g", fr[i].key, fabs(id->direction[j][i]) / sv * (fr[i].max - fr[i].min) / 10);
                    listed++;
                }
            fputs(listed > 1 ? " together\n" : "\n", f);
        }
    }
    fputs("  (components in tenths of each range, unit length; those below 0.1 left out)\n", f);
    const double weakest = id->singular[n_free - 1], weakest_se = id->singular_se[n_free - 1];
    if (id->n_flat)
        fprintf(f, "%d flat direction%s: the fitted targets do not tell %s coefficients apart\n", id->n_flat,
                id->n_flat > 1 ? "s" : "", id->n_flat > 1 ? "their" : "its");
    else if (weakest - 2 * weakest_se < RP_CAL_FLAT)
        fprintf(f, "no flat direction at this point, but the weakest is within 2 MC SE of flat (0.1): more\n"
                   "replicates would tell\n");
    else
        fprintf(f, "no flat direction: the fitted targets (%d) pin every coefficient (%d); along the weakest\n"
                   "direction the bands allow about +-%.3g%% of the ranges\n", id->n_fitted, n_free, 10 / weakest);
    if (id->n_unmeasured)
        fprintf(f, "%d derivatives of fitted targets were not finite and count as 0\n", id->n_unmeasured);
}

void cli_print_calibration_table(const rp_calibration *cal, const rp_cal_result *res,
                                 const rp_cal_identification *id, FILE *f)
{
    const rp_cal_eval *e = &res->final;
    const int replicates = rp_calibration_replicates(cal);
    int n_free, n_targets;
    const rp_cal_free *free_params = rp_calibration_free_params(cal, &n_free);
    const rp_cal_target *targets = rp_calibration_targets(cal, &n_targets);
    fprintf(f, "rapport calibrate: %s\n", rp_calibration_path(cal));
    fprintf(f, "scenario %s, ", rp_calibration_scenario_path(cal));
    if (rp_calibration_patients(cal))
        fprintf(f, "%lld patients and %lld providers per run, ", rp_calibration_patients(cal),
                rp_calibration_providers(cal));
    fprintf(f, "%d replicates (streams 0-%d, common to every evaluation)\n", replicates, replicates - 1);
    fprintf(f, "%s after %d iterations, %d evaluations, %.1f s; objective %.6g\n\n",
            res->converged ? "converged" : "stopped: evaluation budget spent", res->iterations, res->evaluations,
            res->seconds, e->objective);
    fprintf(f, "%-36s %12s %12s %12s %12s\n", "coefficient", "scenario", "start", "fitted", "range");
    for (int i = 0; i < n_free; i++) {
        const rp_cal_free *fr = &free_params[i];
        char range[64];
        snprintf(range, sizeof range, "[%g, %g]", fr->min, fr->max);
        fprintf(f, "%-36s %12.6g %12.6g %12.6g %12s\n", fr->key, fr->scenario_value, fr->start, e->x[i], range);
    }
    fprintf(f, "\n%-36s %9s %18s %10s %10s %7s %6s %s\n", "target", "value", "band", "simulated", "MC SE", "z",
            "weight", "in band");
    int outside = 0;
    for (int k = 0; k < n_targets; k++) {
        const rp_cal_target *tg = &targets[k];
        const rp_cal_stat *s = &e->target[k];
        char band[64];
        snprintf(band, sizeof band, "[%.4g, %.4g]", tg->lo, tg->hi);
        const bool in = rp_calibration_target_in_band(tg, s->mean);
        outside += !in;
        char se[32] = "-"; /* one replicate: no Monte-Carlo SE */
        if (!isnan(s->se))
            snprintf(se, sizeof se, "%.2g", s->se);
        fprintf(f, "%-36s %9.4g %18s %10.5g %10s %7.2f %6g %s\n", tg->name, tg->value, band, s->mean, se,
                (s->mean - tg->value) / tg->scale, tg->weight, in ? "yes" : "NO");
    }
    fprintf(f, "\n%d of %d targets inside their band\n", n_targets - outside, n_targets);
    fprintf(f, "\nreported, not fitted: dropout by patient group (mean +- MC SE)\n");
    for (int g = 0; g < e->n_groups; g++)
        fprintf(f, "  %-20s %.4f +- %.4f\n", e->group_name[g], e->group_dropout[g].mean, e->group_dropout[g].se);
    if (isfinite(e->minority_ratio.mean))
        fprintf(f, "  minority (all but white) / white dropout ratio: %.3f +- %.3f (%s 1)\n", e->minority_ratio.mean,
                e->minority_ratio.se, e->minority_ratio.mean > 1 ? ">" : "not >");
    if (id)
        print_identification(cal, id, res->converged, f);
}

/* ", "KEY": v" for each (key, value) pair, NULL-terminated keys. */
static void json_fields(FILE *f, const char *const *keys, const double *values)
{
    for (int i = 0; keys[i]; i++) {
        fprintf(f, ", \"%s\": ", keys[i]);
        cli_json_number(f, values[i]);
    }
}

/* "[v0, v1, ...]" */
static void json_numbers(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        cli_json_number(f, v[i]);
    }
    fputc(']', f);
}

/* A target's name, or null for -1. */
static void json_target(FILE *f, const rp_cal_target *tg, int k)
{
    if (k >= 0)
        cli_json_string(f, tg[k].name);
    else
        fputs("null", f);
}

static void json_identification(const rp_calibration *cal, const rp_cal_identification *id, FILE *f)
{
    int n_free, n_targets;
    const rp_cal_free *fr = rp_calibration_free_params(cal, &n_free);
    const rp_cal_target *tg = rp_calibration_targets(cal, &n_targets);
    fputs("{\n    \"step_fraction\": ", f);
    cli_json_number(f, id->step_fraction);
    fprintf(f, ", \"evaluations\": %d, \"fitted_targets\": %d, \"unmeasured\": %d,\n    \"free\": [",
            id->evaluations, id->n_fitted, id->n_unmeasured);
    for (int i = 0; i < n_free; i++) {
        fputs(i ? ",\n      {\"key\": " : "\n      {\"key\": ", f);
        cli_json_string(f, fr[i].key);
        json_fields(f, (const char *const[]){"lo", "hi", NULL}, (const double[]){id->lo[i], id->hi[i]});
        fputs(", \"moves_most\": ", f);
        json_target(f, tg, id->moves_most[i]);
        fputs(", \"pinned_by\": ", f);
        json_target(f, tg, id->pinned_by[i]);
        fputs(", \"pinned\": ", f);
        json_numbers(f, id->pinned[i], n_targets);
        fputs(", \"spread\": ", f);
        cli_json_number(f, id->spread[i]);
        fputs("}", f);
    }
    fputs("\n    ],\n    \"targets\": [", f);
    for (int k = 0; k < n_targets; k++) {
        fputs(k ? ",\n      {\"name\": " : "\n      {\"name\": ", f);
        cli_json_string(f, tg[k].name);
        fprintf(f, ", \"fitted\": %s, \"jacobian\": ", tg[k].weight > 0 ? "true" : "false");
        json_numbers(f, id->jacobian[k], n_free);
        fputs(", \"jacobian_se\": ", f);
        json_numbers(f, id->jacobian_se[k], n_free);
        fputs(", \"derivative\": ", f);
        json_numbers(f, id->derivative[k], n_free);
        fputs("}", f);
    }
    fputs("\n    ],\n    \"singular_values\": ", f);
    json_numbers(f, id->singular, n_free);
    fputs(",\n    \"singular_values_se\": ", f);
    json_numbers(f, id->singular_se, n_free);
    fputs(",\n    \"directions\": [", f);
    for (int j = 0; j < n_free; j++) {
        fputs(j ? ",\n      " : "\n      ", f);
        json_numbers(f, id->direction[j], n_free);
    }
    fputs("\n    ]", f);
    json_fields(f, (const char *const[]){"condition", "flat_threshold", NULL},
                (const double[]){id->condition, RP_CAL_FLAT});
    fprintf(f, ", \"flat_directions\": %d\n  }", id->n_flat);
}

/* The start of a calibration's JSON report: its file and scenario. */
static void json_head(FILE *f, const rp_calibration *cal, const char *method)
{
    fputs("{\n  \"calibration\": ", f);
    cli_json_string(f, rp_calibration_path(cal));
    if (method)
        fprintf(f, ",\n  \"method\": \"%s\"", method);
    fputs(",\n  \"scenario\": ", f);
    cli_json_string(f, rp_calibration_scenario_path(cal));
}

/* A target's first fields: "{"name": N, "value": V, "band": [LO, HI]" (the
 * first of a list when k is 0). */
static void json_target_head(FILE *f, const rp_cal_target *tg, int k)
{
    fputs(k ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
    cli_json_string(f, tg->name);
    fputs(", \"value\": ", f);
    cli_json_number(f, tg->value);
    fputs(", \"band\": ", f);
    json_interval(f, tg->lo, tg->hi);
}

void cli_print_calibration_json(const rp_calibration *cal, const rp_cal_result *res,
                                const rp_cal_identification *id, const char *written, const rp_origin *origin, FILE *f)
{
    const rp_cal_eval *e = &res->final;
    int n_free, n_targets;
    const rp_cal_free *free_params = rp_calibration_free_params(cal, &n_free);
    const rp_cal_target *targets = rp_calibration_targets(cal, &n_targets);
    json_head(f, cal, NULL);
    fprintf(f, ",\n  \"patients\": %lld,\n  \"replicates\": %d,\n  \"converged\": %s,\n  \"iterations\": %d,\n"
               "  \"evaluations\": %d,\n  \"seconds\": %.3f,\n  \"objective\": ",
            rp_calibration_patients(cal), rp_calibration_replicates(cal), res->converged ? "true" : "false",
            res->iterations, res->evaluations, res->seconds);
    cli_json_number(f, e->objective);
    fputs(",\n  \"free\": [", f);
    static const char *const free_keys[] = {"scenario", "start", "min", "max", "fitted", NULL};
    for (int i = 0; i < n_free; i++) {
        const rp_cal_free *fr = &free_params[i];
        fputs(i ? ",\n    {\"key\": " : "\n    {\"key\": ", f);
        cli_json_string(f, fr->key);
        json_fields(f, free_keys, (const double[]){fr->scenario_value, fr->start, fr->min, fr->max, e->x[i]});
        fputs("}", f);
    }
    fputs("\n  ],\n  \"targets\": [", f);
    static const char *const target_keys[] = {"weight", "simulated", "mc_se", NULL};
    for (int k = 0; k < n_targets; k++) {
        const rp_cal_target *tg = &targets[k];
        json_target_head(f, tg, k);
        fputs(", \"scale\": ", f);
        cli_json_number(f, tg->scale);
        json_fields(f, target_keys, (const double[]){tg->weight, e->target[k].mean, e->target[k].se});
        fprintf(f, ", \"in_band\": %s}", rp_calibration_target_in_band(tg, e->target[k].mean) ? "true" : "false");
    }
    fputs("\n  ],\n  \"dropout_by_group\": {", f);
    for (int g = 0; g < e->n_groups; g++) {
        fputs(g ? ", " : "", f);
        cli_json_string(f, e->group_name[g]);
        fputs(": {\"mean\": ", f);
        cli_json_number(f, e->group_dropout[g].mean);
        fputs(", \"mc_se\": ", f);
        cli_json_number(f, e->group_dropout[g].se);
        fputs("}", f);
    }
    fputs("},\n  \"minority_white_dropout_ratio\": {\"mean\": ", f);
    cli_json_number(f, e->minority_ratio.mean);
    fputs(", \"mc_se\": ", f);
    cli_json_number(f, e->minority_ratio.se);
    fputs("},\n  \"written\": ", f);
    if (written)
        cli_json_string(f, written);
    else
        fputs("null", f);
    fputs(",\n  \"identification\": ", f);
    if (id)
        json_identification(cal, id, f);
    else
        fputs("null", f);
    fputs(",\n  \"history\": [", f);
    for (int h = 0; h < res->iterations; h++) {
        const rp_cal_step *s = &res->history[h];
        fprintf(f, "%s\n    {\"iteration\": %d, \"evaluations\": %d, \"objective\": ", h ? "," : "", s->iteration,
                s->evaluations);
        cli_json_number(f, s->objective);
        fputs(", \"size\": ", f);
        cli_json_number(f, s->size);
        fputs(", \"x\": [", f);
        for (int i = 0; i < n_free; i++) {
            fputs(i ? ", " : "", f);
            cli_json_number(f, s->x[i]);
        }
        fputs("]}", f);
    }
    fputs("\n  ]", f);
    json_provenance(f, origin);
    fputs("\n}\n", f);
}

/* ---- the report of an ABC-SMC calibration ---- */

/* Posterior summaries of column i (a coefficient, or a target when
 * simulated) of the last generation: mean, median, 2.5% and 97.5%. */
static void abc_summary(const rp_abc_result *res, bool simulated, int i, double out[4])
{
    const int g = res->n_generations - 1;
    out[0] = rp_abc_mean(res, g, simulated, i);
    out[1] = rp_abc_quantile(res, g, simulated, i, 0.5);
    out[2] = rp_abc_quantile(res, g, simulated, i, 0.025);
    out[3] = rp_abc_quantile(res, g, simulated, i, 0.975);
}

void cli_print_abc_table(const rp_calibration *cal, const rp_abc_result *res, const double *median, FILE *f)
{
    int n_free, n_targets;
    const rp_cal_free *fr = rp_calibration_free_params(cal, &n_free);
    const rp_cal_target *tg = rp_calibration_targets(cal, &n_targets);
    const int R = rp_calibration_replicates(cal);
    fprintf(f, "rapport calibrate: %s (abc-smc)\n", rp_calibration_path(cal));
    fprintf(f, "scenario %s, ", rp_calibration_scenario_path(cal));
    if (rp_calibration_patients(cal))
        fprintf(f, "%lld patients and %lld providers per run, ", rp_calibration_patients(cal),
                rp_calibration_providers(cal));
    fprintf(f, "%d replicate%s per simulation, each on its own streams\n", R, R == 1 ? "" : "s");
    fprintf(f, "%d particles, %d generations; stopped: %s; %lld simulations (%lld runs), %.1f s\n\n",
            res->particles, res->n_generations, rp_abc_stop_name(res->stop), res->simulations,
            res->simulations * R, res->seconds);
    fprintf(f, "%-10s %12s %12s %10s %10s\n", "generation", "tolerance", "simulations", "acceptance", "ESS");
    for (int g = 0; g < res->n_generations; g++) {
        const rp_abc_generation *x = &res->gen[g];
        fprintf(f, "%-10d %12.4g %12lld %10.4f %10.1f\n", g, x->tolerance, x->simulations, x->acceptance, x->ess);
    }
    fprintf(f, "\n%-36s %18s %11s %11s %11s %11s %11s\n", "coefficient", "prior", "mean", "median", "2.5%",
            "97.5%", "calibrated");
    for (int i = 0; i < n_free; i++) {
        double s[4];
        abc_summary(res, false, i, s);
        fprintf(f, "%-36s %18s %11.5g %11.5g %11.5g %11.5g %11.5g\n", fr[i].key, fr[i].prior_text, s[0], s[1], s[2],
                s[3], median[i]);
    }
    fprintf(f, "\nposterior predictive (the particles' simulations)\n");
    fprintf(f, "%-36s %9s %18s %10s %10s %10s %10s %s\n", "target", "value", "band", "mean", "median", "2.5%",
            "97.5%", "median in band");
    int outside = 0;
    for (int k = 0; k < n_targets; k++) {
        double s[4];
        abc_summary(res, true, k, s);
        char band[64];
        snprintf(band, sizeof band, "[%.4g, %.4g]", tg[k].lo, tg[k].hi);
        const bool in = rp_calibration_target_in_band(&tg[k], s[1]);
        outside += !in;
        fprintf(f, "%-36s %9.4g %18s %10.5g %10.5g %10.5g %10.5g %s%s\n", tg[k].name, tg[k].value, band, s[0], s[1],
                s[2], s[3], in ? "yes" : "NO", tg[k].weight > 0 ? "" : " (weight 0)");
    }
    fprintf(f, "\n%d of %d targets' posterior predictive medians inside their band\n", n_targets - outside,
            n_targets);
}

void cli_print_abc_json(const rp_calibration *cal, const rp_abc_result *res, const double *median,
                        const char *posterior, const char *written, const rp_origin *origin, FILE *f)
{
    int n_free, n_targets;
    const rp_cal_free *fr = rp_calibration_free_params(cal, &n_free);
    const rp_cal_target *tg = rp_calibration_targets(cal, &n_targets);
    json_head(f, cal, "abc-smc");
    fprintf(f, ",\n  \"patients\": %lld,\n  \"replicates\": %d,\n  \"particles\": %d,\n  \"generations\": %d,\n"
               "  \"stop\": \"%s\",\n  \"simulations\": %lld,\n  \"runs\": %lld,\n  \"seconds\": %.3f,\n"
               "  \"history\": [",
            rp_calibration_patients(cal), rp_calibration_replicates(cal), res->particles, res->n_generations,
            rp_abc_stop_name(res->stop), res->simulations, res->simulations * rp_calibration_replicates(cal),
            res->seconds);
    for (int g = 0; g < res->n_generations; g++) {
        const rp_abc_generation *x = &res->gen[g];
        fprintf(f, "%s\n    {\"generation\": %d, \"tolerance\": ", g ? "," : "", g);
        cli_json_number(f, x->tolerance);
        fprintf(f, ", \"attempts\": %lld, \"simulations\": %lld", x->attempts, x->simulations);
        json_fields(f, (const char *const[]){"acceptance", "ess", NULL}, (const double[]){x->acceptance, x->ess});
        fputs("}", f);
    }
    fputs("\n  ],\n  \"free\": [", f);
    static const char *const free_keys[] = {"min", "max", "mean", "median", "q025", "q975", "q05", "q95",
                                            "q25", "q75", "calibrated", NULL};
    const int last = res->n_generations - 1;
    for (int i = 0; i < n_free; i++) {
        double s[4];
        abc_summary(res, false, i, s);
        fputs(i ? ",\n    {\"key\": " : "\n    {\"key\": ", f);
        cli_json_string(f, fr[i].key);
        fputs(", \"prior\": ", f);
        cli_json_string(f, fr[i].prior_text);
        json_fields(f, free_keys,
                    (const double[]){fr[i].min, fr[i].max, s[0], s[1], s[2], s[3],
                                     rp_abc_quantile(res, last, false, i, 0.05),
                                     rp_abc_quantile(res, last, false, i, 0.95),
                                     rp_abc_quantile(res, last, false, i, 0.25),
                                     rp_abc_quantile(res, last, false, i, 0.75), median[i]});
        fputs("}", f);
    }
    fputs("\n  ],\n  \"targets\": [", f);
    static const char *const target_keys[] = {"weight", "mean", "median", "q025", "q975", NULL};
    for (int k = 0; k < n_targets; k++) {
        double s[4];
        abc_summary(res, true, k, s);
        json_target_head(f, &tg[k], k);
        json_fields(f, target_keys, (const double[]){tg[k].weight, s[0], s[1], s[2], s[3]});
        fprintf(f, ", \"median_in_band\": %s}", rp_calibration_target_in_band(&tg[k], s[1]) ? "true" : "false");
    }
    fputs("\n  ],\n  \"posterior\": ", f);
    if (posterior)
        cli_json_string(f, posterior);
    else
        fputs("null", f);
    fputs(",\n  \"written\": ", f);
    if (written)
        cli_json_string(f, written);
    else
        fputs("null", f);
    json_provenance(f, origin);
    fputs("\n}\n", f);
}
