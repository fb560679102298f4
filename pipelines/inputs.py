"""Finding and reading input files: the only place that touches the source directories."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from transforms.archive_paths import date_from_path, is_day_list
from transforms.day_list import DayList, parse_day_list
from transforms.event_file import ParsedEvent, ParseError, parse_event_file

INPUT_SUFFIXES = (".md", ".txt")


def archive_base(source: Path) -> Path:
    """The folder paths are made relative to: the one holding ``news/`` when the source is inside an
    archive tree (so ``corpus/news/2016`` still yields ``news/2016/03/14/x.md``), else the source
    itself with any trailing ``YYYY/MM/D`` folders removed."""
    parts = source.parts
    if "news" in parts:
        return Path(*parts[: len(parts) - 1 - parts[::-1].index("news")])
    base = source
    for _ in range(3):
        if base.name.isdigit() and len(base.name) in (1, 2, 4) and base.parent != base:
            base = base.parent
        else:
            break
    return base


@dataclass(frozen=True, slots=True)
class InputFile:
    root: str  # absolute archive base of the source (see archive_base)
    path: str  # relative to root, POSIX separators: the file's identity in the warehouse
    size: int
    mtime_ns: int
    is_symlink: bool = False

    @property
    def abspath(self) -> str:
        return os.path.join(self.root, self.path)

    @property
    def unit(self) -> int | None:
        """Year of the dated folder the file sits in (its processing unit); None when undated."""
        d = date_from_path(self.path)
        return d.year if d else None


LISTING_SCHEMA = pa.schema([
    ("root", pa.dictionary(pa.int32(), pa.string())), ("path", pa.string()), ("size", pa.int64()),
    ("mtime_ns", pa.int64()), ("day", pa.date32()),
])
LISTING_CHUNK = 65_536  # rows gathered in Python lists before they become an Arrow record batch


@dataclass
class Discovery:
    """What ``discover`` found. ``files`` is column-wise (see LISTING_SCHEMA; ``day`` is the day of the
    file's ``YYYY/MM/D`` folder, null when undated) so a listing of 10^6 files stays ~100 bytes a file."""

    files: pa.Table = field(default_factory=LISTING_SCHEMA.empty_table)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)  # (path, reason, detail)
    ignored: dict[str, int] = field(default_factory=dict)  # suffix -> count of non-input files


def input_files(files: pa.Table) -> list[InputFile]:
    """The rows of a (slice of a) listing as ``InputFile`` objects."""
    cols = [files.column(c).to_pylist() for c in ("root", "path", "size", "mtime_ns")]
    return [InputFile(*row) for row in zip(*cols)]


def _name(entry: os.DirEntry) -> str:
    return entry.name


class _Walk:
    """Depth-first walk in sorted order, gathering the listing a chunk at a time (see ``discover``)."""

    def __init__(self, several: bool = False) -> None:
        self.out = Discovery()
        self.several = several  # several sources: the same path may come twice
        self.seen: dict[str, str] = {}
        self.chunks: list[pa.RecordBatch] = []
        self.root_names: list[str] = []
        self.roots: list[int] = []  # index into root_names
        self.paths: list[str] = []
        self.sizes: list[int] = []
        self.mtimes: list[int] = []
        self.days: list[dt.date | None] = []

    def flush(self) -> None:
        """Python objects cost ~10x their Arrow form: keep only one chunk of them."""
        if not self.paths and self.chunks:
            return
        self.close_chunk()

    def close_chunk(self) -> None:
        root_col = pa.DictionaryArray.from_arrays(pa.array(self.roots, pa.int32()), pa.array(self.root_names, pa.string()))
        self.chunks.append(pa.record_batch([root_col, self.paths, self.sizes, self.mtimes, self.days], schema=LISTING_SCHEMA))
        for col in (self.roots, self.paths, self.sizes, self.mtimes, self.days):
            col.clear()

    def result(self) -> Discovery:
        self.flush()
        self.out.files = pa.Table.from_batches(self.chunks, schema=LISTING_SCHEMA)
        return self.out

    def walk(self, root: str, start: str, defer_below: int | None = None) -> list[tuple[str, int, int]]:
        """Walk ``start`` (a folder under ``root``). With ``defer_below``, folders that many levels
        below ``start`` are not entered: they are returned, in walk order, for someone else to walk,
        each with the chunk and reject counts at that point (where its rows belong)."""
        out = self.out
        self.root_names.append(root)
        root_id = len(self.root_names) - 1
        cut = len(root.rstrip("/")) + 1  # paths below root: slice the prefix off (os.path.relpath is 7x slower)
        deferred: list[tuple[str, int, int]] = []
        several, paths, sizes, mtimes = self.several, self.paths, self.sizes, self.mtimes
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            d, depth = stack.pop()
            if defer_below is not None and depth == defer_below:
                self.close_chunk()
                deferred.append((d, len(self.chunks), len(out.rejects)))
                continue
            try:
                with os.scandir(d) as it:
                    entries = sorted(it, key=_name)
            except OSError as exc:
                out.rejects.append((os.path.relpath(d, root).replace(os.sep, "/"), "unreadable_dir", str(exc)))
                continue
            rel_dir = d[cut:] if os.sep == "/" else os.path.relpath(d, root).replace(os.sep, "/")
            day = date_from_path(rel_dir + "/_")
            prefix = rel_dir + "/" if rel_dir not in ("", ".") else ""
            subdirs = []
            listed = len(paths)
            for e in entries:
                name = e.name
                if name[0] == ".":
                    continue
                # Fast path, most entries: a regular input file (its type comes with the directory
                # listing: no system call) and no second source that could list it too.
                if name.endswith(INPUT_SUFFIXES) and not several and e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    if stat.S_ISREG(st.st_mode):
                        paths.append(prefix + name)
                        sizes.append(st.st_size)
                        mtimes.append(st.st_mtime_ns)
                        continue
                rel = prefix + name
                if e.is_symlink():
                    if name.endswith(INPUT_SUFFIXES):
                        out.rejects.append((rel, "symlink", f"symlink to {os.readlink(e.path)!r} is not followed; copy the file into the source instead"))
                    continue
                if e.is_dir(follow_symlinks=False):
                    subdirs.append((e.path, depth + 1))
                    continue
                if not name.endswith(INPUT_SUFFIXES):
                    suffix = os.path.splitext(name)[1] or "(none)"
                    out.ignored[suffix] = out.ignored.get(suffix, 0) + 1
                    continue
                st = e.stat(follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode):
                    out.rejects.append((rel, "not_a_file", "special file (fifo, socket or device)"))
                    continue
                if several:  # one walk never repeats a path; only overlapping sources can
                    other = self.seen.get(rel)
                    if other is not None:
                        if other != root:
                            out.rejects.append((rel, "path_collision", f"also under {other}; paths must be unique across sources"))
                        continue  # else: the same file, listed by two overlapping sources
                    self.seen[rel] = root
                paths.append(rel)
                sizes.append(st.st_size)
                mtimes.append(st.st_mtime_ns)
            listed = len(paths) - listed  # root and day are the same for a whole folder
            self.roots.extend([root_id] * listed)
            self.days.extend([day] * listed)
            if len(self.paths) >= LISTING_CHUNK:
                self.flush()
            stack.extend(reversed(subdirs))
        return deferred


def discover(sources: list[Path], workers: int = 1, split_min_files: int = 0) -> Discovery:
    """Walk each source directory (recursively, in sorted order) for ``.md``/``.txt`` files.

    Symlinks are not followed: they become rejects. Hidden entries (``.git``...) are skipped. A file
    reached through two overlapping sources counts once; two different files with the same relative
    path keep the first and reject the second. This walk is most of a no-change run: one ``stat`` and
    a few string operations per file, kept as columns, not objects. With ``workers`` > 1 (and one
    source), the folders two levels down (``news/YYYY``) are walked by that many processes; with
    ``split_min_files`` too, only when the first of those folders, times their number, promises at
    least that many files (the size of a source seen for the first time).
    """
    if workers > 1 and len(sources) == 1:
        return _discover_split(Path(sources[0]).resolve(), workers, split_min_files)
    w = _Walk(several=len(sources) > 1)
    for src in sources:
        source = Path(src).resolve()
        w.walk(str(archive_base(source)), str(source))
    return w.result()


def _walk_subtree(root: str, start: str) -> Discovery:
    w = _Walk()
    w.walk(root, start)
    return w.result()


def _discover_split(source: Path, workers: int, min_files: int = 0) -> Discovery:
    """``discover`` of one source: this process walks the top two levels, a pool walks the folders
    below them (typically one per year). With ``min_files``, this process walks the first of those
    folders itself, and the pool starts only when that folder's files times the number of folders
    reach ``min_files`` (else this process walks them all: starting the pool costs more than it
    saves on a small source). The listing is the same, row for row and in order, as a plain walk's."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    root = str(archive_base(source))
    top = _Walk()
    subtrees = top.walk(root, str(source), defer_below=2)
    out = top.result()
    if not subtrees:
        return out
    folders = [d for d, _, _ in subtrees]
    parts: list[Discovery] = []
    if min_files:
        parts.append(_walk_subtree(root, folders[0]))
        if parts[0].files.num_rows * len(folders) < min_files:
            parts += [_walk_subtree(root, d) for d in folders[1:]]
    if len(parts) < len(folders):
        rest = folders[len(parts):]
        with ProcessPoolExecutor(min(workers, len(rest)), mp_context=multiprocessing.get_context("spawn")) as pool:
            parts += pool.map(_walk_subtree, [root] * len(rest), rest)
    chunks: list[pa.RecordBatch] = []
    rejects: list[tuple[str, str, str]] = []
    c0 = r0 = 0
    for (_, c, r), part in zip(subtrees, parts):  # each subtree's rows go where the walk met its folder
        chunks += top.chunks[c0:c] + part.files.to_batches()
        rejects += out.rejects[r0:r] + part.rejects
        c0, r0 = c, r
        for suffix, n in part.ignored.items():
            out.ignored[suffix] = out.ignored.get(suffix, 0) + n
    out.files = pa.Table.from_batches(chunks + top.chunks[c0:], schema=LISTING_SCHEMA)
    out.rejects = rejects + out.rejects[r0:]
    return out


def listing(files: list[InputFile], days: list[dt.date | None]) -> pa.Table:
    """A listing (LISTING_SCHEMA) of ``files`` with their ``days``."""
    return pa.table([pa.array([f.root for f in files], pa.string()).dictionary_encode(), [f.path for f in files],
                     [f.size for f in files], [f.mtime_ns for f in files], days], schema=LISTING_SCHEMA)


@dataclass
class ParsedBatch:
    events: list[ParsedEvent] = field(default_factory=list)
    day_lists: list[DayList] = field(default_factory=list)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)
    meta: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (content hash, size)


def _decode(data: bytes) -> str:
    if data.find(b"\x00", 0, 8192) >= 0:  # no slice: a copy of up to 8 KB per file
        raise ParseError("binary", "contains NUL bytes: not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError("undecodable", f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}; re-save the file as UTF-8") from None


def read_capped(path: str, limit: int) -> bytes:
    """The first ``limit`` bytes of a file (all of it when shorter). Plain ``os.read`` calls: a buffered
    file object costs about twice as much per small file (~7 vs ~3.5 µs on 60,000 warm files here)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = os.read(fd, limit)
        while data and len(data) < limit:  # a short read is not the end of the file: b"" is
            more = os.read(fd, limit - len(data))
            if not more:
                break
            data += more
        return data
    finally:
        os.close(fd)


def read_and_parse(files: list[InputFile], max_bytes: int, qualifiers: frozenset[str]) -> ParsedBatch:
    """Read and parse a batch of files; every file ends up parsed or rejected (never raised)."""
    out = ParsedBatch()
    for f in files:
        try:
            if f.size > max_bytes:
                raise ParseError("too_large", f"{f.size} bytes is over the {max_bytes}-byte limit (CURRENTS_MAX_FILE_BYTES)")
            data = read_capped(f.abspath, max_bytes + 1)
            if len(data) > max_bytes:
                raise ParseError("too_large", f"over the {max_bytes}-byte limit (CURRENTS_MAX_FILE_BYTES)")
            out.meta[f.path] = (hashlib.blake2b(data, digest_size=16).hexdigest(), len(data))
            if not data or data.isspace():  # what `not data.strip()` tests, without the copy
                raise ParseError("empty", "file is empty or whitespace only")
            text = _decode(data)
            if is_day_list(f.path):
                out.day_lists.append(parse_day_list(text, f.path, qualifiers))
            else:
                out.events.append(parse_event_file(text, f.path, qualifiers))
        except ParseError as exc:
            out.rejects.append((f.path, exc.reason, exc.detail))
        except OSError as exc:
            out.rejects.append((f.path, "unreadable", f"{exc.strerror or exc}"))
        except Exception as exc:  # a parser bug must not sink the run: quarantine with the cause
            out.rejects.append((f.path, "parser_error", f"{type(exc).__name__}: {exc}"))
    return out
