/* output_merge.c - reading rapport files back: joining parts of a sweep
 * into one file in run order, listing the runs of a part (for --resume), and
 * recomputing a run's summary from its per-pair table. See output.h. */
#define _POSIX_C_SOURCE 200809L
#include "rapport/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output_h5.h"
#include "output_layout.h"
#include "rapport/scenario.h"

/* One input file, open, with its /runs offsets in memory. */
typedef struct {
    const char *path;
    hid_t file;
    rp_layout layout;
    char sweep_id[32];
    char scenario_path[1024];
    int64_t runs_total, n_runs; /* of the plan; in this file */
    int64_t *run, *first_pair, *pairs, *first_provider, *providers, *first_traj, *trajs;
    char *yaml;
    rp_scenario *sc;
} part;

static char *read_scenario_text(hid_t file)
{
    hid_t ds = H5Dopen2(file, "scenario", H5P_DEFAULT);
    if (ds < 0)
        return NULL;
    hid_t t = rp_h5_string_type();
    char *text = NULL;
    if (t >= 0 && H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0)
        text = NULL;
    char *copy = text ? strdup(text) : NULL;
    if (text)
        H5free_memory(text);
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(ds);
    return copy;
}

static void close_part(part *p)
{
    rp_layout_close(&p->layout);
    if (p->file >= 0)
        H5Fclose(p->file);
    free(p->run);
    free(p->first_pair);
    free(p->pairs);
    free(p->first_provider);
    free(p->providers);
    free(p->first_traj);
    free(p->trajs);
    free(p->yaml);
    rp_scenario_free(p->sc);
    p->file = H5I_INVALID_HID;
}

/* The number of weeks of a file's trajectories (0 if it has none). */
static int trajectory_weeks(hid_t file)
{
    if (H5Lexists(file, "trajectories", H5P_DEFAULT) <= 0)
        return 0;
    hid_t ds = H5Dopen2(file, "trajectories/week", H5P_DEFAULT);
    if (ds < 0)
        return 0;
    hid_t s = H5Dget_space(ds);
    hssize_t n = s < 0 ? 0 : H5Sget_simple_extent_npoints(s);
    if (s >= 0)
        H5Sclose(s);
    H5Dclose(ds);
    return (int)n;
}

/* Read one int64/uint64 column of /runs into a new array. */
static int64_t *runs_column(part *p, const char *name, rp_error *err)
{
    int c = rp_layout_find(&p->layout, RP_T_RUNS, name);
    int64_t *v = malloc((size_t)(p->n_runs ? p->n_runs : 1) * sizeof *v);
    int status = !v ? rp_error_raise(err, RP_ENOMEM, "out of memory")
                 : c < 0 ? rp_error_raise(err, RP_EINVAL, "%s: no /runs/%s; expected a file written by rapport",
                                          p->path, name)
                         : rp_layout_read_column(&p->layout, c, 0, p->n_runs, v, p->path, err);
    if (status != RP_OK) {
        free(v);
        return NULL;
    }
    return v;
}

/* Open a file of runs: its identity, scenario, layout and /runs offsets. */
static int open_part(part *p, const char *path, rp_error *err)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    p->file = H5I_INVALID_HID;
    rp_h5_quiet();
    if (access(path, R_OK) != 0)
        RP_FAIL(err, RP_EIO, "cannot open %s: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0)
        RP_FAIL(err, RP_EINVAL, "%s is not an HDF5 file; expected a file written by rapport run -o", path);
    if ((p->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        return rp_h5_error(err, "open", path);
    char format[32];
    if (rp_h5_read_attr_string(p->file, "format", format, sizeof format) < 0 || strcmp(format, "rapport") != 0 ||
        !(p->yaml = read_scenario_text(p->file)))
        RP_FAIL(err, RP_EINVAL, "%s is not a rapport file (no format attribute or /scenario)", path);
    rp_h5_read_attr_string(p->file, "sweep_id", p->sweep_id, sizeof p->sweep_id);
    rp_h5_read_attr_string(p->file, "scenario_path", p->scenario_path, sizeof p->scenario_path);
    if (H5Aexists(p->file, "runs_total") > 0) {
        hid_t a = H5Aopen(p->file, "runs_total", H5P_DEFAULT);
        if (a < 0 || H5Aread(a, H5T_NATIVE_INT64, &p->runs_total) < 0)
            p->runs_total = 0;
        if (a >= 0)
            H5Aclose(a);
    }
    int status = rp_scenario_load_string(path, p->yaml, &p->sc, err);
    if (status == RP_OK)
        status = rp_scenario_resolve(p->sc, err);
    if (status != RP_OK)
        return status;
    /* The layout of this file: its scenario's tables, its week count. */
    const rp_params *prm = rp_scenario_params(p->sc);
    int weeks = trajectory_weeks(p->file);
    if ((status = rp_layout_init(&p->layout, prm, weeks ? weeks : 1, err)) != RP_OK)
        return status;
    p->layout.n_weeks = weeks ? weeks : 1;
    if ((status = rp_layout_open(&p->layout, p->file, path, err)) != RP_OK)
        return status;
    p->n_runs = p->layout.rows[RP_T_RUNS];
    if (!(p->run = runs_column(p, "run", err)) || !(p->first_pair = runs_column(p, "first_pair", err)) ||
        !(p->pairs = runs_column(p, "pairs", err)) || !(p->first_provider = runs_column(p, "first_provider", err)) ||
        !(p->providers = runs_column(p, "providers", err)) ||
        !(p->first_traj = runs_column(p, "first_trajectory", err)) || !(p->trajs = runs_column(p, "trajectories", err)))
        return RP_EINVAL;
    return RP_OK;
}

int rp_output_runs_in(const char *path, uint64_t plan_id, int64_t runs_total, uint8_t *done, rp_error *err)
{
    part p;
    int status = open_part(&p, path, err);
    char want[32];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)plan_id);
    if (status == RP_OK && (strcmp(p.sweep_id, want) != 0 || p.runs_total != runs_total))
        status = rp_error_raise(err, RP_EINVAL, "%s belongs to another sweep (id %s, %lld runs; this one is %s, %lld runs)",
                                path, p.sweep_id, (long long)p.runs_total, want, (long long)runs_total);
    for (int64_t k = 0; status == RP_OK && k < p.n_runs; k++)
        if (p.run[k] >= 0 && p.run[k] < runs_total)
            done[p.run[k]] = 1;
    close_part(&p);
    return status;
}

/* Copy rows [first, first + n) of table t from part to the output layout;
 * offsets of /runs are given by the caller in over (column -> value). */
static int copy_rows(part *in, rp_layout *out, rp_table t, int64_t first, int64_t n, const int64_t *over,
                     rp_error *err)
{
    if (n <= 0)
        return RP_OK;
    rp_layout *l = &in->layout;
    void **bufs = calloc((size_t)l->n_cols, sizeof *bufs);
    const void **data = calloc((size_t)out->n_cols, sizeof *data);
    int status = bufs && data ? RP_OK : rp_error_raise(err, RP_ENOMEM, "out of memory");
    for (int c = 0; status == RP_OK && c < l->n_cols; c++)
        if (l->col[c].table == t &&
            !(bufs[c] = malloc((size_t)n * rp_layout_elem(&l->col[c]) * (size_t)rp_layout_width(l, &l->col[c]))))
            status = rp_error_raise(err, RP_ENOMEM, "out of memory");
    if (status == RP_OK)
        status = rp_layout_read(l, t, first, n, bufs, in->path, err);
    for (int c = 0; status == RP_OK && c < out->n_cols; c++) {
        const rp_column *col = &out->col[c];
        if (col->table != t)
            continue;
        int from = rp_layout_find(l, t, col->name);
        if (t == RP_T_RUNS && col->row_offset)
            data[c] = &over[c];
        else if (from >= 0 && !(t != RP_T_RUNS && t != RP_T_SUMMARY && strcmp(col->name, "pair") == 0) &&
                 !(t == RP_T_PROVIDERS && strcmp(col->name, "provider") == 0))
            data[c] = bufs[from]; /* row coordinates (pair, provider) are renumbered */
    }
    if (status == RP_OK)
        status = rp_layout_append(out, t, n, data, err);
    for (int c = 0; bufs && c < l->n_cols; c++)
        free(bufs[c]);
    free(bufs);
    free(data);
    return status;
}

typedef struct {
    int input;
    int64_t row; /* in the input's /runs */
} run_place;

int rp_output_merge(const char *const *inputs, int n_inputs, const char *path, bool force, bool complete,
                    const rp_provenance *prov_in, const volatile sig_atomic_t *stop, rp_error *err)
{
    part *parts = calloc((size_t)n_inputs, sizeof *parts);
    run_place *place = NULL;
    rp_output *out = NULL;
    int64_t *over = NULL;
    int status = parts ? RP_OK : rp_error_raise(err, RP_ENOMEM, "out of memory");
    for (int i = 0; i < n_inputs; i++)
        parts[i].file = H5I_INVALID_HID;
    for (int i = 0; status == RP_OK && i < n_inputs; i++)
        status = open_part(&parts[i], inputs[i], err);
    for (int i = 1; status == RP_OK && i < n_inputs; i++)
        if (strcmp(parts[i].sweep_id, parts[0].sweep_id) != 0 || parts[i].runs_total != parts[0].runs_total ||
            strcmp(parts[i].yaml, parts[0].yaml) != 0)
            status = rp_error_raise(err, RP_EINVAL, "%s and %s are parts of different sweeps (ids %s and %s)",
                                    inputs[0], inputs[i], parts[0].sweep_id, parts[i].sweep_id);
    const int64_t total = status == RP_OK ? parts[0].runs_total : 0;
    if (status == RP_OK && total < 1)
        status = rp_error_raise(err, RP_EINVAL, "%s does not say how many runs its sweep has", inputs[0]);
    if (status == RP_OK && !(place = malloc((size_t)total * sizeof *place)))
        status = rp_error_raise(err, RP_ENOMEM, "out of memory");
    for (int64_t r = 0; status == RP_OK && r < total; r++)
        place[r] = (run_place){-1, -1};
    for (int i = 0; status == RP_OK && i < n_inputs; i++)
        for (int64_t k = 0; status == RP_OK && k < parts[i].n_runs; k++) {
            const int64_t r = parts[i].run[k];
            if (r < 0 || r >= total)
                status = rp_error_raise(err, RP_EINVAL, "%s: run %lld is outside the sweep's %lld runs", inputs[i],
                                        (long long)r, (long long)total);
            else if (place[r].input >= 0)
                status = rp_error_raise(err, RP_EINVAL, "run %lld is in both %s and %s; expected each run once",
                                        (long long)r, inputs[place[r].input], inputs[i]);
            else
                place[r] = (run_place){i, k};
        }
    int64_t missing = 0, first_missing = -1;
    for (int64_t r = 0; status == RP_OK && r < total; r++)
        if (place[r].input < 0 && missing++ == 0)
            first_missing = r;
    if (status == RP_OK && complete && missing)
        status = rp_error_raise(err, RP_EINVAL,
                                "%lld of the sweep's %lld runs are in none of the parts (the first: run %lld); "
                                "expected every part (or --resume the sweep)",
                                (long long)missing, (long long)total, (long long)first_missing);
    if (status == RP_OK) {
        rp_provenance prov = *prov_in;
        prov.scenario_yaml = parts[0].yaml;
        prov.runs_total = total;
        prov.plan_id = strtoull(parts[0].sweep_id, NULL, 16);
        if (!prov.scenario_path || !prov.scenario_path[0])
            prov.scenario_path = parts[0].scenario_path; /* the same for every part of a sweep */
        const rp_params *p = rp_scenario_params(parts[0].sc);
        const int weeks = parts[0].layout.n_weeks;
        status = rp_output_create(path, force, p, (weeks - 1) * p->output.every, &prov, &out, err);
    }
    rp_layout *ol = out ? rp_output_layout_of(out) : NULL;
    if (status == RP_OK && !(over = calloc((size_t)ol->n_cols, sizeof *over)))
        status = rp_error_raise(err, RP_ENOMEM, "out of memory");
    for (int64_t r = 0; status == RP_OK && r < total; r++) {
        if (place[r].input < 0)
            continue;
        if (stop && *stop) {
            status = rp_error_raise(err, RP_EINTR, "interrupted while joining run %lld of %lld; nothing written to %s",
                                    (long long)r, (long long)total, path);
            break;
        }
        part *in = &parts[place[r].input];
        const int64_t k = place[r].row;
        over[rp_layout_find(ol, RP_T_RUNS, "first_pair")] = ol->rows[RP_T_PAIRS];
        over[rp_layout_find(ol, RP_T_RUNS, "first_provider")] = ol->rows[RP_T_PROVIDERS];
        over[rp_layout_find(ol, RP_T_RUNS, "first_trajectory")] = ol->rows[RP_T_TRAJECTORIES];
        status = copy_rows(in, ol, RP_T_RUNS, k, 1, over, err);
        if (status == RP_OK)
            status = copy_rows(in, ol, RP_T_SUMMARY, k, 1, over, err);
        if (status == RP_OK && rp_layout_find(ol, RP_T_PAIRS, "pair") >= 0)
            status = copy_rows(in, ol, RP_T_PAIRS, in->first_pair[k], in->pairs[k], over, err);
        if (status == RP_OK)
            status = copy_rows(in, ol, RP_T_PROVIDERS, in->first_provider[k], in->providers[k], over, err);
        if (status == RP_OK && rp_layout_find(ol, RP_T_TRAJECTORIES, "pair") >= 0)
            status = copy_rows(in, ol, RP_T_TRAJECTORIES, in->first_traj[k], in->trajs[k], over, err);
    }
    for (int i = 0; parts && i < n_inputs; i++)
        close_part(&parts[i]);
    free(parts);
    free(place);
    free(over);
    if (status == RP_OK)
        return rp_output_commit(out, err);
    rp_output_discard(out);
    return status;
}

/* Open the file at path and find run's row k in its /runs. */
static int open_run(part *in, const char *path, int64_t run, int64_t *k, rp_error *err)
{
    int status = open_part(in, path, err);
    *k = -1;
    for (int64_t i = 0; status == RP_OK && i < in->n_runs; i++)
        if (in->run[i] == run)
            *k = i;
    if (status == RP_OK && *k < 0)
        status = rp_error_raise(err, RP_EINVAL, "%s has no run %lld", path, (long long)run);
    return status;
}

int rp_output_read_summary(const char *path, int64_t run, rp_summary *sum, rp_error *err)
{
    part in;
    rp_population pop = {0};
    rp_outcomes *out = NULL;
    int64_t *provider_of = NULL;
    int64_t k;
    int status = open_run(&in, path, run, &k, err);
    if (status == RP_OK && rp_layout_find(&in.layout, RP_T_PAIRS, "pair") < 0)
        status = rp_error_raise(err, RP_EINVAL, "%s has no per-pair table (written with output.pairs: false)", path);
    rp_params p;
    if (status == RP_OK) {
        /* observe reads the group names (shared by every run) and the
         * ambivalence threshold, which a sweep may vary: take the run's own */
        p = *rp_scenario_params(in.sc);
        int c = rp_layout_find(&in.layout, RP_T_RUNS, "report.ambivalence_threshold");
        if (c >= 0)
            status = rp_layout_read_column(&in.layout, c, k, 1, &p.report.ambivalence_threshold, path, err);
    }
    const int64_t n = status == RP_OK ? in.pairs[k] : 0;
    if (status == RP_OK) {
        /* the run's own parameters (a sweep point) only matter through what
         * observe reads: the group names (shared) and the report settings */
        pop.n_patients = n;
        pop.n_providers = in.providers[k];
        out = rp_outcomes_alloc(n);
        if (!out)
            status = rp_error_raise(err, RP_ENOMEM, "out of memory reading %s", path);
    }
    if (status == RP_OK) {
        rp_layout *l = &in.layout;
        void **bufs = calloc((size_t)l->n_cols, sizeof *bufs);
        const struct {
            const char *name;
            void *to;
        } want[] = {{"group", NULL}, {"symptoms0", NULL}, {"provider", NULL}, {"exit_week", out->exit_week},
                    {"exit_reason", out->exit_reason}, {"discussed_week", out->discussed_week},
                    {"ruptures", out->ruptures}, {"repairs", out->repairs}, {"symptoms_exit", out->symptoms_exit},
                    {"early_alliance", out->early_alliance}, {"trust_report", out->trust_report}};
        pop.patient_group = malloc((size_t)n);
        pop.symptoms0 = malloc((size_t)n * sizeof(double));
        provider_of = malloc((size_t)n * sizeof *provider_of);
        if (!bufs || !pop.patient_group || !pop.symptoms0 || !provider_of)
            status = rp_error_raise(err, RP_ENOMEM, "out of memory reading %s", path);
        void *targets[] = {pop.patient_group, pop.symptoms0, provider_of};
        for (size_t w = 0; status == RP_OK && w < sizeof want / sizeof want[0]; w++) {
            int c = rp_layout_find(l, RP_T_PAIRS, want[w].name);
            bufs[c] = w < 3 ? targets[w] : want[w].to;
        }
        /* scratch for the columns not needed */
        for (int c = 0; status == RP_OK && c < l->n_cols; c++)
            if (l->col[c].table == RP_T_PAIRS && !bufs[c]) {
                bufs[c] = malloc((size_t)(n ? n : 1) * rp_layout_elem(&l->col[c]) * (size_t)rp_layout_width(l, &l->col[c]));
                if (!bufs[c])
                    status = rp_error_raise(err, RP_ENOMEM, "out of memory reading %s", path);
            }
        if (status == RP_OK)
            status = rp_layout_read(l, RP_T_PAIRS, in.first_pair[k], n, bufs, path, err);
        for (int c = 0; bufs && c < l->n_cols; c++) {
            bool mine = false;
            for (size_t w = 0; w < sizeof want / sizeof want[0]; w++)
                mine = mine || (l->col[c].table == RP_T_PAIRS && strcmp(l->col[c].name, want[w].name) == 0);
            if (!mine)
                free(bufs[c]);
        }
        free(bufs);
    }
    for (int64_t i = 0; status == RP_OK && i < n; i++)
        if (pop.patient_group[i] >= p.patients.n_groups || provider_of[i] < 0 || provider_of[i] >= pop.n_providers)
            status = rp_error_raise(err, RP_EINVAL, "%s: pair %lld has a group or provider out of range", path,
                                    (long long)i);
    if (status == RP_OK)
        status = rp_observe_summary(sum, &p, &pop, provider_of, out, err);
    free(pop.patient_group);
    free(pop.symptoms0);
    free(provider_of);
    rp_outcomes_free(out);
    close_part(&in);
    return status;
}

int rp_output_read_stored_summary(const char *path, int64_t run, rp_summary *sum, rp_error *err)
{
    part in;
    int64_t k;
    int status = open_run(&in, path, run, &k, err);
    if (status == RP_OK) {
        const rp_params *p = rp_scenario_params(in.sc);
        memset(sum, 0, sizeof *sum);
        sum->n_groups = p->patients.n_groups;
        for (int g = 0; g < sum->n_groups; g++)
            memcpy(sum->group_name[g], p->patients.groups[g].name, RP_NAME_MAX);
        rp_observables *row[1 + RP_MAX_GROUPS] = {&sum->all};
        for (int g = 0; g < sum->n_groups; g++)
            row[1 + g] = &sum->group[g];
        const rp_layout *l = &in.layout;
        for (int c = 0; status == RP_OK && c < l->n_cols; c++) {
            const rp_column *col = &l->col[c];
            if (col->table != RP_T_SUMMARY || col->width != RP_W_GROUPS)
                continue;
            double v[1 + RP_MAX_GROUPS];
            int64_t n[1 + RP_MAX_GROUPS];
            const bool pairs = strcmp(col->name, "pairs") == 0;
            status = rp_layout_read_column(l, c, k, 1, pairs ? (void *)n : (void *)v, path, err);
            for (int g = 0; status == RP_OK && g <= sum->n_groups; g++) {
                if (pairs)
                    row[g]->pairs = n[g];
                else if (col->source == RP_SRC_OBSERVABLE)
                    *rp_observables_at(row[g], col->observable) = v[g];
            }
        }
    }
    close_part(&in);
    return status;
}
