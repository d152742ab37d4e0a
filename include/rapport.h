/* rapport.h - the rapport library in one include: load a scenario, expand its
 * sweep plan, run the model of docs/MODEL.md, observe, write HDF5, calibrate.
 *
 *   rp_scenario *sc;  rp_plan *plan;  rp_run *run;  rp_error err;
 *   if (rp_scenario_load("scenarios/baseline.yaml", &sc, &err) == RP_OK &&
 *       rp_scenario_resolve(sc, &err) == RP_OK &&
 *       rp_run_execute(rp_scenario_params(sc), &(rp_run_options){.threads = 2}, &run, &err) == RP_OK)
 *       printf("dropout %.3f\n", run->summary.all.dropout);
 *
 * Functions return an rp_status (status.h) and describe a failure in an
 * rp_error; none prints to the terminal or exits: that is the command line's
 * job (cli/cli.h). Link with the CMake target rapport_core (librapport.a) or
 * rapport_shared (librapport.so, which exports exactly these headers).
 */
#ifndef RAPPORT_H
#define RAPPORT_H

#include "rapport/assign.h"
#include "rapport/calibrate.h"
#include "rapport/engine.h"
#include "rapport/exec.h"
#include "rapport/observables.h"
#include "rapport/observe.h"
#include "rapport/output.h"
#include "rapport/params.h"
#include "rapport/paramtable.h"
#include "rapport/plan.h"
#include "rapport/posterior.h"
#include "rapport/population.h"
#include "rapport/rng.h"
#include "rapport/run.h"
#include "rapport/scenario.h"
#include "rapport/status.h"
#include "rapport/summaries.h"
#include "rapport/sweep.h"

#endif
