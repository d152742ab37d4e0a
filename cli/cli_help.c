/* cli_help.c - the help pages (one per command, each with examples) and the
 * version line; see cli.h. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include <gsl/gsl_version.h>

#include "exec/dist.h"
#include "rapport/output.h"
#include "version.h"

const char cli_help_main[] =
    "rapport - simulate how cultural distance between patients and mental-health\n"
    "providers shapes the therapeutic alliance, mistrust and dropout (MODEL.md).\n"
    "\n"
    "Usage: rapport COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  run SCENARIO        run the model and print a summary of its observables;\n"
    "                      with -o FILE.h5, also write trajectories and tables\n"
    "  summary FILE.h5     recompute and print the summary of an output file\n"
    "  merge PARTS -o OUT  join the parts of a sweep run as shards (Slurm arrays)\n"
    "  validate SCENARIO   check a scenario file; say nothing when it is valid\n"
    "  show SCENARIO       print the fully resolved scenario (every default filled in)\n"
    "  reference           print the table of every scenario parameter (Markdown)\n"
    "  calibrate FILE      fit a scenario's coefficients to targets (docs/TARGETS.md)\n"
    "  help [COMMAND]      this text, or a command's own help with examples\n"
    "\n"
    "Options of every command that reads a scenario:\n"
    "  --set KEY=VALUE     override a parameter by its dotted name (repeatable)\n"
    "  --seed S            the same as --set seed=S\n"
    "\n"
    "  --version           print the version, the model version and the build\n"
    "\n"
    "Files: an output (-o) is a new path or a regular file replaced with --force;\n"
    "never a directory, device, FIFO or symbolic link, nor one of the command's\n"
    "inputs. It appears only when complete (written as FILE.partial-PID first).\n"
    "\n"
    "Environment: OMP_NUM_THREADS (threads when --threads is not given, 1-1024)\n"
    "and, for run, SLURM_ARRAY_TASK_ID, _COUNT, _MIN, _STEP (a job array's shard);\n"
    "a value that is not a whole number in range is an error, exit 2.\n"
    "\n"
    "Exit codes: 0 success, 1 runtime failure, 2 bad input or usage, 3 I/O error,\n"
    "75 stopped early, resumable (a sweep with -o stopped by a signal below kept its\n"
    "finished runs, an abc-smc calibrate --posterior its last generation: run the\n"
    "same command again with --resume; a batch job requeues itself on 75), 130 interrupted with nothing to resume (SIGINT, SIGTERM, SIGHUP,\n"
    "SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU or SIGXFSZ: the run, merge or calibration\n"
    "stops and removes its unfinished file). A second signal ends it at once.\n"
    "\n"
    "Example:\n"
    "  rapport run scenarios/baseline.yaml --set discussion.policy=intake\n";

static const char *help_run =
    "Usage: rapport run SCENARIO [-o FILE.h5 [--force] [--summary-only] [--max-output SIZE]]\n"
    "                   [--threads N]\n"
    "                   [--seed S] [--replicate R] [--set KEY=VALUE]... [--json] [--timing]\n"
    "\n"
    "Run the model of SCENARIO once and print its observables overall and per\n"
    "patient group: dropout, early dropout, sessions, recovery, ambivalence,\n"
    "alliance-outcome r, therapist ICC, ruptures and repairs, discussion.\n"
    "\n"
    "  -o FILE.h5    also write an HDF5 file: week-by-week trajectories (A, T, S,\n"
    "                D, N, rupture, repaired), per-pair and provider tables, the run\n"
    "                table, the summary, the resolved scenario and provenance\n"
    "                (docs/FORMAT.md). What it holds is the scenario's `output:`\n"
    "                section (variables, every, sample, pairs, compression), e.g.\n"
    "                --set output.variables=A,T --set output.every=4\n"
    "  --force       replace FILE.h5 if it exists (otherwise an error)\n"
    "  --summary-only  the file gets no trajectories and no per-pair table\n"
    "                (the same as --set output.variables=none --set output.pairs=false)\n"
    "  --max-output SIZE  refuse, before running, a file estimated larger than SIZE\n"
    "                (500M, 20G, 1T: powers of 1000; none for no limit; default 2G);\n"
    "                `rapport show` prints the estimate\n"
    "\n"
    "Sweeps (a scenario with `replicates:` and/or `sweep:`) print each point's\n"
    "mean and standard error, paired differences to the reference point (point\n"
    "0, or the scenario's contrasts.reference_point) and the gaps and ratios of\n"
    "each group to the reference group, with 95% intervals; -o FILE holds them\n"
    "too (/statistics):\n"
    "  --parallel P  OpenMP over runs (runs), over pairs (pairs) or chosen by run\n"
    "                size (auto, the default); the results are the same\n"
    "  --resume      continue a killed or stopped sweep written with -o: finished\n"
    "                runs are kept in FILE.h5.parts/ and only the others are run;\n"
    "                on a finished FILE.h5 of the same sweep, nothing to do: exit 0;\n"
    "                with nothing there yet, a new sweep. SIGUSR1 or SIGTERM (Slurm's\n"
    "                --signal and time limit) stops it early: exit 75, resumable\n"
    "  --shard I/N   run part I (0-based) of N (at most 10^9) and write it to -o\n"
    "                FILE; join the parts with `rapport merge`. In a Slurm job\n"
    "                array the shard defaults from SLURM_ARRAY_TASK_ID, _COUNT,\n"
    "                _MIN and _STEP (task I of an evenly spaced array is shard\n"
    "                (ID - MIN) / STEP of COUNT; a task outside it is an error)\n"
    "  mpirun -n P rapport run SWEEP -o FILE  spreads the runs over P ranks\n"
    "  --threads N   OpenMP threads (default: OMP_NUM_THREADS or all cores);\n"
    "                the results are bit-identical for any N. With -o, one more\n"
    "                thread writes trajectories while the next pairs compute\n"
    "  --seed S      master seed (overrides the scenario's `seed`)\n"
    "  --set K=V     override any parameter, validated like the file\n"
    "  --replicate R the random stream to use (default 0)\n"
    "  --json        print the summary as one JSON object instead of a table,\n"
    "                ending with its provenance (version, scenario, seed, ...)\n"
    "  --timing      print the wall time of each stage on stderr\n"
    "\n"
    "Examples:\n"
    "  rapport run scenarios/baseline.yaml\n"
    "  rapport run scenarios/baseline.yaml --set discussion.policy=intake --json\n"
    "  rapport run scenarios/baseline.yaml --set dropout.base=-7.5 --seed 7 --threads 2\n"
    "  rapport run my.yaml --set patients.groups.latinx.mistrust='beta(3, 5)'\n"
    "  rapport run scenarios/baseline.yaml -o baseline.h5 --set output.compression=lz4\n"
    "  rapport run scenarios/clinic.yaml     # a clinic's own patients, read from CSV\n";

static const char *help_summary =
    "Usage: rapport summary FILE.h5 [--run R] [--json]\n"
    "\n"
    "Recompute the summary of a file written by `rapport run -o` from its per-pair\n"
    "table and print it as `run` did (the same numbers), or as JSON. In a sweep's\n"
    "file, --run R picks the run (default: the file's first run, which is run 0\n"
    "except in a shard's part).\n"
    "\n"
    "Example:\n"
    "  rapport summary baseline.h5 --json\n";

static const char *help_merge =
    "Usage: rapport merge PART.h5... -o OUT.h5 [--force]\n"
    "\n"
    "Join the parts of a sweep that was run as shards (`rapport run SWEEP --shard I/N\n"
    "-o part_I.h5`, e.g. the tasks of a Slurm job array) into one file, runs in\n"
    "plan order, identical in its data to a one-process run. Refuses parts of\n"
    "different sweeps, a run present twice and missing runs, with one line, exit 2.\n"
    "\n"
    "Example:\n"
    "  rapport merge out/part_*.h5 -o sweep.h5\n";

static const char *help_validate =
    "Usage: rapport validate SCENARIO [--set KEY=VALUE]...\n"
    "\n"
    "Check SCENARIO and any overrides without running. Prints nothing and exits 0\n"
    "when valid; otherwise prints one located error, FILE:LINE:COLUMN: error: ...,\n"
    "and exits 2. The data files of patients.from and providers.from (CSV, one row\n"
    "per person) are read and checked too; an error in one names the CSV file, the\n"
    "line and the column (docs/SCENARIO.md, \"Populations from data files\").\n"
    "\n"
    "Examples:\n"
    "  rapport validate scenarios/baseline.yaml --set discussion.week=6\n"
    "  rapport validate scenarios/clinic.yaml\n";

static const char *help_show =
    "Usage: rapport show SCENARIO [--seed S] [--set KEY=VALUE]...\n"
    "\n"
    "Print the fully resolved scenario as YAML: every parameter, with MODEL.md's\n"
    "defaults filled in and overrides applied. Running the printed scenario gives\n"
    "the same result as running SCENARIO with the same overrides.\n"
    "\n"
    "Example:\n"
    "  rapport show scenarios/baseline.yaml --set assignment.policy=same_group > resolved.yaml\n";

static const char *help_reference =
    "Usage: rapport reference\n"
    "\n"
    "Print every scenario parameter with its type, default, bounds, meaning and\n"
    "unit, as a Markdown table (the scenario reference of docs/SCENARIO.md).\n";

static const char *help_calibrate =
    "Usage: rapport calibrate CALIBRATION.yaml [--threads N] [-o CALIBRATED.yaml [--force]] [--json]\n"
    "                         [--no-identify | --identify-step PERCENT]\n"
    "                         [--posterior POSTERIOR.h5 [--resume]]\n"
    "\n"
    "Fit coefficients of a scenario to target observables. CALIBRATION.yaml names\n"
    "the scenario (relative to itself), replicates (runs per evaluation, random\n"
    "streams 0..R-1 at every evaluation), optionally patients (patients.count of\n"
    "every run; providers.count = ceil(N / caseload)), free (KEY: {min, max,\n"
    "start}), targets (OBSERVABLE or OBSERVABLE_by_group.GROUP: {value, band:\n"
    "[LO, HI] or se, weight}) and budget ({evaluations, tolerance}). It minimises\n"
    "sum w ((simulated - value) / s)^2, s half the band (or se), with GSL's\n"
    "Nelder-Mead simplex in logit coordinates of each range, then prints the\n"
    "fitted values and every target's simulated mean +- Monte-Carlo SE.\n"
    "\n"
    "Then, by default, the identification at the fitted point (2 evaluations per\n"
    "free coefficient, on the same streams): each target's central difference in\n"
    "each coefficient, -/+ 3% of its range, in band half-widths per 10% of the\n"
    "range (+- MC SE); for each coefficient the target it moves most and the\n"
    "target that pins its fitted value; the singular values of that Jacobian\n"
    "(targets of weight > 0, rows times sqrt(weight)), the condition number, and\n"
    "the weakest direction: a singular value below 0.1 is a flat direction, a\n"
    "combination of coefficients the targets cannot tell apart.\n"
    "\n"
    "  -o FILE      write the calibrated scenario (`rapport show` form, fitted\n"
    "               values applied; the scenario's own population size)\n"
    "  --force      replace CALIBRATED.yaml if it exists (otherwise an error)\n"
    "  --threads N  OpenMP threads (default: OMP_NUM_THREADS or all cores), per\n"
    "               MPI rank: `mpirun -n P rapport calibrate ...` spreads each\n"
    "               evaluation's replicates over P ranks (the same result;\n"
    "               rank 0 prints and writes)\n"
    "  --json       print the report as JSON, with the objective's history\n"
    "  --no-identify         skip the identification\n"
    "  --identify-step P     its step, P% of each coefficient's range (1-25;\n"
    "                        default 3)\n"
    "\n"
    "With `method: abc-smc` it samples the posterior instead (ABC-SMC): each free\n"
    "key has a prior (prior: uniform(LO, HI), normal(M, S), beta(A, B) or\n"
    "lognormal(M, S), truncated to min and max), and abc: {particles,\n"
    "generations, tolerance, quantile, min_acceptance, simulations} sets the\n"
    "population, the adaptive tolerance (the quantile of the last generation's\n"
    "distances, down to tolerance) and the stopping rules. Distance: sqrt(sum w\n"
    "((simulated - value) / s)^2). Every simulation has its own random streams, a\n"
    "function of (seed, generation, particle, attempt): the result is the same\n"
    "for any --threads and MPI ranks (`mpirun -n P rapport calibrate ...`\n"
    "spreads each generation's particles over P ranks, each on its --threads;\n"
    "rank 0 writes and prints). It prints each coefficient's posterior mean,\n"
    "median and 95% credible interval, each target's posterior predictive\n"
    "against its band and the simulations used; -o writes the scenario at the\n"
    "posterior medians.\n"
    "  --posterior FILE.h5   write the posterior (docs/FORMAT.md), and after\n"
    "                        every generation a checkpoint into it\n"
    "  --resume              continue FILE.h5's calibration from its last\n"
    "                        generation (the same result as one uninterrupted\n"
    "                        run; no FILE.h5 yet: from the start); a signal\n"
    "                        stops at the last checkpoint: exit 75\n"
    "\n"
    "Example:\n"
    "  rapport calibrate scenarios/calibration.yaml -o calibrated.yaml\n"
    "  rapport calibrate scenarios/calibration-abc.yaml --posterior post.h5\n";

int cli_help(const char *command)
{
    const struct {
        const char *name, *text;
    } pages[] = {{"run", help_run},   {"validate", help_validate}, {"show", help_show},
                 {"reference", help_reference}, {"summary", help_summary}, {"merge", help_merge},
                 {"calibrate", help_calibrate}};
    if (!command || strcmp(command, "help") == 0) {
        fputs(cli_help_main, stdout);
        return EXIT_OK;
    }
    for (size_t k = 0; k < sizeof pages / sizeof pages[0]; k++)
        if (strcmp(command, pages[k].name) == 0) {
            fputs(pages[k].text, stdout);
            return EXIT_OK;
        }
    return cli_usage_error("no command '%s'", command);
}

void cli_version(void)
{
    printf("rapport %s (git %s), model versions 1 to %d (default %d)\n", RP_VERSION, RP_GIT_REVISION,
           RP_MODEL_LATEST, RP_MODEL_DEFAULT);
    char hdf5[32], mpi[128];
    printf("built %s with %s, GSL %s, HDF5 %s, OpenMP %d, MPI: %s\n", RP_BUILD_TYPE, RP_COMPILER, GSL_VERSION,
           rp_output_hdf5_version(hdf5, sizeof hdf5), _OPENMP, rp_dist_library(mpi, sizeof mpi));
}
