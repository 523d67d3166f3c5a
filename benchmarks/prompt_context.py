"""Do the LLM's prompts hold the paper's context? Read every transcript of a benchmark's runs.

    python benchmarks/prompt_context.py benchmarks/results/llm-paired [--history-depth 2]

For each prompt: which ancestors a node had (the lineage ends at the first program whose
history is "none": a fresh sample of the design space) and which of them the prompt shows, up to
the history depth; whether this run's measurements are in it; its tokens and seconds. Writes
``prompt_context.md`` and ``.json`` into the benchmark's directory.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path

from reasoning_compiler.benchmark import artifacts

LABELS = ["Current program", "Parent", "Grandparent", "Great-grandparent"]
SECTION = re.compile(r"^(Current program|Parent|Grandparent|Great-grandparent):$", re.M)


def read(user: str, depth: int) -> tuple[int, int]:
    """(ancestors the node has up to ``depth``, ancestors the prompt shows)."""
    shown = [m.group(1) for m in SECTION.finditer(user)]
    histories = re.findall(r"transformation history: (.*)", user)
    fresh = next((i for i, h in enumerate(histories) if h.startswith("none")), None)
    # A lineage the prompt shows whole ends at a fresh sample; one it cut (an older prompt
    # format) ends earlier, and the node then had at least the depth it shows.
    available = fresh if fresh is not None else depth
    return min(depth, available), len(shown) - 1


def summarize(root: Path, depth: int) -> dict:
    rows = []
    for path in sorted(root.glob("runs/*/*/*/llm_transcript.jsonl")):
        workload, arm, seed = path.parts[-4:-1]
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if not entry.get("request"):
                continue
            had, shown = read(entry["request"]["user"], depth)
            rows.append(
                {
                    "workload": workload,
                    "arm": arm,
                    "seed": seed,
                    "ancestors": had,
                    "shown": shown,
                    "measured_feedback": "Measured in this run" in entry["request"]["user"],
                    "prompt_tokens": entry.get("prompt_tokens"),
                    "seconds": entry.get("seconds"),
                    "cached": entry.get("cached"),
                }
            )
    table = {}
    for row in rows:
        key = (row["workload"], row["arm"])
        table.setdefault(key, []).append(row)
    summary = []
    for (workload, arm), group in table.items():
        answered = [r for r in group if r["seconds"] and not r["cached"]]
        summary.append(
            {
                "workload": workload,
                "arm": arm,
                "prompts": len(group),
                "with_parent": sum(r["ancestors"] >= 1 for r in group),
                "parent_shown": sum(r["ancestors"] >= 1 and r["shown"] >= 1 for r in group),
                "with_grandparent": sum(r["ancestors"] >= 2 for r in group),
                "grandparent_shown": sum(r["ancestors"] >= 2 and r["shown"] >= 2 for r in group),
                "lineage_whole": sum(r["shown"] >= r["ancestors"] for r in group),
                "measured_feedback": sum(r["measured_feedback"] for r in group),
                "median_prompt_tokens": statistics.median(
                    [r["prompt_tokens"] for r in group if r["prompt_tokens"]] or [0]
                ),
                "median_seconds_per_call": statistics.median(
                    [r["seconds"] for r in answered] or [0]
                ),
            }
        )
    return {"history_depth": depth, "arms": summary}


def markdown(data: dict) -> str:
    lines = [
        f"# Prompt context (history depth {data['history_depth']})",
        "",
        "Per arm, over all seeds: prompts; of the nodes that had a parent (grandparent), how "
        "many prompts show it; prompts with the whole lineage up to the history depth; prompts "
        "with this run's measured programs; median prompt tokens (system + user) and seconds "
        "per answered call.",
        "",
        "| workload | arm | prompts | parent shown | grandparent shown | whole lineage "
        "| measured feedback | median tokens | median s/call |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for a in data["arms"]:
        lines.append(
            f"| {a['workload']} | {a['arm']} | {a['prompts']} "
            f"| {a['parent_shown']} of {a['with_parent']} "
            f"| {a['grandparent_shown']} of {a['with_grandparent']} "
            f"| {a['lineage_whole']} of {a['prompts']} | {a['measured_feedback']} "
            f"| {a['median_prompt_tokens']:.0f} | {a['median_seconds_per_call']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench_dir", type=Path)
    parser.add_argument("--history-depth", type=int, default=2)
    args = parser.parse_args()
    artifacts.unpack(args.bench_dir)  # the transcripts
    data = summarize(args.bench_dir, args.history_depth)
    (args.bench_dir / "prompt_context.json").write_text(json.dumps(data, indent=1) + "\n")
    text = markdown(data)
    (args.bench_dir / "prompt_context.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
