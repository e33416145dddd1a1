"""The online matcher: one record in the core format in, candidate persons out.

Each candidate carries the match probability, the match weight and the per-comparison
contributions of the best-scoring pair between the query and one of the person's records:
the very arithmetic of the batch link (`domain.match_scorer`, equal to Splink's scores,
tested) over the same blocking rules, with term frequencies from the indexed records.

`matcher_for(engine)` gives the process's matcher for a store: built on first use, then
refreshed from the store's high-water marks (see `loader`).
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine

from joinedup.domain.comparisons import auto_link_allowed
from joinedup.domain.match_scorer import ModelParams, PairScore, params_from_settings, score_pair
from joinedup.errors import InvalidInput
from joinedup.identity.clustering import Thresholds
from joinedup.identity.online.index import CandidateIndex, FeatureRow, to_features
from joinedup.identity.online.loader import FeatureBuilder, StoreState, load

DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class MatchCandidate:
    """A person the record may belong to, with the explanation of its best pair."""

    person_id: int
    person_number: str | None
    person_status: str | None
    record_id: int
    match_probability: float
    match_weight: float
    contributions: tuple[dict[str, Any], ...]
    auto_link_allowed: bool

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["contributions"] = list(self.contributions)
        return out


@dataclass
class MatchResult:
    """Candidates best first; `decision` is what `register` would do with the record."""

    candidates: list[MatchCandidate] = field(default_factory=list)
    decision: str = "new"  # link | review | new
    model_version: int = 0
    thresholds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "model_version": self.model_version,
            "thresholds": self.thresholds,
            "candidates": [c.as_dict() for c in self.candidates],
        }


def _contributions(score: PairScore) -> tuple[dict[str, Any], ...]:
    return tuple(
        {"comparison": c.comparison, "level": c.level, "gamma": c.gamma, "weight": c.weight}
        for c in score.contributions
    )


class OnlineMatcher:
    """Candidate index + model parameters + thresholds, for one store."""

    def __init__(
        self,
        settings: Mapping[str, Any],
        thresholds: Thresholds,
        *,
        model_version: int = 0,
        builder: FeatureBuilder | None = None,
    ) -> None:
        self.params: ModelParams = params_from_settings(settings)
        self.thresholds = thresholds
        self.model_version = model_version
        self.builder = builder or FeatureBuilder()
        self.index = CandidateIndex()
        self.state = StoreState()
        self.lock = threading.RLock()
        # Held by the one thread bringing the index up to date for matches.
        self._refreshing = threading.Lock()
        self.refreshed_at = 0.0

    # --- keeping current ------------------------------------------------------------

    def refresh(self, engine: Engine) -> int:
        """Apply what changed in the store since the last load (everything the first time)."""
        with self.lock:
            first = self.refreshed_at == 0.0
            applied = load(engine, self.index, self.state, self.builder)
            self.refreshed_at = time.monotonic()
            if first:
                # The index is long-lived: keep the collector from walking it again and
                # again (a full collection over millions of tuples is a latency spike).
                gc.collect()
                gc.freeze()
            return applied

    def refresh_if_stale(self, engine: Engine, max_age: float, *, wait: bool = False) -> None:
        """Refresh when older than `max_age` seconds. Unless told to `wait`, a thread that
        finds another already at it goes on matching against the index as it is (at most
        a moment old) rather than queue behind it, each to read the same changes again."""
        if not self._refreshing.acquire(blocking=wait):
            return
        try:
            if time.monotonic() - self.refreshed_at <= max_age:
                return  # refreshed while this thread was on its way
            from joinedup.identity.model import load_model

            model = load_model(engine)
            if model.version != self.model_version:
                with self.lock:
                    self.params = params_from_settings(model.settings)
                    self.model_version = model.version
            self.refresh(engine)
        finally:
            self._refreshing.release()

    def add_record(
        self, record_id: int, record: Mapping[str, Any], person_id: int | None = None
    ) -> None:
        """Index a record just written (a registration), and its person."""
        with self.lock:
            self.index.add(record_id, self.builder.row(record))
            if person_id is not None:
                self.state.person_of[record_id] = person_id

    # --- scoring --------------------------------------------------------------------

    def features(self, record: Mapping[str, Any]) -> FeatureRow:
        return self.builder.row(record)

    def score(self, left: FeatureRow, right: FeatureRow) -> PairScore:
        return score_pair(
            to_features(left), to_features(right), self.params, self.index.term_frequencies()
        )

    def score_records(self, record_a: int, record_b: int) -> PairScore:
        """The score of two indexed records (what the batch link gives the same pair)."""
        with self.lock:
            return self.score(self.index.rows[record_a], self.index.rows[record_b])

    def match_row(
        self, row: FeatureRow, limit: int = DEFAULT_LIMIT, exclude: int | None = None
    ) -> MatchResult:
        with self.lock:
            best: dict[int, MatchCandidate] = {}
            tf = self.index.term_frequencies()
            query = to_features(row)
            for record_id in self.index.candidates(row, exclude=exclude):
                other = self.index.rows[record_id]
                score = score_pair(query, to_features(other), self.params, tf)
                person_id = self.state.person_of.get(record_id, -record_id)
                current = best.get(person_id)
                if current is not None and current.match_weight >= score.match_weight:
                    continue
                gammas = {c.comparison: c.gamma for c in score.contributions}
                best[person_id] = MatchCandidate(
                    person_id=person_id,
                    person_number=self.state.number_of.get(person_id),
                    person_status=self.state.status_of.get(person_id),
                    record_id=record_id,
                    match_probability=score.match_probability,
                    match_weight=score.match_weight,
                    contributions=_contributions(score),
                    auto_link_allowed=auto_link_allowed(gammas),
                )
        ranked = sorted(best.values(), key=lambda c: (-c.match_weight, c.person_id))
        result = MatchResult(
            candidates=ranked[:limit],
            model_version=self.model_version,
            thresholds={"upper": self.thresholds.upper, "lower": self.thresholds.lower},
        )
        result.decision = self.decide(result.candidates)
        return result

    def decide(self, candidates: Sequence[MatchCandidate]) -> str:
        """link: the best allowed candidate clears the upper threshold; review: some allowed
        candidate is in the review band; new otherwise (the batch link's rules)."""
        allowed = [c for c in candidates if c.auto_link_allowed and c.person_id > 0]
        if allowed and allowed[0].match_probability >= self.thresholds.upper:
            return "link"
        if any(c.match_probability >= self.thresholds.lower for c in allowed):
            return "review"
        return "new"

    def match(self, record: Mapping[str, Any], limit: int = DEFAULT_LIMIT) -> MatchResult:
        """Candidate persons for one core-format record, best first."""
        return self.match_row(self.features(record), limit)


_MATCHERS: dict[str, OnlineMatcher] = {}
_MATCHERS_LOCK = threading.Lock()
MAX_AGE_SECONDS = 1.0


def matcher_for(
    engine: Engine, *, max_age: float = MAX_AGE_SECONDS, thresholds: Thresholds | None = None
) -> OnlineMatcher:
    """This process's matcher for `engine`'s store, loaded on first use and refreshed when
    older than `max_age` seconds (or when a newer model was trained)."""
    from joinedup.identity.batch_link import thresholds_from_settings
    from joinedup.identity.model import load_model

    key = engine.url.render_as_string(hide_password=True)
    with _MATCHERS_LOCK:
        matcher = _MATCHERS.get(key)
        if matcher is None:
            model = load_model(engine)
            matcher = OnlineMatcher(
                model.settings,
                thresholds or thresholds_from_settings(),
                model_version=model.version,
            )
            matcher.refresh(engine)
            _MATCHERS[key] = matcher
            return matcher
    if time.monotonic() - matcher.refreshed_at > max_age:
        # max_age 0 asks for the store as it is now: wait for a refresh under way.
        matcher.refresh_if_stale(engine, max_age, wait=max_age <= 0)
    return matcher


def forget_matchers() -> None:
    """Drop every cached matcher (tests; a process that switches stores)."""
    with _MATCHERS_LOCK:
        _MATCHERS.clear()


def match_record(
    engine: Engine, record: Mapping[str, Any], limit: int = DEFAULT_LIMIT
) -> MatchResult:
    """The service behind `joinedup match`, FHIR `$match` and search: candidates for one
    record from this process's index of the store."""
    return matcher_for(engine).match(_clean(record), limit)


def _clean(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: (v if v != "" else None) for k, v in record.items()}
    dob = out.get("date_of_birth")
    if dob is not None and not isinstance(dob, str):
        out["date_of_birth"] = dob.isoformat()
    text_dob = out.get("date_of_birth")
    if isinstance(text_dob, str):
        try:
            dt.date.fromisoformat(text_dob[:10])
        except ValueError as exc:
            raise InvalidInput(
                f"date_of_birth {out['date_of_birth']!r} is not a date (YYYY-MM-DD)."
            ) from exc
    return out
