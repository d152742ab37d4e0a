# output_readback.R LABEL FILE DUMP [LABEL FILE DUMP ...] - R's hdf5r reads
# every group, dataset and attribute of rapport output files, and reads what
# h5py reads. Run by tests/output_r.sh, which writes the files and, in DUMP,
# what h5py read (DUMP/manifest.tsv, one line per object: kind G/D/A/F, path,
# attribute, HDF5 type, h5py shape, NaN count, 255 count, and the values: a
# float64 file in h5py's C order for numbers, the hex of the UTF-8 bytes for
# strings, the names the object references point to).
#
# Layout as R sees it: R is column-major and hdf5r reverses the dimensions, so
# a 2-D dataset that h5py reads as [pair, week] (/trajectories/*) or
# [pair, dimension], [run, group] is a matrix week x pair, dimension x pair,
# group x run in R; the bytes are in the same order, so as.vector(x) is h5py's
# x.ravel() and t(x) is h5py's x. A 1-D dataset is a plain vector, a scalar a
# vector of length 1.
#
# Checks, per file:
# - the recursive walk (groups, datasets, every attribute of each, the root's
#   provenance attributes) finds exactly the objects h5py finds;
# - each dataset and attribute, table by table: the HDF5 type, the shape
#   (reversed), every value (numbers: equal, NaN at the same places, never
#   NA; strings: the same UTF-8 bytes; DIMENSION_LIST and REFERENCE_LIST: the
#   same datasets), the NaN count and the count of 255 in byte datasets; the
#   R type (numbers come back as double or integer, strings as character);
# - the layout above, on /trajectories/A, /pairs/culture and /summary/dropout
#   (read(drop = FALSE); read() drops a dimension of length 1, the run of a
#   single run's /summary), and subsetting: ds[, i] is column i of read(),
#   ds[p] elements p;
# - NaN after exit: A, T, S are NaN exactly after each pair's exit week; the
#   byte trajectories hold 255 (not NA) there, D after the exit week and the
#   events from it on; rupture and repaired summed over weeks are /pairs'
#   ruptures and repairs;
# - the codes: exit_reason and the groups as factors through flag_values and
#   flag_meanings, the discussion.policy word of each run through
#   value_k_means_word_k, counted as h5py counts them;
# - UTF-8: /scenario is one string marked UTF-8, valid, with the Greek letters
#   of its comments; so is a non-ASCII scenario_path; the group and dimension names;
# - dimension scales: each coordinate is a DIMENSION_SCALE named after itself,
#   and each dataset's DIMENSION_LIST names, for R's dimension k, the
#   coordinate of h5py's dimension n + 1 - k, as long as that dimension;
# - /summary's column "all" is /runs' observables.
# One PASS/FAIL line per check, then "N passed, N failed"; exits 1 on any
# failure.
suppressPackageStartupMessages(library(hdf5r))

passed <- 0L
failed <- 0L
report <- function(ok, name, detail = "") {
    if (isTRUE(ok)) {
        passed <<- passed + 1L
        cat("PASS ", name, "\n", sep = "")
    } else {
        failed <<- failed + 1L
        cat("FAIL ", name, ": ", detail, "\n", sep = "")
    }
}
# A check: fn() returns NULL (or "") for success, else what is wrong; an error is a failure.
check <- function(name, fn) {
    why <- tryCatch(fn(), error = function(e) paste("error:", conditionMessage(e)))
    why <- why[nzchar(why)]
    report(length(why) == 0, name, paste(why, collapse = "; "))
}

hex <- function(s) vapply(s, function(x) paste0("x", paste(as.character(charToRaw(x)), collapse = "")), "", USE.NAMES = FALSE)
rel <- function(p) sub("^/", "", p)

read_manifest <- function(dir) {
    lines <- readLines(file.path(dir, "manifest.tsv"), encoding = "bytes")
    parts <- strsplit(lines, "\t", fixed = TRUE)
    stopifnot(all(lengths(parts) == 8L))
    m <- as.data.frame(do.call(rbind, parts), stringsAsFactors = FALSE)
    names(m) <- c("kind", "path", "attr", "type", "shape", "nnan", "n255", "payload")
    m$nnan <- as.integer(m$nnan)
    m$n255 <- as.integer(m$n255)
    m
}

# Walks every group, dataset and attribute below g, opening each object once:
# visit(object, path, kind) for each group and dataset, visit(attribute, path,
# "A", name) for each attribute. Returns their manifest keys "KIND\tPATH\tATTR".
walk <- function(g, path, visit) {
    keys <- character(0)
    attrs <- function(o, p) {
        for (a in h5attr_names(o)) {
            keys <<- c(keys, paste("A", p, a, sep = "\t"))
            h <- o$attr_open(a)
            visit(h, p, "A", a)
            h$close()
        }
    }
    if (path == "/") {
        keys <- paste("G", "/", "-", sep = "\t")
        attrs(g, "/")
    }
    for (n in g$ls()$name) {
        p <- if (path == "/") paste0("/", n) else paste0(path, "/", n)
        o <- g[[n]]
        if (inherits(o, "H5Group")) {
            keys <- c(keys, paste("G", p, "-", sep = "\t"))
            attrs(o, p)
            keys <- c(keys, walk(o, p, visit))
        } else {
            keys <- c(keys, paste("D", p, "-", sep = "\t"))
            visit(o, p, "D", "-")
            attrs(o, p)
        }
        o$close()
    }
    keys
}

# The HDF5 type, named as the dump names it.
type_name <- function(t) {
    cls <- as.character(t$get_class())
    if (cls %in% c("H5T_INTEGER", "H5T_FLOAT")) return(t$to_text())
    if (cls == "H5T_STRING") {
        return(paste0("H5T_STRING:", if (t$is_vlen()) "vlen" else "fixed", ":",
                      if (as.character(t$get_cset()) == "H5T_CSET_UTF8") "UTF8" else "ASCII"))
    }
    cls
}

got_refs <- new.env()   # the scales of the last DIMENSION_LIST compare() read
ref_names <- function(f, refs) vapply(refs$dereference(obj = f), function(o) {
    n <- o$get_obj_name()
    o$close()
    n
}, "")

# NULL if the object hdf5r opened (a dataset, or an attribute) holds what h5py read (row m).
compare <- function(f, h, m, dir) {
    why <- character(0)
    tn <- type_name(h$get_type())
    if (tn != m$type) return(sprintf("type %s, h5py %s", tn, m$type))
    dims <- if (inherits(h, "H5D")) h$dims else h$get_space()$dims
    want <- if (m$shape == "scalar") integer(0) else rev(as.integer(strsplit(m$shape, "x")[[1]]))
    if (!identical(as.integer(dims), want)) return(sprintf("dims %s, h5py shape %s", paste(dims, collapse = "x"), m$shape))
    x <- h$read()
    if (startsWith(tn, "H5T_STRING")) {
        if (!is.character(x)) return(paste("read as", class(x)[1], "not character"))
        got <- paste(hex(as.vector(x)), collapse = ",")
        if (got != m$payload) return("strings differ from h5py's (UTF-8 bytes)")
        return(NULL)
    }
    if (tn == "H5T_VLEN") {        # DIMENSION_LIST: a list, one H5R_OBJECT vector per dimension (C order)
        got_refs$scales <- lapply(x, function(r) ref_names(f, r))
        got <- paste(vapply(got_refs$scales, paste, "", collapse = "+"), collapse = ",")
        if (got != m$payload) return(sprintf("references to %s, h5py %s", got, m$payload))
        return(NULL)
    }
    if (tn == "H5T_COMPOUND") {    # REFERENCE_LIST: a data.frame (dataset, dimension)
        got <- paste(paste0(ref_names(f, x$dataset), ":", x$dimension), collapse = ",")
        if (got != m$payload) return(sprintf("references to %s, h5py %s", got, m$payload))
        return(NULL)
    }
    if (!(is.numeric(x) || inherits(x, "integer64"))) return(paste("read as", class(x)[1]))
    is_int <- startsWith(tn, "H5T_STD_")
    if (is_int && !(is.integer(x) || inherits(x, "integer64"))) return(paste("integer type read as", typeof(x)))
    if (!is_int && !is.double(x)) return(paste("float type read as", typeof(x)))
    got <- as.numeric(as.vector(x))    # as.vector: the C order of h5py (see the header)
    n <- if (m$shape == "scalar") 1L else prod(as.integer(strsplit(m$shape, "x")[[1]]))
    ref <- readBin(file.path(dir, m$payload), what = "double", n = n + 1L, size = 8L, endian = "little")
    if (length(ref) != n || length(got) != n) return(sprintf("%d values, h5py %d (expected %d)", length(got), length(ref), n))
    nan_got <- is.nan(got)
    nan_ref <- is.nan(ref)
    if (any(is.na(got) & !nan_got)) return("NA (not NaN) among the values")
    if (sum(nan_got) != m$nnan) return(sprintf("%d NaN, h5py %d", sum(nan_got), m$nnan))
    if (!identical(nan_got, nan_ref)) return("NaN at other places than h5py's")
    bad <- which(got[!nan_got] != ref[!nan_ref])
    if (length(bad)) {
        return(sprintf("%d values differ from h5py's, first at %d: %.17g vs %.17g",
                       length(bad), which(!nan_got)[bad[1]], got[!nan_got][bad[1]], ref[!nan_ref][bad[1]]))
    }
    if (tn == "H5T_STD_U8LE" && sum(got == 255) != m$n255) return(sprintf("%d values 255, h5py %d", sum(got == 255), m$n255))
    NULL
}

run_file <- function(label, path, dir) {
    man <- read_manifest(dir)
    facts <- man[man$kind == "F", ]
    man <- man[man$kind != "F", ]
    fact <- function(key) facts$payload[facts$path == key]
    f <- H5File$new(path, mode = "r")
    on.exit(f$close_all())

    # One recursive walk: each object is compared with what h5py read as it is found.
    key <- paste(man$kind, man$path, man$attr, sep = "\t")
    bad <- list()                 # table -> what differs
    seen_dims <- list()           # dataset -> its dims in R
    seen_scales <- list()         # dataset -> the scales of its DIMENSION_LIST (C order)
    table_of <- function(p) if (p == "/") "/ (root attributes)" else sub("^(/[^/]+).*", "\\1", p)
    visit <- function(h, p, kind, attr = "-") {
        if (kind == "G") return(invisible())
        i <- match(paste(kind, p, attr, sep = "\t"), key)
        if (is.na(i)) return(invisible())    # reported by the walk's check
        why <- tryCatch(compare(f, h, man[i, ], dir), error = function(e) paste("error:", conditionMessage(e)))
        if (!is.null(why)) {
            t <- table_of(p)
            bad[[t]] <<- c(bad[[t]], paste0(if (kind == "D") p else paste0(p, "@", attr), ": ", why))
        }
        if (kind == "D") seen_dims[[p]] <<- h$dims
        if (kind == "A" && attr == "DIMENSION_LIST") seen_scales[[p]] <<- got_refs$scales
    }
    got <- walk(f, "/", visit)
    check(sprintf("%s: R's recursive walk finds the %d groups, %d datasets and %d attributes h5py finds",
                  label, sum(man$kind == "G"), sum(man$kind == "D"), sum(man$kind == "A")), function() {
        extra <- setdiff(got, key)
        missing <- setdiff(key, got)
        if (length(extra) || length(missing) || anyDuplicated(got)) {
            return(sprintf("only in R: %s; only in h5py: %s", paste(head(extra, 5), collapse = " "), paste(head(missing, 5), collapse = " ")))
        }
        NULL
    })
    # Every dataset and attribute, table by table.
    objs <- man[man$kind %in% c("D", "A"), ]
    top <- vapply(objs$path, table_of, "", USE.NAMES = FALSE)
    for (t in unique(top)) {
        rows <- objs[top == t, ]
        check(sprintf("%s %s: %d datasets and %d attributes read by hdf5r equal h5py's (type, shape, every value, NaN, 255)",
                      label, t, sum(rows$kind == "D"), sum(rows$kind == "A")),
              function() head(bad[[t]], 8))
    }

    check(sprintf("%s: hdf5r sees h5py's [pair, week] as week x pair, [pair, dimension] as dimension x pair, [run, group] as group x run; t() gives h5py's", label), function() {
        why <- character(0)
        for (p in c("/trajectories/A", "/pairs/culture", "/summary/dropout")) {
            m <- man[man$kind == "D" & man$path == p, ]
            shape <- as.integer(strsplit(m$shape, "x")[[1]])
            ds <- f[[rel(p)]]
            x <- ds$read(drop = FALSE)
            ref <- readBin(file.path(dir, m$payload), what = "double", n = prod(shape), size = 8L, endian = "little")
            h5py <- matrix(ref, nrow = shape[1], ncol = shape[2], byrow = TRUE)   # h5py's array, as R would hold it
            if (!identical(dim(x), rev(shape))) why <- c(why, sprintf("%s: dim %s", p, paste(dim(x), collapse = "x")))
            else if (!identical(t(x), h5py)) why <- c(why, sprintf("%s: t(x) differs from h5py's", p))
            # read() (drop = TRUE) drops a dimension of length 1: one run's /summary is a vector by group.
            y <- ds$read()
            if (!identical(as.vector(y), as.vector(x)) || is.null(dim(y)) != any(shape == 1)) why <- c(why, sprintf("%s: read() is %s", p, paste(dim(y), collapse = "x")))
            ds$close()
        }
        # Subsetting a dataset indexes R's dimensions: ds[, i] is h5py's row i - 1, ds[p] rows p - 1 of a column.
        S <- f[["trajectories/S"]]
        x <- S$read(drop = FALSE)
        i <- ncol(x)
        if (!identical(S[, i], x[, i])) why <- c(why, "/trajectories/S[, i] is not column i of read()")
        ew <- f[["pairs/exit_week"]]
        p <- seq(2, ew$dims, by = 3)
        if (!identical(ew[p], ew$read()[p])) why <- c(why, "/pairs/exit_week[p] is not read()[p]")
        why
    })

    runs <- f[["runs"]]
    run_run <- runs[["run"]]$read()
    first_pair <- runs[["first_pair"]]$read()
    weeks <- f[["trajectories/week"]]$read()
    tr_run <- f[["trajectories/run"]]$read()
    tr_patient <- f[["trajectories/patient"]]$read()
    pair_row <- first_pair[match(tr_run, run_run)] + tr_patient + 1   # 1-based rows of /pairs
    exit_week <- f[["pairs/exit_week"]]$read()[pair_row]
    in_state <- outer(weeks, exit_week, "<=")    # week x pair, as hdf5r returns the trajectories
    in_events <- outer(weeks, exit_week, "<")
    check(sprintf("%s: A, T, S are NaN exactly after each pair's exit week (%d rows x %d weeks)", label, length(exit_week), length(weeks)), function() {
        why <- character(0)
        for (v in c("A", "T", "S")) {
            x <- f[[paste0("trajectories/", v)]]$read()
            if (!identical(is.nan(x), !in_state)) why <- c(why, sprintf("%s: NaN not where the pairs have left", v))
            if (any(is.na(x) & !is.nan(x))) why <- c(why, sprintf("%s: NA that is not NaN", v))
        }
        why
    })
    check(sprintf("%s: byte trajectories are integers with 255 (not NA) past the exit (D after it, the events from it on)", label), function() {
        why <- character(0)
        for (v in c("D", "N", "rupture", "repaired")) {
            x <- f[[paste0("trajectories/", v)]]$read()
            live <- if (v == "D") in_state else in_events
            if (!is.integer(x)) why <- c(why, sprintf("%s: %s", v, typeof(x)))
            else if (anyNA(x) || any(x[!live] != 255L) || any(x[live] == 255L)) why <- c(why, sprintf("%s: 255 not exactly past the exit", v))
        }
        for (v in c("rupture", "repaired")) {
            x <- f[[paste0("trajectories/", v)]]$read()
            total <- colSums(ifelse(in_events, x, 0L))
            col <- if (v == "rupture") "pairs/ruptures" else "pairs/repairs"
            if (!identical(as.numeric(total), as.numeric(f[[col]]$read()[pair_row]))) why <- c(why, sprintf("%s summed over weeks is not /%s", v, col))
        }
        why
    })

    coded <- function(p) {
        ds <- f[[p]]
        factor(ds$read(), levels = h5attr(ds, "flag_values"), labels = strsplit(h5attr(ds, "flag_meanings"), " ")[[1]])
    }
    counts <- function(x) paste(paste0(levels(x), "=", as.vector(table(x))), collapse = ",")
    check(sprintf("%s: exit_reason and the groups as factors (flag_values, flag_meanings) count as in h5py: %s", label, counts(coded("pairs/exit_reason"))), function() {
        why <- character(0)
        for (k in list(c("pairs/exit_reason", "exit_reason"), c("pairs/group", "pairs_group"), c("providers/group", "providers_group"))) {
            x <- coded(k[1])
            if (anyNA(x)) why <- c(why, sprintf("%s: a code outside flag_values", k[1]))
            if (counts(x) != fact(k[2])) why <- c(why, sprintf("%s: %s, h5py %s", k[1], counts(x), fact(k[2])))
        }
        why
    })
    check(sprintf("%s: /runs/discussion.policy through value_k_means_word_k gives each run's policy word, as in h5py", label), function() {
        ds <- f[["runs/discussion.policy"]]
        words <- strsplit(h5attr(ds, "value_k_means_word_k"), " ")[[1]]
        got <- paste(words[ds$read() + 1], collapse = ",")
        if (got != fact("discussion.policy")) sprintf("%s, h5py %s", got, fact("discussion.policy"))
    })

    check(sprintf("%s: /scenario is one UTF-8 string (Greek letters of its comments included), so is a non-ASCII scenario_path; group and dimension names are strings", label), function() {
        s <- f[["scenario"]]$read()
        why <- character(0)
        if (length(s) != 1 || !is.character(s)) return(paste("read as", class(s)[1], length(s)))
        if (Encoding(s) != "UTF-8") why <- c(why, paste("marked", Encoding(s)))
        if (!validUTF8(s)) why <- c(why, "not valid UTF-8")
        if (!grepl("\u03b3", s, fixed = TRUE, useBytes = TRUE)) why <- c(why, "no U+03B3 (gamma)")
        if (!startsWith(s, "# ")) why <- c(why, "does not start with its comment")
        sp <- h5attr(f, "scenario_path")      # sweep-ü.yaml in the sweep
        if (!all(charToRaw(sp) < as.raw(128)) && (Encoding(sp) != "UTF-8" || !validUTF8(sp))) why <- c(why, "scenario_path: non-ASCII but not marked UTF-8")
        g <- f[["summary/group"]]$read()
        if (!identical(g, c("all", "white", "latinx", "black", "asian"))) why <- c(why, paste("groups", paste(g, collapse = " ")))
        d <- f[["pairs/dimension"]]$read()
        if (!identical(d, c("ethnoracial", "language", "class", "explanatory_model"))) why <- c(why, paste("dimensions", paste(d, collapse = " ")))
        why
    })

    check(sprintf("%s: dimension scales: R's dimension k of a dataset is the coordinate of h5py's dimension n + 1 - k", label), function() {
        why <- character(0)
        for (p in names(seen_dims)) {
            r_dims <- seen_dims[[p]]
            scales <- seen_scales[[p]]          # as hdf5r dereferenced them
            if (is.null(scales)) {
                ds <- f[[rel(p)]]
                if (!ds$attr_exists("CLASS") && p != "/scenario") why <- c(why, paste(p, "has neither DIMENSION_LIST nor CLASS"))
                if (ds$attr_exists("CLASS") && (h5attr(ds, "CLASS") != "DIMENSION_SCALE" || h5attr(ds, "NAME") != basename(p))) why <- c(why, paste(p, "is not a scale named after itself"))
                ds$close()
                next
            }
            if (length(scales) != length(r_dims)) { why <- c(why, sprintf("%s: %d scales for %d dimensions", p, length(scales), length(r_dims))); next }
            for (k in seq_along(r_dims)) {
                sc <- scales[[length(r_dims) + 1 - k]]
                if (length(sc) != 1 || dirname(sc) != dirname(p)) { why <- c(why, sprintf("%s: dimension %d has scale %s", p, k, paste(sc, collapse = "+"))); next }
                if (!identical(seen_dims[[sc]], r_dims[k])) why <- c(why, sprintf("%s: dimension %d is %d long, its coordinate %s %s", p, k, r_dims[k], sc, paste(seen_dims[[sc]], collapse = "x")))
            }
        }
        why
    })

    check(sprintf("%s: /summary column 'all' (R: row 1 of group x run) equals /runs' observables", label), function() {
        why <- character(0)
        # the observables are the file's: the float [group x run] columns of /summary
        sg <- f[["summary"]]
        obs <- Filter(function(o) length(sg[[o]]$dims) == 2 &&
                          as.character(sg[[o]]$get_type()$get_class()) == "H5T_FLOAT", names(sg))
        if (length(obs) == 0) why <- c(why, "no observable in /summary")
        for (o in obs) {
            s <- f[[paste0("summary/", o)]]$read(drop = FALSE)
            if (!identical(s[1, ], runs[[o]]$read())) why <- c(why, o)
        }
        why
    })
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) == 0 || length(args) %% 3 != 0) stop("usage: output_readback.R LABEL FILE DUMP [LABEL FILE DUMP ...]")
for (i in seq(1, length(args), by = 3)) run_file(args[i], args[i + 1], args[i + 2])
cat(passed, " passed, ", failed, " failed\n", sep = "")
quit(status = if (failed > 0) 1 else 0)
