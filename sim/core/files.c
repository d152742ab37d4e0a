/* files.c - the input and the output rule of every file rapport opens; see
 * files.h. */
#define _XOPEN_SOURCE 700 /* POSIX 2008 and realpath */
#include "core/files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *rp_file_open_input(const char *path)
{
    /* O_NONBLOCK only for the open itself: reads then block as usual, so a
     * pipe with a writer is read to its end. */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        const int saved = errno;
        close(fd);
        errno = saved;
    }
    return f;
}

static const char *kind_of(mode_t mode)
{
    return S_ISDIR(mode)    ? "a directory"
           : S_ISLNK(mode)  ? "a symbolic link"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

/* The length of the last component of path (its file name). */
static size_t name_length(const char *path)
{
    const char *slash = strrchr(path, '/');
    return strlen(slash ? slash + 1 : path);
}

int rp_file_check_output(const char *path, bool force, const char *const *inputs, int n_inputs, rp_error *err)
{
    if (!path[0])
        RP_FAIL(err, RP_EINVAL, "the output path is empty; expected a file name");
    /* NAME_MAX of the usual file systems; the directory may not exist yet,
     * and then the creation's own error says so. */
    if (name_length(path) + 20 > NAME_MAX || strlen(path) + RP_FILE_SUFFIX_MAX >= PATH_MAX)
        RP_FAIL(err, RP_EINVAL,
                "%.200s%s: output path too long; expected a file name of at most %d bytes and a path of at "
                "most %d (rapport adds up to %d bytes for its temporary names)",
                path, strlen(path) > 200 ? "..." : "", NAME_MAX - 20, PATH_MAX - RP_FILE_SUFFIX_MAX - 1,
                RP_FILE_SUFFIX_MAX);
    struct stat out;
    if (lstat(path, &out) != 0) {
        if (errno == ENOENT)
            return RP_OK; /* a new name (a missing directory fails at creation) */
        RP_FAIL(err, RP_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(out.st_mode))
        RP_FAIL(err, RP_EINVAL,
                "%s is %s; expected a new path or a regular file to replace (rapport writes only regular files)",
                path, kind_of(out.st_mode));
    for (int i = 0; i < n_inputs; i++) {
        struct stat in;
        if (inputs[i] && stat(inputs[i], &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            RP_FAIL(err, RP_EINVAL, "%s is also an input of this command (%s); expected another output path", path,
                    inputs[i]);
    }
    if (!force)
        RP_FAIL(err, RP_EINVAL, "%s exists; expected a new path, or --force to replace it", path);
    return RP_OK;
}

char *rp_file_join(const char *dir_of, const char *rel)
{
    const char *slash = strrchr(dir_of, '/');
    size_t dl = rel[0] == '/' || !slash ? 0 : (size_t)(slash - dir_of) + 1, rl = strlen(rel);
    char *s = malloc(dl + rl + 1);
    if (s) {
        memcpy(s, dir_of, dl);
        memcpy(s + dl, rel, rl + 1);
    }
    return s;
}

char *rp_file_absolute(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!base[0] || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return NULL; /* a directory, not a file's path */
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    char *real = dir ? realpath(dir, NULL) : NULL;
    free(dir);
    if (!real)
        return NULL;
    const size_t dl = strcmp(real, "/") == 0 ? 0 : strlen(real), bl = strlen(base);
    char *s = malloc(dl + bl + 2);
    if (s) {
        memcpy(s, real, dl);
        s[dl] = '/';
        memcpy(s + dl + 1, base, bl + 1);
    }
    free(real);
    return s;
}

/* rp_file_relative of two absolute paths. */
static char *relative_real(const char *dir_of, const char *path)
{
    const size_t dir_len = (size_t)(strrchr(dir_of, '/') - dir_of); /* "/a/b" of "/a/b/x.yaml", "" of "/x.yaml" */
    size_t common = 0; /* just past the last '/' before which the two agree */
    for (size_t i = 0; i <= dir_len && dir_of[i] == path[i]; i++)
        if (dir_of[i] == '/')
            common = i + 1;
    size_t ups = 0; /* the directories of dir_of's directory below the common part */
    for (size_t i = common; i < dir_len; i++)
        ups += i == common || dir_of[i - 1] == '/';
    const char *rest = path + common;
    char *s = malloc(3 * ups + strlen(rest) + 1);
    if (s) {
        for (size_t k = 0; k < ups; k++)
            memcpy(s + 3 * k, "../", 3);
        strcpy(s + 3 * ups, rest);
    }
    return s;
}

char *rp_file_relative(const char *dir_of, const char *path)
{
    const char *slash = strrchr(dir_of, '/');
    const size_t dl = slash ? (size_t)(slash - dir_of) + 1 : 0; /* "dir/" of "dir/x.yaml" */
    if ((path[0] == '/') == (dir_of[0] == '/') && strncmp(path, dir_of, dl) == 0)
        return strdup(path + dl);
    char *a = rp_file_absolute(dir_of), *b = a ? rp_file_absolute(path) : NULL;
    char *s = b ? relative_real(a, b) : NULL;
    free(a);
    free(b);
    return s;
}
