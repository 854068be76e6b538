"""Group inquiries by meaning: HDBSCAN (scikit-learn) on a UMAP layout of sentence embeddings.

From `ClusterConfig.umap_min_rows` inquiries on, the L2-normalised embeddings are laid out
by UMAP (umap-learn: a graph of each inquiry's nearest neighbours by cosine, embedded in a
few dimensions, seeded so that a run repeats exactly) and HDBSCAN finds the dense groups
there and chooses how many there are. UMAP keeps who neighbours whom and drops the rest of
the geometry, which separates intents that share most of their words far better than the
embeddings' own distances (docs/INSIGHTS.md has the figures). Before the layout, what every
vector shares is taken out ("all but the top", Mu & Viswanath 2018): the mean of the fitted
vectors and their leading principal direction, then each is normalised again. Fitted on the
inquiries themselves, with no labels and nothing per language: in a history of both
languages that direction is the one that tells them apart, and without it a question's
translation is its neighbour. Only the layout reads these vectors; the stored centroids, and
the incremental assignment that compares a new inquiry with them, stay in the embedder's own
space. Fewer inquiries are grouped as
before UMAP was added: HDBSCAN on the embeddings projected by PCA to a few dozen whitened
dimensions (so that no handful of directions that every support question shares dominates)
and normalised again.

Every point HDBSCAN calls noise joins the group whose centroid is nearest in the whitened PCA
space: a topic list must account for each inquiry. Large sets are fitted on a sample and the
rest assigned the same way, which keeps a re-cluster of 100,000 inquiries within a couple of
minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from retrieval.embeddings import l2_normalize

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ClusterConfig:
    """How inquiries are grouped; the defaults are what docs/INSIGHTS.md measured."""

    dims: int = 50  # PCA components kept (whitened)
    min_cluster_size: int = 6  # HDBSCAN on the PCA projection (sets under umap_min_rows)
    min_samples: int | None = 1
    selection: str = "eom"  # HDBSCAN cluster_selection_method: "eom" or "leaf"
    epsilon: float = 0.0  # HDBSCAN cluster_selection_epsilon
    max_fit: int = 12_000  # larger sets are fitted on a sample of this many
    seed: int = 0
    # From this many inquiries (fitted) on, HDBSCAN runs on a UMAP layout instead:
    umap_min_rows: int = 1_000
    neighbours: int = 15  # UMAP n_neighbors
    layout_dims: int = 5  # UMAP n_components
    layout_min_cluster_size: int = 10  # HDBSCAN on the layout (min_samples: the same)
    # Before the layout, what the vectors share is taken out ("all but the top"): -1
    # nothing; 0 the fitted mean; n > 0 the mean and the top n principal directions.
    drop_top: int = 1

    def __post_init__(self) -> None:
        if (self.dims < 2 or self.min_cluster_size < 2 or self.max_fit < 10
                or self.layout_min_cluster_size < 2 or self.layout_dims < 2
                or self.neighbours < 2 or self.drop_top < -1):
            raise ValueError("dims, layout_dims, neighbours and the minimum cluster sizes "
                             "must be >= 2, max_fit >= 10")
        if self.selection not in ("eom", "leaf"):
            raise ValueError("selection must be 'eom' or 'leaf'")


@dataclass(frozen=True)
class Projection:
    """The fitted reduction: apply it to new vectors with `transform`."""

    mean: FloatArray
    components: FloatArray  # (dims, input dim), already divided by the component scales

    def transform(self, vectors: npt.ArrayLike) -> FloatArray:
        """Project normalised embeddings into the reduced, whitened, normalised space."""
        arr = l2_normalize(vectors)
        return l2_normalize((arr - self.mean) @ self.components.T)


#: Whitening needs many samples per component: with fewer than this many per kept dimension
#: it amplifies noise (24 questions on 3 topics split by language instead of by meaning), so
#: a small set is clustered on the embeddings themselves.
SAMPLES_PER_DIM = 20


def fit_projection(vectors: npt.ArrayLike, dims: int, seed: int = 0) -> Projection:
    """Fit PCA with whitening on normalised embeddings (the identity for small sets)."""
    from sklearn.decomposition import PCA

    arr = l2_normalize(vectors)
    if arr.shape[0] < SAMPLES_PER_DIM * dims:
        return Projection(mean=np.zeros(arr.shape[1], dtype=np.float32),
                          components=np.eye(arr.shape[1], dtype=np.float32))
    n_components = max(1, min(dims, arr.shape[0] - 1, arr.shape[1]))
    pca = PCA(n_components=n_components, whiten=True, random_state=seed,
              svd_solver="randomized" if arr.shape[0] > 2000 else "full")
    pca.fit(arr)
    scale = np.sqrt(np.maximum(pca.explained_variance_, 1e-12))
    components = (pca.components_ / scale[:, None]).astype(np.float32)
    return Projection(mean=pca.mean_.astype(np.float32), components=components)


@dataclass(frozen=True)
class Common:
    """What every embedding shares: their mean and leading principal directions."""

    mean: FloatArray
    directions: FloatArray  # (top, input dim), unit rows

    def remove(self, vectors: npt.ArrayLike) -> FloatArray:
        """Return normalised vectors less the mean and the directions, normalised again."""
        arr = l2_normalize(vectors) - self.mean
        if self.directions.shape[0]:
            arr = arr - (arr @ self.directions.T) @ self.directions
        return l2_normalize(arr)


def fit_common(vectors: npt.ArrayLike, top: int, seed: int = 0) -> Common:
    """Fit the mean of normalised embeddings and their `top` leading principal directions."""
    arr = l2_normalize(vectors)
    mean = arr.mean(axis=0).astype(np.float32)
    if top <= 0:
        return Common(mean, np.zeros((0, arr.shape[1]), dtype=np.float32))
    from sklearn.decomposition import PCA

    n_components = max(1, min(top, arr.shape[0] - 1, arr.shape[1]))
    pca = PCA(n_components=n_components, random_state=seed, svd_solver="full").fit(arr)
    return Common(mean, pca.components_.astype(np.float32))


@dataclass(frozen=True)
class Clustering:
    """Labels 0..k-1 for every input row, the centroids (reduced space) and the projection."""

    labels: IntArray
    centroids: FloatArray  # (k, dims), unit length
    projection: Projection
    noise: int  # rows HDBSCAN left out before they joined the nearest centroid

    @property
    def count(self) -> int:
        """Return the number of clusters."""
        return int(self.centroids.shape[0])


def centroids_of(points: FloatArray, labels: IntArray, k: int) -> FloatArray:
    """Return the unit-length mean of each label's points."""
    sums = np.zeros((k, points.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, points)
    return l2_normalize(sums)


def nearest(points: FloatArray, centroids: FloatArray,
            batch: int = 8192) -> tuple[IntArray, FloatArray]:
    """Return each point's nearest centroid and its cosine (points and centroids unit length)."""
    best = np.zeros(points.shape[0], dtype=np.int64)
    score = np.zeros(points.shape[0], dtype=np.float32)
    for start in range(0, points.shape[0], batch):
        sims = points[start:start + batch] @ centroids.T
        best[start:start + batch] = sims.argmax(axis=1)
        score[start:start + batch] = sims.max(axis=1)
    return best, score


#: A small deployment has small topics: below this many inquiries per unit of
#: min_cluster_size, the size shrinks (to 3 at least), so 20 inquiries can make three topics.
ROWS_PER_MIN_SIZE = 20
#: Rows per PCA component kept, and the fewest components kept (see `cluster`).
ROWS_PER_DIM = 30
MIN_DIMS = 10


def _hdbscan(points: FloatArray, config: ClusterConfig) -> IntArray:
    from sklearn.cluster import HDBSCAN

    size = max(3, min(config.min_cluster_size, points.shape[0] // ROWS_PER_MIN_SIZE))
    model = HDBSCAN(min_cluster_size=size, min_samples=config.min_samples,
                    cluster_selection_method=config.selection,
                    cluster_selection_epsilon=config.epsilon, copy=True)
    return np.asarray(model.fit_predict(points), dtype=np.int64)


def layout(vectors: FloatArray, config: ClusterConfig) -> FloatArray:
    """Return UMAP's layout of normalised embeddings (cosine neighbours), seeded."""
    import warnings

    import umap

    model = umap.UMAP(n_neighbors=min(config.neighbours, vectors.shape[0] - 1),
                      n_components=config.layout_dims, min_dist=0.0, metric="cosine",
                      random_state=config.seed, n_jobs=1)
    with warnings.catch_warnings():  # "n_jobs overridden by setting random_state": wanted
        warnings.simplefilter("ignore", UserWarning)
        return np.asarray(model.fit_transform(l2_normalize(vectors)), dtype=np.float32)


def _hdbscan_on_layout(vectors: FloatArray, config: ClusterConfig) -> tuple[IntArray, IntArray]:
    """Return HDBSCAN's labels on the layout (-1: noise) and every row's label once each
    noise point joined the cluster whose centroid in the layout is nearest."""
    from sklearn.cluster import HDBSCAN

    if config.drop_top >= 0:
        vectors = fit_common(vectors, config.drop_top, config.seed).remove(vectors)
    points = layout(vectors, config)
    model = HDBSCAN(min_cluster_size=config.layout_min_cluster_size,
                    cluster_selection_method=config.selection,
                    cluster_selection_epsilon=config.epsilon, copy=True)
    found = np.asarray(model.fit_predict(points), dtype=np.int64)
    joined = found.copy()
    members = found >= 0
    if members.any() and not members.all():
        ids = np.unique(found[members])
        centres = np.stack([points[found == i].mean(axis=0) for i in ids])
        gaps = ((points[~members][:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        joined[~members] = ids[gaps.argmin(axis=1)]
    return found, joined


def cluster(vectors: npt.ArrayLike, config: ClusterConfig | None = None) -> Clustering:
    """Cluster embeddings; every row gets a label (noise joins its nearest cluster)."""
    config = config or ClusterConfig()
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError("cluster needs a non-empty 2-d array of embeddings")
    n = arr.shape[0]
    rng = np.random.default_rng(config.seed)
    fit_rows = (np.sort(rng.choice(n, size=config.max_fit, replace=False))
                if n > config.max_fit else np.arange(n))
    # A few hundred inquiries are too few for 50 components (they went unreduced, and the
    # demo's 616 made one topic of 504; at 20 whitened components, 28 topics): keep about
    # one component per ROWS_PER_DIM rows, never fewer than MIN_DIMS nor more than configured.
    dims = min(config.dims, max(MIN_DIMS, len(fit_rows) // ROWS_PER_DIM))
    projection = fit_projection(arr[fit_rows], dims, config.seed)
    points = projection.transform(arr)
    if len(fit_rows) < max(2 * config.min_cluster_size, 3):
        labels = np.zeros(n, dtype=np.int64)  # too few to split: one group
        return Clustering(labels, centroids_of(points, labels, 1), projection, 0)
    if len(fit_rows) >= config.umap_min_rows:
        fit_labels, joined = _hdbscan_on_layout(arr[fit_rows], config)
    else:
        fit_labels = _hdbscan(points[fit_rows], config)
        joined = fit_labels
    found = sorted(set(fit_labels.tolist()) - {-1})
    if not found:
        labels = np.zeros(n, dtype=np.int64)
        return Clustering(labels, centroids_of(points, labels, 1), projection, n)
    remap = {old: new for new, old in enumerate(found)}
    fit_labels = np.asarray([remap.get(int(x), -1) for x in fit_labels], dtype=np.int64)
    joined = np.asarray([remap.get(int(x), -1) for x in joined], dtype=np.int64)
    members = fit_labels >= 0
    centroids = centroids_of(points[fit_rows][members], fit_labels[members], len(found))
    # Unsampled rows (and, on the PCA projection, noise): the nearest centroid there; noise
    # of a layout joined the nearest centroid of the layout.
    labels, _ = nearest(points, centroids)
    placed = joined >= 0
    labels[fit_rows[placed]] = joined[placed]
    noise = int((~members).sum()) + (n - len(fit_rows))
    # The centroids of what each cluster finally holds.
    return Clustering(labels, centroids_of(points, labels, len(found)), projection, noise)
