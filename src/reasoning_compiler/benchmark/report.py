"""Write a benchmark's figures: report.md (tables), results.json (all numbers), figure3.png
(speedup against samples, Figure 3 of the paper) and figure4.png (relative to evolutionary)."""

from __future__ import annotations

import json
from pathlib import Path

from .artifacts import REPORT_NOTE

REPORT_NAME, RESULTS_NAME = "report.md", "results.json"
FIGURE3_NAME, FIGURE4_NAME = "figure3.png", "figure4.png"


def _num(value, digits: int = 2, suffix: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{suffix}"


def _workloads(results: dict) -> list[str]:
    return list(dict.fromkeys(a["workload"] for a in results["arms"]))


def table1(results: dict) -> list[str]:
    """Rows: arms per workload; columns: sample counts; cells: mean ± std over seeds."""
    checkpoints = results["checkpoints"]
    lines = [
        "| workload | strategy | " + " | ".join(str(c) for c in checkpoints) + " |",
        "|---|---|" + "---|" * len(checkpoints),
    ]
    for workload in _workloads(results):
        for arm in (a for a in results["arms"] if a["workload"] == workload):
            cells = []
            for c in checkpoints:
                cell = arm["at"].get(str(c))
                cells.append(f"{cell['mean']:.2f} ± {_num(cell['std'])}" if cell else "")
            lines.append(f"| {workload} | {arm['arm']} | " + " | ".join(cells) + " |")
    return lines


def target_table(results: dict) -> list[str]:
    baseline = results["baseline"]
    lines = [
        f"| workload | strategy | target speedup | samples to reach it | {baseline}'s "
        f"| fewer samples than {baseline} | wall time to reach it |",
        "|---|---|---|---|---|---|---|",
    ]
    for arm in results["arms"]:
        t = arm["target"]
        samples = t["samples"] if t["samples"] else f"not within {arm['samples']}"
        base = t["baseline_samples"] or "not reached"
        lines.append(
            f"| {arm['workload']} | {arm['arm']} | {_num(t['speedup'])} | {samples} | {base} "
            f"| {_num(t['fewer_samples_ratio'], suffix='x')} | {_num(t['seconds'], 0, ' s')} |"
        )
    return lines


def paired_table(results: dict) -> list[str]:
    """llm-mcts against mcts, seed by seed (analysis.paired)."""
    rows = results.get("paired") or []
    if not rows:
        return []
    lines = [
        "| workload | arm vs reference | samples | seeds | mean ratio [90% CI] | sample std "
        "| won / lost | Wilcoxon p | sign p | s/sample (reference) | LLM share of wall |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ci = f" [{r['ci90'][0]:.3f}, {r['ci90'][1]:.3f}]" if r["ci90"] else ""
        lines.append(
            f"| {r['workload']} | {r['arm']} vs {r['reference']} | {r['samples']} | {r['seeds']} "
            f"| {r['mean_ratio']:.3f}{ci} | {_num(r['std_ratio'], 3)} "
            f"| {r['wins']} / {r['losses']} | {_num(r['wilcoxon_p'], 3)} | {_num(r['sign_p'], 3)} "
            f"| {r['seconds_per_sample']:.2f} ({r['reference_seconds_per_sample']:.2f}) "
            f"| {100 * r['llm_share_of_wall']:.0f}% |"
        )
    return lines


def time_table(results: dict) -> list[str]:
    lines = [
        "| workload | strategy | s/sample | search | LLM | build | run | baseline s/run "
        "| peak memory GiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for arm in results["arms"]:
        s = arm["seconds_per_sample"]
        lines.append(
            f"| {arm['workload']} | {arm['arm']} | {s['total']:.2f} | {s['search']:.2f} "
            f"| {s['llm']:.2f} | {s['build']:.2f} | {s['run']:.2f} "
            f"| {s['baseline_per_run']:.1f} | {_num(arm['peak_rss_gib'])} |"
        )
    return lines


def quality_table(results: dict) -> list[str]:
    refs = (results.get("machine") or {}).get("references", {})
    peak = ((results.get("machine") or {}).get("peak") or {}).get("gflops")
    lines = [
        "| workload | strategy | best ms | GFLOP/s (best seed) | mean GFLOP/s | share of peak "
        "| NumPy GFLOP/s | PyTorch GFLOP/s | outputs checked |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for arm in results["arms"]:
        q, ref = arm["quality"], refs.get(arm["workload"], {})
        numpy = (ref.get("numpy") or {}).get("gflops")
        torch = ref.get("pytorch") or {}
        torch_cell = _num(torch.get("gflops"), 1) if "gflops" in torch else torch.get("note", "–")
        share = _num(100 * q["share_of_peak"], 1, "%") if q["share_of_peak"] else "–"
        best_ms = q["best_seconds"] * 1e3 if q["best_seconds"] else None
        lines.append(
            f"| {arm['workload']} | {arm['arm']} | {_num(best_ms, 3)} "
            f"| {_num(q['gflops'], 1)} | {_num(q['mean_gflops'], 1)} | {share} "
            f"| {_num(numpy, 1)} | {torch_cell} | {'yes' if q['all_correct'] else 'MISMATCH'} |"
        )
    if peak:
        p = results["machine"]["peak"]
        lines += [
            "",
            f"Peak: {p['gflops']} GFLOP/s float32 = {p['cores']} cores x {p['clock_ghz']} GHz x "
            f"{p['fma_units']} FMA units x 2 x {p['float32_lanes']} lanes ({p['cpu']}, "
            f"LLVM mcpu {p['mcpu']}; nominal clock, so turbo makes the true peak higher).",
        ]
    return lines


def llm_table(results: dict) -> list[str]:
    rows = [a for a in results["arms"] if a["llm"]]
    if not rows:
        return []
    lines = [
        "| workload | arm | model | calls | valid | fell back | errors | set steps "
        "| illegal steps | first call s | mean s/call | measured from LLM (own / lineage) "
        "| best from LLM |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for arm in rows:
        llm = arm["llm"]
        samples = arm["samples"] * len(arm["seeds"])
        lines.append(
            f"| {arm['workload']} | {arm['arm']} | {llm['backend']} {llm['model']} "
            f"| {llm['calls']} | {llm['valid_proposals']} | {llm['fallbacks']} | {llm['errors']} "
            f"| {llm.get('set_steps', '–')} | {llm.get('illegal_steps', '–')} "
            f"| {_num(llm['first_call_seconds'])} | {_num(llm['mean_seconds_per_call'])} "
            f"| {llm.get('measured_llm', '–')} / {llm.get('measured_llm_lineage', '–')} "
            f"of {samples} | {llm.get('best_from_llm', '–')} of {llm.get('runs', '–')} runs |"
        )
    return lines


def _resumed_note(results: dict) -> list[str]:
    resumed = sum(a.get("resumed_runs", 0) for a in results["arms"])
    if not resumed:
        return []
    return [
        "",
        f"{resumed} runs were resumed: for those, this table covers their last session only "
        "(the samples measured after the resume), as their result.json does.",
    ]


def write_markdown(results: dict, missing: list[str], path: Path) -> str:
    config, machine = results["config"], results.get("machine") or {}
    versions = ", ".join(f"{k} {v}" for k, v in (machine.get("versions") or {}).items() if v)
    shapes = "; ".join(
        f"{w} {ref.get('shape', '')}" for w, ref in (machine.get("references") or {}).items()
    )
    target, baseline = config["target"], results["baseline"]
    target_text = (
        f"{baseline}'s mean best speedup at its full budget"
        if isinstance(target, str)
        else f"a {target}x speedup"
    )
    parts = [
        f"# Benchmark `{config['name']}`",
        "",
        f"- Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('memory_gib', '?')} GiB; {machine.get('os', '')}",
        f"- Date: {machine.get('date', '?')}; commit {machine.get('git_commit') or '?'}",
        f"- Versions: {versions or '?'}",
        *_sessions_line(results),
        f"- Workloads ({config['preset']} preset): {shapes or ', '.join(config['workloads'])}",
        f"- Seeds {config['seeds']}, {config['trials']} samples per run, "
        f"{config['per_round']} per round; arms: "
        + "; ".join(
            f"{a['label']} ({a['strategy']}"
            + "".join(f", {k}={v}" for k, v in {**a["options"], **a["llm"]}.items())
            + ")"
            for a in config["arms"]
        ),
        "",
        "## Best speedup over the untuned kernel after N samples (mean ± sample std over seeds)",
        "",
        "Each run's speedup divides the untuned kernel's latency, measured in that run, by the "
        "best latency among its first N samples (Table 1 of the paper).",
        "",
        *table1(results),
        "",
        f"![speedup against samples]({FIGURE3_NAME})",
        "",
        *_paired_section(results),
        f"## Samples to reach {target_text}",
        "",
        f"Counted on the mean-over-seeds curve; the ratio is {baseline}'s samples over the "
        "arm's (the paper's \"16x fewer samples\"). Wall time is the runs' mean at that sample.",
        "",
        *target_table(results),
        "",
        f"![speedup relative to {baseline}]({FIGURE4_NAME})",
        "",
        "## Wall-clock seconds per measured sample (mean over seeds)",
        "",
        *time_table(results),
        *_resumed_note(results),
        "",
        "## Kernel quality",
        "",
        "The best kernel of each arm; NumPy and PyTorch run the same operator in float32 on "
        "the same shapes and inputs, on this machine, after the runs (best of 10 calls in each "
        "of 3 fresh processes).",
        "",
        *quality_table(results),
    ]
    llm = llm_table(results)
    if llm:
        parts += ["", "## LLM calls (summed over seeds)", "", *llm, *_resumed_note(results)]
    if missing:
        parts += ["", "## Missing or unfinished runs", ""] + [f"- {m}" for m in missing]
    parts += ["", REPORT_NOTE + " `--report-only` writes this report again from them."]
    text = "\n".join(parts) + "\n"
    path.write_text(text)
    return text


def _sessions_line(results: dict) -> list[str]:
    """Where and when the runs ran, when not all on one CPU on one day (the header's machine
    and date are those of the last `bench` command)."""
    sessions = results.get("sessions") or {}
    places = {where for counts in sessions.values() for where in counts}
    if len(places) <= 1:
        return []
    return [
        "- Runs by CPU (LLVM name) and day finished: "
        + "; ".join(
            f"{arm}: " + ", ".join(f"{n} on {where}" for where, n in counts.items())
            for arm, counts in sessions.items()
        )
    ]


def _paired_section(results: dict) -> list[str]:
    table = paired_table(results)
    if not table:
        return []
    return [
        "## Paired by seed: llm-mcts against mcts",
        "",
        "Per seed, the ratio of the two arms' best speedups after N samples (the same seed gives "
        "both trees the same first round); the mean ratio with a 90% t-interval, the sample "
        "standard deviation, the seeds won and lost, and two-sided Wilcoxon signed-rank and "
        "sign tests of the differences.",
        "",
        *table,
        "",
    ]


def plot_curves(results: dict, relative: bool = False):
    """Figure 3 (or with ``relative`` Figure 4): a panel per workload, a line per arm (mean over
    seeds) with a band from the worst to the best seed. Returns the matplotlib Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workloads = _workloads(results)
    fig, axes = plt.subplots(
        1, max(1, len(workloads)), figsize=(4.2 * max(1, len(workloads)), 3.4), squeeze=False
    )
    for ax, workload in zip(axes[0], workloads, strict=False):
        for arm in (a for a in results["arms"] if a["workload"] == workload):
            curve = arm["curve"]
            ys = curve["relative_to_baseline"] if relative else curve["mean"]
            if not ys:
                continue
            xs = list(range(1, len(ys) + 1))
            # Best-so-far curves are steps: a value holds until a better sample arrives.
            (line,) = ax.step(xs, ys, where="post", label=arm["arm"])
            if not relative and len(arm["seeds"]) > 1:
                ax.fill_between(
                    xs, curve["min"], curve["max"], step="post", color=line.get_color(), alpha=0.2
                )
        ax.set_title(workload, fontsize=10)
        ax.set_xlabel("samples measured")
        ax.set_ylabel(
            f"speedup relative to {results['baseline']}" if relative else "speedup over untuned"
        )
        if relative:
            ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def write_report(results: dict, missing: list[str], out: Path) -> str:
    import matplotlib.pyplot as plt

    (out / RESULTS_NAME).write_text(json.dumps(results | {"missing": missing}, indent=2) + "\n")
    text = write_markdown(results, missing, out / REPORT_NAME)
    for name, relative in ((FIGURE3_NAME, False), (FIGURE4_NAME, True)):
        fig = plot_curves(results, relative)
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
    return text
