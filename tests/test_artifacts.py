"""A benchmark's per-run files packed beside its report and unpacked where they were."""

import io
import tarfile

from reasoning_compiler.benchmark import artifacts


def _bench(tmp_path):
    run = tmp_path / "runs" / "matmul" / "mcts" / "seed0"
    run.mkdir(parents=True)
    (run / "samples.jsonl").write_text('{"index": 1}\n')
    (run / "result.json").write_text("{}\n")
    (run / "database_tuning_record.json").write_text("not kept\n")  # rebuilt by a resumed run
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "seed0.jsonl").write_text("{}\n")
    (tmp_path / "report.md").write_text("# report\n")  # tracked by git, not packed
    return run


def test_pack_then_unpack_restores_each_runs_files(tmp_path):
    run = _bench(tmp_path)
    assert artifacts.pack(tmp_path) == 3
    names = set(artifacts.in_archive(tmp_path))
    assert names == {
        "runs/matmul/mcts/seed0/samples.jsonl",
        "runs/matmul/mcts/seed0/result.json",
        "transcripts/seed0.jsonl",
    }
    (run / "samples.jsonl").unlink()
    (run / "result.json").write_text('{"newer": true}\n')
    assert artifacts.unpack(tmp_path) == 1  # only what is missing
    assert (run / "samples.jsonl").read_text() == '{"index": 1}\n'
    assert (run / "result.json").read_text() == '{"newer": true}\n'  # files on disk win


def test_packing_again_keeps_what_the_archive_held(tmp_path):
    run = _bench(tmp_path)
    artifacts.pack(tmp_path)
    (run / "samples.jsonl").unlink()
    (run / "run.json").write_text("{}\n")
    assert artifacts.pack(tmp_path) == 4
    first = (tmp_path / artifacts.ARCHIVE).read_bytes()
    assert artifacts.pack(tmp_path) == 4
    assert (tmp_path / artifacts.ARCHIVE).read_bytes() == first  # same files, same archive


def test_unpack_writes_nothing_outside_the_benchmark(tmp_path):
    bench = tmp_path / "bench"
    bench.mkdir()
    with tarfile.open(bench / artifacts.ARCHIVE, "w:xz") as tar:
        for name in ("../escaped.txt", "runs/ok.json"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"{}"))
    assert artifacts.unpack(bench) == 1
    assert not (tmp_path / "escaped.txt").exists() and (bench / "runs" / "ok.json").exists()
