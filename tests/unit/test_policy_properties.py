"""Property tests of the policy decision point over random partnerships.

Random organisations, datasets, agreements (any status and validity), consents and
break-glass grants, and random requests: whatever they are, a decision never gives more than
one agreement in force allows, never ignores a refusal without a valid break-glass grant, and
never grants more when an agreement is taken away or a refusal added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from joinedup.domain.levels import Aggregation, Detail
from joinedup.domain.policy import (
    AGREEMENT_STATUSES,
    LEGAL_BASES,
    PERSON_LEVEL_KINDS,
    REQUEST_KINDS,
    ROLES,
    AgreementTerms,
    BreakGlassGrant,
    ConsentEntry,
    Decision,
    Request,
    Requester,
    SourceDataset,
    decide,
)

NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
ORGS = [1, 2, 3, 4]
DATASETS = [SourceDataset(o, o * 10 + k) for o in ORGS for k in (0, 1)]
# Few purposes and roles, so random agreements often apply to random requests.
PURPOSES = ["safeguarding", "care_coordination", "research"]
SOME_ROLES = ["practitioner", "analyst", "data_owner"]

# Strategies are built once here: building them inside the composites costs more than
# drawing from them.
BOOLS = st.booleans()
ORG = st.sampled_from(ORGS)
ORG_LIST = st.lists(ORG, unique=True)
ROLE_LIST = st.lists(st.sampled_from(SOME_ROLES), unique=True)
PURPOSE = st.sampled_from(PURPOSES)
PURPOSE_LIST = st.lists(PURPOSE, min_size=1, unique=True)
ANY_PURPOSE = st.sampled_from(["safeguarding", *PURPOSES])
OWN_DATASETS = {
    o: st.lists(
        st.sampled_from([d.dataset_id for d in DATASETS if d.organisation_id == o]),
        min_size=1,
        unique=True,
    )
    for o in ORGS
}
DAY_OFFSET = st.integers(min_value=-400, max_value=400)
AHEAD = st.integers(0, 400)
OPTIONAL_DAY_OFFSET = st.none() | DAY_OFFSET
SMALL = st.integers(1, 3)
details = st.sampled_from(list(Detail))
some_detail = st.sampled_from(list(Detail)[1:])
aggregations = st.sampled_from(list(Aggregation))
BASIS = st.sampled_from(LEGAL_BASES)
STATUS = st.sampled_from(["active", *AGREEMENT_STATUSES])
DECISION = st.sampled_from(["permit", "deny"])


def _day(offset: int | None) -> dt.date | None:
    return None if offset is None else TODAY + dt.timedelta(days=offset)


@st.composite
def agreements(draw: st.DrawFn, agreement_id: int, aim: dict) -> AgreementTerms:
    """A random agreement; half the time aimed at the request (same provider, dataset,
    recipient and purpose) so that decisions often rest on one."""
    aimed = draw(BOOLS)
    provider = draw(aim["target"]).organisation_id if aimed else draw(ORG)
    dataset_ids = set(draw(OWN_DATASETS[provider]))
    orgs = set(draw(ORG_LIST))
    roles = set(draw(ROLE_LIST))
    purposes = set(draw(PURPOSE_LIST))
    if aimed:
        dataset_ids |= {
            d.dataset_id for d in aim["request"].datasets if d.organisation_id == provider
        }
        purposes.add(aim["purpose"])
        if draw(BOOLS):
            orgs.add(aim["requester"].organisation_id)
        else:
            roles.add(draw(aim["role"]))
    if aimed and draw(BOOLS):  # in force today
        status = "active"
        start = _day(-draw(AHEAD))
        end = _day(draw(st.none() | AHEAD))
    else:
        status = draw(STATUS)
        start = _day(draw(DAY_OFFSET))
        end = _day(draw(OPTIONAL_DAY_OFFSET))
        if end is not None and start is not None and end < start:
            start, end = end, start
    assert start is not None
    return AgreementTerms(
        agreement_id=agreement_id,
        version=draw(SMALL),
        code=f"A{agreement_id}",
        provider_organisation_id=provider,
        dataset_ids=frozenset(dataset_ids),
        recipient_organisation_ids=frozenset(orgs),
        recipient_roles=frozenset(roles),
        purposes=frozenset(purposes),
        max_detail=draw(some_detail) if aimed else draw(details),
        finest_aggregation=Aggregation.PERSON if aimed and draw(BOOLS) else draw(aggregations),
        legal_basis=draw(BASIS),
        status=status,
        valid_from=start,
        valid_to=end,
    )


@st.composite
def consents(draw: st.DrawFn, consent_id: int, aim: dict) -> ConsentEntry:
    """A random permit or refusal; often for the requester's organisation and purpose."""
    return ConsentEntry(
        decision=draw(DECISION),
        recipient_organisation_id=draw(st.none() | aim["own_org"] | ORG),
        purpose=draw(st.none() | aim["own_purpose"] | PURPOSE),
        dataset_id=draw(st.none() | aim["dataset_id"]),
        valid_from=_day(draw(OPTIONAL_DAY_OFFSET)),
        valid_to=_day(draw(OPTIONAL_DAY_OFFSET)),
        withdrawn=draw(BOOLS),
        consent_id=consent_id,
    )


requesters = st.builds(
    Requester,
    user_id=SMALL,
    organisation_id=ORG,
    roles=st.frozensets(st.sampled_from(list(ROLES)), min_size=1)
    | st.just(frozenset({"practitioner"})),
)

requests = st.builds(
    Request,
    kind=st.sampled_from(["person_view", *REQUEST_KINDS]),
    datasets=st.lists(st.sampled_from(DATASETS), min_size=1, max_size=4, unique=True).map(tuple),
    # Asking for no detail at all is a corner case: keep it rare.
    detail=st.sampled_from([*list(Detail)[1:] * 3, Detail.NONE]),
    aggregation=aggregations,
    person_id=st.sampled_from([1, 2]),
)

HOURS_AGO_AIMED = st.integers(0, 5)
HOURS_AGO = st.integers(-2, 30)
LASTS = st.integers(1, 24)


@st.composite
def grants(draw: st.DrawFn, aim: dict, aimed: bool | None = None) -> BreakGlassGrant:
    """A break-glass grant, often the requester's own for this person."""
    if aimed is None:
        aimed = draw(BOOLS)
    granted = NOW - dt.timedelta(hours=draw(HOURS_AGO_AIMED if aimed else HOURS_AGO))
    return BreakGlassGrant(
        grant_id=1,
        user_id=aim["requester"].user_id if aimed else draw(SMALL),
        organisation_id=aim["requester"].organisation_id if aimed else draw(ORG),
        person_id=aim["request"].person_id if aimed else draw(st.sampled_from([1, 2])),
        purpose="safeguarding" if aimed else draw(PURPOSE),
        detail=draw(details),
        granted_at=granted,
        expires_at=granted + dt.timedelta(hours=draw(LASTS)),
    )


N_AGREEMENTS = st.integers(0, 6)
N_CONSENTS = st.integers(0, 4)


@st.composite
def worlds(draw: st.DrawFn, glass: bool = False) -> dict:
    """A random partnership and request; `glass` makes it a practitioner's safeguarding
    person view with their own break-glass grant (mostly valid)."""
    requester = draw(requesters)
    request = draw(requests)
    if glass:
        requester = replace(requester, roles=requester.roles | {"practitioner"})
        request = replace(request, kind="person_view")
    purpose = "safeguarding" if glass else draw(ANY_PURPOSE)
    aim = {
        "requester": requester,
        "purpose": purpose,
        "request": request,
        "target": st.sampled_from(request.datasets),
        "dataset_id": st.sampled_from([d.dataset_id for d in request.datasets]),
        "role": st.sampled_from(sorted(requester.roles)),
        "own_org": st.just(requester.organisation_id),
        "own_purpose": st.just(purpose),
    }
    agreement_list = [draw(agreements(i + 1, aim)) for i in range(draw(N_AGREEMENTS))]
    consent_list = [draw(consents(i + 1, aim)) for i in range(draw(N_CONSENTS))]
    grant = draw(grants(aim, aimed=True)) if glass else draw(st.none() | grants(aim))
    return {
        "requester": requester,
        "purpose": purpose,
        "request": request,
        "agreements": agreement_list,
        "consents": consent_list,
        "grant": grant,
    }


any_worlds = worlds() | worlds(glass=True)


def _decide(w: dict) -> tuple[Decision, ...]:
    return decide(
        w["requester"], w["purpose"], w["request"], w["agreements"], w["consents"], w["grant"], NOW
    )


def _grant_valid(w: dict) -> bool:
    """Break-glass conditions, stated independently of the implementation."""
    g, r, req = w["grant"], w["requester"], w["request"]
    return (
        g is not None
        and g.user_id == r.user_id
        and g.organisation_id == r.organisation_id
        and "practitioner" in r.roles
        and w["purpose"] == "safeguarding" == g.purpose
        and req.kind == "person_view"
        and g.person_id == req.person_id
        and g.granted_at <= NOW < g.expires_at
    )


def _applies(c: ConsentEntry, w: dict, dataset_id: int) -> bool:
    return (
        not c.withdrawn
        and c.recipient_organisation_id in (None, w["requester"].organisation_id)
        and c.purpose in (None, w["purpose"])
        and c.dataset_id in (None, dataset_id)
        and (c.valid_from is None or c.valid_from <= TODAY)
        and (c.valid_to is None or c.valid_to >= TODAY)
    )


def _agreement_allows(a: AgreementTerms, w: dict, d: Decision) -> bool:
    r = w["requester"]
    return (
        a.status == "active"
        and a.valid_from <= TODAY
        and (a.valid_to is None or a.valid_to >= TODAY)
        and a.provider_organisation_id == d.dataset.organisation_id
        and d.dataset.dataset_id in a.dataset_ids
        and w["purpose"] in a.purposes
        and (r.organisation_id in a.recipient_organisation_ids or bool(a.recipient_roles & r.roles))
        and d.detail <= a.max_detail
        and d.aggregation is not None
        and d.aggregation >= a.finest_aggregation
    )


def _grants_more(new: Decision, old: Decision) -> bool:
    if new.allowed and not old.allowed:
        return True
    if not new.allowed:
        return False
    assert new.aggregation is not None and old.aggregation is not None
    return new.detail > old.detail or new.aggregation < old.aggregation


@settings(max_examples=200)
@given(any_worlds)
def test_never_exceeds_what_an_agreement_in_force_allows(w: dict) -> None:
    req: Request = w["request"]
    decisions = _decide(w)
    assert [d.dataset for d in decisions] == list(req.datasets)
    for d in decisions:
        assert d.reasons, "every decision says why"
        if not d.allowed:
            assert d.detail == Detail.NONE and d.aggregation is None
            continue
        assert d.detail <= req.detail and d.detail > Detail.NONE
        assert d.aggregation is not None
        if req.kind in PERSON_LEVEL_KINDS:
            assert d.aggregation == Aggregation.PERSON
        else:
            assert d.aggregation >= req.aggregation
        if d.own_organisation:
            assert d.dataset.organisation_id == w["requester"].organisation_id
            continue
        if d.break_glass:
            assert _grant_valid(w) and d.detail <= w["grant"].detail
            continue
        (used,) = [a for a in w["agreements"] if a.agreement_id == d.agreement_id]
        assert _agreement_allows(used, w, d), (used, d)
        if used.legal_basis == "consent":
            assert any(
                c.decision == "permit" and _applies(c, w, d.dataset.dataset_id)
                for c in w["consents"]
            )


@settings(max_examples=200)
@given(any_worlds)
def test_never_ignores_a_refusal_without_break_glass(w: dict) -> None:
    for d in _decide(w):
        refused = any(
            c.decision == "deny" and _applies(c, w, d.dataset.dataset_id) for c in w["consents"]
        )
        if refused and d.allowed and not d.own_organisation:
            assert d.break_glass and _grant_valid(w)
            assert "break-glass" in d.reasons


@settings(max_examples=150)
@given(any_worlds, st.data())
def test_adding_a_refusal_or_removing_an_agreement_never_grants_more(
    w: dict, data: st.DataObject
) -> None:
    before = _decide(w)
    if w["agreements"]:
        i = data.draw(st.integers(0, len(w["agreements"]) - 1))
        fewer = {**w, "agreements": w["agreements"][:i] + w["agreements"][i + 1 :]}
        for new, old in zip(_decide(fewer), before, strict=True):
            assert not _grants_more(new, old)
    refusal = ConsentEntry(
        "deny",
        data.draw(st.none() | st.sampled_from(ORGS)),
        data.draw(st.none() | st.sampled_from(PURPOSES)),
    )
    more = {**w, "consents": [*w["consents"], refusal]}
    for new, old in zip(_decide(more), before, strict=True):
        assert not _grants_more(new, old)


@settings(max_examples=100)
@given(worlds())
def test_own_organisation_always_sees_its_records_in_full(w: dict) -> None:
    for d in _decide(w):
        if d.dataset.organisation_id == w["requester"].organisation_id and w["request"].detail:
            assert d.allowed and d.own_organisation and d.detail == w["request"].detail


@settings(max_examples=150)
@given(any_worlds)
def test_break_glass_flag_only_with_a_valid_grant(w: dict) -> None:
    flagged = [d for d in _decide(w) if d.break_glass]
    if flagged:
        assert _grant_valid(w)
    # The same request without the grant never grants more than with it.
    without = _decide({**w, "grant": None})
    for new, old in zip(without, _decide(w), strict=True):
        assert not _grants_more(new, old)
        assert not new.break_glass


@given(worlds())
def test_decisions_are_deterministic_and_ignore_agreement_order(w: dict) -> None:
    reordered = {**w, "agreements": list(reversed(w["agreements"]))}
    assert _decide(w) == _decide(reordered)


def test_an_agreement_not_naming_the_dataset_shares_nothing() -> None:
    terms = AgreementTerms(
        1, 1, "A1", 1, frozenset({10}), frozenset({2}), frozenset(), frozenset({"research"}),
        Detail.FULL, Aggregation.PERSON, "public_task", "active", TODAY,
    )  # fmt: skip
    requester = Requester(5, 2, frozenset({"analyst"}))
    request = Request("person_view", (SourceDataset(1, 11), SourceDataset(1, 10)), person_id=1)
    other, named = decide(requester, "research", request, [terms], now=NOW)
    assert not other.allowed and named.allowed
    assert named.detail == Detail.FULL and named.agreement_id == 1
    # ...and the same agreement, ended, shares nothing.
    ended = decide(requester, "research", request, [replace(terms, status="ended")], now=NOW)
    assert not any(d.allowed for d in ended)
