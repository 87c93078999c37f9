"""How a person is drawn: colour, opacity, solid or wireframe. Shared by the GL renderer and the 2D fallback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PersonStyle:
    color: tuple[float, float, float] = (0.9, 0.55, 0.35)  # RGB in [0, 1]
    opacity: float = 1.0  # 1 = opaque, 0 = not drawn
    wireframe: bool = False
    visible: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.opacity <= 1.0:
            raise ValueError(f"opacity must lie in [0, 1], got {self.opacity}")
        if len(self.color) != 3 or not all(0.0 <= c <= 1.0 for c in self.color):
            raise ValueError(f"color must be three numbers in [0, 1], got {self.color}")

    @property
    def color_u8(self) -> tuple[int, int, int]:
        return tuple(int(round(255 * c)) for c in self.color)  # type: ignore[return-value]


# Person A warm, person B cool: the two must stay distinguishable for colour-blind users (orange vs. blue).
DEFAULT_STYLES: tuple[PersonStyle, PersonStyle] = (PersonStyle((0.93, 0.55, 0.25)), PersonStyle((0.3, 0.55, 0.9)))
