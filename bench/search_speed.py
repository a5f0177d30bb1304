"""Query time of our search at 200, 2,000 and 10,000 generated sections: p50 and p95.

    .venv/bin/python bench/search_speed.py [--sizes 200 2000 10000] [--queries 300] [--lang ko]

With --lang ko the sections are Korean pages under /ko/, searched in the Korean index with the
Korean buyers' questions (HELPCENTER_KOREAN_ANALYZER picks the analysis, as for the service).

The timed queries are distinct (both relevance sets' questions, typos and all, and the prefixes the
help bar sends as they are typed), in a shuffled order, none of them asked during the warm-up; the
answer cache is also emptied before each one, so every timing is of a cold answer.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import tomllib
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
RELEVANCE_FILES = {"en": [PROJECT_DIR / "tests" / "relevance.toml",
                          PROJECT_DIR / "tests" / "relevance-buyers.toml"],
                   "ko": [PROJECT_DIR / "tests" / "relevance-ko-buyers.toml"]}
# "Also asked as" questions generated for each section, as authors add them to the articles.
ASKED_PER_SECTION = 3
SECTIONS_PER_PAGE = 10
# Where the as-you-type prefixes of a question are cut, as fractions of its length.
PREFIX_CUTS = (0.3, 0.45, 0.6, 0.75, 0.9)
WARMUP_QUERIES = 20

# Help-center words, so generated text has the term statistics of real articles, plus filler.
COMMON = """order parcel delivery tracking seller refund return exchange cancel payment shipping
postage carrier days window item package account email deposit store policy support message
confirm receipt customs address insurance claim damaged defective wrong size colour coupon game
funding pre-order bank paypal card chargeback dispute lost late missing delivered status
completed unpaid invoice transfer balance withdraw top-up label pickup courier warehouse""".split()
COMMON_KO = """주문 택배 배송 배송조회 판매자 환불 반품 교환
취소 결제 배송비 택배사 기간 상품 상자 계정
이메일 예치금 상점 정책 고객센터 메시지 구매확정
영수증 관세 주소 보험 청구 파손 불량 사이즈 색상
쿠폰 게임 펀딩 예약 은행 카드 차지백 분쟁 분실
지연 미수령 배송완료 상태 미결제 세금계산서
계좌이체 잔액 출금 충전 송장 회수 퀵서비스 창고
해요 나요 어요 있어요 없어요 돼요""".split()
# Syllables the generated filler words are made of.
SYLLABLES_KO = ("가나다라마바사아자차카타파하고노도로모보소오조초"
                "코토포호구누두루무부수우주추쿠투푸후기니디리미비시이지치키티피히")


def generate_site(site_dir: Path, sections: int, seed: int = 5,
                  language: str = "en") -> dict[str, list[str]]:
    """Write a built-site lookalike with the given number of sections (10 to a page).

    Returns "also asked as" questions for every section, keyed by section URL. Korean pages
    (language "ko") are written under ko/, with Korean words.
    """
    rng = random.Random(seed)
    if language == "ko":
        common = COMMON_KO
        filler = ["".join(rng.choice(SYLLABLES_KO) for _ in range(rng.randint(2, 5)))
                  for _ in range(5000)]
        prefix = "/ko"
    else:
        common = COMMON
        filler = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                          for _ in range(rng.randint(3, 10))) for _ in range(5000)]
        prefix = ""

    def sentence() -> str:
        words = [rng.choice(common) if rng.random() < 0.35 else rng.choice(filler)
                 for _ in range(rng.randint(8, 20))]
        return " ".join(words).capitalize() + "."

    def question() -> str:
        return " ".join(rng.choice(common) for _ in range(rng.randint(3, 7)))

    also_asked = {}
    pages = max(1, sections // SECTIONS_PER_PAGE)
    (site_dir / "index.html").parent.mkdir(parents=True, exist_ok=True)
    for number in range(pages):
        body = [f'<h1 id="page-{number}">{sentence()}</h1><p>{sentence()}</p>']
        for section in range(1, SECTIONS_PER_PAGE):
            anchor = f"s{section}-{rng.choice(COMMON)}"
            url = f"{prefix}/" if number == 0 else f"{prefix}/p{number}/"
            also_asked[f"{url}#{anchor}"] = [question() for _ in range(ASKED_PER_SECTION)]
            body.append(f'<h2 id="{anchor}">{sentence()}<a class="headerlink" href="#{anchor}">'
                        f"&para;</a></h2>" + "".join(f"<p>{sentence()}</p>" for _ in range(4)))
        html = (f"<html><head><title>Page {number}</title></head><body>"
                f'<article class="md-content__inner md-typeset">{"".join(body)}</article>'
                "</body></html>")
        path = site_dir / prefix.lstrip("/") / (
            "index.html" if number == 0 else f"p{number}/index.html")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    return also_asked


def percentile(samples: list[float], fraction: float) -> float:
    """The value below which the given fraction of samples falls."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def workload(questions: list[str], seed: int = 5) -> list[str]:
    """Distinct queries: each question and what the help bar sends while it is being typed."""
    queries = []
    for question in questions:
        queries.append(question)
        # The help bar asks as the buyer types (debounced): a few cuts of each question.
        queries.extend(question[: max(3, round(len(question) * cut))] for cut in PREFIX_CUTS)
    distinct = list(dict.fromkeys(query for query in queries if query.strip()))
    random.Random(seed).shuffle(distinct)
    return distinct


def main() -> None:
    """Generate, index and query each size; print build time and p50/p95 query times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 10000])
    parser.add_argument("--queries", type=int, default=300, help="timed queries per size")
    parser.add_argument("--lang", choices=sorted(RELEVANCE_FILES), default="en",
                        help="the language of the sections and questions")
    args = parser.parse_args()

    from search import build_index
    from search import open_index
    from search.language import load_language

    questions = [case["q"] for path in RELEVANCE_FILES[args.lang]
                 for case in tomllib.loads(path.read_text())["case"]]
    queries = workload(questions)
    # Warm up with queries that are never timed, as a running service has warm caches.
    warmup, timed = queries[:WARMUP_QUERIES], queries[WARMUP_QUERIES:]
    print(f"{'sections':>9}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            site_dir = Path(tmp) / "site"
            also_asked = generate_site(site_dir, size, language=args.lang)
            if args.lang != "en":
                # The index needs the site's home page; the sections are all under /ko/.
                (site_dir / "index.html").write_text("<html></html>", encoding="utf-8")
            started = time.perf_counter()
            count = build_index(site_dir, Path(tmp) / "index", also_asked=also_asked)
            build_seconds = time.perf_counter() - started
            opened = open_index(Path(tmp) / "index", language=load_language(args.lang))
            for query in warmup:
                opened.search(query, 10)
            timings = []
            for i in range(args.queries):
                query = timed[i % len(timed)]
                # Cold: no answer remembered from the warm-up or from an earlier round.
                opened.clear_cache()
                started = time.perf_counter()
                opened.search(query, 10)
                timings.append((time.perf_counter() - started) * 1000)
            opened.close()
        print(f"{count:>9}{build_seconds:>9.1f}{statistics.median(timings):>9.2f}"
              f"{percentile(timings, 0.95):>9.2f}{max(timings):>9.2f}")


if __name__ == "__main__":
    main()
