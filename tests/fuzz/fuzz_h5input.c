/* fuzz_h5input.c - libFuzzer harness for the readers of output files: any
 * bytes as a file given to `rapport summary` (rp_output_read_summary, and the
 * stored summary a resumed sweep prints), `--resume` (rp_output_runs_in) and
 * `rapport merge` (rp_output_merge, its output written and removed). The
 * promise under test: a corrupt file gets an error, never a crash, a hang, a
 * leak or an allocation it does not hold the data for.
 *
 * Seeds are small real files (tests/fuzz/corpus/h5input/). Random bytes
 * mostly land in HDF5's own metadata (B-trees, object headers) and test
 * libhdf5 rather than rapport, so a custom mutator mostly edits the file
 * through HDF5 instead, as a hand with h5py would: one value of a dataset or
 * a root attribute, a dataset's extent, a dataset or attribute removed, a
 * few bytes of /scenario; the rest of the time it mutates bytes as libFuzzer
 * does (the edits run in a child process, which libhdf5 may hang or crash
 * in). Inputs go through a file in /dev/shm (the readers take a path).
 * libhdf5 1.10.8 has bugs of its own on corrupt files; what this harness does
 * about each (skip, suppress, let malloc fail) is said where it does it and
 * listed in tests/fuzz/hdf5-known/README.md.
 * Build: cmake -DCMAKE_C_COMPILER=clang -DRAPPORT_FUZZ=ON (see scripts/fuzz.sh). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "rapport/output.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* The input and merge's output, one name each per process in a directory
 * the fork-mode jobs share (scripts/fuzz.sh removes it), both removed after
 * every input: libFuzzer ends with _Exit and kills its jobs, so nothing at
 * exit would. (A memfd's /proc/self/fd path would leave nothing, but HDF5
 * refuses it: it cannot find the file's real path.) */
static char input[96], output[96];

/* Leaks inside libhdf5 on corrupt files are HDF5's (1.10.8 loses the object
 * header it was loading when its checksum fails: H5Dopen2 -> H5O_protect ->
 * H5C_protect, 424 bytes, see docs/RELIABILITY.md): reported, they would stop
 * every run at the first such input. rapport's own allocations are still
 * checked (their stacks start in rapport, not in libhdf5). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libhdf5_serial.so\nleak:libhdf5.so\n";
}

/* libhdf5 allocates what a corrupt file declares (an object header of
 * 200 GB) before it finds the file too short; in a normal build malloc
 * returns NULL and HDF5 fails cleanly (exit 2), so it does here too. Every
 * allocation above -malloc_limit_mb is still reported, and rapport itself
 * running out of memory on these small inputs is a failure (see below).
 * A 16 MB quarantine (256 by default) keeps the process small enough to
 * fork for every HDF5 edit (edit_apart) at a few ms. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1:quarantine_size_mb=16";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rp_output_library_init();
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm/fuzz_h5input" : "/tmp/fuzz_h5input";
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        abort();
    snprintf(input, sizeof input, "%s/in-%ld.h5", dir, (long)getpid());
    snprintf(output, sizeof output, "%s/out-%ld.h5", dir, (long)getpid());
    return 0;
}

static uint64_t little_endian(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int b = bytes - 1; b >= 0; b--)
        v = v << 8 | p[b];
    return v;
}

/* Whether the bytes hold a global heap collection ("GCOL", where HDF5 keeps
 * variable-length strings) that HDF5 1.10.8 cannot decode safely. Its
 * decoder (H5HG__cache_heap_deserialize, reached by H5Aread or H5Dread of a
 * string: H5T__conv_vlen -> H5HG_read -> H5HG__protect -> H5C_protect) steps
 * from object to object by each object's declared size without checking it:
 * a free-space object of size 0 loops for ever, a size that wraps the
 * pointer reads outside the heap (SEGV); and a collection larger than the
 * file is allocated whole before the read fails. rapport cannot see a heap
 * before HDF5 decodes it, so such inputs are skipped here rather than ending
 * the campaign (see docs/RELIABILITY.md). The walk is HDF5's, on offsets. */
static bool hdf5_heap_unsafe(const uint8_t *data, size_t size)
{
    for (const uint8_t *at = memmem(data, size, "GCOL", 4); at;
         at = memmem(at + 4, size - (size_t)(at + 4 - data), "GCOL", 4)) {
        const size_t start = (size_t)(at - data);
        if (start + 16 > size)
            break;
        const uint64_t heap = little_endian(at + 8, 8); /* bytes, header included */
        if (heap > size - start)
            return at[4] == 1; /* version 1: HDF5 allocates it, then fails to read it */
        for (uint64_t p = 16; p + 16 <= heap;) {
            const uint64_t index = little_endian(at + p, 2), bytes = little_endian(at + p + 8, 8);
            const uint64_t step = index ? 16 + ((bytes + 7) & ~(uint64_t)7) : bytes; /* wraps as HDF5's */
            if (step == 0 || step > UINT64_MAX / 2)
                return true; /* no step forward (a loop), or a pointer that wraps (a read before the heap) */
            p += step;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (hdf5_heap_unsafe(data, size))
        return 0;
    FILE *f = fopen(input, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort(); /* a full /dev/shm: not the input's fault */
    rp_error err[4];
    rp_summary sum;
    rp_origin origin;
    uint8_t done[4] = {0};
    const char *inputs[] = {input};
    const rp_provenance prov = {"fuzz", "", "", 1, 0, 0, ""};
    const int status[] = {rp_output_read_summary(input, 0, &sum, NULL, &origin, &err[0]),
                          rp_output_read_stored_summary(input, 1, &sum, &err[1]),
                          rp_output_runs_in(input, 0, 1, 0, 1, done, &err[2]),
                          rp_output_merge(inputs, 1, output, true, false, &prov, NULL, &err[3])};
    unlink(output);
    unlink(input);
    /* the seeds hold 20 patients a run: running out of memory means an
     * allocation sized by what the file declares, not by what it holds */
    for (size_t k = 0; k < sizeof status / sizeof status[0]; k++)
        if (status[k] == RP_ENOMEM) {
            fprintf(stderr, "fuzz_h5input: rapport ran out of memory (call %zu): %s\n", k, err[k].msg);
            abort();
        }
    H5Eclear2(H5E_DEFAULT); /* the records of failures raised as rapport's own messages */
    return 0;
}

/* ---- the mutator ---- */

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t below(uint64_t n) { return n ? next() % n : 0; }

typedef struct {
    char name[40][128];
    int n;
} names;

/* Every dataset of the file, by path (the first 40 met: a seed has ~110,
 * so each visit starts at a random one of the groups). */
static herr_t collect(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    (void)obj;
    names *all = data;
    if (info->type == H5O_TYPE_DATASET && all->n < 40 && strlen(name) < sizeof all->name[0])
        snprintf(all->name[all->n++], sizeof all->name[0], "%s", name);
    return 0;
}

/* A value that tends to break assumptions: a boundary, a sentinel, a huge
 * count, NaN, or the element moved by one. */
static double interesting(double was)
{
    static const double v[] = {0, -1, 1, 2, 3, 4, 5, 255, 256, -7, 26, 27, 100000, 2147483647.0, -2147483648.0,
                               4294967296.0, 1e15, 9.2e18, -9.2e18, 0.5, 1e300, -1e300};
    switch (below(5)) {
    case 0: return was + 1;
    case 1: return was - 1;
    case 2: return below(2) ? NAN : INFINITY;
    default: return v[below(sizeof v / sizeof v[0])];
    }
}

/* v as an int64, for an integer dataset or attribute (NaN as -1, clipped). */
static int64_t as_int(double v)
{
    return isnan(v) ? -1 : v > 9.2e18 ? INT64_MAX : v < -9.2e18 ? INT64_MIN : (int64_t)v;
}

/* One element of a dataset set to an interesting value, or its extent changed. */
static void edit_dataset(hid_t file, const char *name)
{
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t s = ds < 0 ? -1 : H5Dget_space(ds), t = ds < 0 ? -1 : H5Dget_type(ds);
    hsize_t dims[2] = {0, 0};
    const int rank = s < 0 ? -1 : H5Sget_simple_extent_ndims(s);
    if (rank >= 1 && rank <= 2)
        H5Sget_simple_extent_dims(s, dims, NULL);
    const H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
    if (rank >= 1 && rank <= 2 && below(8) == 0) { /* the extent: shorter, longer, huge */
        hsize_t size[2] = {dims[0], dims[1]};
        const hsize_t choice[] = {0, dims[0] ? dims[0] - 1 : 0, dims[0] + 1, 2 * dims[0] + 1, (hsize_t)1 << 40};
        size[0] = choice[below(5)];
        H5Dset_extent(ds, size);
    } else if (rank >= 1 && rank <= 2 && dims[0] && (cls == H5T_INTEGER || cls == H5T_FLOAT)) {
        hsize_t at[2] = {below(dims[0]), rank == 2 ? below(dims[1]) : 0}, one[2] = {1, 1};
        double value = 0;
        hid_t m = H5Screate_simple(rank, one, NULL);
        if (m >= 0 && H5Sselect_hyperslab(s, H5S_SELECT_SET, at, NULL, one, NULL) >= 0 &&
            H5Dread(ds, H5T_NATIVE_DOUBLE, m, s, H5P_DEFAULT, &value) >= 0) {
            value = interesting(value);
            if (cls == H5T_INTEGER) { /* written as int64: HDF5 converts (and clips) */
                int64_t v = as_int(value);
                H5Dwrite(ds, H5T_NATIVE_INT64, m, s, H5P_DEFAULT, &v);
            } else
                H5Dwrite(ds, H5T_NATIVE_DOUBLE, m, s, H5P_DEFAULT, &value);
        }
        if (m >= 0)
            H5Sclose(m);
    }
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    if (ds >= 0) H5Dclose(ds);
}

/* A root attribute rewritten: another number, a string, or removed. */
static void edit_attribute(hid_t file)
{
    static const char *const attr[] = {"format", "format_version", "model_version", "runs_total", "sweep_id",
                                       "scenario_path", "part", "seed"};
    const char *name = attr[below(sizeof attr / sizeof attr[0])];
    if (H5Aexists(file, name) > 0)
        H5Adelete(file, name);
    const uint64_t how = below(4);
    if (how == 0)
        return; /* removed */
    hid_t s = H5Screate(H5S_SCALAR);
    if (how == 1) { /* a string */
        static const char *const text[] = {"rapport", "", "0000000000000000", "ffffffffffffffff", "1", "12\n34"};
        const char *v = text[below(sizeof text / sizeof text[0])];
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        hid_t a = H5Acreate2(file, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) {
            H5Awrite(a, t, &v);
            H5Aclose(a);
        }
        H5Tclose(t);
    } else { /* a number, maybe as a vector */
        hsize_t n = how == 3 ? 1 + below(64) : 1;
        hid_t vs = how == 3 ? H5Screate_simple(1, &n, NULL) : H5Scopy(s);
        int64_t v[64];
        for (hsize_t i = 0; i < n; i++)
            v[i] = as_int(interesting(1));
        hid_t a = H5Acreate2(file, name, H5T_STD_I64LE, vs, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) {
            H5Awrite(a, H5T_NATIVE_INT64, v);
            H5Aclose(a);
        }
        H5Sclose(vs);
    }
    H5Sclose(s);
}

/* A few bytes of /scenario mutated (by libFuzzer's byte mutator). */
static void edit_scenario(hid_t file)
{
    hid_t ds = H5Dopen2(file, "scenario", H5P_DEFAULT), t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    char *text = NULL;
    if (ds >= 0 && H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) >= 0 && text) {
        size_t n = strlen(text), cap = n + 64;
        char *buf = malloc(cap + 1);
        if (buf) {
            memcpy(buf, text, n);
            n = LLVMFuzzerMutate((uint8_t *)buf, n, cap);
            buf[n] = '\0';
            H5Dclose(ds);
            ds = -1;
            H5Ldelete(file, "scenario", H5P_DEFAULT);
            hid_t s = H5Screate(H5S_SCALAR);
            hid_t nd = H5Dcreate2(file, "scenario", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            const char *p = buf;
            if (nd >= 0) {
                H5Dwrite(nd, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p);
                H5Dclose(nd);
            }
            H5Sclose(s);
            free(buf);
        }
    }
    if (text)
        H5free_memory(text);
    if (ds >= 0)
        H5Dclose(ds);
    H5Tclose(t);
}

/* Edit the file in memory through HDF5; 0 if it does not open (a file
 * already broken by byte mutations) or the result does not fit. */
static size_t edit(uint8_t *data, size_t size, size_t max_size)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 1 << 16, 0);
    H5Pset_file_image(fapl, data, size);
    hid_t file = H5Fopen("fuzz_h5input_image", H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    if (file < 0)
        return 0;
    const uint64_t op = below(10);
    if (op < 6) {
        static const char *const groups[] = {"pairs", "runs", "summary", "providers", "trajectories", "."};
        names all = {.n = 0};
        const char *g = groups[below(6)];
        if (H5Lexists(file, g, H5P_DEFAULT) > 0 || strcmp(g, ".") == 0) {
            hid_t grp = H5Oopen(file, g, H5P_DEFAULT);
            if (grp >= 0) {
                H5Ovisit(grp, H5_INDEX_NAME, H5_ITER_NATIVE, collect, &all);
                char path[160];
                if (all.n) {
                    snprintf(path, sizeof path, "%s/%s", g, all.name[below((uint64_t)all.n)]);
                    if (op == 5)
                        H5Ldelete(file, path, H5P_DEFAULT);
                    else
                        edit_dataset(file, path);
                }
                H5Oclose(grp);
            }
        }
    } else if (op < 8)
        edit_attribute(file);
    else
        edit_scenario(file);
    H5Fflush(file, H5F_SCOPE_GLOBAL);
    ssize_t n = H5Fget_file_image(file, NULL, 0);
    size_t out = 0;
    if (n > 0 && (size_t)n <= max_size && H5Fget_file_image(file, data, (size_t)n) == n)
        out = (size_t)n;
    H5Fclose(file);
    return out;
}

/* edit() in a child process: libhdf5 may loop or crash on the input (the
 * faults this harness is about), and libFuzzer's -timeout does not cover
 * mutations. The child leaves the result in shared memory; one that takes
 * over 2 s is killed. 0 when there is no result. */
static size_t edit_apart(uint8_t *data, size_t size, size_t max_size)
{
    static uint8_t *shared;
    static size_t shared_size;
    if (shared_size < max_size + sizeof(size_t)) {
        if (shared)
            munmap(shared, shared_size);
        shared_size = max_size + sizeof(size_t);
        shared = mmap(NULL, shared_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED) {
            shared = NULL;
            shared_size = 0;
            return 0;
        }
    }
    size_t n = 0;
    memcpy(shared, &n, sizeof n);
    pid_t child = fork();
    if (child == 0) {
        dup2(open("/dev/null", O_WRONLY), STDERR_FILENO); /* a sanitizer's report of libhdf5's fault */
        memcpy(shared + sizeof n, data, size);
        n = edit(shared + sizeof n, size, max_size);
        memcpy(shared, &n, sizeof n);
        _exit(0);
    }
    if (child < 0)
        return 0;
    int status = 0;
    for (int waited = 0; waitpid(child, &status, WNOHANG) == 0; waited++) {
        if (waited == 2000) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            return 0;
        }
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    memcpy(&n, shared, sizeof n);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || n == 0 || n > max_size)
        return 0;
    memcpy(data, shared + sizeof n, n);
    return n;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    rng = seed * 0x9e3779b97f4a7c15ull + 1;
    size_t n = below(4) ? edit_apart(data, size, max_size) : 0;
    return n ? n : LLVMFuzzerMutate(data, size, max_size);
}
