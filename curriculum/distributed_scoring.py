"""Scoring on Ray Data: a cluster scores the corpus, one ``scores.npy`` comes out.

Needs the ``ray`` extra (``pip install 'curriculum[ray]'``); ``import curriculum`` never imports
Ray. The result is the file local scoring writes, the same scores (the same bytes for scorers
without a model) and the same sidecar (scorer, settings, corpus fingerprint, input), so
everything that reads scores is unchanged.

How it runs:

1. The driver reads the text column once, in order, for the corpus fingerprint (the same digest
   as local scoring), the row count, the checks local scoring makes on the texts and the sum of
   the rows' hashes (:func:`~curriculum.fingerprint.row_hashes`).
2. Each row gets its position in the corpus (``Dataset.zip`` with ``ray.data.range``, executed
   with ``preserve_order``). Scorers without a model run as Ray tasks over batches
   (``map_batches`` with a function); scorers with a model (``EmbeddingClusterScorer``) run in
   an actor pool, each actor loading the model once, with one GPU per actor when the cluster
   has GPUs. A batch returns its rows' positions, scores and row hashes, never the text.
3. The driver writes what arrives as parquet parts into a temporary directory beside the output
   (so no storage shared by the nodes is needed), then merges them with
   :func:`~curriculum.score_parts.merge_score_parts`: every position scored exactly once, every
   score finite, the row hashes adding up to those of step 1. Then the parts are removed.

A scorer that fails on a batch stops the run: its exception, with a note naming the batch's rows
and the scorer, is what Ray reports; no scores file is written and the parts are removed.

Costs to know: the corpus is read twice (step 1 and step 2), and Ray's ``zip`` holds the text
column in Ray's object store (spilled to disk when it does not fit) before scoring starts. Ray
deprecates ``zip`` in 2.60 (removal planned for 2.64), hence the ``ray`` extra's upper bound.

An ``EmbeddingClusterScorer`` that is not fitted yet is fitted (a copy of it) on the driver on a
uniform sample of ``fit_sample`` texts, drawn while fingerprinting; the actors then embed every
text and assign it to the nearest fitted cluster. The scores then equal local scoring with that
same fitted scorer, not a local fit on the whole corpus; a corpus no larger than the sample is
fitted whole, as locally. (Equal exactly in the test, on CPU. An embedding computed in another
batch may differ in its last bits, and so move a text by one place among its cluster's.)
"""

from __future__ import annotations

import contextlib
import copy
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._digest import CorpusDigest
from curriculum._files import check_input, check_output
from curriculum._progress import progress_bar
from curriculum._validation import TextCheck, check_int
from curriculum.cache import ScoreCache, save_scores
from curriculum.datasets import CHUNK_SIZE
from curriculum.errors import InvalidValueError, MissingFieldError
from curriculum.ray_batches import ScoreBatches, for_workers, score_batch
from curriculum.ray_cluster import corpus_format, import_ray, read_ray_dataset
from curriculum.score_parts import PART_ROWS, PartWriter, merge_score_parts
from curriculum.scorers import get_scorer
from curriculum.scoring import check_scores_output, corpus_digest, score_metadata

__all__ = ["FIT_SAMPLE", "ROW_COLUMN", "score_dataset", "score_file_on_ray"]

#: The column holding each row's position while scoring (named so it cannot meet a user's ``id``).
ROW_COLUMN = "__curriculum_row"
#: Texts an unfitted scorer is fitted on before scoring at scale.
FIT_SAMPLE = 20_000


def _check_scorer(scorer: Any) -> Any:
    scorer = get_scorer(scorer)
    if not getattr(scorer, "per_text", False):
        raise InvalidValueError(
            f"{scorer!r} cannot be scored on Ray: a text's score must depend on that text alone "
            "(per_text), so that batches can be scored apart. Score it locally, or, for your own "
            "scorer that does score each text alone, give it a per_text property that is True"
        )
    return scorer


def _fitted(scorer: Any, digest: CorpusDigest, size: int, seed: int) -> tuple[Any, dict[str, Any]]:
    """``scorer`` fitted on the digest's sample (a copy), and what the sidecar says about it."""
    sample = digest.sample()
    fitted = copy.copy(scorer).fit(sample)
    note = {} if digest.count <= size else {"fit_sample": {"size": size, "seed": seed}}
    return fitted, note


@contextlib.contextmanager
def _in_order(ds: Any) -> Iterator[None]:
    """Execute ``ds`` (and what derives from it) preserving row order, without Ray's bars."""
    context = ds.context
    saved = (context.execution_options.preserve_order, context.enable_progress_bars)
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    try:
        yield
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = saved


def _map(
    ds: Any, scorer: Any, *, text_column: str, batch_size: int | None, concurrency: Any
) -> Any:
    ray = import_ray()
    worker = for_workers(scorer)
    columns = {"text_column": text_column, "id_column": ROW_COLUMN}
    if getattr(worker, "uses_model", False):
        gpus = ray.cluster_resources().get("GPU", 0) >= 1
        return ds.map_batches(
            ScoreBatches,
            fn_constructor_kwargs={"scorer": worker, **columns},
            batch_size=batch_size or 256,
            batch_format="pyarrow",
            concurrency=concurrency,
            **({"num_gpus": 1} if gpus else {}),
        )
    return ds.map_batches(
        score_batch,
        fn_kwargs={"scorer": worker, **columns},
        batch_size=batch_size or 1024,
        batch_format="pyarrow",
        concurrency=concurrency,
    )


def _score_rows(
    ds: Any,
    scorer: Any,
    *,
    digest: CorpusDigest,
    text_column: str,
    out: Path,
    metadata: dict[str, Any],
    parts_dir: str | os.PathLike[str] | None,
    keep_parts: bool,
    batch_size: int | None,
    concurrency: Any,
    progress: bool | None,
    force: bool,
) -> NDArray[np.float64]:
    """Steps 2 and 3 of the module docstring: score every row on Ray, write parts, merge."""
    ray = import_ray()
    n = digest.count
    rows = ray.data.range(n).rename_columns({"id": ROW_COLUMN})
    if parts_dir is None:
        out.parent.mkdir(parents=True, exist_ok=True)
        parts = Path(tempfile.mkdtemp(prefix=f".{out.stem}.parts-", dir=out.parent))
        created = True
    else:
        parts = Path(parts_dir)  # checked new or empty before any work
        created = not parts.exists()
        parts.mkdir(parents=True, exist_ok=True)
    writer = PartWriter(parts, rows=PART_ROWS)
    merged = False
    try:
        with _in_order(ds):
            with warnings.catch_warnings():  # zip is what gives rows their positions (see above)
                warnings.filterwarnings("ignore", message=r"(?s).*`Dataset\.zip` is deprecated")
                numbered = ds.select_columns([text_column]).zip(rows)
            scored = _map(
                numbered,
                scorer,
                text_column=text_column,
                batch_size=batch_size,
                concurrency=concurrency,
            )
            desc = f"scoring on Ray ({getattr(scorer, 'name', type(scorer).__name__)})"
            with progress_bar(total=n, desc=desc, progress=progress) as bar:
                for batch in scored.iter_batches(batch_size=None, batch_format="numpy"):
                    writer.add(batch["id"], batch["score"], batch["row_hash"])
                    bar.update(len(batch["id"]))
        writer.flush()
        scores = merge_score_parts(parts, n, out, metadata, row_check=digest.row_check, force=force)
        merged = True
    finally:
        if not (merged and keep_parts):
            for path in writer.files:
                path.unlink(missing_ok=True)
            if created:
                with contextlib.suppress(OSError):  # left in place if someone else wrote there
                    parts.rmdir()
    return scores


def _check_outputs(
    output: str | os.PathLike[str],
    parts_dir: str | os.PathLike[str] | None,
    *,
    inputs: list[Any],
    force: bool,
) -> Path:
    """The scores file and the parts directory, checked before any work."""
    out = check_scores_output(output, inputs=inputs, force=force)
    if parts_dir is not None:
        check_output(parts_dir, what="parts_dir", inputs=inputs, directory=True)
    return out


def _digest_dataset(
    ds: Any, text_column: str, *, sample_size: int, seed: int, progress: bool | None
) -> CorpusDigest:
    """Step 1 for a Dataset: its text column read in order on the driver, checked as locally.

    Only the text column travels when the schema is known without reading (parquet); otherwise
    (JSON lines) the first batch shows whether the column is there. (Asking Ray for the schema
    would read a first block and change how Ray splits the later reads, which costs seconds.)
    """
    schema = ds.schema(fetch_if_missing=False)
    known = list(schema.names) if schema is not None else None
    if known is not None:
        _check_column(text_column, known)
    digest = CorpusDigest(row_check=True, sample_size=sample_size, seed=seed)
    check = TextCheck(f"dataset[{text_column!r}]")
    source = ds.select_columns([text_column]) if known is not None else ds
    with _in_order(ds), progress_bar(total=None, desc="reading", progress=progress) as bar:
        for batch in source.iter_batches(batch_size=CHUNK_SIZE, batch_format="pyarrow"):
            _check_column(text_column, batch.column_names)
            texts = batch.column(text_column).to_pylist()
            if check.update(texts):
                digest.update(texts)
            bar.update(len(texts))
    if not check.count:
        raise InvalidValueError("the dataset holds no rows; nothing to score")
    check.raise_if_bad()
    return digest


def _check_column(text_column: str, columns: list[str]) -> None:
    if text_column not in columns:
        raise MissingFieldError(
            f"text_column={text_column!r} is not a column of the dataset; its columns are "
            f"{list(columns)}: pass the one that holds the text"
        )


def score_dataset(
    ds: Any,
    scorer: Any,
    *,
    output: str | os.PathLike[str],
    text_column: str = "text",
    parts_dir: str | os.PathLike[str] | None = None,
    keep_parts: bool = False,
    batch_size: int | None = None,
    concurrency: int | tuple[int, int] | None = None,
    fit_sample: int = FIT_SAMPLE,
    seed: int = 0,
    source: str | None = None,
    progress: bool | None = None,
    force: bool = False,
) -> NDArray[np.float64]:
    """Score every row of a Ray Dataset and write ``output`` (``.npy``) with its sidecar.

    The file and sidecar are those local scoring writes (see the module docstring for how it
    runs): :func:`~curriculum.cache.load_scores` with ``expect={"corpus": ...}`` and
    ``curriculum schedule --scores`` read them unchanged.

    Args:
        ds: the corpus; it must give the same rows in the same order each time it is read
            (reading files does; a ``random_shuffle`` without a seed does not, and is refused
            when the row hashes do not add up).
        scorer: a scorer instance or registered name whose ``per_text`` is true.
        output: the scores file; never one of the dataset's input files; replaced only with
            ``force``.
        text_column: the column holding the text.
        parts_dir: where the parts go (a new or empty directory, on the driver's machine: the
            driver writes them); default a temporary one beside ``output``.
        keep_parts: keep the parts after a successful merge (they are always removed after a
            failure).
        batch_size: rows per batch (default 1024 for tasks, 256 for actors with a model).
        concurrency: Ray's ``map_batches(concurrency=...)``: tasks at once, or the actor pool's
            size (default: Ray decides; each actor of a model scorer takes a GPU when the
            cluster has GPUs, so there are at most as many as GPUs).
        fit_sample: texts an unfitted scorer (``EmbeddingClusterScorer``) is fitted on.
        seed: seed of that sample.
        source: the input the sidecar names (default: the dataset's input file, or files, as
            Ray reports them, which it does not for every format).
        progress: show a progress bar; None shows it when stderr is a terminal.
        force: replace an existing ``output``.

    Returns:
        The scores, in row order.

    Raises:
        MissingFieldError: ``text_column`` is not a column of ``ds``.
        InvalidValueError: the scorer cannot be split into batches, a text is empty or not a
            string, or the merge finds a problem (see
            :func:`~curriculum.score_parts.merge_score_parts`).
        OutputExistsError, OutputError: ``output`` cannot be written.
    """
    import_ray()
    files = list(ds.input_files())
    out = _check_outputs(output, parts_dir, inputs=files, force=force)
    scorer = _check_scorer(scorer)
    fit_sample = check_int("fit_sample", fit_sample, minimum=1)
    needs_fit = bool(getattr(scorer, "needs_fit", lambda: False)())
    digest = _digest_dataset(
        ds, text_column, sample_size=fit_sample if needs_fit else 0, seed=seed, progress=progress
    )
    note: dict[str, Any] = {}
    if needs_fit:
        scorer, note = _fitted(scorer, digest, fit_sample, seed)
    if source is None:
        source = files[0] if len(files) == 1 else (", ".join(files) or "a Ray Dataset")
    metadata = score_metadata(scorer, digest.fingerprint, source)
    metadata["params"].update(note)
    return _score_rows(
        ds,
        scorer,
        digest=digest,
        text_column=text_column,
        out=out,
        metadata=metadata,
        parts_dir=parts_dir,
        keep_parts=keep_parts,
        batch_size=batch_size,
        concurrency=concurrency,
        progress=progress,
        force=force,
    )


def score_file_on_ray(
    path: str | os.PathLike[str],
    scorer: Any,
    *,
    output: str | os.PathLike[str],
    text_field: str = "text",
    cache: ScoreCache | str | os.PathLike[str] | None = None,
    parts_dir: str | os.PathLike[str] | None = None,
    keep_parts: bool = False,
    batch_size: int | None = None,
    concurrency: int | tuple[int, int] | None = None,
    fit_sample: int = FIT_SAMPLE,
    seed: int = 0,
    progress: bool | None = None,
    force: bool = False,
) -> NDArray[np.float64]:
    """``curriculum score INPUT --engine ray``: a local corpus file scored on Ray.

    The file is read and checked on the driver exactly as local scoring reads it (same errors,
    same fingerprint, same sidecar), then read again by Ray (``read_ray_dataset``) and scored there;
    the row hashes prove that Ray scored the same texts at the same positions. With ``cache``,
    a hit is served without starting any work on Ray (scorers that need a fit are not cached:
    their scores depend on the sample). Other arguments as :func:`score_dataset`.

    Raises:
        InvalidValueError: ``path`` is plain text (Ray reads JSON lines and parquet), or as
            :func:`score_dataset`.
    """
    source = check_input(path, what="input file")
    out = _check_outputs(output, parts_dir, inputs=[source], force=force)
    corpus_format(str(source))
    scorer = _check_scorer(scorer)
    needs_fit = bool(getattr(scorer, "needs_fit", lambda: False)())
    store = cache if cache is None or isinstance(cache, ScoreCache) else ScoreCache(cache)
    digest = corpus_digest(
        source,
        text_field=text_field,
        row_check=True,
        sample_size=fit_sample if needs_fit else 0,
        seed=seed,
        progress=progress,
    )
    if store is not None and not needs_fit:
        found = store.lookup(scorer, digest.fingerprint, digest.count)
        if found is not None:
            save_scores(out, found, score_metadata(scorer, digest.fingerprint, source))
            return found
    note: dict[str, Any] = {}
    if needs_fit:
        scorer, note = _fitted(scorer, digest, fit_sample, seed)
    metadata = score_metadata(scorer, digest.fingerprint, source)
    metadata["params"].update(note)
    scores = _score_rows(
        read_ray_dataset(source),
        scorer,
        digest=digest,
        text_column=text_field,
        out=out,
        metadata=metadata,
        parts_dir=parts_dir,
        keep_parts=keep_parts,
        batch_size=batch_size,
        concurrency=concurrency,
        progress=progress,
        force=force,
    )
    if store is not None and not needs_fit:
        store.store(scorer, digest.fingerprint, scores)
    return scores
