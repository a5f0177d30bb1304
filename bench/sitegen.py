"""Generated help centers for the build and browser benchmarks: our articles plus N more.

The generated articles sit outside the navigation, listed on category pages (as a large help
center lists them), so the build grows with the number of pages, not with its square.

    .venv/bin/python bench/sitegen.py PAGES DIR   # writes DIR/docs and DIR/mkdocs.yml
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_speed import COMMON  # noqa: E402  (the search engineer's help-center vocabulary)

ARTICLES_PER_CATEGORY = 50
TOPICS = ["Refunds", "Returns", "Delivery", "Tracking", "Payments", "Sellers", "Customs",
          "Coupons", "Exchanges", "Cancellations", "Accounts", "Shipping costs"]


def _sentence(rng: random.Random, filler: list[str]) -> str:
    words = [rng.choice(COMMON) if rng.random() < 0.4 else rng.choice(filler)
             for _ in range(rng.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def write_docs(docs_dir: Path, articles: int, seed: int = 11) -> None:
    """Copy our articles into docs_dir and add `articles` generated ones under library/."""
    shutil.copytree(PROJECT_DIR / "docs", docs_dir)
    rng = random.Random(seed)
    filler = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))
              for _ in range(4000)]
    library = docs_dir / "library"
    categories = max(1, -(-articles // ARTICLES_PER_CATEGORY))
    index = ["# Library", "", "Every article, by category.", ""]
    for category in range(categories):
        topic = TOPICS[category % len(TOPICS)]
        folder = library / f"c{category:03d}"
        folder.mkdir(parents=True)
        index.append(f"- [{topic} {category}](c{category:03d}/index.md)")
        listing = [f"# {topic} {category}", ""]
        first = category * ARTICLES_PER_CATEGORY
        for number in range(first, min(articles, first + ARTICLES_PER_CATEGORY)):
            title = f"{topic}: {' '.join(rng.choice(COMMON) for _ in range(3))} ({number})"
            listing.append(f"- [{title}](a{number:05d}.md)")
            body = [f"# {title}", "", _sentence(rng, filler), ""]
            for section in range(rng.randint(3, 6)):
                heading = " ".join(rng.choice(COMMON) for _ in range(3)).capitalize()
                body += [f"## {heading} {section}", ""]
                for _ in range(rng.randint(2, 4)):
                    body += [" ".join(_sentence(rng, filler) for _ in range(3)), ""]
            # The policy hook runs on every page, as on our own articles.
            body += ["You have {{ policy.return_window_days }} days to ask for a return.", ""]
            (folder / f"a{number:05d}.md").write_text("\n".join(body), encoding="utf-8")
        (folder / "index.md").write_text("\n".join(listing) + "\n", encoding="utf-8")
    (library / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")


def write_config(work_dir: Path) -> Path:
    """A mkdocs.yml inheriting ours, on work_dir/docs, with the library added to the navigation."""
    from mkdocs.utils.yaml import get_yaml_loader

    parent = PROJECT_DIR / "mkdocs.yml"
    nav = yaml.load(parent.read_text(encoding="utf-8"), Loader=get_yaml_loader())["nav"]
    # Our config names theme/ relative to itself; the link makes that true here too.
    (work_dir / "theme").symlink_to(PROJECT_DIR / "theme")
    config = {"INHERIT": str(parent), "docs_dir": "docs",
              "nav": [*nav, {"Library": "library/index.md"}]}
    path = work_dir / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def generate(work_dir: Path, articles: int) -> Path:
    """Write a help center with `articles` generated articles; return its mkdocs.yml."""
    work_dir.mkdir(parents=True, exist_ok=True)
    write_docs(work_dir / "docs", articles)
    return write_config(work_dir)


def page_count(work_dir: Path) -> int:
    """How many Markdown pages the generated help center has."""
    return sum(1 for _ in (work_dir / "docs").rglob("*.md"))


if __name__ == "__main__":
    print(generate(Path(sys.argv[2]), int(sys.argv[1])))
