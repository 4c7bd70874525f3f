"""Where the show stands in the rotation: everything needed to continue it exactly, and how it is saved.

A round holds the answers listed when it began (`members`, in filename
order) and draws them through a permutation keyed by the seed and the round
number (kiosk.core.shuffle), so the round's place is one number. What to
show next from here is kiosk.core.playlist's job; this module is the state
it moves on, as saved with every slide (kiosk.boundary.state, and the play
log's small `position()`, kiosk.core.journal).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from kiosk.core.catalogue import Slide
from kiosk.core.shuffle import permuted


@dataclass(frozen=True, eq=False)
class Rotation:
    """Where the show stands: everything needed to continue it exactly.

    Two rotations are equal when they would continue the same way: their
    members compared by path, whether held as paths or as slides.
    """

    seed: int
    round: int = 0
    # The round's answers, in filename order when it began: their paths, or (a round begun by
    # this kiosk) the catalogue's own tuple of slides, taken as it is: no pass over 20,000.
    members: tuple[str | Slide, ...] = ()
    shuffled: bool = True  # drawn through the round's permutation; False: in the order of `members`
    drawn: int = 0  # positions of `members` passed
    first_swapped: bool = False  # positions 0 and 1 swap: the round does not begin with the answer just shown
    fresh: tuple[str, ...] = ()  # answers that arrived during the round, in the order they came
    fresh_drawn: int = 0
    deferred: tuple[str, ...] = ()  # passed over while they could not be shown; first once they can
    last_answer: str | None = None
    last_contribute: str | None = None
    answers_since_contribute: int | None = None
    last_override: str | None = None  # the override shown last, while overrides are in the folder
    # The catalogue whose answers the rotation has taken in: (lineage, generation). Not saved.
    taken_in: tuple[int, int] | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self) if field.name != "taken_in"}
        return data | {"members": [member_path(member) for member in self.members], "fresh": list(self.fresh),
                       "deferred": list(self.deferred)}

    def _compared(self) -> tuple[object, ...]:
        return tuple(getattr(self, field.name) for field in dataclasses.fields(self)
                     if field.name not in ("members", "taken_in")) + (tuple(map(member_path, self.members)),)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rotation):
            return NotImplemented
        if self.members is not other.members and len(self.members) != len(other.members):
            return False
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def member(self, position: int) -> str:
        """The path of the answer drawn at this position of the round."""
        return member_path(self.members[_member_at(self, position)])

    def position(self) -> dict[str, Any]:
        """The part that changes at every slide: small, for the play log (kiosk.core.journal)."""
        return {
            "round": self.round, "drawn": self.drawn, "fresh_drawn": self.fresh_drawn,
            "deferred": list(self.deferred), "last_answer": self.last_answer,
            "last_contribute": self.last_contribute, "answers_since_contribute": self.answers_since_contribute,
            "last_override": self.last_override,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Rotation":
        """Rebuilds a rotation from `to_json()` output, or from an earlier kiosk's; raises ValueError if malformed."""
        try:
            if "members" not in data and ("bag" in data or "seen" in data):
                return cls._from_bag(data)
            rotation = cls(
                seed=int(data["seed"]),
                round=int(data.get("round", 0)),
                members=_paths(data.get("members", ())),
                shuffled=bool(data.get("shuffled", True)),
                drawn=int(data.get("drawn", 0)),
                first_swapped=bool(data.get("first_swapped", False)),
                fresh=_paths(data.get("fresh", ())),
                fresh_drawn=int(data.get("fresh_drawn", 0)),
                **_small_fields(data),
            )
        except (KeyError, TypeError, AttributeError, OverflowError) as exc:
            raise ValueError(f"malformed rotation state: {str(exc)[:200]}") from None
        return rotation.checked()

    @classmethod
    def _from_bag(cls, data: dict[str, Any]) -> "Rotation":
        """The format of kiosks before 2026-12: the round's shuffled bag still to show, and those seen.

        The seen ones come first and count as drawn; the bag follows in its own order.
        """
        seen, bag = _paths(data.get("seen", ())), _paths(data.get("bag", ()))
        return cls(
            seed=int(data["seed"]),
            round=int(data.get("round", 0)),
            members=seen + bag,
            shuffled=False,
            drawn=len(seen),
            **_small_fields(data),
        ).checked()

    def with_position(self, position: dict[str, Any]) -> "Rotation":
        """This rotation moved on to a `position()` written later in the same round; ValueError if it cannot be."""
        try:
            moved = dataclasses.replace(
                self,
                round=int(position["round"]),
                drawn=int(position["drawn"]),
                fresh_drawn=int(position["fresh_drawn"]),
                **_small_fields(position),
            )
        except (KeyError, TypeError, AttributeError, OverflowError) as exc:
            raise ValueError(f"malformed rotation position: {str(exc)[:200]}") from None
        if moved.round != self.round:
            raise ValueError("the position belongs to another round")
        return moved.checked()

    def checked(self) -> "Rotation":
        """Itself if every number is in range; ValueError otherwise (it came from a file)."""
        if self.round < 0 or not 0 <= self.drawn <= len(self.members) or not 0 <= self.fresh_drawn <= len(self.fresh):
            raise ValueError("rotation position out of range")
        if self.answers_since_contribute is not None and not 0 <= self.answers_since_contribute <= 1_000_000:
            raise ValueError("rotation count out of range")
        return self


def member_path(member: str | Slide) -> str:
    return member if isinstance(member, str) else member.path


def _small_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The fields that change at every slide, as the saved state and the play log carry them."""
    return {
        "deferred": _paths(data.get("deferred", ())),
        "last_answer": _optional_str(data.get("last_answer")),
        "last_contribute": _optional_str(data.get("last_contribute")),
        "answers_since_contribute": _optional_int(data.get("answers_since_contribute")),
        "last_override": _optional_str(data.get("last_override")),
    }


def _paths(value: object) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise TypeError("a list of paths was expected")
    return tuple(str(p) for p in value)


@dataclass(frozen=True)
class SavedState:
    """What survives a restart: the rotation, and the files known not to decode in their present version."""

    rotation: Rotation
    unusable: dict[str, tuple[int, int]] = field(default_factory=dict)


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _optional_int(value: object) -> int | None:
    # Whatever a saved file holds: int() raises for anything else, and from_json says it is malformed.
    return None if value is None else int(value)  # type: ignore[call-overload]  # any value: int() is the check


def _member_at(rotation: Rotation, position: int) -> int:
    """Which of the round's members is drawn at this position."""
    if rotation.first_swapped and position < 2:
        position = 1 - position
    if not rotation.shuffled:
        return position
    return permuted(f"{rotation.seed}:{rotation.round}", len(rotation.members), position)
