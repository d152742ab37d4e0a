/* h5bare.c - a bare HDF5 write of the bytes of rapport's trajectories, for
 * benchmarks: 3 float32 and 4 uint8 datasets of [PAIRS x 27], chunked like
 * rapport's (power-of-two rows of about 1 MiB), written in blocks of 65536
 * rows, with the same compression choices. The floor under `rapport run -o`.
 *
 * Usage: rapport_h5bare PAIRS FILE none|lz4|deflate
 * Prints: seconds, bytes of data, MB/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <omp.h>

#define WEEKS 27
#define BLOCK 65536
#define LZ4 32004

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: rapport_h5bare PAIRS FILE none|lz4|deflate\n");
        return 2;
    }
    const hsize_t n = strtoull(argv[1], NULL, 10);
    const char *mode = argv[3];
    hsize_t rows = 1;
    while (rows * 2 <= BLOCK && rows * 2 * WEEKS * sizeof(float) <= (1 << 20))
        rows *= 2;
    hid_t file = H5Fcreate(argv[2], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        return 1;
    hid_t ds[7];
    const hsize_t dims[2] = {n, WEEKS}, chunk[2] = {rows < n ? rows : n, WEEKS};
    for (int v = 0; v < 7; v++) {
        hid_t space = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, 2, chunk);
        if (strcmp(mode, "lz4") == 0)
            H5Pset_filter(dcpl, LZ4, H5Z_FLAG_MANDATORY, 0, NULL);
        if (strcmp(mode, "deflate") == 0) {
            H5Pset_shuffle(dcpl);
            H5Pset_deflate(dcpl, 1);
        }
        char name[8];
        snprintf(name, sizeof name, "v%d", v);
        ds[v] = H5Dcreate2(file, name, v < 3 ? H5T_NATIVE_FLOAT : H5T_NATIVE_UINT8, space, H5P_DEFAULT, dcpl,
                           H5P_DEFAULT);
        H5Pclose(dcpl);
        H5Sclose(space);
        if (ds[v] < 0)
            return 1;
    }
    /* Data shaped like trajectories, so that compression ratios are
     * realistic: noisy floats, then NaN after an exit week; 0/1 events, then
     * the fill value 255. */
    float *f = malloc((size_t)BLOCK * WEEKS * sizeof *f);
    unsigned char *b = malloc((size_t)BLOCK * WEEKS);
    unsigned long long x = 88172645463325252ULL;
    for (size_t r = 0; r < BLOCK; r++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const size_t exit = 1 + x % 17;
        for (size_t w = 0; w < WEEKS; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            f[r * WEEKS + w] = w <= exit ? 0.3f + 0.5f * (float)(x % 100000) / 1e5f : 0.0f / 0.0f;
            b[r * WEEKS + w] = w < exit ? (unsigned char)(x % 10 == 0) : 255;
        }
    }
    const double start = omp_get_wtime();
    for (hsize_t first = 0; first < n; first += BLOCK) {
        const hsize_t count[2] = {n - first < BLOCK ? n - first : BLOCK, WEEKS}, at[2] = {first, 0};
        for (int v = 0; v < 7; v++) {
            hid_t fs = H5Dget_space(ds[v]), ms = H5Screate_simple(2, count, NULL);
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, at, NULL, count, NULL);
            if (H5Dwrite(ds[v], v < 3 ? H5T_NATIVE_FLOAT : H5T_NATIVE_UINT8, ms, fs, H5P_DEFAULT,
                         v < 3 ? (void *)f : (void *)b) < 0)
                return 1;
            H5Sclose(ms);
            H5Sclose(fs);
        }
    }
    for (int v = 0; v < 7; v++)
        H5Dclose(ds[v]);
    H5Fclose(file);
    const double seconds = omp_get_wtime() - start, bytes = (double)n * WEEKS * (3 * 4 + 4);
    printf("seconds %.3f bytes %.0f MB_per_second %.0f\n", seconds, bytes, bytes / seconds / 1e6);
    free(f);
    free(b);
    return 0;
}
