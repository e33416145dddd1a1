"""The clerical review queue: both records side by side, decisions update persons at once
and persist as constraints through later batch runs."""

from __future__ import annotations

from sqlalchemy import Engine, select

from joinedup.identity.batch_link import run_link
from joinedup.identity.clustering import Thresholds
from joinedup.identity.online.matcher import forget_matchers
from joinedup.identity.review import decide, list_items, next_item, show_item
from joinedup.store.schema.identity import MatchConstraint, PersonHistory, PersonLink, ReviewItem
from linkage_fixtures import install_model, make_people, write_partnership

LIMITS = Thresholds(upper=0.99, lower=0.70, guard=0.05)


def _person(engine: Engine, record_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(PersonLink.person_id).where(PersonLink.source_record_id == record_id)
            ).scalar_one()
        )


def test_decisions_update_persons_and_persist_through_runs(engine: Engine) -> None:
    # The process keeps one index per store URL; test stores reuse URLs and ids.
    forget_matchers()
    write_partnership(engine, make_people(60, seed=21), seed=22, error_rate=0.3)
    install_model(engine)
    run_link(engine, thresholds=LIMITS)
    items = list_items(engine)
    assert len(items) >= 3, "the partnership should raise some review items"

    first = next_item(engine)
    assert first is not None and first.status == "open"
    assert first.left["record"].count("/") == 2 and first.right["given_name"] is not None
    assert first.left["person_number"] != first.right["person_number"]
    assert {c["comparison"] for c in first.contributions} >= {"given_name", "date_of_birth"}
    assert LIMITS.lower <= first.match_probability <= 1

    same = decide(engine, first.id, "same", note="same NHS letter", actor="reviewer1")
    assert same.status == "decided" and same.decision == "same"
    a, b = same.left["record_id"], same.right["record_id"]
    assert _person(engine, a) == _person(engine, b)
    with engine.connect() as conn:
        kinds = conn.execute(
            select(MatchConstraint.kind).where(MatchConstraint.review_item_id == first.id)
        ).scalars()
        assert list(kinds) == ["must_link"]
        events = conn.execute(
            select(PersonHistory.event, PersonHistory.reason, PersonHistory.actor)
        ).all()
    assert any(
        e == "merged_into" and "same NHS letter" in (r or "") and who == "reviewer1"
        for e, r, who in events
    )

    # An item about other persons (a cannot-link inside the merged person would make the
    # batch's must-link a conflict, which it reports and does not apply).
    merged = {same.left["person_number"], same.right["person_number"]}
    second = next(
        i
        for i in list_items(engine)
        if i.id != first.id
        and not merged & {i.left["person_number"], i.right["person_number"]}
        and i.left["person_number"] != i.right["person_number"]
    )
    decide(engine, second.id, "different", actor="reviewer1")
    c, d = second.left["record_id"], second.right["record_id"]
    assert _person(engine, c) != _person(engine, d)

    third = next_item(engine)
    assert third is not None
    decide(engine, third.id, "unsure", note="could be her mother", actor="reviewer2")
    assert show_item(engine, third.id).status == "open"
    assert next_item(engine).id != third.id  # type: ignore[union-attr]

    # Later batch runs keep both decisions and raise neither pair again.
    for _ in range(2):
        run_link(engine, thresholds=LIMITS)
        assert _person(engine, a) == _person(engine, b)
        assert _person(engine, c) != _person(engine, d)
    with engine.connect() as conn:
        for item in (first, second):
            lo, hi = item.left["record_id"], item.right["record_id"]
            statuses = conn.execute(
                select(ReviewItem.status).where(
                    ReviewItem.record_id_l == lo, ReviewItem.record_id_r == hi
                )
            ).scalars()
            assert list(statuses) == ["decided"]
