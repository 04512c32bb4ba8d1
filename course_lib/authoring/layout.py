"""Where a course's notebooks live: lessons, solutions (the source) and the exercises generated from them."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CourseLayout:
    """The folders of a course checkout."""

    root: Path

    @property
    def manifest(self) -> Path:
        """The course manifest."""
        return self.root / "course_lib" / "course.toml"

    @property
    def references(self) -> Path:
        """Where the reference records of the solutions go (`checks/references/`, shipped in the package)."""
        return self.root / "course_lib" / "checks" / "references"

    @property
    def classroom_workflow(self) -> Path:
        """The GitHub Classroom autograding workflow of the whole course, generated from the manifest."""
        return self.root / "deploy" / "github-classroom" / "classroom.yml"

    @property
    def readme(self) -> Path:
        """The README, whose outline is generated from the manifest."""
        return self.root / "README.md"

    @property
    def lessons(self) -> list[Path]:
        """The lesson notebooks, in course order."""
        return sorted((self.root / "notebooks").glob("*.ipynb"))

    @property
    def solutions(self) -> list[Path]:
        """The solution notebooks, in course order."""
        return sorted((self.root / "solutions").glob("*.ipynb"))

    def exercise_for(self, solution: Path) -> Path:
        """Where the exercise generated from a solution is written."""
        return self.root / "exercises" / solution.name

    @property
    def exercises(self) -> list[Path]:
        """The exercise notebooks, one per solution."""
        return [self.exercise_for(solution) for solution in self.solutions]
